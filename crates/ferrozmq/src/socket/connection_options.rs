//! Options about connections: liveness, reconnection, and the operating system's socket
//! knobs. Like libzmq's, they take effect for binds and connects made after they are set.

use super::options::{from_millis, to_int, to_millis, to_millis_or_minus_one, SocketOptions};
use crate::error::{Error, Result};
use crate::options::millis;
use std::fmt;
use std::ops::{BitOr, BitOrAssign};
use std::time::Duration;

/// When a connecting socket stops reconnecting (`ZMQ_RECONNECT_STOP`): a set of
/// conditions, empty (the default) for never.
///
/// ```
/// use ferrozmq::{Context, ReconnectStop, PUSH};
/// let push = Context::new().socket(PUSH).unwrap();
/// let stop = ReconnectStop::CONN_REFUSED | ReconnectStop::HANDSHAKE_FAILED;
/// push.options().set_reconnect_stop(stop).unwrap();
/// assert!(push.options().reconnect_stop().contains(ReconnectStop::CONN_REFUSED));
/// assert_eq!(stop.bits(), 0x3);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReconnectStop(u8);

impl ReconnectStop {
    /// Stop when the peer refuses the connection: nobody listens there
    /// (`ZMQ_RECONNECT_STOP_CONN_REFUSED`).
    pub const CONN_REFUSED: ReconnectStop = ReconnectStop(0x1);
    /// Stop when a handshake fails (`ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED`).
    pub const HANDSHAKE_FAILED: ReconnectStop = ReconnectStop(0x2);
    /// Stop once an established connection is lost
    /// (`ZMQ_RECONNECT_STOP_AFTER_DISCONNECT`).
    pub const AFTER_DISCONNECT: ReconnectStop = ReconnectStop(0x4);

    const ALL: u8 = 0x7;

    /// Never stop.
    pub const fn empty() -> ReconnectStop {
        ReconnectStop(0)
    }

    /// The set with libzmq's bits; `None` for unknown bits.
    pub const fn from_bits(bits: u32) -> Option<ReconnectStop> {
        if bits & !(Self::ALL as u32) == 0 {
            Some(ReconnectStop(bits as u8))
        } else {
            None
        }
    }

    /// libzmq's bits for the set.
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// Whether every condition of `other` is in `self`.
    pub const fn contains(self, other: ReconnectStop) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty: never stop.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for ReconnectStop {
    type Output = ReconnectStop;
    fn bitor(self, other: ReconnectStop) -> ReconnectStop {
        ReconnectStop(self.0 | other.0)
    }
}

impl BitOrAssign for ReconnectStop {
    fn bitor_assign(&mut self, other: ReconnectStop) {
        self.0 |= other.0;
    }
}

impl fmt::Debug for ReconnectStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Self::CONN_REFUSED, "CONN_REFUSED"),
            (Self::HANDSHAKE_FAILED, "HANDSHAKE_FAILED"),
            (Self::AFTER_DISCONNECT, "AFTER_DISCONNECT"),
        ];
        let set: Vec<_> = names
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        write!(f, "ReconnectStop({})", set.join(" | "))
    }
}

/// Seconds for the TCP keepalive options, rounded up; `None` (the system's default) as -1.
fn keepalive_seconds(time: Option<Duration>, what: &'static str) -> Result<i32> {
    let Some(time) = time else {
        return Ok(-1);
    };
    let seconds = time.as_nanos().div_ceil(1_000_000_000);
    i32::try_from(seconds).map_err(|_| Error::InvalidArgument(what))
}

fn from_keepalive_seconds(seconds: i32) -> Option<Duration> {
    u64::try_from(seconds).ok().map(Duration::from_secs)
}

/// A libzmq size where -1 leaves the system's default.
fn size_or_default(bytes: Option<u64>, what: &'static str) -> Result<i32> {
    bytes.map_or(Ok(-1), |b| to_int(b, what))
}

