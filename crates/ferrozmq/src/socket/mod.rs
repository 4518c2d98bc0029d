//! The public socket.

mod addressed;
mod connection_options;
mod core;
pub(crate) mod mailbox;
mod message_properties;
mod pattern;
mod pipes;
mod routing_options;
mod security_options;
mod types;

use crate::context::ContextShared;
use crate::error::{Error, Result};
use bytes::Bytes;
pub use connection_options::{
    RECONNECT_STOP_AFTER_DISCONNECT, RECONNECT_STOP_CONN_REFUSED, RECONNECT_STOP_HANDSHAKE_FAILED,
};
use core::SocketCore;
pub(crate) use core::TrySend;
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use zmtp::{Message, SocketType};

/// Do not block: fail with [`Error::Again`] instead (`ZMQ_DONTWAIT`).
pub const DONTWAIT: i32 = 1;
/// More parts of this message follow (`ZMQ_SNDMORE`).
pub const SNDMORE: i32 = 2;

/// A ZeroMQ socket.
///
/// Made by [`Context::socket`](crate::Context::socket). Methods take `&self`, as in the
/// `zmq` crate, so that code moves over unchanged; like a libzmq socket, a `Socket` may
/// move between threads (`Send`) but is used by one thread at a time (not `Sync`: the
/// compiler refuses to share one, so two threads can never race on it). Dropping it closes
/// it; messages still queued for peers are delivered in the background for as long as
/// [`set_linger`](Self::set_linger) allows.
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// let ctx = ferrozmq::Context::new();
/// shared(&ctx.socket(ferrozmq::PUSH).unwrap()); // a Socket is not Sync
/// ```
///
/// ```
/// use ferrozmq::{Context, REP, REQ};
/// let ctx = Context::new();
/// let server = ctx.socket(REP).unwrap();
/// server.bind("inproc://hello").unwrap();
/// let client = ctx.socket(REQ).unwrap();
/// client.connect("inproc://hello").unwrap();
///
/// client.send("Are you OK?", 0).unwrap();
/// assert_eq!(server.recv_string(0).unwrap().unwrap(), "Are you OK?");
/// server.send("I am OK!", 0).unwrap();
/// assert_eq!(client.recv_string(0).unwrap().unwrap(), "I am OK!");
/// ```
pub struct Socket {
    core: RefCell<SocketCore>,
}

impl Socket {
    pub(crate) fn new(ctx: Arc<ContextShared>, socket_type: SocketType) -> Result<Socket> {
        Ok(Socket {
            core: RefCell::new(SocketCore::new(ctx, socket_type)?),
        })
    }

