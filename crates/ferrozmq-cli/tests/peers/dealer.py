# -*- coding=utf-8 -*-
"""A libzmq DEALER announcing routing id ID: sends MESSAGE COUNT times, printing the reply
to each, then exits. Fails if a reply takes more than five seconds.

usage: dealer.py ENDPOINT ID MESSAGE COUNT
"""
import sys

import zmq

endpoint, routing_id, message = sys.argv[1], sys.argv[2], sys.argv[3]
count = int(sys.argv[4])

context = zmq.Context()
socket = context.socket(zmq.DEALER)
socket.setsockopt(zmq.ROUTING_ID, routing_id.encode())
socket.setsockopt(zmq.RCVTIMEO, 5000)
socket.setsockopt(zmq.LINGER, 0)
socket.connect(endpoint)
for _ in range(count):
    socket.send_string(message)
    print(socket.recv_string(), flush=True)
