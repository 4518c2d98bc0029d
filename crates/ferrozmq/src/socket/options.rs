//! The socket's options, reached through [`Socket::options`]: the view, the options every
//! socket type has (queues, timeouts, identity), and the conversions between libzmq's
//! integer encodings, which the socket keeps inside, and the types applications see.
//!
//! The other option groups live beside this one: connections (`connection_options`),
//! routing (`routing_options`) and security (`security_options`).

use super::core::SocketCore;
use super::Socket;
use crate::error::{Error, Result};
use crate::options::millis;
use bytes::Bytes;
use std::cell::RefMut;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The options of a socket, named as libzmq names them (without `ZMQ_`, in lower case):
/// `set_xxx(value)` sets one, `xxx()` reads it. Made by [`Socket::options`].
///
/// Like libzmq's, options about connections (HWMs, reconnection, heartbeats, security,
/// ...) apply to the binds and connects made after they are set; the others (timeouts,
/// LINGER, routing behaviour) apply at once. Times are [`Duration`]s, rounded up to whole
/// milliseconds (whole seconds for the TCP keepalive ones); where libzmq takes -1 for "for
/// ever", "never" or "the system's default" the option is an [`Option`] and that is
/// `None`. A value out of range fails with [`Error::InvalidArgument`].
///
/// ```
/// use ferrozmq::{Context, DEALER};
/// use std::time::Duration;
/// let dealer = Context::new().socket(DEALER).unwrap();
/// let options = dealer.options();
/// options.set_sndhwm(100).unwrap();
/// options.set_rcvtimeo(Some(Duration::from_millis(250))).unwrap();
/// options.set_routing_id("worker-1").unwrap();
/// options.set_heartbeat_ivl(Duration::from_secs(1)).unwrap();
///
/// assert_eq!(options.sndhwm(), 100);
/// assert_eq!(options.rcvtimeo(), Some(Duration::from_millis(250)));
/// assert_eq!(options.routing_id(), b"worker-1");
/// assert_eq!(options.linger(), None); // libzmq's default: wait for ever
/// ```
#[derive(Clone, Copy)]
pub struct SocketOptions<'a> {
    socket: &'a Socket,
}

impl<'a> SocketOptions<'a> {
    pub(super) fn new(socket: &'a Socket) -> SocketOptions<'a> {
        SocketOptions { socket }
    }

    pub(super) fn core(&self) -> RefMut<'a, SocketCore> {
        self.socket.core()
    }
}

impl std::fmt::Debug for SocketOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SocketOptions").field(&self.socket).finish()
    }
}

/// A time in libzmq's milliseconds, rounded up so that a short wait never becomes none.
pub(super) fn to_millis(time: Duration, what: &'static str) -> Result<i32> {
    let ms = time.as_nanos().div_ceil(1_000_000);
    i32::try_from(ms).map_err(|_| Error::InvalidArgument(what))
}

/// An optional time in libzmq's milliseconds, `None` as -1.
pub(super) fn to_millis_or_minus_one(time: Option<Duration>, what: &'static str) -> Result<i32> {
    time.map_or(Ok(-1), |t| to_millis(t, what))
}

/// libzmq's milliseconds, where negative means none, as a time.
pub(super) fn from_millis(ms: i32) -> Duration {
    millis(ms).unwrap_or_default()
}

/// A count or size as libzmq's int.
pub(super) fn to_int(value: u64, what: &'static str) -> Result<i32> {
    i32::try_from(value).map_err(|_| Error::InvalidArgument(what))
}

