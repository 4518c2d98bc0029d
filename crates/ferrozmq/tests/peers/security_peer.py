"""A libzmq peer (through pyzmq) for ferrozmq's security interop tests.

Usage: security_peer.py CONFIG_JSON

CONFIG_JSON keys:
  type          socket type name: "REQ", "REP", "PUB", "SUB", ...
  bind          endpoint to bind (the bound endpoint is printed as "ENDPOINT <endpoint>")
  connect       endpoint to connect
  curve_server  Z85 secret key: act as CURVE server
  curve_client  {"secret": Z85, "public": Z85, "server": Z85}: act as CURVE client
  plain_server  true: act as PLAIN server
  plain_client  {"username": ..., "password": ...}
  zap_domain    ZAP domain to set
  zap           a ZAP handler to run in this process (libzmq's side of a server):
                {"keys": [Z85...], "users": {"name": "password"}, "user_id": "..."}
  act           "echo": reply to each request until one is exactly [b"END"];
                "request": send the standard messages, expect each echoed, then END;
                "publish": publish the standard messages over and over until stdin closes;
                "subscribe": subscribe to everything, receive the standard messages
                (3 rounds), check them;
                "monitor": wait up to "wait_ms" for a HANDSHAKE_* event and print it.
Prints "OK" and exits 0 on success; exits 1 with a reason otherwise, 3 without pyzmq.
"""

import json
import sys
import threading

try:
    import zmq
    import zmq.utils.monitor
    import zmq.utils.z85
except ImportError:
    print("pyzmq is not installed: pip install pyzmq", file=sys.stderr)
    sys.exit(3)

TIMEOUT_MS = 10000


def big_body():
    """1 MiB in a pattern both sides compute the same way."""
    return bytes(i % 251 for i in range(1 << 20))


def standard_messages():
    return [
        [b"hello"],
        [b"multi", b"", b"part", b"message"],
        [b"big", big_body()],
    ]


def fail(reason):
    print("FAIL " + reason, flush=True)
    sys.exit(1)


def run_zap_handler(ctx, policy, ready):
    handler = ctx.socket(zmq.REP)
    handler.linger = 0
    handler.bind("inproc://zeromq.zap.01")
    ready.set()
    keys = {zmq.utils.z85.decode(k.encode()) for k in policy.get("keys", [])}
    users = policy.get("users", {})
    while True:
        try:
            request = handler.recv_multipart()
        except zmq.ZMQError:
            # The context is ending.
            handler.close()
            return
        version, request_id, _domain, _address, _identity, mechanism = request[:6]
        credentials = request[6:]
        ok = False
        if mechanism == b"CURVE":
            ok = credentials[0] in keys
        elif mechanism == b"PLAIN":
            name, password = (c.decode() for c in credentials)
            ok = users.get(name) == password
        elif mechanism == b"NULL":
            ok = True
        user_id = policy.get("user_id", "").encode() if ok else b""
        status = [b"200", b"OK"] if ok else [b"400", b"Denied"]
        handler.send_multipart([version, request_id] + status + [user_id, b""])


def configure(sock, cfg):
    if "curve_server" in cfg:
        sock.curve_server = True
        sock.curve_secretkey = cfg["curve_server"].encode()
    if "curve_client" in cfg:
        client = cfg["curve_client"]
        sock.curve_secretkey = client["secret"].encode()
        sock.curve_publickey = client["public"].encode()
        sock.curve_serverkey = client["server"].encode()
    if cfg.get("plain_server"):
        sock.plain_server = True
    if "plain_client" in cfg:
        sock.plain_username = cfg["plain_client"]["username"].encode()
        sock.plain_password = cfg["plain_client"]["password"].encode()
    if "zap_domain" in cfg:
        sock.zap_domain = cfg["zap_domain"].encode()


def main():
    cfg = json.loads(sys.argv[1])
    ctx = zmq.Context()
    if "zap" in cfg:
        ready = threading.Event()
        thread = threading.Thread(
            target=run_zap_handler, args=(ctx, cfg["zap"], ready), daemon=True
        )
        thread.start()
        ready.wait()
    sock = ctx.socket(getattr(zmq, cfg["type"]))
    sock.linger = 0
    sock.rcvtimeo = cfg.get("timeout_ms", TIMEOUT_MS)
    sock.sndtimeo = TIMEOUT_MS
    configure(sock, cfg)
    monitor = sock.get_monitor_socket() if cfg.get("act") == "monitor" else None
    if "bind" in cfg:
        sock.bind(cfg["bind"])
        print("ENDPOINT " + sock.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    if "connect" in cfg:
        sock.connect(cfg["connect"])

    act = cfg.get("act")
    try:
        if act == "echo":
            while True:
                parts = sock.recv_multipart()
                sock.send_multipart(parts)
                if parts == [b"END"]:
                    break
        elif act == "request":
            for msg in standard_messages():
                sock.send_multipart(msg)
                if sock.recv_multipart() != msg:
                    fail("echo differs from request")
            sock.send_multipart([b"END"])
            sock.recv_multipart()
        elif act == "publish":
            stop = threading.Event()
            threading.Thread(
                target=lambda: (sys.stdin.read(), stop.set()), daemon=True
            ).start()
            while not stop.wait(0.02):
                for msg in standard_messages():
                    sock.send_multipart(msg)
        elif act == "subscribe":
            sock.setsockopt(zmq.SUBSCRIBE, b"")
            want = standard_messages()
            got = [sock.recv_multipart() for _ in range(3 * len(want))]
            # A subscriber may join mid-round: find where the rounds start.
            start = next(i for i, m in enumerate(got) if m == want[0])
            if got[start : start + len(want)] != want:
                fail("publication differs")
        elif act == "monitor":
            deadline = cfg.get("wait_ms", TIMEOUT_MS)
            while monitor.poll(deadline):
                event = zmq.utils.monitor.recv_monitor_message(monitor)
                name = zmq.Event(event["event"]).name
                if name.startswith("HANDSHAKE"):
                    print("EVENT %s %d" % (name, event["value"]), flush=True)
                    break
        else:
            fail("unknown act %r" % act)
    except zmq.Again:
        fail("timed out")
    # Whatever was sent last (an echo of END) must still reach the peer.
    sock.close(linger=TIMEOUT_MS)
    if monitor is not None:
        monitor.close()
    ctx.term()
    print("OK", flush=True)


if __name__ == "__main__":
    main()
