# -*- coding=utf-8 -*-
"""A libzmq XPUB: waits for the first subscription notice and prints it (+PREFIX or
-PREFIX), then publishes "B i" and "A i" for i from 0 to COUNT - 1 and exits. The
subscription is in force when its notice arrives, so nothing is published too early.
Fails if no subscription comes within five seconds.

usage: xpub.py ENDPOINT COUNT
"""
import sys

import zmq

endpoint, count = sys.argv[1], int(sys.argv[2])

context = zmq.Context()
socket = context.socket(zmq.XPUB)
socket.setsockopt(zmq.RCVTIMEO, 5000)
socket.bind(endpoint)
notice = socket.recv()
print(("+" if notice[0] == 1 else "-") + notice[1:].decode(), flush=True)
for i in range(count):
    socket.send_string("B %d" % i)
    socket.send_string("A %d" % i)
