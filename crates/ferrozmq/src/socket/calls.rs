//! The socket's everyday calls: binding and connecting, sending and receiving, subscribing
//! and joining, its options and monitors.

use super::{addressed, SendFlags, Socket, SocketOptions};
use crate::asynchronous::AsyncSocket;
use crate::error::Result;
use crate::message::Message;
use crate::monitor::{EventSet, FeedVersion, Monitor};
use zmtp::SocketType;

impl Socket {
    /// Accepts connections on an endpoint, and returns it as bound: `tcp://*:5555`,
    /// `tcp://127.0.0.1:*` (an ephemeral port: the endpoint returned names the port
    /// chosen), `ipc:///tmp/x.sock`, `inproc://name`. A DISH may also bind `udp://*:5555`,
    /// `udp://127.0.0.1:5555` or a multicast group, `udp://239.1.2.3:5555` (joined on the
    /// default interface). Security options apply to the connections accepted from then on.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// let endpoint = pull.bind("tcp://127.0.0.1:*").unwrap();
    /// assert!(endpoint.starts_with("tcp://127.0.0.1:"));
    /// assert!(!endpoint.ends_with(":*"));
    /// assert_eq!(pull.last_endpoint(), Some(endpoint));
    /// ```
    pub fn bind(&self, endpoint: &str) -> Result<String> {
        let mut core = self.core();
        core.bind(endpoint)?;
        Ok(core.last_endpoint.clone())
    }

