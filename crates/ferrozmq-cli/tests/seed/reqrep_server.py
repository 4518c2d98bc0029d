# -*- coding=utf-8 -*-
"""The seed's REQ-REP server in Python 3: answers COUNT requests, then exits.

usage: reqrep_server.py [ENDPOINT] [COUNT]
"""
import sys

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://*:5555"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1

context = zmq.Context()
socket = context.socket(zmq.REP)
socket.bind(endpoint)

for _ in range(count):
    message = socket.recv_string()
    print("Received: %s" % message, flush=True)
    socket.send_string("I am OK!")
