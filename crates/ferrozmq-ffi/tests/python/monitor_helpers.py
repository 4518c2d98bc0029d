"""pyzmq's monitor helpers on the library under test: Socket.get_monitor_socket
(zmq_socket_monitor on an inproc PAIR it connects to), zmq.utils.monitor's
recv_monitor_message (libzmq's version 1 frames) and disable_monitor (MONITOR_STOPPED,
then the feed's endpoint is free). Prints "ok ..." when every event came, in order.
"""
import zmq
from zmq.utils.monitor import recv_monitor_message

ctx = zmq.Context()
server = ctx.socket(zmq.PULL)
events = server.get_monitor_socket()
events.rcvtimeo = 5000
port = server.bind_to_random_port("tcp://127.0.0.1")
endpoint = f"tcp://127.0.0.1:{port}".encode()

client = ctx.socket(zmq.PUSH)
client.connect(endpoint)
client.send(b"hello")
assert server.recv() == b"hello"
client.close(linger=0)

seen = []
while not seen or seen[-1] != zmq.EVENT_DISCONNECTED:
    event = recv_monitor_message(events)
    assert event["endpoint"] == endpoint, event
    seen.append(event["event"])
expected = [
    zmq.EVENT_LISTENING,
    zmq.EVENT_ACCEPTED,
    zmq.EVENT_HANDSHAKE_SUCCEEDED,
    zmq.EVENT_DISCONNECTED,
]
assert seen == expected, seen

server.disable_monitor()
stopped = recv_monitor_message(events)
assert stopped["event"] == zmq.EVENT_MONITOR_STOPPED, stopped
# The feed is gone: a new one may take a fresh endpoint at once.
again = server.get_monitor_socket(zmq.EVENT_CLOSED)
again.rcvtimeo = 5000
server.unbind(endpoint)
closed = recv_monitor_message(again)
assert closed["event"] == zmq.EVENT_CLOSED and closed["endpoint"] == endpoint, closed

for socket in (events, again, server):
    socket.close(linger=0)
ctx.term()
print(f"ok: libzmq {zmq.zmq_version()} events {len(seen) + 2}")