    fn core(&self) -> std::cell::RefMut<'_, SocketCore> {
        let core = self.core.borrow_mut();
        // Every public operation passes here, and some change what the socket is ready for
        // with no peer involved (a REP that replied may be readable again at once): pollers
        // holding the socket must look at it again (see `crate::poll`).
        core.link.owner_acted();
        core
    }

    /// The socket's type.
    pub fn get_socket_type(&self) -> SocketType {
        self.core().socket_type
    }

    /// Accepts connections on an endpoint: `tcp://*:5555`, `tcp://127.0.0.1:*` (ephemeral
    /// port, see [`get_last_endpoint`](Self::get_last_endpoint)), `ipc:///tmp/x.sock`,
    /// `inproc://name`. A DISH may also bind `udp://*:5555`, `udp://127.0.0.1:5555` or a
    /// multicast group, `udp://239.1.2.3:5555` (joined on the default interface).
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.core().bind(endpoint)
    }

    /// Connects to an endpoint. Returns at once: the connection is made (and remade after
    /// failures, every RECONNECT_IVL) in the background, and messages queue meanwhile. A
    /// RADIO may also connect `udp://host:port`, unicast or multicast: its messages go
    /// there as datagrams, every group to every dish.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.core().connect(endpoint)
    }

    /// Stops accepting on an endpoint given to [`bind`](Self::bind) (or its
    /// [`get_last_endpoint`](Self::get_last_endpoint) form) and closes its connections.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.core().remove_endpoint(endpoint, true)
    }

    /// Stops connecting to an endpoint given to [`connect`](Self::connect).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.core().remove_endpoint(endpoint, false)
    }

    /// Reports what happens to this socket's listeners and connections
    /// (`zmq_socket_monitor`): binds a PAIR socket of this context on `endpoint`, which must
    /// be `inproc://`, and sends it the events whose [`EventKind`](crate::EventKind) bits
    /// are set in `events` ([`EventKind::ALL`](crate::EventKind::ALL) for every one), as
    /// two-part messages in libzmq's layout (see [`MonitorEvent`](crate::MonitorEvent)).
    ///
    /// A second call replaces the monitor; an empty `endpoint` stops it (libzmq's `NULL`).
    /// Either way, and when this socket closes, the old feed ends with
    /// [`MonitorStopped`](crate::EventKind::MonitorStopped) if that was asked for. Events
    /// never wait for their reader: those that come while no PAIR is connected, or while
    /// the reader is a high-water mark behind (its RCVHWM plus 1000), are dropped.
    ///
    /// ```
    /// use ferrozmq::{Context, EventKind, MonitorEvent, PAIR, PUSH};
    /// let ctx = Context::new();
    /// let socket = ctx.socket(PUSH).unwrap();
    /// socket.monitor("inproc://push-events", EventKind::ALL).unwrap();
    /// let events = ctx.socket(PAIR).unwrap();
    /// events.set_rcvtimeo(5000).unwrap();
    /// events.connect("inproc://push-events").unwrap();
    ///
    /// socket.monitor("", 0).unwrap();
    /// let event = MonitorEvent::recv(&events, 0).unwrap();
    /// assert_eq!(event.kind, EventKind::MonitorStopped);
    /// ```
    pub fn monitor(&self, endpoint: &str, events: i32) -> Result<()> {
        let core = self.core();
        core.link.monitor.open(&core.ctx, endpoint, events)
    }

    /// Sends a message part. `flags` combines [`DONTWAIT`] and [`SNDMORE`].
    pub fn send<T: Into<Message>>(&self, data: T, flags: i32) -> Result<()> {
        let msg = data.into().with_more(flags & SNDMORE != 0);
        self.core().send(msg, flags & DONTWAIT != 0)
    }

    /// Sends every part of a multipart message.
    pub fn send_multipart<I, T>(&self, parts: I, flags: i32) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        let mut parts = parts.into_iter().peekable();
        let mut core = self.core();
        let dont_wait = flags & DONTWAIT != 0;
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            let more = !last || flags & SNDMORE != 0;
            core.send(part.into().with_more(more), dont_wait)?;
        }
        Ok(())
    }

    /// Receives a message part; [`Message::more`] tells whether more parts follow.
    pub fn recv_msg(&self, flags: i32) -> Result<Message> {
        self.core().recv(flags & DONTWAIT != 0)
    }

    /// Receives a message part as bytes.
    pub fn recv_bytes(&self, flags: i32) -> Result<Vec<u8>> {
        self.recv_msg(flags).map(|m| m.to_vec())
    }

    /// Receives a message part as text: `Ok(Err(bytes))` when it is not UTF-8.
    pub fn recv_string(&self, flags: i32) -> Result<std::result::Result<String, Vec<u8>>> {
        self.recv_bytes(flags)
            .map(|bytes| String::from_utf8(bytes).map_err(|e| e.into_bytes()))
    }

    /// Receives every part of the next message.
    pub fn recv_multipart(&self, flags: i32) -> Result<Vec<Message>> {
        let mut core = self.core();
        let dont_wait = flags & DONTWAIT != 0;
        let first = core.recv(dont_wait)?;
        let mut more = first.more();
        let mut parts = vec![first];
        while more {
            // The rest of a message is already here: parts travel together.
            let part = core.recv(false)?;
            more = part.more();
            parts.push(part);
        }
        Ok(parts)
    }

    /// Whether the last part received has more parts after it (`ZMQ_RCVMORE`).
    pub fn get_rcvmore(&self) -> Result<bool> {
        Ok(self.core().rcvmore)
    }

    /// Subscribes a SUB socket to messages starting with `prefix` (empty: all messages).
    pub fn set_subscribe(&self, prefix: &[u8]) -> Result<()> {
        self.core().subscribe(prefix, true)
    }

    /// Cancels one subscription made with [`set_subscribe`](Self::set_subscribe).
    pub fn set_unsubscribe(&self, prefix: &[u8]) -> Result<()> {
        self.core().subscribe(prefix, false)
    }

    /// DISH: receives the messages sent to `group` (1 to 255 bytes, no NUL) from now on,
    /// telling every RADIO peer, present and future (`zmq_join`). Joining a group twice
    /// fails with [`Error::InvalidArgument`], as in libzmq.
    ///
    /// ```
    /// use ferrozmq::{Context, Error, DISH};
    /// let ctx = Context::new();
    /// let dish = ctx.socket(DISH).unwrap();
    /// dish.join("weather").unwrap();
    /// assert!(matches!(dish.join("weather"), Err(Error::InvalidArgument(_))));
    /// dish.leave("weather").unwrap();
    /// assert!(matches!(dish.leave("weather"), Err(Error::InvalidArgument(_))));
    /// ```
    pub fn join(&self, group: &str) -> Result<()> {
        self.core()
            .change_membership(addressed::group_bytes(group)?, true)
    }

    /// DISH: stops receiving the messages of a group joined with [`join`](Self::join)
    /// (`zmq_leave`). Leaving a group not joined fails with [`Error::InvalidArgument`].
    pub fn leave(&self, group: &str) -> Result<()> {
        self.core()
            .change_membership(addressed::group_bytes(group)?, false)
    }

    /// The endpoint last bound or connected, with an ephemeral port resolved
    /// (`ZMQ_LAST_ENDPOINT`).
    pub fn get_last_endpoint(&self) -> Result<std::result::Result<String, Vec<u8>>> {
        Ok(Ok(self.core().last_endpoint.clone()))
    }

    /// Outbound high-water mark in messages per peer; 0 is unlimited (`ZMQ_SNDHWM`,
    /// default 1000). Applies to later binds and connects.
    pub fn set_sndhwm(&self, value: i32) -> Result<()> {
        non_negative(value, "SNDHWM must be 0 or more")?;
        self.core().options.sndhwm = value;
        Ok(())
    }

    /// See [`set_sndhwm`](Self::set_sndhwm).
    pub fn get_sndhwm(&self) -> Result<i32> {
        Ok(self.core().options.sndhwm)
    }

    /// Inbound high-water mark in messages per peer; 0 is unlimited (`ZMQ_RCVHWM`,
    /// default 1000). Applies to later binds and connects.
    pub fn set_rcvhwm(&self, value: i32) -> Result<()> {
        non_negative(value, "RCVHWM must be 0 or more")?;
        self.core().options.rcvhwm = value;
        Ok(())
    }

    /// See [`set_rcvhwm`](Self::set_rcvhwm).
    pub fn get_rcvhwm(&self) -> Result<i32> {
        Ok(self.core().options.rcvhwm)
    }

    /// How long, in milliseconds, messages still queued when the socket closes may take to
    /// reach their peers: -1 for ever (the default), 0 not at all (`ZMQ_LINGER`).
    pub fn set_linger(&self, value: i32) -> Result<()> {
        let core = self.core.borrow_mut();
        let mut core = core;
        core.options.linger = value.max(-1);
        core.link.linger.store(value.max(-1), Ordering::Release);
        Ok(())
    }

    /// See [`set_linger`](Self::set_linger).
    pub fn get_linger(&self) -> Result<i32> {
        Ok(self.core().options.linger)
    }

    /// Receive timeout in milliseconds: -1 blocks for ever (default), 0 never blocks
    /// (`ZMQ_RCVTIMEO`). On expiry receiving fails with [`Error::Again`].
    pub fn set_rcvtimeo(&self, value: i32) -> Result<()> {
        self.core().options.rcvtimeo = value.max(-1);
        Ok(())
    }

    /// See [`set_rcvtimeo`](Self::set_rcvtimeo).
    pub fn get_rcvtimeo(&self) -> Result<i32> {
        Ok(self.core().options.rcvtimeo)
    }

    /// Send timeout in milliseconds: -1 blocks for ever (default), 0 never blocks
    /// (`ZMQ_SNDTIMEO`).
    pub fn set_sndtimeo(&self, value: i32) -> Result<()> {
        self.core().options.sndtimeo = value.max(-1);
        Ok(())
    }

    /// See [`set_sndtimeo`](Self::set_sndtimeo).
    pub fn get_sndtimeo(&self) -> Result<i32> {
        Ok(self.core().options.sndtimeo)
    }

    /// Milliseconds between reconnection attempts; -1 disables reconnection
    /// (`ZMQ_RECONNECT_IVL`, default 100).
    pub fn set_reconnect_ivl(&self, value: i32) -> Result<()> {
        self.core().options.reconnect_ivl = value.max(-1);
        Ok(())
    }

    /// See [`set_reconnect_ivl`](Self::set_reconnect_ivl).
    pub fn get_reconnect_ivl(&self) -> Result<i32> {
        Ok(self.core().options.reconnect_ivl)
    }

    /// Upper bound in milliseconds of the exponential reconnection back-off; 0 keeps the
    /// interval fixed (`ZMQ_RECONNECT_IVL_MAX`).
    pub fn set_reconnect_ivl_max(&self, value: i32) -> Result<()> {
        non_negative(value, "RECONNECT_IVL_MAX must be 0 or more")?;
        self.core().options.reconnect_ivl_max = value;
        Ok(())
    }

    /// Milliseconds a new connection has to finish the ZMTP handshake; 0 is no limit
    /// (`ZMQ_HANDSHAKE_IVL`, default 30000).
    pub fn set_handshake_ivl(&self, value: i32) -> Result<()> {
        non_negative(value, "HANDSHAKE_IVL must be 0 or more")?;
        self.core().options.handshake_ivl = value;
        Ok(())
    }

    /// Largest message part accepted from peers in bytes; -1 is unlimited. A peer that
    /// announces a larger part is disconnected (`ZMQ_MAXMSGSIZE`).
    pub fn set_maxmsgsize(&self, value: i64) -> Result<()> {
        self.core().options.maxmsgsize = value.max(-1);
        Ok(())
    }

    /// The routing id this socket announces to ROUTER peers, 1 to 255 bytes not starting
    /// with a zero byte (`ZMQ_ROUTING_ID`, formerly `ZMQ_IDENTITY`).
    pub fn set_routing_id(&self, id: &[u8]) -> Result<()> {
        if id.is_empty() || id.len() > 255 || id[0] == 0 {
            return Err(Error::InvalidArgument(
                "routing id must be 1 to 255 bytes, not starting with 0",
            ));
        }
        self.core().options.routing_id = Bytes::copy_from_slice(id);
        Ok(())
    }

    /// The `zmq` crate's name for [`set_routing_id`](Self::set_routing_id).
    pub fn set_identity(&self, id: &[u8]) -> Result<()> {
        self.set_routing_id(id)
    }

    /// See [`set_routing_id`](Self::set_routing_id).
    pub fn get_routing_id(&self) -> Result<Vec<u8>> {
        Ok(self.core().options.routing_id.to_vec())
    }

    /// Queue messages only to peers whose connection is complete (`ZMQ_IMMEDIATE`).
    pub fn set_immediate(&self, value: bool) -> Result<()> {
        self.core().options.immediate = value;
        Ok(())
    }

    /// Use IPv6 for host names and wildcards (`ZMQ_IPV6`).
    pub fn set_ipv6(&self, value: bool) -> Result<()> {
        self.core().options.ipv6 = value;
        Ok(())
    }

    /// How many routers the multicast datagrams of a RADIO's later udp connects may cross,
    /// 1 to 255 (`ZMQ_MULTICAST_HOPS`, default 1: the local network only).
    ///
    /// ```
    /// use ferrozmq::{Context, RADIO};
    /// let radio = Context::new().socket(RADIO).unwrap();
    /// radio.set_multicast_hops(8).unwrap();
    /// assert_eq!(radio.get_multicast_hops().unwrap(), 8);
    /// assert!(radio.set_multicast_hops(0).is_err());
    /// ```
    pub fn set_multicast_hops(&self, value: i32) -> Result<()> {
        let hops = u32::try_from(value)
            .ok()
            .filter(|hops| (1..=255).contains(hops))
            .ok_or(Error::InvalidArgument("MULTICAST_HOPS must be 1 to 255"))?;
        self.core().options.multicast_hops = hops;
        Ok(())
    }

    /// See [`set_multicast_hops`](Self::set_multicast_hops).
    pub fn get_multicast_hops(&self) -> Result<i32> {
        Ok(self.core().options.multicast_hops as i32)
    }

    /// Listen backlog of later binds (`ZMQ_BACKLOG`, default 100).
    pub fn set_backlog(&self, value: i32) -> Result<()> {
        non_negative(value, "BACKLOG must be 0 or more")?;
        self.core().options.backlog = value;
        Ok(())
    }
}

