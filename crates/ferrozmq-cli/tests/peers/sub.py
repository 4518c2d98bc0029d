# -*- coding=utf-8 -*-
"""A libzmq SUB: subscribes to PREFIX, prints COUNT messages, then exits. Fails if a
message takes more than five seconds.

usage: sub.py ENDPOINT PREFIX COUNT
"""
import sys

import zmq

endpoint, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

context = zmq.Context()
socket = context.socket(zmq.SUB)
socket.setsockopt(zmq.SUBSCRIBE, prefix.encode())
socket.setsockopt(zmq.RCVTIMEO, 5000)
socket.setsockopt(zmq.LINGER, 0)
socket.connect(endpoint)
for _ in range(count):
    print(socket.recv_string(), flush=True)
