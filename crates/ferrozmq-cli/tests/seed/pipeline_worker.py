# -*- coding=utf-8 -*-
"""The seed's pipeline worker in Python 3: forwards COUNT messages, then exits.

usage: pipeline_worker.py [FROM_ENDPOINT] [TO_ENDPOINT] [COUNT]
"""
import sys

import zmq

source = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5557"
destination = sys.argv[2] if len(sys.argv) > 2 else "tcp://127.0.0.1:5558"
count = int(sys.argv[3]) if len(sys.argv) > 3 else 3

context = zmq.Context()

receiver = context.socket(zmq.PULL)
receiver.connect(source)

sender = context.socket(zmq.PUSH)
sender.connect(destination)

for _ in range(count):
    data = receiver.recv()
    print("正在转发...", flush=True)
    sender.send(data)
