//! Socket option values, with libzmq's defaults.

use crate::pipe::Limit;
use bytes::Bytes;
use std::time::Duration;
use zmtp::SocketType;

/// Every option a socket carries. Connections take a snapshot when they are made (as libzmq
/// does), so changing an option affects later binds and connects, not existing ones.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// Outbound high-water mark per pipe, in messages (0: unlimited).
    pub(crate) sndhwm: u32,
    /// Inbound high-water mark per pipe, in messages (0: unlimited).
    pub(crate) rcvhwm: u32,
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
    /// Most parts of one inbound message (0: unlimited).
    pub(crate) maxmsgparts: u32,
    /// Most bytes the parts of one inbound message add up to (-1: unlimited).
    pub(crate) maxmultipartsize: i64,
    /// This socket's routing id, announced to ROUTER peers.
    pub(crate) routing_id: Bytes,
    /// The routing id to give the peer of the next connect (CONNECT_ROUTING_ID); used once.
    pub(crate) connect_routing_id: Option<Bytes>,
    /// Queue messages only to completed connections.
    pub(crate) immediate: bool,
    /// PROBE_ROUTER, for the I/O threads: a ROUTER's connection greets its new peer with
    /// an empty message as soon as it is made (see `Session`).
    pub(crate) probe_router: bool,
    /// Prefer IPv6 when resolving and bind wildcards on IPv6 too.
    pub(crate) ipv6: bool,
    /// Listen backlog.
    pub(crate) backlog: i32,
    /// Time-to-live of multicast datagrams sent (RADIO over udp).
    pub(crate) multicast_hops: u32,
    /// Whether a RADIO's multicast datagrams also reach receivers on its own host
    /// (MULTICAST_LOOP).
    pub(crate) multicast_loop: bool,
    /// The I/O threads the socket may use, bit `i` for thread `i` (0: any).
    pub(crate) affinity: u64,
    /// Milliseconds between PINGs on an idle-or-not connection (0: no heartbeats).
    pub(crate) heartbeat_ivl: i32,
    /// Milliseconds the peer is asked to wait for traffic before giving up on us, sent in
    /// each PING (0: no request).
    pub(crate) heartbeat_ttl: i32,
    /// Milliseconds without any traffic after a PING before the connection is declared dead
    /// (-1: HEARTBEAT_IVL).
    pub(crate) heartbeat_timeout: i32,
    /// Milliseconds a tcp connect may take before it is abandoned and retried (0: the
    /// system's own timeout).
    pub(crate) connect_timeout: i32,
    /// When to stop reconnecting (RECONNECT_STOP_* flags).
    pub(crate) reconnect_stop: i32,
    /// Keep only the last message in each queue.
    pub(crate) conflate: bool,
    /// INVERT_MATCHING as last applied to the socket type, for reading it back.
    pub(crate) invert_matching: bool,
    /// STREAM: an empty message marks each connection made and lost (STREAM_NOTIFY).
    pub(crate) stream_notify: bool,
    /// Transport-level knobs applied to each connection's socket.
    pub(crate) tuning: Tuning,
    /// PLAIN, CURVE and ZAP settings: the mechanism each tcp or ipc connection runs.
    pub(crate) security: crate::security::Security,
    /// ROUTER_NOTIFY (ROUTER only): which tcp and ipc peer events reach the application as
    /// an empty message from that peer.
    pub(crate) router_notify: crate::RouterNotify,
    /// HELLO_MSG: sent to every new peer first, on each connection.
    pub(crate) hello_msg: Option<Bytes>,
    /// DISCONNECT_MSG: received from a peer that connected to this socket, when it goes.
    pub(crate) disconnect_msg: Option<Bytes>,
    /// HICCUP_MSG: received from a peer this socket connected to, when the connection
    /// drops (and is about to be made again).
    pub(crate) hiccup_msg: Option<Bytes>,
    /// METADATA: application properties (`X-` names) announced in each handshake.
    pub(crate) metadata: Vec<(String, Bytes)>,
    /// SOCKS_PROXY: the SOCKS5 proxy (`host:port`) tcp connects go through.
    pub(crate) socks_proxy: Option<String>,
    /// SOCKS_USERNAME: when not empty, the proxy is asked for username/password
    /// authentication.
    pub(crate) socks_username: String,
    /// SOCKS_PASSWORD, sent with SOCKS_USERNAME.
    pub(crate) socks_password: String,
    /// WSS_CERT_PEM, _KEY_PEM, _TRUST_PEM, _HOSTNAME, _TRUST_SYSTEM: TLS for `wss://`.
    pub(crate) wss: crate::transport::ws::tls::WssOptions,
    /// RATE in kilobits per second, kept for reading back: only multicast transports (PGM,
    /// NORM) use it, and ferrozmq has none.
    pub(crate) rate: u32,
    /// RECOVERY_IVL in milliseconds, kept like RATE.
    pub(crate) recovery_ivl: u32,
    /// IPC_FILTER_PID, _UID, _GID: which peers ipc listeners let in.
    pub(crate) ipc_filters: crate::transport::ipc_filters::IpcFilters,
    /// TCP_ACCEPT_FILTER: which peers tcp listeners let in.
    pub(crate) tcp_accept_filters: crate::transport::tcp_accept_filters::TcpAcceptFilters,
    /// USE_FD: binds listen on (a duplicate of) this listening socket instead of a new one.
    pub(crate) use_fd: Option<std::os::fd::RawFd>,
}

