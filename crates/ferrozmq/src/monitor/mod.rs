//! Socket monitoring: what happens to a socket's listeners and connections.
//!
//! Two ways to listen, fed by the same reports:
//!
//! * [`Socket::monitor`] gives a [`Monitor`]: typed [`MonitorEvent`]s, read blocking,
//!   with a timeout, as an iterator or as an async stream. A lost connection says why
//!   ([`DisconnectReason`]).
//! * [`Socket::monitor_to`] is libzmq's `zmq_socket_monitor`: the socket sends each event to
//!   a PAIR socket of its own bound on an `inproc://` endpoint, as two-part messages in
//!   libzmq's (version 1) layout, so code written for libzmq's monitor reads them unchanged;
//!   [`WireEvent`] decodes them.
//!
//! ```text
//! part 1, 6 bytes: | event number: u16 LE | value: u32 LE |
//! part 2:          | endpoint (UTF-8 text)                |
//! ```
//!
//! Events come from the I/O threads (and from the application's own `bind`, `unbind` and
//! `close`), which must never wait for a reader. The socket owns a hub of sinks, each a
//! bounded event queue with one reader; reporting an event pushes it, typed, into the queues
//! that asked for it, under a short lock, and an event a queue has no room for is dropped
//! and counted. An unmonitored socket pays one atomic load per event.
//!
//! ```text
//!  I/O threads, bind/close ──▶ hub ──▶ queue ──▶ Monitor (recv, iter, Stream)
//!                                 └──▶ queue ──▶ feed thread ──▶ PAIR/PUB/PUSH ──▶ inproc reader
//! ```
//!
//! A [`Monitor`]'s queue holds up to [`Monitor::CAPACITY`] events. libzmq's wire feed is an
//! adapter over a queue of its own: one thread per context (started with its first feed,
//! ended when its last feed stops) takes every feed's events in turn, turns them into
//! frames and sends them without waiting on the feed's socket, so an event finds room as
//! long as the inproc pipe does (the feed socket's SNDHWM plus the reader's RCVHWM, 2000 by
//! default), and none while no reader is connected, as with libzmq. What a call of the
//! application raises (LISTENING or BIND_FAILED from `bind`) is sent by that call itself,
//! so it is on the feed when the call returns, as libzmq sends it. Neither the hub nor a
//! monitor refers back to the socket: a monitor or feed never keeps a closed socket alive.
//!
//! [`Socket::monitor_versioned`] is libzmq's draft `zmq_socket_monitor_versioned`: the same
//! feed in version 1, or in version 2 (64-bit numbers and values, both endpoints of a
//! connection, [`EventSet::PIPES_STATS`]) on a PAIR, PUB or PUSH socket; [`WireEventV2`]
//! decodes it.
//!
//! ```text
//! part 1:       | event number: u64 LE |
//! part 2:       | value count n: u64 LE |
//! parts 3..3+n: | value: u64 LE |
//! then:         | local endpoint (UTF-8) |
//! last:         | remote endpoint (UTF-8) |
//! ```
//!
//! [`Socket::monitor`]: crate::Socket::monitor
//! [`Socket::monitor_to`]: crate::Socket::monitor_to
//! [`Socket::monitor_versioned`]: crate::Socket::monitor_versioned

mod codes;
mod event;
mod feed;
mod hub;
mod names;
mod queue;
mod source;
mod wire;
mod wire_v2;

pub use codes::protocol_error;
pub(crate) use codes::{disconnect_reason, errno_of, handshake_failure};
pub use event::{DisconnectReason, MonitorEvent};
pub(crate) use feed::FeedPump;
pub use feed::FeedVersion;
pub(crate) use hub::MonitorHub;
pub(crate) use names::NameSlot;
pub use source::Monitor;
pub use wire::WireEvent;
pub use wire_v2::WireEventV2;

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// What happened, numbered as libzmq numbers its `ZMQ_EVENT_*` constants.
///
/// The numbers are bits: an [`EventSet`] is a set of kinds, made with `|`.
///
/// ```
/// use ferrozmq::EventKind;
/// assert_eq!(EventKind::Accepted as u16, 0x0020);
/// assert_eq!(EventKind::Accepted.name(), "ACCEPTED");
/// assert_eq!(EventKind::from_number(0x0008), Some(EventKind::Listening));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u16)]
pub enum EventKind {
    /// A connect completed at the network level (before the ZMTP handshake); value: the
    /// connection's file descriptor.
    Connected = 0x0001,
    /// A connect is in progress; value: `EINPROGRESS`, as libzmq reports it.
    ConnectDelayed = 0x0002,
    /// A reconnection attempt is scheduled; value: the interval in milliseconds.
    ConnectRetried = 0x0004,
    /// A bind succeeded; value: the listening file descriptor.
    Listening = 0x0008,
    /// A bind failed; value: the `errno`.
    BindFailed = 0x0010,
    /// A listener accepted a connection; value: the connection's file descriptor.
    Accepted = 0x0020,
    /// A listener could not accept a connection; value: the `errno`.
    AcceptFailed = 0x0040,
    /// The socket closed a listener (unbind, close) or a connect attempt that failed;
    /// value: the file descriptor.
    Closed = 0x0080,
    /// Closing a descriptor failed; value: the `errno`. Part of libzmq's numbering; never
    /// reported by ferrozmq, which has no way to observe such a failure.
    CloseFailed = 0x0100,
    /// A connection was lost (the peer went away, or broke the protocol); value: the file
    /// descriptor it had.
    Disconnected = 0x0200,
    /// Monitoring ended: the socket closed, or [`Socket::monitor_to`] was called again.
    /// The last event of a feed; its endpoint is empty.
    ///
    /// [`Socket::monitor_to`]: crate::Socket::monitor_to
    MonitorStopped = 0x0400,
    /// The ZMTP handshake failed for a reason other than the protocol (the peer hung up,
    /// HANDSHAKE_IVL ran out: `ETIMEDOUT`, a server needed a ZAP handler and none is
    /// bound: `EFAULT`); value: the `errno`.
    HandshakeFailedNoDetail = 0x0800,
    /// The ZMTP handshake completed; value: 0.
    HandshakeSucceeded = 0x1000,
    /// The peer broke the protocol during the handshake; value: one of libzmq's
    /// `ZMQ_PROTOCOL_ERROR_*` codes, see [`protocol_error`].
    HandshakeFailedProtocol = 0x2000,
    /// Authentication failed; value: the ZAP status code (300, 400 or 500). A server reports
    /// it when its ZAP handler refused the client, a client when the server's ERROR carried
    /// such a code.
    HandshakeFailedAuth = 0x4000,
}