/// Blocks until one of `sockets` has had something happen to it (a message arrived, a peer
/// made room or went away), or until `deadline`. Returns false on timeout.
pub(crate) fn wait_any(sockets: &[&Socket], deadline: Option<std::time::Instant>) -> Result<bool> {
    let waker = crate::signal::thread_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    loop {
        for socket in sockets {
            let core = socket.core.borrow();
            if core.link.is_terminated() {
                return Err(Error::Terminated);
            }
            if core.link.poll_wait(&mut cx).is_ready() {
                return Ok(true);
            }
        }
        match deadline {
            None => std::thread::park(),
            Some(deadline) => {
                let now = std::time::Instant::now();
                if now >= deadline {
                    return Ok(false);
                }
                std::thread::park_timeout(deadline - now);
            }
        }
    }
}

// ---- What `crate::asynchronous` needs from a socket ----
impl Socket {
    /// Sends a part if the socket can take it now; a part it has no room for comes back.
    pub(crate) fn try_send(&self, msg: Message) -> Result<TrySend> {
        self.core().try_send(msg)
    }

    /// SERVER, PEER: [`try_send`](Self::try_send) to the peer with this routing id.
    pub(crate) fn try_send_to(&self, routing_id: u32, msg: Message) -> Result<TrySend> {
        self.core()
            .try_send_to(&pattern::Address::Peer(routing_id), msg)
    }
}
// ---- end of what `crate::asynchronous` needs ----