impl SocketOptions<'_> {
    /// How long to wait before reconnecting a lost or failed connection: `None` never
    /// reconnects (`ZMQ_RECONNECT_IVL`, default 100 ms). Each wait has a random extra of up
    /// to one interval, so that many clients do not all come back together.
    pub fn set_reconnect_ivl(&self, interval: Option<Duration>) -> Result<()> {
        self.core().options.reconnect_ivl =
            to_millis_or_minus_one(interval, "RECONNECT_IVL is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_reconnect_ivl`](Self::set_reconnect_ivl).
    pub fn reconnect_ivl(&self) -> Option<Duration> {
        millis(self.core().options.reconnect_ivl)
    }

    /// The bound of the exponential reconnection back-off: each failed attempt doubles the
    /// wait, up to this; zero keeps RECONNECT_IVL fixed (`ZMQ_RECONNECT_IVL_MAX`, default
    /// zero).
    pub fn set_reconnect_ivl_max(&self, max: Duration) -> Result<()> {
        self.core().options.reconnect_ivl_max =
            to_millis(max, "RECONNECT_IVL_MAX is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_reconnect_ivl_max`](Self::set_reconnect_ivl_max).
    pub fn reconnect_ivl_max(&self) -> Duration {
        from_millis(self.core().options.reconnect_ivl_max)
    }

    /// When to stop reconnecting (`ZMQ_RECONNECT_STOP`, default: never).
    pub fn set_reconnect_stop(&self, stop: ReconnectStop) -> Result<()> {
        self.core().options.reconnect_stop = stop.bits() as i32;
        Ok(())
    }

    /// See [`set_reconnect_stop`](Self::set_reconnect_stop).
    pub fn reconnect_stop(&self) -> ReconnectStop {
        let bits = self.core().options.reconnect_stop.unsigned_abs();
        ReconnectStop::from_bits(bits).unwrap_or_default()
    }

    /// How long a new connection has to finish the ZMTP handshake; zero is no limit
    /// (`ZMQ_HANDSHAKE_IVL`, default 30 s).
    pub fn set_handshake_ivl(&self, limit: Duration) -> Result<()> {
        self.core().options.handshake_ivl =
            to_millis(limit, "HANDSHAKE_IVL is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_handshake_ivl`](Self::set_handshake_ivl).
    pub fn handshake_ivl(&self) -> Duration {
        from_millis(self.core().options.handshake_ivl)
    }

    /// How long a tcp connect may take before it is abandoned and retried; zero leaves it
    /// to the system (`ZMQ_CONNECT_TIMEOUT`, default zero).
    pub fn set_connect_timeout(&self, timeout: Duration) -> Result<()> {
        self.core().options.connect_timeout =
            to_millis(timeout, "CONNECT_TIMEOUT is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_connect_timeout`](Self::set_connect_timeout).
    pub fn connect_timeout(&self) -> Duration {
        from_millis(self.core().options.connect_timeout)
    }

    /// The time between ZMTP PINGs on each connection; zero sends none
    /// (`ZMQ_HEARTBEAT_IVL`, default zero). A peer silent for HEARTBEAT_TIMEOUT after a
    /// PING is dropped, and reconnected if this side connected.
    pub fn set_heartbeat_ivl(&self, interval: Duration) -> Result<()> {
        self.core().options.heartbeat_ivl =
            to_millis(interval, "HEARTBEAT_IVL is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_heartbeat_ivl`](Self::set_heartbeat_ivl).
    pub fn heartbeat_ivl(&self) -> Duration {
        from_millis(self.core().options.heartbeat_ivl)
    }

    /// How long the peer is asked, in each PING, to wait for traffic before it gives up on
    /// this side; zero asks nothing (`ZMQ_HEARTBEAT_TTL`, default zero). It travels in
    /// tenths of a second, rounded down, at most 6553.5 s.
    pub fn set_heartbeat_ttl(&self, ttl: Duration) -> Result<()> {
        self.core().options.heartbeat_ttl =
            to_millis(ttl, "HEARTBEAT_TTL is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_heartbeat_ttl`](Self::set_heartbeat_ttl).
    pub fn heartbeat_ttl(&self) -> Duration {
        from_millis(self.core().options.heartbeat_ttl)
    }

    /// How long a connection may stay without any traffic after a PING before it is
    /// declared dead; `None` (the default) is HEARTBEAT_IVL (`ZMQ_HEARTBEAT_TIMEOUT`).
    pub fn set_heartbeat_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.core().options.heartbeat_timeout = to_millis_or_minus_one(
            timeout,
            "HEARTBEAT_TIMEOUT is at most i32::MAX milliseconds",
        )?;
        Ok(())
    }

    /// See [`set_heartbeat_timeout`](Self::set_heartbeat_timeout).
    pub fn heartbeat_timeout(&self) -> Option<Duration> {
        millis(self.core().options.heartbeat_timeout)
    }

    /// SO_KEEPALIVE on tcp connections: `None` leaves the system's default (the default)
    /// (`ZMQ_TCP_KEEPALIVE`).
    pub fn set_tcp_keepalive(&self, on: Option<bool>) -> Result<()> {
        self.core().options.tuning.tcp_keepalive = on.map_or(-1, i32::from);
        Ok(())
    }

    /// See [`set_tcp_keepalive`](Self::set_tcp_keepalive).
    pub fn tcp_keepalive(&self) -> Option<bool> {
        match self.core().options.tuning.tcp_keepalive {
            -1 => None,
            on => Some(on != 0),
        }
    }

    /// How long a connection is idle before the first keepalive probe, in whole seconds
    /// (rounded up); `None` leaves the system's default (`ZMQ_TCP_KEEPALIVE_IDLE`).
    pub fn set_tcp_keepalive_idle(&self, idle: Option<Duration>) -> Result<()> {
        self.core().options.tuning.tcp_keepalive_idle =
            keepalive_seconds(idle, "TCP_KEEPALIVE_IDLE is at most i32::MAX seconds")?;
        Ok(())
    }

    /// See [`set_tcp_keepalive_idle`](Self::set_tcp_keepalive_idle).
    pub fn tcp_keepalive_idle(&self) -> Option<Duration> {
        from_keepalive_seconds(self.core().options.tuning.tcp_keepalive_idle)
    }

    /// How many keepalive probes go unanswered before the connection is dropped; `None`
    /// leaves the system's default (`ZMQ_TCP_KEEPALIVE_CNT`).
    pub fn set_tcp_keepalive_cnt(&self, probes: Option<u32>) -> Result<()> {
        self.core().options.tuning.tcp_keepalive_cnt = probes.map_or(Ok(-1), |p| {
            to_int(p.into(), "TCP_KEEPALIVE_CNT is at most i32::MAX")
        })?;
        Ok(())
    }

    /// See [`set_tcp_keepalive_cnt`](Self::set_tcp_keepalive_cnt).
    pub fn tcp_keepalive_cnt(&self) -> Option<u32> {
        u32::try_from(self.core().options.tuning.tcp_keepalive_cnt).ok()
    }

    /// The time between keepalive probes, in whole seconds (rounded up); `None` leaves the
    /// system's default (`ZMQ_TCP_KEEPALIVE_INTVL`).
    pub fn set_tcp_keepalive_intvl(&self, interval: Option<Duration>) -> Result<()> {
        self.core().options.tuning.tcp_keepalive_intvl =
            keepalive_seconds(interval, "TCP_KEEPALIVE_INTVL is at most i32::MAX seconds")?;
        Ok(())
    }

    /// See [`set_tcp_keepalive_intvl`](Self::set_tcp_keepalive_intvl).
    pub fn tcp_keepalive_intvl(&self) -> Option<Duration> {
        from_keepalive_seconds(self.core().options.tuning.tcp_keepalive_intvl)
    }

    /// How long unacknowledged data may wait before the system drops the connection
    /// (TCP_USER_TIMEOUT); zero leaves the system's default (`ZMQ_TCP_MAXRT`).
    pub fn set_tcp_maxrt(&self, timeout: Duration) -> Result<()> {
        self.core().options.tuning.tcp_maxrt =
            to_millis(timeout, "TCP_MAXRT is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_tcp_maxrt`](Self::set_tcp_maxrt).
    pub fn tcp_maxrt(&self) -> Duration {
        from_millis(self.core().options.tuning.tcp_maxrt)
    }

    /// The kernel's send buffer size for each connection, in bytes; `None` leaves the
    /// system's default (`ZMQ_SNDBUF`).
    pub fn set_sndbuf(&self, bytes: Option<u64>) -> Result<()> {
        self.core().options.tuning.sndbuf = size_or_default(bytes, "SNDBUF is at most i32::MAX")?;
        Ok(())
    }

    /// See [`set_sndbuf`](Self::set_sndbuf).
    pub fn sndbuf(&self) -> Option<u64> {
        u64::try_from(self.core().options.tuning.sndbuf).ok()
    }

    /// The kernel's receive buffer size for each connection, in bytes; `None` leaves the
    /// system's default (`ZMQ_RCVBUF`).
    pub fn set_rcvbuf(&self, bytes: Option<u64>) -> Result<()> {
        self.core().options.tuning.rcvbuf = size_or_default(bytes, "RCVBUF is at most i32::MAX")?;
        Ok(())
    }

    /// See [`set_rcvbuf`](Self::set_rcvbuf).
    pub fn rcvbuf(&self) -> Option<u64> {
        u64::try_from(self.core().options.tuning.rcvbuf).ok()
    }

    /// The IP type-of-service byte (DSCP and ECN) of outgoing packets; zero leaves the
    /// system's default (`ZMQ_TOS`).
    pub fn set_tos(&self, tos: u8) -> Result<()> {
        self.core().options.tuning.tos = i32::from(tos);
        Ok(())
    }

    /// See [`set_tos`](Self::set_tos).
    pub fn tos(&self) -> u8 {
        u8::try_from(self.core().options.tuning.tos).unwrap_or_default()
    }

    /// The queueing priority of each connection's outgoing packets (Linux SO_PRIORITY;
    /// values above 6 need CAP_NET_ADMIN, and a connect the system refuses them to fails
    /// and is retried); zero (the default) leaves the system's default (`ZMQ_PRIORITY`).
    ///
    /// ```
    /// use ferrozmq::{Context, PUSH};
    /// let push = Context::new().socket(PUSH).unwrap();
    /// push.options().set_priority(3).unwrap();
    /// assert_eq!(push.options().priority(), 3);
    /// ```
    pub fn set_priority(&self, priority: u32) -> Result<()> {
        self.core().options.tuning.priority = i32::try_from(priority)
            .map_err(|_| Error::InvalidArgument("PRIORITY is at most i32::MAX"))?;
        Ok(())
    }

    /// See [`set_priority`](Self::set_priority).
    pub fn priority(&self) -> u32 {
        u32::try_from(self.core().options.tuning.priority).unwrap_or_default()
    }

    /// Binds connections to a network interface (SO_BINDTODEVICE, usually needs
    /// privileges); empty (the default) removes the binding (`ZMQ_BINDTODEVICE`).
    pub fn set_bindtodevice(&self, interface: &str) -> Result<()> {
        if interface.len() >= crate::sys::socket::IFNAMSIZ || interface.contains('\0') {
            return Err(Error::InvalidArgument("interface name too long"));
        }
        self.core().options.tuning.bind_to_device = interface.to_string();
        Ok(())
    }

    /// See [`set_bindtodevice`](Self::set_bindtodevice).
    pub fn bindtodevice(&self) -> String {
        self.core().options.tuning.bind_to_device.clone()
    }

    /// Keep only the newest message in each queue: a receiver gets the latest message and
    /// those it did not read in time are dropped (`ZMQ_CONFLATE`, default false). For PUB,
    /// SUB, PUSH, PULL and DEALER; multipart messages are not supported with it, as in
    /// libzmq.
    pub fn set_conflate(&self, on: bool) -> Result<()> {
        self.core().options.conflate = on;
        Ok(())
    }

    /// See [`set_conflate`](Self::set_conflate).
    pub fn conflate(&self) -> bool {
        self.core().options.conflate
    }

    /// Which of the context's I/O threads may serve this socket's tcp, ipc and udp
    /// connections: bit `i` for thread `i`, 0 (the default) for any (`ZMQ_AFFINITY`). The
    /// socket takes its thread, in turn among those allowed, at its first such bind or
    /// connect, and keeps it (libzmq chooses per connection). A mask that names none of the
    /// context's threads makes that bind or connect fail with
    /// [`Error::NoIoThread`].
    ///
    /// ```
    /// use ferrozmq::{Context, Error, PULL};
    /// let ctx = Context::with_io_threads(2);
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.options().set_affinity(0b10).unwrap(); // the second thread only
    /// assert_eq!(pull.options().affinity(), 0b10);
    /// pull.bind("tcp://127.0.0.1:*").unwrap();
    ///
    /// let stray = ctx.socket(PULL).unwrap();
    /// stray.options().set_affinity(0b100).unwrap(); // a third thread: there is none
    /// assert_eq!(stray.bind("tcp://127.0.0.1:*"), Err(Error::NoIoThread));
    /// ```
    pub fn set_affinity(&self, threads: u64) -> Result<()> {
        self.core().options.affinity = threads;
        Ok(())
    }

    /// See [`set_affinity`](Self::set_affinity).
    pub fn affinity(&self) -> u64 {
        self.core().options.affinity
    }

    /// The data rate of multicast transports, in kilobits per second, 1 or more (default
    /// 100; `ZMQ_RATE`). ferrozmq has no such transport (PGM and NORM need libraries it
    /// does not use): the value is kept and read back with no effect, as libzmq built
    /// without them does.
    pub fn set_rate(&self, kilobits_per_second: u32) -> Result<()> {
        if kilobits_per_second == 0 || i32::try_from(kilobits_per_second).is_err() {
            return Err(Error::InvalidArgument("RATE is from 1 to i32::MAX"));
        }
        self.core().options.rate = kilobits_per_second;
        Ok(())
    }

    /// See [`set_rate`](Self::set_rate).
    pub fn rate(&self) -> u32 {
        self.core().options.rate
    }

    /// How long multicast transports keep data for receivers that recover from a loss
    /// (default 10 s; `ZMQ_RECOVERY_IVL`). Kept and read back with no effect, like
    /// [`set_rate`](Self::set_rate).
    pub fn set_recovery_ivl(&self, interval: Duration) -> Result<()> {
        self.core().options.recovery_ivl = u32::try_from(interval.as_millis())
            .ok()
            .filter(|ms| i32::try_from(*ms).is_ok())
            .ok_or(Error::InvalidArgument(
                "RECOVERY_IVL is at most i32::MAX ms",
            ))?;
        Ok(())
    }

    /// See [`set_recovery_ivl`](Self::set_recovery_ivl).
    pub fn recovery_ivl(&self) -> Duration {
        Duration::from_millis(u64::from(self.core().options.recovery_ivl))
    }

    /// A socket the application created, bound and made listen itself (systemd socket
    /// activation, say), for the tcp and ipc binds made after this to listen on instead
    /// of a new one (`ZMQ_USE_FD`); `None` (the default) makes a new one. The endpoint
    /// given to `bind` then only names the transport: the address is the socket's own,
    /// and [`Socket::last_endpoint`](crate::Socket::last_endpoint) reports it. The socket
    /// listens on a duplicate of the descriptor: the application keeps its own, and a
    /// bind fails with [`Error::InvalidArgument`] if it is not a listening socket of the
    /// endpoint's transport.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, PUSH};
    /// use std::os::fd::AsRawFd;
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.options().set_use_fd(Some(listener.as_raw_fd())).unwrap();
    /// let endpoint = pull.bind("tcp://127.0.0.1:*").unwrap();
    /// assert_eq!(endpoint, format!("tcp://{}", listener.local_addr().unwrap()));
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.connect(&endpoint).unwrap();
    /// push.send("hello").unwrap();
    /// assert_eq!(pull.recv().unwrap().as_ref(), b"hello");
    /// ```
    pub fn set_use_fd(&self, fd: Option<std::os::fd::RawFd>) -> Result<()> {
        if fd.is_some_and(|fd| fd < 0) {
            return Err(Error::InvalidArgument("a descriptor is not negative"));
        }
        self.core().options.use_fd = fd;
        Ok(())
    }

    /// See [`set_use_fd`](Self::set_use_fd).
    pub fn use_fd(&self) -> Option<std::os::fd::RawFd> {
        self.core().options.use_fd
    }
}

impl SocketOptions<'_> {
    /// Lets ipc peers in only if their process id is one of those added, or another
    /// IPC_FILTER option matches them (`ZMQ_IPC_FILTER_PID`, read from the kernel with
    /// SO_PEERCRED; applies to the binds made after it). With no IPC_FILTER set, every
    /// peer is let in. A refused peer is closed at once (the monitor sees
    /// [`AcceptFailed`](crate::EventKind::AcceptFailed) with `EACCES`).
    ///
    /// ```
    /// use ferrozmq::{Context, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// pull.options().add_ipc_filter_pid(std::process::id() as i32).unwrap();
    /// pull.options().clear_ipc_filter_pid().unwrap(); // everyone again
    /// ```
    pub fn add_ipc_filter_pid(&self, pid: i32) -> Result<()> {
        self.core().options.ipc_filters.pids.push(pid);
        Ok(())
    }

    /// Removes every [`add_ipc_filter_pid`](Self::add_ipc_filter_pid) filter.
    pub fn clear_ipc_filter_pid(&self) -> Result<()> {
        self.core().options.ipc_filters.pids.clear();
        Ok(())
    }

    /// Lets ipc peers in whose user id is one of those added (`ZMQ_IPC_FILTER_UID`); see
    /// [`add_ipc_filter_pid`](Self::add_ipc_filter_pid).
    pub fn add_ipc_filter_uid(&self, uid: u32) -> Result<()> {
        self.core().options.ipc_filters.uids.push(uid);
        Ok(())
    }

    /// Removes every [`add_ipc_filter_uid`](Self::add_ipc_filter_uid) filter.
    pub fn clear_ipc_filter_uid(&self) -> Result<()> {
        self.core().options.ipc_filters.uids.clear();
        Ok(())
    }

    /// Lets ipc peers in whose group id is one of those added, or whose user is a member
    /// of one of them (`ZMQ_IPC_FILTER_GID`); see
    /// [`add_ipc_filter_pid`](Self::add_ipc_filter_pid).
    pub fn add_ipc_filter_gid(&self, gid: u32) -> Result<()> {
        self.core().options.ipc_filters.gids.push(gid);
        Ok(())
    }

    /// Removes every [`add_ipc_filter_gid`](Self::add_ipc_filter_gid) filter.
    pub fn clear_ipc_filter_gid(&self) -> Result<()> {
        self.core().options.ipc_filters.gids.clear();
        Ok(())
    }

    /// Lets tcp peers in only from this network or any other added
    /// (`ZMQ_TCP_ACCEPT_FILTER`): a numeric address with an optional prefix length,
    /// `"192.168.1.0/24"`, `"::1"`, `"0.0.0.0/0"`. Applies to the tcp binds made after it;
    /// with no filter every peer is let in. A refused peer is closed at once (the monitor
    /// sees [`AcceptFailed`](crate::EventKind::AcceptFailed) with `EACCES`). For real
    /// access control use ZAP: an address says little about who is connecting.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// pull.options().add_tcp_accept_filter("127.0.0.0/8").unwrap();
    /// assert!(pull.options().add_tcp_accept_filter("127.0.0.0/33").is_err());
    /// pull.options().clear_tcp_accept_filters().unwrap(); // everyone again
    /// ```
    pub fn add_tcp_accept_filter(&self, network: &str) -> Result<()> {
        let filter = network.parse().map_err(|()| {
            Error::InvalidArgument(
                "TCP_ACCEPT_FILTER is a numeric address with an optional /prefix",
            )
        })?;
        self.core().options.tcp_accept_filters.0.push(filter);
        Ok(())
    }

    /// Removes every [`add_tcp_accept_filter`](Self::add_tcp_accept_filter) filter.
    pub fn clear_tcp_accept_filters(&self) -> Result<()> {
        self.core().options.tcp_accept_filters.0.clear();
        Ok(())
    }
}
