# -*- coding=utf-8 -*-
"""A libzmq ROUTER: prints COUNT messages as the sender's routing id in hex, a tab and the
text, answers each with "ack: " and the text, then exits. Fails if a message takes more
than five seconds.

usage: router.py ENDPOINT COUNT
"""
import sys

import zmq

endpoint, count = sys.argv[1], int(sys.argv[2])

context = zmq.Context()
socket = context.socket(zmq.ROUTER)
socket.setsockopt(zmq.RCVTIMEO, 5000)
socket.bind(endpoint)
for _ in range(count):
    routing_id, body = socket.recv_multipart()
    print("%s\t%s" % (routing_id.hex(), body.decode()), flush=True)
    socket.send_multipart([routing_id, b"ack: " + body])
