//! Socket option values, with libzmq's defaults.

use bytes::Bytes;
use std::time::Duration;

/// Every option a socket carries. Connections take a snapshot when they are made (as libzmq
/// does), so changing an option affects later binds and connects, not existing ones.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// Outbound high-water mark per pipe, in messages (0: unlimited).
    pub(crate) sndhwm: i32,
    /// Inbound high-water mark per pipe, in messages (0: unlimited).
    pub(crate) rcvhwm: i32,
    /// Milliseconds pending messages may linger after close (-1: for ever).
    pub(crate) linger: i32,
    /// Receive timeout in milliseconds (-1: block for ever).
    pub(crate) rcvtimeo: i32,
    /// Send timeout in milliseconds (-1: block for ever).
    pub(crate) sndtimeo: i32,
    /// Milliseconds between reconnection attempts (-1: never reconnect).
    pub(crate) reconnect_ivl: i32,
    /// Upper bound of the exponential reconnection back-off (0: no back-off).
    pub(crate) reconnect_ivl_max: i32,
    /// Milliseconds a peer has to finish its handshake (0: no limit).
    pub(crate) handshake_ivl: i32,
    /// Largest inbound message part in bytes (-1: unlimited).
    pub(crate) maxmsgsize: i64,
    /// This socket's routing id, announced to ROUTER peers.
    pub(crate) routing_id: Bytes,
    /// The routing id to give the peer of the next connect (CONNECT_ROUTING_ID); used once.
    pub(crate) connect_routing_id: Option<Bytes>,
    /// Queue messages only to completed connections.
    pub(crate) immediate: bool,
    /// Prefer IPv6 when resolving and bind wildcards on IPv6 too.
    pub(crate) ipv6: bool,
    /// Listen backlog.
    pub(crate) backlog: i32,
    /// Time-to-live of multicast datagrams sent (RADIO over udp).
    pub(crate) multicast_hops: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: -1,
            rcvtimeo: -1,
            sndtimeo: -1,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            handshake_ivl: 30_000,
            maxmsgsize: -1,
            routing_id: Bytes::new(),
            connect_routing_id: None,
            immediate: false,
            ipv6: false,
            backlog: 100,
            multicast_hops: 1,
        }
    }
}

/// Milliseconds as libzmq encodes them (negative: none/infinite) to an optional duration.
pub(crate) fn millis(ms: i32) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

impl Options {
    /// The maximum message size as the protocol layer takes it.
    pub(crate) fn max_message_size(&self) -> Option<u64> {
        u64::try_from(self.maxmsgsize).ok()
    }

    /// A high-water mark option as a pipe limit (0: unlimited).
    pub(crate) fn hwm(value: i32) -> u64 {
        u64::try_from(value).unwrap_or(0)
    }
}
