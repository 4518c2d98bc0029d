"""pyzmq's asyncio API on the library under test: zmq.asyncio waits on ZMQ_FD and trusts
ZMQ_EVENTS (libzmq's edge-triggered contract), so a library that breaks the contract
hangs here. A REQ/REP exchange, a PUSH/PULL stream of 1000 messages while another task
runs, and a poll with timeout; prints "ok ..." when all went through in time.
"""
import asyncio
import sys

import zmq
import zmq.asyncio


async def main():
    ctx = zmq.asyncio.Context()
    rep = ctx.socket(zmq.REP)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    req = ctx.socket(zmq.REQ)
    req.connect(f"tcp://127.0.0.1:{port}")

    async def server():
        for _ in range(10):
            request = await rep.recv()
            await rep.send(request.upper())

    serving = asyncio.ensure_future(server())
    for i in range(10):
        await req.send(b"hello %d" % i)
        assert await req.recv() == b"HELLO %d" % i
    await serving

    pull = ctx.socket(zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = ctx.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticking = asyncio.ensure_future(ticker())

    async def producer():
        for i in range(1000):
            await push.send(b"%d" % i)

    producing = asyncio.ensure_future(producer())
    for i in range(1000):
        assert await pull.recv() == b"%d" % i
    await producing
    ticking.cancel()

    poller = zmq.asyncio.Poller()
    poller.register(pull, zmq.POLLIN)
    assert await poller.poll(timeout=50) == []
    await push.send(b"late")
    events = await poller.poll(timeout=5000)
    assert events == [(pull, zmq.POLLIN)], events
    assert await pull.recv() == b"late"

    for s in (rep, req, pull, push):
        s.close(linger=0)
    ctx.term()
    print("ok: libzmq", zmq.zmq_version(), "ticks", ticks > 0)


asyncio.run(asyncio.wait_for(main(), timeout=30))
sys.exit(0)
