//! libzmq's monitor wire feed: events as two-part messages to a PAIR socket over inproc
//! (`zmq_socket_monitor`), for code and tools written for libzmq's monitor.

use super::{EventKind, MonitorEvent};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::socket::Socket;

/// Length of an event's first part: the number (u16) and the value (u32).
const HEADER_LEN: usize = 6;

/// One event as libzmq's monitor wire feed carries it: a kind, a number and an endpoint.
///
/// [`Socket::monitor_to`] sends such events; [`WireEvent::recv`] reads one from the PAIR
/// socket connected to the feed, from ferrozmq or from libzmq alike. (A [`Monitor`] gives
/// the same events typed, with no socket in between.)
///
/// ```
/// use ferrozmq::{Context, EventKind, WireEvent, PAIR, PULL};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let socket = ctx.socket(PULL).unwrap();
/// socket.monitor_to(Some("inproc://pull-events"), EventKind::Listening.into()).unwrap();
/// let events = ctx.socket(PAIR).unwrap();
/// events.connect("inproc://pull-events").unwrap();
///
/// let endpoint = socket.bind("tcp://127.0.0.1:*").unwrap();
/// events.options().set_rcvtimeo(Some(Duration::from_secs(5))).unwrap();
/// let event = WireEvent::recv(&events).unwrap();
/// assert_eq!(event.kind, EventKind::Listening);
/// assert_eq!(event.endpoint, endpoint);
/// ```
///
/// [`Socket::monitor_to`]: crate::Socket::monitor_to
/// [`Monitor`]: crate::Monitor
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireEvent {
    /// What happened.
    pub kind: EventKind,
    /// A file descriptor, `errno`, interval or code, as [`EventKind`] documents per kind.
    pub value: u32,
    /// The endpoint it happened on: as bound (ephemeral port resolved) for listeners and the
    /// connections they accept, as given to connect for connections made. Empty for
    /// [`EventKind::MonitorStopped`].
    pub endpoint: String,
}

impl WireEvent {
    /// Decodes the two parts of a monitor message (libzmq's version 1 layout).
    ///
    /// ```
    /// use ferrozmq::{EventKind, Message, WireEvent};
    /// let parts = [
    ///     Message::from([0x20, 0x00, 0x07, 0x00, 0x00, 0x00]),
    ///     Message::from("tcp://127.0.0.1:5555"),
    /// ];
    /// let event = WireEvent::parse(&parts).unwrap();
    /// assert_eq!(event.kind, EventKind::Accepted);
    /// assert_eq!(event.value, 7);
    /// assert_eq!(event.endpoint, "tcp://127.0.0.1:5555");
    /// ```
    pub fn parse(parts: &[Message]) -> Result<WireEvent> {
        let [header, endpoint] = parts else {
            return Err(Error::InvalidArgument(
                "a monitor event has two parts: event and value, then the endpoint",
            ));
        };
        let header: [u8; HEADER_LEN] = header[..]
            .try_into()
            .map_err(|_| Error::InvalidArgument("a monitor event's first part is 6 bytes long"))?;
        let [n0, n1, v0, v1, v2, v3] = header;
        let kind = EventKind::from_number(u16::from_le_bytes([n0, n1]))
            .ok_or(Error::InvalidArgument("unknown monitor event number"))?;
        let endpoint = endpoint.as_str().ok_or(Error::InvalidArgument(
            "a monitor event's endpoint is not UTF-8",
        ))?;
        Ok(WireEvent {
            kind,
            value: u32::from_le_bytes([v0, v1, v2, v3]),
            endpoint: endpoint.to_string(),
        })
    }

    /// Receives and decodes the next event from a PAIR socket connected to a monitor
    /// endpoint; the socket's RCVTIMEO applies, as to [`Socket::recv_multipart`].
    ///
    /// See [`WireEvent`] for an example.
    pub fn recv(monitor: &Socket) -> Result<WireEvent> {
        WireEvent::parse(&monitor.recv_multipart()?)
    }

    /// The two parts of the event on the wire.
    ///
    /// ```
    /// use ferrozmq::{EventKind, WireEvent};
    /// let event = WireEvent {
    ///     kind: EventKind::ConnectRetried,
    ///     value: 0x0102_0304,
    ///     endpoint: "tcp://[::1]:5".into(),
    /// };
    /// let parts = event.encode();
    /// assert_eq!(parts[0], [0x04, 0x00, 0x04, 0x03, 0x02, 0x01]);
    /// assert_eq!(WireEvent::parse(&parts).unwrap(), event);
    /// ```
    pub fn encode(&self) -> [Message; 2] {
        encode(self.kind.number(), self.value, &self.endpoint)
    }
}

impl From<&MonitorEvent> for WireEvent {
    fn from(event: &MonitorEvent) -> WireEvent {
        WireEvent {
            kind: event.kind(),
            value: event.value(),
            endpoint: event.endpoint().to_string(),
        }
    }
}

pub(super) fn encode(number: u16, value: u32, endpoint: &str) -> [Message; 2] {
    let mut header = [0u8; HEADER_LEN];
    header[..2].copy_from_slice(&number.to_le_bytes());
    header[2..].copy_from_slice(&value.to_le_bytes());
    [Message::from(header), Message::from(endpoint)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_feeds_are_refused() {
        let endpoint = Message::from("tcp://127.0.0.1:1");
        let short = Message::from(vec![0x01, 0x00, 0x00]);
        let unknown = Message::from(vec![0x03, 0x00, 0, 0, 0, 0]);
        let good = Message::from(vec![0x01, 0x00, 0, 0, 0, 0]);
        assert!(WireEvent::parse(std::slice::from_ref(&good)).is_err());
        assert!(WireEvent::parse(&[short, endpoint.clone()]).is_err());
        assert!(WireEvent::parse(&[unknown, endpoint]).is_err());
        assert!(WireEvent::parse(&[good, Message::from(vec![0xFF])]).is_err());
    }
}