impl EventKind {
    /// Every kind, in the order of their numbers.
    pub const ALL: [EventKind; 15] = [
        EventKind::Connected,
        EventKind::ConnectDelayed,
        EventKind::ConnectRetried,
        EventKind::Listening,
        EventKind::BindFailed,
        EventKind::Accepted,
        EventKind::AcceptFailed,
        EventKind::Closed,
        EventKind::CloseFailed,
        EventKind::Disconnected,
        EventKind::MonitorStopped,
        EventKind::HandshakeFailedNoDetail,
        EventKind::HandshakeSucceeded,
        EventKind::HandshakeFailedProtocol,
        EventKind::HandshakeFailedAuth,
    ];

    /// The event number on the wire (`ZMQ_EVENT_*`).
    ///
    /// ```
    /// assert_eq!(ferrozmq::EventKind::HandshakeSucceeded.number(), 0x1000);
    /// ```
    pub const fn number(self) -> u16 {
        self as u16
    }

    /// The kind an event number stands for, if it is one of libzmq's version 1 events.
    ///
    /// ```
    /// use ferrozmq::EventKind;
    /// assert_eq!(EventKind::from_number(0x0200), Some(EventKind::Disconnected));
    /// assert_eq!(EventKind::from_number(0x0003), None);
    /// ```
    pub fn from_number(number: u16) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.number() == number)
    }

    /// The name libzmq gives the event, without its `ZMQ_EVENT_` prefix.
    ///
    /// ```
    /// assert_eq!(ferrozmq::EventKind::ConnectRetried.name(), "CONNECT_RETRIED");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            EventKind::Connected => "CONNECTED",
            EventKind::ConnectDelayed => "CONNECT_DELAYED",
            EventKind::ConnectRetried => "CONNECT_RETRIED",
            EventKind::Listening => "LISTENING",
            EventKind::BindFailed => "BIND_FAILED",
            EventKind::Accepted => "ACCEPTED",
            EventKind::AcceptFailed => "ACCEPT_FAILED",
            EventKind::Closed => "CLOSED",
            EventKind::CloseFailed => "CLOSE_FAILED",
            EventKind::Disconnected => "DISCONNECTED",
            EventKind::MonitorStopped => "MONITOR_STOPPED",
            EventKind::HandshakeFailedNoDetail => "HANDSHAKE_FAILED_NO_DETAIL",
            EventKind::HandshakeSucceeded => "HANDSHAKE_SUCCEEDED",
            EventKind::HandshakeFailedProtocol => "HANDSHAKE_FAILED_PROTOCOL",
            EventKind::HandshakeFailedAuth => "HANDSHAKE_FAILED_AUTH",
        }
    }

    const fn bit(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`EventKind`]s: which events a monitor reports (libzmq's event mask).
///
/// ```
/// use ferrozmq::{EventKind, EventSet};
/// let set = EventKind::Accepted | EventKind::Disconnected;
/// assert!(set.contains(EventKind::Accepted));
/// assert!(!set.contains(EventKind::Listening));
/// assert_eq!(set.bits(), 0x0220);
/// assert_eq!(EventSet::from_bits(0x0220), Some(set));
/// assert!(EventSet::ALL.contains(EventKind::HandshakeFailedAuth));
/// assert!(EventSet::empty().is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EventSet(u32);

impl EventSet {
    /// Every event of version 1 (`ZMQ_EVENT_ALL`, `ZMQ_EVENT_ALL_V1`).
    pub const ALL: EventSet = EventSet(0xFFFF);

    /// Pipe statistics (`ZMQ_EVENT_PIPES_STATS`, a version 2 event): a feed that asks for
    /// them gets one event per pipe each time [`Socket::monitor_pipes_stats`] is called,
    /// with the messages queued towards the peer and from it.
    ///
    /// [`Socket::monitor_pipes_stats`]: crate::Socket::monitor_pipes_stats
    pub const PIPES_STATS: EventSet = EventSet(0x1_0000);

    /// Every event of version 2 (`ZMQ_EVENT_ALL_V2`): [`ALL`](Self::ALL) and
    /// [`PIPES_STATS`](Self::PIPES_STATS).
    ///
    /// ```
    /// use ferrozmq::EventSet;
    /// assert_eq!(EventSet::ALL_V2.bits(), 0x1_FFFF);
    /// assert_eq!(EventSet::ALL | EventSet::PIPES_STATS, EventSet::ALL_V2);
    /// ```
    pub const ALL_V2: EventSet = EventSet(0x1_FFFF);

    /// No event.
    pub const fn empty() -> EventSet {
        EventSet(0)
    }

    /// The set with libzmq's bits (`ZMQ_EVENT_*` or-ed together); `None` for bits beyond
    /// the 16 that version 1 events fill, which libzmq refuses too.
    pub const fn from_bits(bits: u32) -> Option<EventSet> {
        if bits & !EventSet::ALL.0 == 0 {
            Some(EventSet(bits))
        } else {
            None
        }
    }

    /// The set with libzmq's version 2 bits (`ZMQ_EVENT_*`, `ZMQ_EVENT_PIPES_STATS`);
    /// `None` for bits no event has, which libzmq refuses too.
    ///
    /// ```
    /// use ferrozmq::EventSet;
    /// assert_eq!(EventSet::from_bits_v2(0x1_0000), Some(EventSet::PIPES_STATS));
    /// assert_eq!(EventSet::from_bits(0x1_0000), None);
    /// assert_eq!(EventSet::from_bits_v2(0x2_0000), None);
    /// ```
    pub const fn from_bits_v2(bits: u64) -> Option<EventSet> {
        if bits & !(EventSet::ALL_V2.0 as u64) == 0 {
            Some(EventSet(bits as u32))
        } else {
            None
        }
    }

    /// Whether every event in `other` is in the set.
    ///
    /// ```
    /// use ferrozmq::EventSet;
    /// assert!(EventSet::ALL_V2.includes(EventSet::PIPES_STATS));
    /// assert!(!EventSet::ALL.includes(EventSet::PIPES_STATS));
    /// ```
    pub const fn includes(self, other: EventSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// libzmq's bits for the set.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: EventKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The set with `kind` added (usable in constants).
    pub const fn with(self, kind: EventKind) -> EventSet {
        EventSet(self.0 | kind.bit())
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl From<EventKind> for EventSet {
    fn from(kind: EventKind) -> EventSet {
        EventSet(kind.bit())
    }
}

impl BitOr for EventSet {
    type Output = EventSet;
    fn bitor(self, other: EventSet) -> EventSet {
        EventSet(self.0 | other.0)
    }
}

impl BitOr<EventKind> for EventSet {
    type Output = EventSet;
    fn bitor(self, kind: EventKind) -> EventSet {
        self.with(kind)
    }
}

impl BitOr for EventKind {
    type Output = EventSet;
    fn bitor(self, other: EventKind) -> EventSet {
        EventSet::from(self).with(other)
    }
}

impl BitOrAssign<EventKind> for EventSet {
    fn bitor_assign(&mut self, kind: EventKind) {
        *self = self.with(kind);
    }
}

impl BitOrAssign for EventSet {
    fn bitor_assign(&mut self, other: EventSet) {
        self.0 |= other.0;
    }
}

impl fmt::Debug for EventSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EventSet::ALL => return f.write_str("EventSet(ALL)"),
            EventSet::ALL_V2 => return f.write_str("EventSet(ALL_V2)"),
            _ => {}
        }
        let mut set = f.debug_set();
        set.entries(EventKind::ALL.into_iter().filter(|k| self.contains(*k)));
        if self.includes(EventSet::PIPES_STATS) {
            set.entry(&format_args!("PIPES_STATS"));
        }
        set.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_names_the_kind_it_came_from() {
        for bit in 0..16 {
            let number = 1u16 << bit;
            match EventKind::from_number(number) {
                Some(kind) => assert_eq!(kind.number(), number, "{}", kind.name()),
                None => assert_eq!(number, 0x8000, "only the top bit is unassigned"),
            }
        }
    }

    #[test]
    fn sets_refuse_bits_beyond_version_1_events() {
        assert_eq!(EventSet::from_bits(0xFFFF), Some(EventSet::ALL));
        assert_eq!(EventSet::from_bits(0x1_0000), None);
        let mut set = EventSet::empty();
        set |= EventKind::Closed;
        assert_eq!(format!("{set:?}"), "{Closed}");
    }
}
