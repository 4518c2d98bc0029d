# -*- coding=utf-8 -*-
"""The seed's pipeline server (ventilator) in Python 3: pushes COUNT messages, INTERVAL
seconds apart.

usage: pipeline_ventilator.py [ENDPOINT] [COUNT] [INTERVAL]
"""
import sys
import time

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://*:5557"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0

context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.bind(endpoint)

for _ in range(count):
    socket.send_string("测试消息")
    print("已发送", flush=True)
    time.sleep(interval)
