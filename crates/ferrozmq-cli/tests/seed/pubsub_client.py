# -*- coding=utf-8 -*-
"""The seed's subscriber in Python 3 (both of its clients are this program): prints
COUNT broadcasts, then exits.

usage: pubsub_client.py [ENDPOINT] [COUNT]
"""
import sys

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://localhost:5555"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3

context = zmq.Context()
socket = context.socket(zmq.SUB)
socket.connect(endpoint)
socket.setsockopt(zmq.SUBSCRIBE, b"")  # 消息过滤
for _ in range(count):
    response = socket.recv_string()
    print("response: %s" % response, flush=True)
