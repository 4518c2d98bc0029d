//! libzmq's version 2 monitor wire feed (`zmq_socket_monitor_versioned` with version 2):
//! 64-bit event numbers and values, and both endpoints of a connection.

use super::EventKind;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::socket::Socket;

/// One event as libzmq's version 2 monitor feed carries it: a number, any count of 64-bit
/// values, the local endpoint and the remote one (either may be empty).
///
/// [`Socket::monitor_versioned`] sends such events with [`FeedVersion::V2`];
/// [`WireEventV2::recv`] reads one from the socket connected to the feed. Version 1 events
/// carry one value each (as [`EventKind`] documents); [`EventSet::PIPES_STATS`] events
/// ([`PIPES_STATS`](Self::PIPES_STATS)) two: the messages queued towards the peer, then
/// those queued from it.
///
/// ```
/// use ferrozmq::{Context, EventKind, EventSet, FeedVersion, WireEventV2, PULL, PUSH};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let socket = ctx.socket(PULL).unwrap();
/// socket
///     .monitor_versioned(Some("inproc://v2-events"), EventSet::ALL_V2, FeedVersion::V2, PUSH)
///     .unwrap();
/// let events = ctx.socket(PULL).unwrap();
/// events.connect("inproc://v2-events").unwrap();
///
/// let endpoint = socket.bind("tcp://127.0.0.1:*").unwrap();
/// events.options().set_rcvtimeo(Some(Duration::from_secs(5))).unwrap();
/// let event = WireEventV2::recv(&events).unwrap();
/// assert_eq!(event.kind(), Some(EventKind::Listening));
/// assert_eq!(event.local_endpoint, endpoint);
/// assert_eq!(event.remote_endpoint, "");
/// ```
///
/// [`Socket::monitor_versioned`]: crate::Socket::monitor_versioned
/// [`FeedVersion::V2`]: crate::FeedVersion::V2
/// [`EventSet::PIPES_STATS`]: crate::EventSet::PIPES_STATS
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireEventV2 {
    /// The event number: an [`EventKind`]'s, or [`PIPES_STATS`](Self::PIPES_STATS).
    pub number: u64,
    /// The values.
    pub values: Vec<u64>,
    /// The endpoint at this socket's end: a listener's as bound, a connection's local
    /// address (`tcp://127.0.0.1:40412`, `ipc://` for an unnamed client).
    pub local_endpoint: String,
    /// The endpoint at the other end: as given to connect, or an accepted peer's address.
    pub remote_endpoint: String,
}

/// Most values an event may announce: a feed that announces more is not a monitor feed.
const MAX_VALUES: u64 = 64;

impl WireEventV2 {
    /// The number of pipe statistics events (`ZMQ_EVENT_PIPES_STATS`).
    pub const PIPES_STATS: u64 = 0x1_0000;

    /// The kind, for events of version 1's kinds; `None` for
    /// [`PIPES_STATS`](Self::PIPES_STATS).
    pub fn kind(&self) -> Option<EventKind> {
        u16::try_from(self.number)
            .ok()
            .and_then(EventKind::from_number)
    }