/// Options that go straight to the operating system's socket, libzmq's defaults meaning
/// "leave the system's setting alone" (-1, or 0 where noted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tuning {
    /// SO_KEEPALIVE: -1 leave, 0 off, 1 on.
    pub(crate) tcp_keepalive: i32,
    /// TCP_KEEPIDLE in seconds (-1: leave).
    pub(crate) tcp_keepalive_idle: i32,
    /// TCP_KEEPCNT (-1: leave).
    pub(crate) tcp_keepalive_cnt: i32,
    /// TCP_KEEPINTVL in seconds (-1: leave).
    pub(crate) tcp_keepalive_intvl: i32,
    /// SO_SNDBUF in bytes (-1: leave).
    pub(crate) sndbuf: i32,
    /// SO_RCVBUF in bytes (-1: leave).
    pub(crate) rcvbuf: i32,
    /// IP_TOS / IPV6_TCLASS (0: leave).
    pub(crate) tos: i32,
    /// SO_PRIORITY, the queueing priority of outgoing packets (0: leave).
    pub(crate) priority: i32,
    /// TCP_USER_TIMEOUT in milliseconds (0: leave).
    pub(crate) tcp_maxrt: i32,
    /// SO_BINDTODEVICE interface name (empty: any).
    pub(crate) bind_to_device: String,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            tcp_keepalive: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_intvl: -1,
            sndbuf: -1,
            rcvbuf: -1,
            tos: 0,
            priority: 0,
            tcp_maxrt: 0,
            bind_to_device: String::new(),
        }
    }
}

/// The default of MAXMSGPARTS: far beyond any envelope or batch, and it keeps what an
/// endless message can cost to a few MiB of bookkeeping plus MAXMSGSIZE per part.
pub(crate) const DEFAULT_MAXMSGPARTS: u32 = 65_536;

/// RECONNECT_STOP flag: stop when the peer refuses the connection (nobody listens).
pub(crate) const RECONNECT_STOP_CONN_REFUSED: i32 = 0x1;
/// RECONNECT_STOP flag: stop when a handshake fails.
pub(crate) const RECONNECT_STOP_HANDSHAKE_FAILED: i32 = 0x2;
/// RECONNECT_STOP flag: stop once an established connection is lost.
pub(crate) const RECONNECT_STOP_AFTER_DISCONNECT: i32 = 0x4;

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
            maxmsgparts: DEFAULT_MAXMSGPARTS,
            maxmultipartsize: -1,
            routing_id: Bytes::new(),
            connect_routing_id: None,
            immediate: false,
            probe_router: false,
            ipv6: false,
            backlog: 100,
            multicast_hops: 1,
            multicast_loop: true,
            affinity: 0,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
            connect_timeout: 0,
            reconnect_stop: 0,
            conflate: false,
            invert_matching: false,
            stream_notify: true,
            tuning: Tuning::default(),
            security: crate::security::Security::default(),
            router_notify: crate::RouterNotify::empty(),
            hello_msg: None,
            disconnect_msg: None,
            hiccup_msg: None,
            metadata: Vec::new(),
            socks_proxy: None,
            socks_username: String::new(),
            socks_password: String::new(),
            wss: Default::default(),
            use_fd: None,
            ipc_filters: Default::default(),
            tcp_accept_filters: Default::default(),
            rate: 100,
            recovery_ivl: 10_000,
        }
    }
}

/// Milliseconds as libzmq encodes them (negative: none/infinite) to an optional duration.
pub(crate) fn millis(ms: i32) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

impl Options {
    /// What a handshake announces: the protocol's own properties, then the application's.
    pub(crate) fn announced(&self, mut protocol: zmtp::Metadata) -> zmtp::Metadata {
        for (name, value) in &self.metadata {
            // Names were checked when set.
            let _ = protocol.insert(name, value.clone());
        }
        protocol
    }

    /// The maximum message size as the protocol layer takes it.
    pub(crate) fn max_message_size(&self) -> Option<u64> {
        u64::try_from(self.maxmsgsize).ok()
    }

    /// The most parts of one inbound message, as the protocol layer takes it.
    pub(crate) fn max_message_parts(&self) -> Option<u64> {
        (self.maxmsgparts != 0).then_some(u64::from(self.maxmsgparts))
    }

    /// The most bytes of one inbound message, as the protocol layer takes it.
    pub(crate) fn max_multipart_size(&self) -> Option<u64> {
        u64::try_from(self.maxmultipartsize).ok()
    }

    /// How long to wait for traffic after a PING: HEARTBEAT_TIMEOUT, else HEARTBEAT_IVL.
    pub(crate) fn heartbeat_timeout(&self) -> Duration {
        let ms = if self.heartbeat_timeout >= 0 {
            self.heartbeat_timeout
        } else {
            self.heartbeat_ivl
        };
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// What a pipe may hold towards the peer: the send high-water mark, or only the latest
    /// message when CONFLATE is set on a type that sends conflatable streams (libzmq's list).
    pub(crate) fn outbound_limit(&self, socket_type: SocketType) -> Limit {
        use SocketType::*;
        if self.conflate && matches!(socket_type, Pub | Push | Dealer) {
            Limit::LatestOnly
        } else {
            Limit::Messages(u64::from(self.sndhwm))
        }
    }

    /// What a pipe may hold from the peer: the receive high-water mark, or only the latest
    /// message when CONFLATE is set on a type that receives conflatable streams. (A SUB's
    /// outbound subscriptions are never conflated: losing one would change what arrives.)
    pub(crate) fn inbound_limit(&self, socket_type: SocketType) -> Limit {
        use SocketType::*;
        if self.conflate && matches!(socket_type, Sub | Pull | Dealer) {
            Limit::LatestOnly
        } else {
            Limit::Messages(u64::from(self.rcvhwm))
        }
    }
}
