"""A ZWS 2.0 peer written on the `websockets` package (an independent WebSocket
implementation): it opens ws://... with the ZWS2.0/NULL subprotocol, runs the NULL
handshake as RFC 45 and RFC 23 describe it, then

    zws_client.py sub URL TOPIC COUNT   prints the bodies of the first COUNT messages
    zws_client.py push URL PART...      sends one message made of the given parts
"""

import sys

from websockets.sync.client import connect

LAST, MORE, COMMAND = b"\x00", b"\x01", b"\x02"


def ready(socket_type):
    name = b"Socket-Type"
    return (
        COMMAND
        + b"\x05READY"
        + bytes([len(name)])
        + name
        + len(socket_type).to_bytes(4, "big")
        + socket_type
    )


def main():
    mode, url = sys.argv[1], sys.argv[2]
    with connect(url, subprotocols=["ZWS2.0/NULL"], open_timeout=10) as ws:
        assert ws.subprotocol == "ZWS2.0/NULL", ws.subprotocol
        ws.send(ready(b"SUB" if mode == "sub" else b"PUSH"))
        peer = ws.recv(timeout=10)
        assert isinstance(peer, bytes) and peer.startswith(COMMAND + b"\x05READY"), peer
        if mode == "sub":
            topic, count = sys.argv[3].encode(), int(sys.argv[4])
            ws.send(LAST + b"\x01" + topic)
            for _ in range(count):
                frame = ws.recv(timeout=10)
                assert frame[:1] == LAST, frame
                print(frame[1:].decode(), flush=True)
        else:
            parts = [p.encode() for p in sys.argv[3:]]
            for part in parts[:-1]:
                ws.send(MORE + part)
            ws.send(LAST + parts[-1])
            print("sent", flush=True)


if __name__ == "__main__":
    main()