    /// Decodes the parts of a version 2 monitor message.
    ///
    /// ```
    /// use ferrozmq::{Message, WireEventV2};
    /// let parts = [
    ///     Message::from(0x1_0000u64.to_le_bytes()),
    ///     Message::from(2u64.to_le_bytes()),
    ///     Message::from(10u64.to_le_bytes()),
    ///     Message::from(0u64.to_le_bytes()),
    ///     Message::from("tcp://127.0.0.1:5555"),
    ///     Message::from("tcp://127.0.0.1:40412"),
    /// ];
    /// let event = WireEventV2::parse(&parts).unwrap();
    /// assert_eq!(event.number, WireEventV2::PIPES_STATS);
    /// assert_eq!(event.values, [10, 0]);
    /// assert_eq!(event.remote_endpoint, "tcp://127.0.0.1:40412");
    /// ```
    pub fn parse(parts: &[Message]) -> Result<WireEventV2> {
        let word = |part: &Message| -> Result<u64> {
            let bytes: [u8; 8] = part[..].try_into().map_err(|_| {
                Error::InvalidArgument("a monitor event's number or value is 8 bytes")
            })?;
            Ok(u64::from_le_bytes(bytes))
        };
        let text = |part: &Message| -> Result<String> {
            part.as_str()
                .map(str::to_string)
                .ok_or(Error::InvalidArgument(
                    "a monitor event's endpoint is not UTF-8",
                ))
        };
        let short = Error::InvalidArgument(
            "a version 2 monitor event is a number, a count, the values and two endpoints",
        );
        let [number, count, rest @ ..] = parts else {
            return Err(short);
        };
        let count = word(count)?;
        if count > MAX_VALUES || rest.len() as u64 != count + 2 {
            return Err(short);
        }
        let (values, endpoints) = rest.split_at(count as usize);
        Ok(WireEventV2 {
            number: word(number)?,
            values: values.iter().map(word).collect::<Result<_>>()?,
            local_endpoint: text(&endpoints[0])?,
            remote_endpoint: text(&endpoints[1])?,
        })
    }

    /// Receives and decodes the next event from a socket connected to a version 2 feed
    /// (PAIR, SUB or PULL, as the feed's type asks); its RCVTIMEO applies.
    ///
    /// See [`WireEventV2`] for an example.
    pub fn recv(monitor: &Socket) -> Result<WireEventV2> {
        WireEventV2::parse(&monitor.recv_multipart()?)
    }

    /// The parts of the event on the wire.
    ///
    /// ```
    /// use ferrozmq::WireEventV2;
    /// let event = WireEventV2 {
    ///     number: 0x0020,
    ///     values: vec![7],
    ///     local_endpoint: "tcp://127.0.0.1:5555".into(),
    ///     remote_endpoint: "tcp://127.0.0.1:40412".into(),
    /// };
    /// let parts = event.encode();
    /// assert_eq!(parts.len(), 5);
    /// assert_eq!(parts[0], 0x20u64.to_le_bytes());
    /// assert_eq!(WireEventV2::parse(&parts).unwrap(), event);
    /// ```
    pub fn encode(&self) -> Vec<Message> {
        encode(
            self.number,
            &self.values,
            &self.local_endpoint,
            &self.remote_endpoint,
        )
    }
}

pub(super) fn encode(number: u64, values: &[u64], local: &str, remote: &str) -> Vec<Message> {
    let mut parts = Vec::with_capacity(values.len() + 4);
    parts.push(Message::from(number.to_le_bytes()));
    parts.push(Message::from((values.len() as u64).to_le_bytes()));
    parts.extend(values.iter().map(|v| Message::from(v.to_le_bytes())));
    parts.push(Message::from(local));
    parts.push(Message::from(remote));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_feeds_are_refused() {
        let word = |v: u64| Message::from(v.to_le_bytes());
        let text = || Message::from("tcp://127.0.0.1:1");
        let good = [word(0x20), word(1), word(5), text(), text()];
        assert!(WireEventV2::parse(&good).is_ok());
        // One endpoint short, a count that lies, a short number, a huge count.
        assert!(WireEventV2::parse(&good[..4]).is_err());
        assert!(WireEventV2::parse(&[word(0x20), word(2), word(5), text(), text()]).is_err());
        assert!(
            WireEventV2::parse(&[Message::from(vec![0x20]), word(1), word(5), text(), text()])
                .is_err()
        );
        assert!(WireEventV2::parse(&[word(0x20), word(u64::MAX), text(), text()]).is_err());
        assert!(
            WireEventV2::parse(&[word(0x20), word(0), text(), Message::from(vec![0xFF])]).is_err()
        );
    }
}
