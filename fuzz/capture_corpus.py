#!/usr/bin/env python3
"""Seeds the fuzz corpora with real libzmq traffic.

For each pairing of socket types, two libzmq sockets (pyzmq) talk through a recording TCP
relay: greeting, handshake (NULL, PLAIN or CURVE), messages, subscriptions, heartbeats. Each
direction of each conversation is split into the pieces every fuzz target parses and written
to fuzz/corpus/<target>/ under a name that says where it came from.

Usage: python3 fuzz/capture_corpus.py   (needs pyzmq; rewrites the captured seeds)
"""

import os
import socket
import struct
import threading
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils import z85

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# zmtp::SocketType::ALL order (libzmq's numbering); the session target picks its own type
# with the first input byte.
TYPE_INDEX = {
    "PAIR": 0, "PUB": 1, "SUB": 2, "REQ": 3, "REP": 4, "DEALER": 5, "ROUTER": 6,
    "PULL": 7, "PUSH": 8, "XPUB": 9, "XSUB": 10,
}

# The CURVE keys the `handshake` fuzz target uses too, so that a captured HELLO opens there.
CURVE_SERVER_SECRET = bytes([0x53] * 32)
CURVE_CLIENT_SECRET = bytes([0x43] * 32)

# Mechanism numbers of the `handshake` target's first input byte.
MECHANISM_MODE = {"NULL": 0, "PLAIN": 2, "CURVE": 3}
SERVER_COMMANDS = (b"WELCOME", b"READY", b"ERROR")
CLIENT_COMMANDS = (b"HELLO", b"INITIATE")

# Bounded waits everywhere: a conversation that stalls is cut short, never hangs the script.
RECV_TIMEOUT_MS = 1000
SETTLE = 0.3


class Relay:
    """Accepts one connection, connects to `target`, copies bytes both ways and records them."""

    def __init__(self, target_port):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(5)
        self.port = self.listener.getsockname()[1]
        self.target_port = target_port
        self.to_server = bytearray()   # what the connecting socket sent
        self.to_client = bytearray()   # what the bound socket sent
        self.threads = []
        self.accepter = threading.Thread(target=self._run, daemon=True)
        self.accepter.start()

    def _run(self):
        client, _ = self.listener.accept()
        server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        for src, dst, log in ((client, server, self.to_server), (server, client, self.to_client)):
            t = threading.Thread(target=self._pump, args=(src, dst, log), daemon=True)
            t.start()
            self.threads.append(t)

    @staticmethod
    def _pump(src, dst, log):
        src.settimeout(5)
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                log.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def configure(sock):
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, RECV_TIMEOUT_MS)
    sock.setsockopt(zmq.SNDTIMEO, RECV_TIMEOUT_MS)
    # PINGs within the capture window, with a TTL and a context.
    sock.setsockopt(zmq.HEARTBEAT_IVL, 100)
    sock.setsockopt(zmq.HEARTBEAT_TTL, 2000)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)


def converse(ctx, bound_type, connecting_type, script, secure=None):
    """Binds `bound_type`, connects `connecting_type` through a relay, runs `script(bound,
    connecting)`, and returns (bytes the bound socket received, bytes the connecting one did)."""
    bound = ctx.socket(getattr(zmq, bound_type))
    connecting = ctx.socket(getattr(zmq, connecting_type))
    for s in (bound, connecting):
        configure(s)
    if secure:
        secure(bound, connecting)
    if connecting_type in ("REQ", "DEALER", "ROUTER"):
        connecting.setsockopt(zmq.ROUTING_ID, b"client-" + connecting_type.encode())
    port = bound.bind_to_random_port("tcp://127.0.0.1")
    relay = Relay(port)
    connecting.connect("tcp://127.0.0.1:%d" % relay.port)
    time.sleep(SETTLE)
    try:
        script(bound, connecting)
    except zmq.Again:
        pass
    time.sleep(SETTLE)
    connecting.close()
    bound.close()
    for t in relay.threads:
        t.join(5)
    relay.listener.close()
    return bytes(relay.to_server), bytes(relay.to_client)