impl SocketOptions<'_> {
    /// Outbound high-water mark, in messages queued per peer; 0 is no limit (`ZMQ_SNDHWM`,
    /// default 1000). At the mark, a send blocks or fails with [`Error::Again`], or drops
    /// the message, as the socket type does.
    ///
    /// A change applies to the connections the socket has as well as to later ones, as in
    /// libzmq: raising it makes room at once, lowering it drops nothing already queued.
    pub fn set_sndhwm(&self, messages: u32) -> Result<()> {
        let mut core = self.core();
        core.options.sndhwm = messages;
        core.apply_high_water_marks();
        Ok(())
    }

    /// See [`set_sndhwm`](Self::set_sndhwm).
    pub fn sndhwm(&self) -> u32 {
        self.core().options.sndhwm
    }

    /// Inbound high-water mark, in messages queued per peer; 0 is no limit (`ZMQ_RCVHWM`,
    /// default 1000). Like SNDHWM, a change applies to existing connections too.
    pub fn set_rcvhwm(&self, messages: u32) -> Result<()> {
        let mut core = self.core();
        core.options.rcvhwm = messages;
        core.apply_high_water_marks();
        Ok(())
    }

    /// See [`set_rcvhwm`](Self::set_rcvhwm).
    pub fn rcvhwm(&self) -> u32 {
        self.core().options.rcvhwm
    }

    /// How long messages still queued when the socket closes may take to reach their
    /// peers: `None` for as long as it takes (libzmq's default), zero not at all
    /// (`ZMQ_LINGER`). Applies to connections whenever the socket closes.
    pub fn set_linger(&self, linger: Option<Duration>) -> Result<()> {
        let ms = to_millis_or_minus_one(linger, "LINGER is at most i32::MAX milliseconds")?;
        let mut core = self.socket.core.borrow_mut();
        core.options.linger = ms;
        core.link.linger.store(ms, Ordering::Release);
        Ok(())
    }

    /// See [`set_linger`](Self::set_linger).
    pub fn linger(&self) -> Option<Duration> {
        millis(self.core().options.linger)
    }

    /// How long a receive waits for a message: `None` for ever (the default), zero not at
    /// all (`ZMQ_RCVTIMEO`). When it runs out the receive fails with [`Error::Again`].
    pub fn set_rcvtimeo(&self, timeout: Option<Duration>) -> Result<()> {
        self.core().options.rcvtimeo =
            to_millis_or_minus_one(timeout, "RCVTIMEO is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_rcvtimeo`](Self::set_rcvtimeo).
    pub fn rcvtimeo(&self) -> Option<Duration> {
        millis(self.core().options.rcvtimeo)
    }

    /// How long a send waits for room: `None` for ever (the default), zero not at all
    /// (`ZMQ_SNDTIMEO`). When it runs out the send fails with [`Error::Again`].
    pub fn set_sndtimeo(&self, timeout: Option<Duration>) -> Result<()> {
        self.core().options.sndtimeo =
            to_millis_or_minus_one(timeout, "SNDTIMEO is at most i32::MAX milliseconds")?;
        Ok(())
    }

    /// See [`set_sndtimeo`](Self::set_sndtimeo).
    pub fn sndtimeo(&self) -> Option<Duration> {
        millis(self.core().options.sndtimeo)
    }

    /// The largest message part accepted from peers, in bytes; `None` is no limit (the
    /// default). A peer that announces a larger part is disconnected (`ZMQ_MAXMSGSIZE`).
    /// The part is measured as the application receives it, under CURVE too (libzmq
    /// measures the encrypted frame); handshake commands are held to their own 64 KiB limit
    /// instead.
    pub fn set_maxmsgsize(&self, bytes: Option<u64>) -> Result<()> {
        self.core().options.maxmsgsize = match bytes {
            None => -1,
            Some(bytes) => i64::try_from(bytes)
                .map_err(|_| Error::InvalidArgument("MAXMSGSIZE is at most i64::MAX"))?,
        };
        Ok(())
    }

    /// See [`set_maxmsgsize`](Self::set_maxmsgsize).
    pub fn maxmsgsize(&self) -> Option<u64> {
        self.core().options.max_message_size()
    }

    /// The most parts one inbound message may have; 0 is no limit (ferrozmq's own
    /// `MAXMSGPARTS`, default 65,536). A peer that sends a message with more parts is
    /// disconnected and what it had sent of the message is dropped.
    ///
    /// A message reaches the application only once its last part has arrived, so until then
    /// its parts are held: without a bound on the message as a whole, a peer that sends
    /// MORE-flagged parts for ever grows the receiver without limit (libzmq has no defence
    /// against it). The default is far beyond any envelope or batch, and keeps what an
    /// endless message can cost to a few MiB of bookkeeping plus MAXMSGSIZE per part.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// // Each message at most 16 parts of at most 1 KiB.
    /// pull.options().set_maxmsgsize(Some(1024)).unwrap();
    /// pull.options().set_maxmsgparts(16).unwrap();
    /// assert_eq!(pull.options().maxmsgparts(), 16);
    /// ```
    pub fn set_maxmsgparts(&self, parts: u32) -> Result<()> {
        self.core().options.maxmsgparts = parts;
        Ok(())
    }

    /// See [`set_maxmsgparts`](Self::set_maxmsgparts).
    pub fn maxmsgparts(&self) -> u32 {
        self.core().options.maxmsgparts
    }

    /// The most bytes the parts of one inbound message may add up to; `None` (the default)
    /// sets no bound of its own, a message is then held to MAXMSGPARTS parts of MAXMSGSIZE
    /// bytes each (ferrozmq's own `MAXMULTIPARTSIZE`). A peer that sends more is
    /// disconnected and what it had sent of the message is dropped.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// pull.options().set_maxmultipartsize(Some(1 << 20)).unwrap();
    /// assert_eq!(pull.options().maxmultipartsize(), Some(1 << 20));
    /// ```
    pub fn set_maxmultipartsize(&self, bytes: Option<u64>) -> Result<()> {
        self.core().options.maxmultipartsize = match bytes {
            None => -1,
            Some(bytes) => i64::try_from(bytes)
                .map_err(|_| Error::InvalidArgument("MAXMULTIPARTSIZE is at most i64::MAX"))?,
        };
        Ok(())
    }

    /// See [`set_maxmultipartsize`](Self::set_maxmultipartsize).
    pub fn maxmultipartsize(&self) -> Option<u64> {
        self.core().options.max_multipart_size()
    }

    /// The routing id this socket announces to ROUTER peers, 1 to 255 bytes
    /// (`ZMQ_ROUTING_ID`, formerly `ZMQ_IDENTITY`; default none). Ids starting with a zero
    /// byte are the kind a ROUTER generates for peers that announce none; libzmq accepts
    /// them here all the same, and so does this (a ROUTER never gives a peer a generated
    /// id that another peer announced).
    pub fn set_routing_id(&self, id: impl AsRef<[u8]>) -> Result<()> {
        let id = id.as_ref();
        if id.is_empty() || id.len() > 255 {
            return Err(Error::InvalidArgument("routing id must be 1 to 255 bytes"));
        }
        self.core().options.routing_id = Bytes::copy_from_slice(id);
        Ok(())
    }

    /// See [`set_routing_id`](Self::set_routing_id); empty when none was set.
    pub fn routing_id(&self) -> Vec<u8> {
        self.core().options.routing_id.to_vec()
    }

    /// Queue messages only to peers whose connection is complete (`ZMQ_IMMEDIATE`,
    /// default false): a PUSH or DEALER with no connected peer then blocks instead of
    /// queueing for peers still connecting.
    pub fn set_immediate(&self, on: bool) -> Result<()> {
        self.core().options.immediate = on;
        Ok(())
    }

    /// See [`set_immediate`](Self::set_immediate).
    pub fn immediate(&self) -> bool {
        self.core().options.immediate
    }

    /// Use IPv6 for host names and wildcards (`ZMQ_IPV6`, default false).
    pub fn set_ipv6(&self, on: bool) -> Result<()> {
        self.core().options.ipv6 = on;
        Ok(())
    }

    /// See [`set_ipv6`](Self::set_ipv6).
    pub fn ipv6(&self) -> bool {
        self.core().options.ipv6
    }

    /// The listen backlog of later binds: how many connections the kernel holds until they
    /// are accepted (`ZMQ_BACKLOG`, default 100).
    pub fn set_backlog(&self, connections: u32) -> Result<()> {
        self.core().options.backlog = to_int(connections.into(), "BACKLOG is at most i32::MAX")?;
        Ok(())
    }

    /// See [`set_backlog`](Self::set_backlog).
    pub fn backlog(&self) -> u32 {
        self.core().options.backlog.unsigned_abs()
    }

    /// How many routers the multicast datagrams of a RADIO's later udp connects may cross,
    /// 1 to 255 (`ZMQ_MULTICAST_HOPS`, default 1: the local network only).
    ///
    /// ```
    /// use ferrozmq::{Context, RADIO};
    /// let radio = Context::new().socket(RADIO).unwrap();
    /// radio.options().set_multicast_hops(8).unwrap();
    /// assert_eq!(radio.options().multicast_hops(), 8);
    /// assert!(radio.options().set_multicast_hops(0).is_err());
    /// ```
    pub fn set_multicast_hops(&self, hops: u8) -> Result<()> {
        if hops == 0 {
            return Err(Error::InvalidArgument("MULTICAST_HOPS must be 1 to 255"));
        }
        self.core().options.multicast_hops = u32::from(hops);
        Ok(())
    }

    /// See [`set_multicast_hops`](Self::set_multicast_hops).
    pub fn multicast_hops(&self) -> u8 {
        u8::try_from(self.core().options.multicast_hops).unwrap_or(u8::MAX)
    }

    /// Whether the multicast datagrams of a RADIO's later udp connects also reach DISH
    /// sockets on this host (`ZMQ_MULTICAST_LOOP`, default true). Off, only other hosts
    /// hear them: a host that is both sender and receiver of a group does not hear itself.
    ///
    /// ```
    /// use ferrozmq::{Context, RADIO};
    /// let radio = Context::new().socket(RADIO).unwrap();
    /// assert!(radio.options().multicast_loop());
    /// radio.options().set_multicast_loop(false).unwrap();
    /// assert!(!radio.options().multicast_loop());
    /// ```
    pub fn set_multicast_loop(&self, enabled: bool) -> Result<()> {
        self.core().options.multicast_loop = enabled;
        Ok(())
    }

    /// See [`set_multicast_loop`](Self::set_multicast_loop).
    pub fn multicast_loop(&self) -> bool {
        self.core().options.multicast_loop
    }

    /// Announces an application property to every peer in the handshakes of later
    /// connections (`ZMQ_METADATA`, set in libzmq as `"X-name:value"`); the peer reads it
    /// from [`Properties`](crate::Properties), as `zmq_msg_gets` does. The name must start
    /// with `X-` (ZMTP's application namespace) and be a valid property name of at most 255
    /// characters; setting a name again replaces its value. Fails with
    /// [`Error::InvalidArgument`] otherwise.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, PUSH};
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// let endpoint = pull.bind("tcp://127.0.0.1:*").unwrap();
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.options().set_metadata("X-Hostname", "build-7").unwrap();
    /// push.connect(&endpoint).unwrap();
    /// push.send("hi").unwrap();
    /// let (_, properties) = pull.recv_with_properties().unwrap();
    /// assert_eq!(properties.get_str("X-Hostname"), Some("build-7"));
    /// ```
    pub fn set_metadata(&self, name: &str, value: impl AsRef<[u8]>) -> Result<()> {
        let valid = name.len() > 2
            && name.len() <= 255
            && name.as_bytes()[..2].eq_ignore_ascii_case(b"X-")
            && zmtp::Metadata::new().insert(name, Bytes::new()).is_ok();
        if !valid {
            return Err(Error::InvalidArgument(
                "METADATA names start with X- and are valid property names of at most 255 characters",
            ));
        }
        let value = Bytes::copy_from_slice(value.as_ref());
        let mut core = self.core();
        let list = &mut core.options.metadata;
        match list.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(entry) => entry.1 = value,
            None => list.push((name.to_string(), value)),
        }
        Ok(())
    }

    /// The application properties set with [`set_metadata`](Self::set_metadata).
    pub fn metadata(&self) -> Vec<(String, Bytes)> {
        self.core().options.metadata.clone()
    }

    /// Whether libzmq calls this socket type thread-safe (`ZMQ_THREAD_SAFE`, read-only):
    /// true for the draft types SERVER, CLIENT, RADIO, DISH, SCATTER, GATHER, PEER and
    /// CHANNEL. (In Rust every [`Socket`] may move between threads and none is shared
    /// between them; the C API lets threads share these types.)
    pub fn thread_safe(&self) -> bool {
        use zmtp::SocketType::*;
        matches!(
            self.core().socket_type,
            Server | Client | Radio | Dish | Scatter | Gather | Peer | Channel
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_up_to_whole_milliseconds() {
        assert_eq!(to_millis(Duration::ZERO, "").unwrap(), 0);
        assert_eq!(to_millis(Duration::from_micros(1), "").unwrap(), 1);
        assert_eq!(to_millis(Duration::from_millis(1500), "").unwrap(), 1500);
        assert!(to_millis(Duration::from_secs(u64::MAX), "").is_err());
        assert_eq!(to_millis_or_minus_one(None, "").unwrap(), -1);
        assert_eq!(from_millis(-1), Duration::ZERO);
    }
}
