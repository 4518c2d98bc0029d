//! The socket a wire feed goes out on, in either of libzmq's layouts.

use super::names::ConnectionNames;
use super::{wire, wire_v2, EventSet};
use crate::error::Result;
use crate::message::Message;
use crate::socket::Socket;

/// The layout of a wire feed: libzmq's `event_version`.
///
/// ```
/// assert_eq!(ferrozmq::FeedVersion::V2.number(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeedVersion {
    /// Two parts per event: 16-bit number and 32-bit value, then one endpoint
    /// ([`WireEvent`](crate::WireEvent)); libzmq's stable layout.
    V1,
    /// 64-bit number, a count of 64-bit values, the values, then the local and the remote
    /// endpoint ([`WireEventV2`](crate::WireEventV2)); a draft in libzmq.
    V2,
}

impl FeedVersion {
    /// libzmq's number for the version.
    pub const fn number(self) -> i32 {
        match self {
            FeedVersion::V1 => 1,
            FeedVersion::V2 => 2,
        }
    }
}

/// The socket a wire feed goes out on (PAIR, PUB or PUSH).
pub(super) struct Feed {
    socket: Socket,
    pub(super) events: EventSet,
    pub(super) version: FeedVersion,
}

impl Feed {
    /// Binds the feed's socket; `endpoint` must be `inproc://` (checked by the caller).
    pub(super) fn open(
        socket: Socket,
        endpoint: &str,
        events: EventSet,
        version: FeedVersion,
    ) -> Result<Feed> {
        socket
            .options()
            .set_linger(Some(std::time::Duration::ZERO))?;
        socket.bind(endpoint)?;
        Ok(Feed {
            socket,
            events,
            version,
        })
    }

    /// Sends a version 1 event (number and value, one endpoint).
    pub(super) fn send_v1(&self, number: u16, value: u32, endpoint: &str) {
        self.send(wire::encode(number, value, endpoint));
    }

    /// Sends a version 2 event.
    pub(super) fn send_v2(&self, number: u64, values: &[u64], names: &ConnectionNames) {
        self.send(wire_v2::encode(number, values, &names.local, &names.remote));
    }

    /// Never blocks: a reader that is behind or absent loses the event (see the module
    /// documentation).
    fn send(&self, parts: impl IntoIterator<Item = Message>) {
        let _ = self.socket.try_send_multipart(parts);
    }
}
