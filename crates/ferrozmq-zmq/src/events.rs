//! Monitor event numbers.

/// The kind of a monitor event (`ZMQ_EVENT_*`), as the first two bytes of a monitor
/// message's first part give it; see [`Socket::monitor`](crate::Socket::monitor).
///
/// `ALL` is the mask of every kind, for [`Socket::monitor`](crate::Socket::monitor)'s
/// `events` argument (`SocketEvent::ALL as i32`).
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let ctx = zmq::Context::new();
/// let socket = ctx.socket(zmq::PULL).unwrap();
/// socket.monitor("inproc://pull-events", zmq::SocketEvent::ALL as i32).unwrap();
/// let events = ctx.socket(zmq::PAIR).unwrap();
/// events.connect("inproc://pull-events").unwrap();
///
/// socket.bind("tcp://127.0.0.1:*").unwrap();
/// let first = events.recv_msg(0).unwrap();
/// let kind = zmq::SocketEvent::from_raw(u16::from_ne_bytes([first[0], first[1]]));
/// assert_eq!(kind, zmq::SocketEvent::LISTENING);
/// ```
#[allow(non_camel_case_types)]
#[allow(missing_docs)] // Each variant is the ZMQ_EVENT_ of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketEvent {
    CONNECTED = 0x0001,
    CONNECT_DELAYED = 0x0002,
    CONNECT_RETRIED = 0x0004,
    LISTENING = 0x0008,
    BIND_FAILED = 0x0010,
    ACCEPTED = 0x0020,
    ACCEPT_FAILED = 0x0040,
    CLOSED = 0x0080,
    CLOSE_FAILED = 0x0100,
    DISCONNECTED = 0x0200,
    MONITOR_STOPPED = 0x0400,
    HANDSHAKE_FAILED_NO_DETAIL = 0x0800,
    HANDSHAKE_SUCCEEDED = 0x1000,
    HANDSHAKE_FAILED_PROTOCOL = 0x2000,
    HANDSHAKE_FAILED_AUTH = 0x4000,
    ALL = 0xFFFF,
}

const EVERY: [SocketEvent; 16] = {
    use SocketEvent::*;
    [
        CONNECTED,
        CONNECT_DELAYED,
        CONNECT_RETRIED,
        LISTENING,
        BIND_FAILED,
        ACCEPTED,
        ACCEPT_FAILED,
        CLOSED,
        CLOSE_FAILED,
        DISCONNECTED,
        MONITOR_STOPPED,
        HANDSHAKE_FAILED_NO_DETAIL,
        HANDSHAKE_SUCCEEDED,
        HANDSHAKE_FAILED_PROTOCOL,
        HANDSHAKE_FAILED_AUTH,
        ALL,
    ]
};

impl SocketEvent {
    /// The event's number.
    pub fn to_raw(self) -> u16 {
        self as u16
    }

    /// The event with this number.
    ///
    /// # Panics
    ///
    /// For a number that is no event's, as the `zmq` crate does.
    pub fn from_raw(raw: u16) -> SocketEvent {
        match EVERY.into_iter().find(|e| e.to_raw() == raw) {
            Some(event) => event,
            None => panic!("unknown event type {raw}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_libzmq_s() {
        for kind in ferrozmq::EventKind::ALL {
            let event = SocketEvent::from_raw(kind.number());
            assert_eq!(format!("{event:?}"), kind.name());
        }
        assert_eq!(SocketEvent::from_raw(0xFFFF), SocketEvent::ALL);
    }

    #[test]
    #[should_panic(expected = "unknown event type 3")]
    fn an_unknown_number_panics_as_the_zmq_crate_does() {
        SocketEvent::from_raw(3);
    }
}