def split_frames(stream):
    """Greeting, then (header, body, flags) for every complete frame."""
    greeting, rest, frames = stream[:64], stream[64:], []
    while len(rest) >= 2:
        flags = rest[0]
        if flags & 0x02:
            if len(rest) < 9:
                break
            size, header = struct.unpack(">Q", rest[1:9])[0], 9
        else:
            size, header = rest[1], 2
        if len(rest) < header + size:
            break
        frames.append((rest[:header], rest[header:header + size], flags))
        rest = rest[header + size:]
    return greeting, frames


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def record(name, receiver_type, stream, mechanism="NULL"):
    """Writes the pieces of one direction of traffic, as received by `receiver_type`."""
    if len(stream) < 64:
        return
    greeting, frames = split_frames(stream)
    write("greeting", name, greeting)
    legacy = bytearray(greeting)
    legacy[11] = 0  # The same peer announcing ZMTP 3.0.
    write("greeting", name + "-zmtp30", bytes(legacy))
    kind = TYPE_INDEX[receiver_type]
    # Session: our type, chunking seed, size limit (0: none), our mechanism (the receiver's
    # role in the capture), then the stream.
    server_side = "-to-bound-" in name
    role = {"NULL": 0, "PLAIN": 2 if server_side else 3, "CURVE": 4 if server_side else 5}[mechanism]
    write("session", name, bytes([kind, 0, 0, role]) + stream)
    write("session", name + "-bytewise", bytes([kind, 1, 3, role]) + stream)
    if mechanism == "NULL":
        write("session", name + "-zmtp30", bytes([kind, 2, 0, role]) + bytes(legacy) + stream[64:])
    commands = 0
    handshake = []
    for i, (header, body, flags) in enumerate(frames):
        write("frame_header", "%s-%03d" % (name, i), bytes([i % 9]) + header + body[:8])
        name_len = body[0] if body else 0
        command_name = body[1:1 + name_len]
        if flags & 0x04:
            commands += 1
            if mechanism == "NULL" or command_name in (b"SUBSCRIBE", b"CANCEL", b"PING", b"PONG"):
                write("command", "%s-%03d" % (name, i), body)
            if command_name == b"READY" and mechanism != "CURVE":
                write("metadata", "%s-%03d" % (name, i), body[6:])
        if mechanism != "NULL" and command_name in CLIENT_COMMANDS + SERVER_COMMANDS + (b"MESSAGE",):
            handshake.append(body)
    if handshake:
        # The `handshake` target: mode, then one edit per command in transit (client's first,
        # then alternately): 0 passes it, 1 replaces it with a u16-sized body. Captured
        # commands replace ours in the place they had in the libzmq conversation.
        from_client = handshake[0][1:1 + handshake[0][0]] in CLIENT_COMMANDS
        mode = MECHANISM_MODE[mechanism]
        for k, body in enumerate(handshake):
            slot = 2 * k if from_client else 2 * k + 1
            edits = bytes([0]) * slot + bytes([1]) + struct.pack(">H", len(body)) + body
            write("handshake", "%s-%03d" % (name, k), bytes([mode]) + edits)
    print("%-40s %6d bytes, %3d frames, %2d commands" % (name, len(stream), len(frames), commands))