    /// Connects to an endpoint. Returns at once: the connection is made (and remade after
    /// failures, every RECONNECT_IVL) in the background, and messages queue meanwhile. A
    /// RADIO may also connect `udp://host:port`, unicast or multicast: its messages go
    /// there as datagrams, every group to every dish. A tcp connect may name the local
    /// address it comes from, `tcp://192.0.2.7:0;host:port` (an address, a name or an
    /// interface such as `eth0`; port `0` or `*` for any).
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.core().connect(endpoint)
    }

    /// Sends `msg` as the last (or only) part of a message. Waits while no peer has room,
    /// as long as SNDTIMEO allows; then fails with [`Error::Again`](crate::Error::Again).
    ///
    /// Anything that converts into a [`Message`] can be sent: text, byte slices and arrays,
    /// vectors, [`Bytes`](bytes::Bytes), or a received message.
    pub fn send(&self, msg: impl Into<Message>) -> Result<()> {
        let part = msg.into().into_part().with_more(false);
        self.core().send(part, false)
    }

    /// Sends `msg` as a part that more parts of the same message follow
    /// (`ZMQ_SNDMORE`); the message goes out, whole, with its last part, sent by
    /// [`send`](Self::send).
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, PUSH};
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.bind("inproc://send-more").unwrap();
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.connect("inproc://send-more").unwrap();
    /// push.send_more("key").unwrap();
    /// push.send("value").unwrap();
    /// assert_eq!(pull.recv_multipart().unwrap(), ["key", "value"]);
    /// ```
    pub fn send_more(&self, msg: impl Into<Message>) -> Result<()> {
        let part = msg.into().into_part().with_more(true);
        self.core().send(part, false)
    }

    /// Sends `msg` as the last (or only) part of a message if that can be done now, else
    /// fails with [`Error::Again`](crate::Error::Again) at once (`ZMQ_DONTWAIT`); the part is dropped then.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        let part = msg.into().into_part().with_more(false);
        self.core().send(part, true)
    }

    /// Sends a part with the given flags: the general form of [`send`](Self::send),
    /// [`send_more`](Self::send_more) and [`try_send`](Self::try_send) (`zmq_send`).
    ///
    /// ```
    /// use ferrozmq::{Context, SendFlags, PAIR};
    /// let ctx = Context::new();
    /// let (from, to) = (ctx.socket(PAIR).unwrap(), ctx.socket(PAIR).unwrap());
    /// from.bind("inproc://send-with").unwrap();
    /// to.connect("inproc://send-with").unwrap();
    /// to.send_more("a").unwrap();
    /// to.send("b").unwrap();
    /// // Forward a message part by part, each part marked as it came.
    /// loop {
    ///     let part = from.recv().unwrap();
    ///     let more = part.more();
    ///     from.send_with(part, SendFlags::more_if(more)).unwrap();
    ///     if !more {
    ///         break;
    ///     }
    /// }
    /// assert_eq!(to.recv_multipart().unwrap(), ["a", "b"]);
    /// ```
    pub fn send_with(&self, msg: impl Into<Message>, flags: SendFlags) -> Result<()> {
        let part = msg
            .into()
            .into_part()
            .with_more(flags.contains(SendFlags::MORE));
        self.core().send(part, flags.contains(SendFlags::DONTWAIT))
    }

    /// Sends every part of a multipart message, waiting as [`send`](Self::send) does.
    /// Peers receive a message whole or not at all: the high-water mark is checked at its
    /// first part.
    pub fn send_multipart<I, T>(&self, parts: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        self.send_parts(parts, false)
    }

    /// [`send_multipart`](Self::send_multipart) if the message can be queued now, else
    /// [`Error::Again`](crate::Error::Again) at once, with nothing sent.
    pub fn try_send_multipart<I, T>(&self, parts: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        self.send_parts(parts, true)
    }

    fn send_parts<I, T>(&self, parts: I, dont_wait: bool) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        let mut parts = parts.into_iter().peekable();
        let mut core = self.core();
        while let Some(part) = parts.next() {
            let more = parts.peek().is_some();
            core.send(part.into().into_part().with_more(more), dont_wait)?;
        }
        Ok(())
    }

    /// Receives a message part; [`Message::more`] tells whether more parts follow. Waits
    /// for one as long as RCVTIMEO allows; then fails with [`Error::Again`](crate::Error::Again).
    pub fn recv(&self) -> Result<Message> {
        self.core().recv(false).map(Message::from_part)
    }

    /// Receives a message part if one is here, else fails with [`Error::Again`](crate::Error::Again) at once
    /// (`ZMQ_DONTWAIT`).
    pub fn try_recv(&self) -> Result<Message> {
        self.core().recv(true).map(Message::from_part)
    }

    /// Receives every part of the next message, waiting for it as [`recv`](Self::recv)
    /// does. (After a [`recv`](Self::recv) that left parts unread, it receives those.)
    pub fn recv_multipart(&self) -> Result<Vec<Message>> {
        self.recv_parts(false)
    }

    /// [`recv_multipart`](Self::recv_multipart) if a message is here, else
    /// [`Error::Again`](crate::Error::Again) at once.
    pub fn try_recv_multipart(&self) -> Result<Vec<Message>> {
        self.recv_parts(true)
    }

    fn recv_parts(&self, dont_wait: bool) -> Result<Vec<Message>> {
        let mut core = self.core();
        let first = core.recv(dont_wait)?;
        let mut more = first.more();
        let mut parts = vec![Message::from_part(first)];
        while more {
            // The rest of a message is already here: parts travel together.
            let part = core.recv(false)?;
            more = part.more();
            parts.push(Message::from_part(part));
        }
        Ok(parts)
    }

    /// Whether the last part received has more parts after it (`ZMQ_RCVMORE`; the part's
    /// own [`Message::more`] says the same).
    pub fn rcvmore(&self) -> bool {
        self.core().rcvmore
    }

    /// SUB: receive the messages that start with `prefix` (empty: every message), as well
    /// as those already subscribed to (`ZMQ_SUBSCRIBE`). XPUB with XPUB_MANUAL: apply a
    /// subscription the application received.
    ///
    /// ```
    /// use ferrozmq::{Context, PUB, SUB};
    /// let ctx = Context::new();
    /// let publisher = ctx.socket(PUB).unwrap();
    /// publisher.bind("inproc://weather").unwrap();
    /// let subscriber = ctx.socket(SUB).unwrap();
    /// subscriber.subscribe("weather/").unwrap();
    /// subscriber.connect("inproc://weather").unwrap();
    /// publisher.send("news/ nothing for this subscriber").unwrap();
    /// publisher.send("weather/ rain").unwrap();
    /// assert_eq!(subscriber.recv().unwrap(), "weather/ rain");
    /// ```
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.core().subscribe(prefix.as_ref(), true)
    }

    /// Cancels one [`subscribe`](Self::subscribe) to `prefix` (`ZMQ_UNSUBSCRIBE`).
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.core().subscribe(prefix.as_ref(), false)
    }

    /// DISH: receives the messages sent to `group` (1 to 255 bytes, no NUL) from now on,
    /// telling every RADIO peer, present and future (`zmq_join`). Joining a group twice
    /// fails with [`Error::InvalidArgument`](crate::Error::InvalidArgument), as in libzmq.
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
    /// (`zmq_leave`). Leaving a group not joined fails with [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    pub fn leave(&self, group: &str) -> Result<()> {
        self.core()
            .change_membership(addressed::group_bytes(group)?, false)
    }

    /// Stops accepting on an endpoint given to [`bind`](Self::bind) (as given, or as
    /// returned) and closes its connections. An endpoint bound with a wildcard (an
    /// ephemeral port `tcp://127.0.0.1:*`, or `ipc://*`) is unbound only by the name
    /// returned, as in libzmq: the wildcard names no endpoint in particular.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.core().remove_endpoint(endpoint, true)
    }

    /// Stops connecting to an endpoint given to [`connect`](Self::connect).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.core().remove_endpoint(endpoint, false)
    }

    /// The socket's options: HWMs, timeouts, reconnection, security, type-specific
    /// behaviour, named as libzmq names them.
    ///
    /// ```
    /// use ferrozmq::{Context, PUSH};
    /// use std::time::Duration;
    /// let push = Context::new().socket(PUSH).unwrap();
    /// push.options().set_sndhwm(10).unwrap();
    /// push.options().set_linger(Some(Duration::ZERO)).unwrap();
    /// assert_eq!(push.options().sndhwm(), 10);
    /// ```
    pub fn options(&self) -> SocketOptions<'_> {
        SocketOptions::new(self)
    }

    /// Reports what happens to this socket's listeners and connections, as typed events
    /// (see [`Monitor`]): those of the kinds in `events` ([`EventSet::ALL`] for every
    /// one), from now until the monitor is dropped. A socket may have any number of
    /// monitors.
    ///
    /// ```
    /// use ferrozmq::{Context, EventKind, EventSet, PULL};
    /// use std::time::Duration;
    /// let pull = Context::new().socket(PULL).unwrap();
    /// let mut monitor = pull.monitor(EventSet::ALL).unwrap();
    /// pull.bind("tcp://127.0.0.1:*").unwrap();
    /// let event = monitor.recv_timeout(Duration::from_secs(5)).unwrap();
    /// assert_eq!(event.kind(), EventKind::Listening);
    /// ```
    pub fn monitor(&self, events: EventSet) -> Result<Monitor> {
        let core = self.core();
        core.link.monitor.monitor(&core.ctx, events)
    }

    /// Reports what happens to this socket's listeners and connections on libzmq's wire
    /// feed (`zmq_socket_monitor`): binds a PAIR socket of this context on `endpoint`,
    /// which must be `inproc://`, and sends it the events whose kinds are in `events`, as
    /// two-part messages in libzmq's layout (see [`WireEvent`](crate::WireEvent)).
    ///
    /// A second call replaces the feed; `None` stops it (libzmq's `NULL`). Either way, and
    /// when this socket closes, the old feed ends with
    /// [`MonitorStopped`](crate::EventKind::MonitorStopped) if that was asked for. Events
    /// never wait for their reader: those that come while no PAIR is connected, or while
    /// the reader is a high-water mark behind (its RCVHWM plus 1000), are dropped. The feed
    /// and [`monitor`](Self::monitor)s work side by side.
    ///
    /// ```
    /// use ferrozmq::{Context, EventKind, EventSet, WireEvent, PAIR, PUSH};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let socket = ctx.socket(PUSH).unwrap();
    /// socket.monitor_to(Some("inproc://push-events"), EventSet::ALL).unwrap();
    /// let events = ctx.socket(PAIR).unwrap();
    /// events.options().set_rcvtimeo(Some(Duration::from_secs(5))).unwrap();
    /// events.connect("inproc://push-events").unwrap();
    ///
    /// socket.monitor_to(None, EventSet::empty()).unwrap();
    /// let event = WireEvent::recv(&events).unwrap();
    /// assert_eq!(event.kind, EventKind::MonitorStopped);
    /// ```
    pub fn monitor_to(&self, endpoint: Option<&str>, events: EventSet) -> Result<()> {
        self.monitor_versioned(endpoint, events, FeedVersion::V1, SocketType::Pair)
    }

    /// [`monitor_to`](Self::monitor_to) in the layout `version` asks for, on a socket of
    /// type `socket_type` (libzmq's draft `zmq_socket_monitor_versioned`).
    ///
    /// [`FeedVersion::V2`] sends 64-bit event numbers and values, and both endpoints of a
    /// connection (see [`WireEventV2`](crate::WireEventV2)); only it can carry
    /// [`EventSet::PIPES_STATS`] (see [`monitor_pipes_stats`](Self::monitor_pipes_stats)).
    /// The feed goes out on a PAIR socket (read with PAIR), a PUSH (read with PULL: each
    /// event goes to one reader) or a PUB (read with SUB: every subscribed reader gets it;
    /// the first part, the event number, is the topic). Errors: another `socket_type`, or
    /// pipe statistics in version 1, are [`Error::InvalidArgument`](crate::Error::InvalidArgument); an endpoint that is
    /// not `inproc://`, [`Error::ProtocolNotSupported`](crate::Error::ProtocolNotSupported).
    ///
    /// ```
    /// use ferrozmq::{Context, EventKind, EventSet, FeedVersion, WireEventV2, PUB, PUSH, SUB};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let socket = ctx.socket(PUSH).unwrap();
    /// socket
    ///     .monitor_versioned(Some("inproc://push-v2"), EventSet::ALL_V2, FeedVersion::V2, PUB)
    ///     .unwrap();
    /// let events = ctx.socket(SUB).unwrap();
    /// events.options().set_rcvtimeo(Some(Duration::from_secs(5))).unwrap();
    /// events.connect("inproc://push-v2").unwrap();
    /// // Only LISTENING events: the topic is the event number's 8 bytes.
    /// events.subscribe(&0x0008u64.to_le_bytes()).unwrap();
    ///
    /// let endpoint = socket.bind("tcp://127.0.0.1:*").unwrap();
    /// let event = WireEventV2::recv(&events).unwrap();
    /// assert_eq!(event.kind(), Some(EventKind::Listening));
    /// assert_eq!(event.local_endpoint, endpoint);
    /// ```
    pub fn monitor_versioned(
        &self,
        endpoint: Option<&str>,
        events: EventSet,
        version: FeedVersion,
        socket_type: SocketType,
    ) -> Result<()> {
        let core = self.core();
        core.link
            .monitor
            .open_feed(&core.ctx, endpoint, events, version, socket_type)
    }

    /// Asks for one [`EventSet::PIPES_STATS`] event per pipe of this socket (one per
    /// connected peer) on the version 2 feed: the whole messages queued towards the peer
    /// (written, not yet taken by the connection) and those queued from it (not yet read
    /// by the application), then the connection's local and remote endpoints (libzmq's
    /// draft `zmq_socket_monitor_pipes_stats`). Queues move meanwhile: the counts are a
    /// snapshot.
    ///
    /// Errors: [`Error::InvalidArgument`](crate::Error::InvalidArgument) when no feed asks for pipe statistics,
    /// [`Error::Again`](crate::Error::Again) when the socket has no pipe.
    ///
    /// ```
    /// use ferrozmq::{Context, Error, EventSet, FeedVersion, WireEventV2, PAIR, PULL, PUSH};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let push = ctx.socket(PUSH).unwrap();
    /// assert!(matches!(push.monitor_pipes_stats(), Err(Error::InvalidArgument(_))));
    /// push.monitor_versioned(Some("inproc://stats"), EventSet::PIPES_STATS, FeedVersion::V2, PAIR)
    ///     .unwrap();
    /// assert_eq!(push.monitor_pipes_stats(), Err(Error::Again));
    ///
    /// let events = ctx.socket(PAIR).unwrap();
    /// events.options().set_rcvtimeo(Some(Duration::from_secs(5))).unwrap();
    /// events.connect("inproc://stats").unwrap();
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.bind("inproc://work").unwrap();
    /// push.connect("inproc://work").unwrap(); // the PULL reads nothing: the messages stay
    /// push.send("one").unwrap();
    /// push.send("two").unwrap();
    /// push.monitor_pipes_stats().unwrap();
    /// let stats = WireEventV2::recv(&events).unwrap();
    /// assert_eq!(stats.number, WireEventV2::PIPES_STATS);
    /// assert_eq!(stats.values, [2, 0]);
    /// assert_eq!(stats.remote_endpoint, "inproc://work");
    /// ```
    pub fn monitor_pipes_stats(&self) -> Result<()> {
        self.core().monitor_pipes_stats()
    }

    /// The socket's type (`ZMQ_TYPE`).
    pub fn socket_type(&self) -> SocketType {
        self.core().socket_type
    }

    /// The endpoint last bound or connected, with an ephemeral port resolved
    /// (`ZMQ_LAST_ENDPOINT`); `None` before the first.
    pub fn last_endpoint(&self) -> Option<String> {
        let core = self.core();
        (!core.last_endpoint.is_empty()).then(|| core.last_endpoint.clone())
    }

    /// Makes this socket an [`AsyncSocket`], whose sends and receives are futures.
    ///
    /// ```
    /// use ferrozmq::{Context, SUB};
    /// let sub = Context::new().socket(SUB).unwrap().into_async();
    /// sub.subscribe("weather").unwrap();
    /// ```
    pub fn into_async(self) -> AsyncSocket {
        AsyncSocket::new(self)
    }
}
