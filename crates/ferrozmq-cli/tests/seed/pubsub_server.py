# -*- coding=utf-8 -*-
"""The seed's publisher in Python 3: broadcasts COUNT times, INTERVAL seconds apart.

usage: pubsub_server.py [ENDPOINT] [COUNT] [INTERVAL]
"""
import sys
import time

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://*:5555"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0

context = zmq.Context()
socket = context.socket(zmq.PUB)
socket.bind(endpoint)

for _ in range(count):
    print("发送消息", flush=True)
    socket.send_string("消息群发")
    time.sleep(interval)