def main():
    ctx = zmq.Context()
    big = bytes(range(256)) * 4

    def reqrep(rep, req):
        req.send(b"hello")
        rep.send_multipart([rep.recv(), b""][:1])
        req.recv()
        req.send_multipart([b"two", b"parts"])
        rep.recv_multipart()
        rep.send(big)
        req.recv()

    def dealer_router(router, dealer):
        dealer.send_multipart([b"", b"request", big[:300]])
        who, *body = router.recv_multipart()
        router.send_multipart([who, b"", b"reply"])
        router.send_multipart([who, b"unsolicited"])
        dealer.recv_multipart()
        time.sleep(0.25)

    def dealer_rep(rep, dealer):
        dealer.send_multipart([b"", b"via dealer"])
        rep.recv()
        rep.send(b"ok")
        dealer.recv_multipart()

    def req_router(router, req):
        req.send(b"question")
        who, empty, q = router.recv_multipart()
        router.send_multipart([who, empty, b"answer"])
        req.recv()

    def pub_sub(pub, sub):
        sub.setsockopt(zmq.SUBSCRIBE, b"weather")
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        time.sleep(SETTLE)
        sub.setsockopt(zmq.UNSUBSCRIBE, b"")
        time.sleep(SETTLE)
        for i in range(3):
            pub.send_multipart([b"weather", b"%d degrees" % i])
        pub.send(b"sports")
        sub.recv_multipart()

    def xpub_xsub(xpub, xsub):
        xsub.send(b"\x01news")
        xsub.send(b"\x01")
        xpub.recv()
        xpub.send(b"news flash")
        xsub.recv()
        xsub.send(b"\x00news")
        time.sleep(0.25)

    def push_pull(pull, push):
        for m in (b"", b"work", big[:255], big[:256], big):
            push.send(m)
        push.send_multipart([b"a", b"b", b"c"])
        for _ in range(6):
            pull.recv_multipart()

    def pair(a, b):
        a.send(b"ping")
        b.recv()
        b.send_multipart([b"pong", big[:100]])
        a.recv_multipart()
        time.sleep(0.25)

    def plain(server, client):
        server.setsockopt(zmq.ZAP_DOMAIN, b"fuzz")
        server.setsockopt(zmq.PLAIN_SERVER, 1)
        client.setsockopt(zmq.PLAIN_USERNAME, b"admin")
        client.setsockopt(zmq.PLAIN_PASSWORD, b"secret")

    server_secret = z85.encode(CURVE_SERVER_SECRET)
    client_secret = z85.encode(CURVE_CLIENT_SECRET)
    server_public = zmq.curve_public(server_secret)
    client_public = zmq.curve_public(client_secret)
    # libzmq's PLAIN and CURVE servers ask a ZAP handler; this one lets everyone in.
    authenticator = ThreadAuthenticator(ctx)
    authenticator.start()
    authenticator.configure_plain(domain="fuzz", passwords={"admin": "secret"})
    authenticator.configure_curve(domain="fuzz", location=zmq.auth.CURVE_ALLOW_ANY)

    def curve(server, client):
        server.setsockopt(zmq.ZAP_DOMAIN, b"fuzz")
        server.setsockopt(zmq.CURVE_SERVER, 1)
        server.setsockopt(zmq.CURVE_SECRETKEY, server_secret)
        client.setsockopt(zmq.CURVE_SERVERKEY, server_public)
        client.setsockopt(zmq.CURVE_PUBLICKEY, client_public)
        client.setsockopt(zmq.CURVE_SECRETKEY, client_secret)

    conversations = [
        ("REP", "REQ", reqrep, None, "NULL"),
        ("ROUTER", "DEALER", dealer_router, None, "NULL"),
        ("REP", "DEALER", dealer_rep, None, "NULL"),
        ("ROUTER", "REQ", req_router, None, "NULL"),
        ("PUB", "SUB", pub_sub, None, "NULL"),
        ("XPUB", "XSUB", xpub_xsub, None, "NULL"),
        ("PULL", "PUSH", push_pull, None, "NULL"),
        ("PAIR", "PAIR", pair, None, "NULL"),
        ("ROUTER", "DEALER", dealer_router, plain, "PLAIN"),
        ("ROUTER", "DEALER", dealer_router, curve, "CURVE"),
    ]
    for bound, connecting, script, secure, mechanism in conversations:
        to_bound, to_connecting = converse(ctx, bound, connecting, script, secure)
        stem = "libzmq-%s-%s" % (connecting.lower(), bound.lower())
        if mechanism != "NULL":
            stem += "-" + mechanism.lower()
        record(stem + "-to-bound-" + bound.lower(), bound, to_bound, mechanism)
        record(stem + "-to-connecting-" + connecting.lower(), connecting, to_connecting, mechanism)
    authenticator.stop()
    ctx.term()


if __name__ == "__main__":
    main()
