# The seed's programs were written for Python 2, where a string literal is a byte string:
# they send str, subscribe with str, and print what they receive with "%s". Python 3
# pyzmq refuses str where bytes are meant, and prints bytes as b'...'. This shim, loaded
# by Python at start-up from PYTHONPATH (see tests/pyzmq.rs), gives pyzmq's sockets
# Python 2's behaviour for the seed's calls and nothing else:
#   - send() and setsockopt() take str as its UTF-8 bytes (Python 2 source is UTF-8 here:
#     the programs say "coding=utf-8");
#   - recv() returns bytes that print as the text they hold, as a Python 2 str does.
# It also reports on stderr which libzmq the process loaded, for the test to check.
import sys

import zmq


class Py2Str(bytes):
    """Received bytes that "%s" formats as their text, as Python 2 did."""

    def __str__(self):
        return self.decode("utf-8", "replace")


def _text_to_bytes(value):
    return value.encode("utf-8") if isinstance(value, str) else value


_send = zmq.Socket.send
_recv = zmq.Socket.recv
_setsockopt = zmq.Socket.setsockopt


def send(self, data, *args, **kwargs):
    return _send(self, _text_to_bytes(data), *args, **kwargs)


def recv(self, *args, **kwargs):
    received = _recv(self, *args, **kwargs)
    return Py2Str(received) if isinstance(received, bytes) else received


def setsockopt(self, option, value):
    return _setsockopt(self, option, _text_to_bytes(value))


zmq.Socket.send = send
zmq.Socket.recv = recv
zmq.Socket.setsockopt = setsockopt

with open("/proc/self/maps") as maps:
    loaded = sorted({line.split()[-1] for line in maps if "libzmq" in line})
print("py2-shim: libzmq", zmq.zmq_version(), "loaded", " ".join(loaded), file=sys.stderr, flush=True)