// ---- What `crate::poll` needs from a socket ----
impl Socket {
    /// What the socket could do now (`ZMQ_EVENTS`). Unlike the public operations, this does
    /// not count as the owner acting on the socket: pollers call it.
    pub(crate) fn readiness(&self) -> Result<crate::poll::PollEvents> {
        let readiness = self.core.borrow_mut().poll_events()?;
        let mut events = crate::poll::PollEvents::empty();
        if readiness.readable {
            events |= crate::poll::POLLIN;
        }
        if readiness.writable {
            events |= crate::poll::POLLOUT;
        }
        Ok(events)
    }

    /// The part of the socket that other threads, and pollers, reach.
    pub(crate) fn link(&self) -> Arc<mailbox::SocketLink> {
        self.core.borrow().link.clone()
    }
}
// ---- end of what `crate::poll` needs ----

fn non_negative(value: i32, what: &'static str) -> Result<()> {
    if value < 0 {
        Err(Error::InvalidArgument(what))
    } else {
        Ok(())
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.core.get_mut().close();
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.core.try_borrow() {
            Ok(core) => f
                .debug_struct("Socket")
                .field("type", &core.socket_type)
                .field("last_endpoint", &core.last_endpoint)
                .finish(),
            Err(_) => f.write_str("Socket { .. }"),
        }
    }
}
