# -*- coding=utf-8 -*-
"""The seed's REQ-REP client in Python 3: asks COUNT times, printing each answer.

usage: reqrep_client.py [ENDPOINT] [COUNT]
"""
import sys

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://localhost:5555"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1

context = zmq.Context()
socket = context.socket(zmq.REQ)
socket.connect(endpoint)

for _ in range(count):
    socket.send_string("Are you OK?")
    response = socket.recv_string()
    print("response: %s" % response, flush=True)
