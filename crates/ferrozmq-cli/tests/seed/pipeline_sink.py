# -*- coding=utf-8 -*-
"""The seed's pipeline client (sink) in Python 3: prints COUNT results, then exits.

usage: pipeline_sink.py [ENDPOINT] [COUNT]
"""
import sys

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://*:5558"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3

context = zmq.Context()
socket = context.socket(zmq.PULL)
socket.bind(endpoint)

for _ in range(count):
    response = socket.recv_string()
    print("response: %s" % response, flush=True)
