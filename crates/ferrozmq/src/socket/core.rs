//! The socket's own thread of control: its pipes, its pattern, its endpoints, and the
//! blocking loop around them.

use super::mailbox::{PeerDetails, SocketEvent, SocketLink};
use super::pattern::{self, Address, Pattern, PatternOption, RecvError, SendError};
use super::pipes::{Pipe, PipeTable};
use super::types::pattern_for;
use crate::context::{ContextShared, InprocSide};
use crate::endpoint::Endpoint;
use crate::engine::{Command, DatagramDirection, IoThread, Owner};
use crate::error::{Error, Result};
use crate::monitor::EventKind;
use crate::options::{millis, Options};
use crate::patterns::PipeId;
use crate::pipe::{pipe, Limit, PipeEnd, PipeLimits, ReadThrough};
use crate::signal::{Signal, Woken};
use crate::transport::ws::WsConfig;
use crate::transport::{udp, Listener, Target};
use bytes::Bytes;
use std::os::fd::AsRawFd;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long unbind, disconnect and close wait for the I/O thread to release the endpoint,
/// so that it can be bound again at once. Only a wedged I/O thread takes this long.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
use zmtp::{Message, SocketType};

/// An endpoint this socket bound or connected, for unbind and disconnect.
struct EndpointRecord {
    /// The endpoint as given, and as resolved (ephemeral port, `ipc://*`): either names it.
    /// Pipes made through the endpoint carry the last name.
    names: Vec<String>,
    bound: bool,
    kind: EndpointKind,
}

enum EndpointKind {
    /// A listener or connecting session on an I/O thread.
    Io {
        id: u64,
    },
    InprocBind {
        name: String,
    },
    InprocConnect,
}

/// What a socket could do without blocking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Readiness {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

/// What a blocking call waits for.
enum Waiting<'a> {
    /// The socket's events.
    ForEvents,
    /// Input, which a receive may read for itself: the connection it armed for that, if
    /// any (see [`SocketCore::wait`]).
    ForInput(&'a mut Option<Armed>),
}

/// A connection a blocking receive armed to read for itself; dropping it gives the input
/// back to the I/O thread, on every way out of the receive (a panic included).
struct Armed(Arc<dyn ReadThrough>);

impl Drop for Armed {
    fn drop(&mut self) {
        self.0.disarm();
    }
}

/// Whether a blocking receive of this type may read its connection itself: the types that
/// wait for an answer (request-reply, a pair), when they do (a send came first: see
/// `SocketCore::awaiting_answer`). A one-way stream's reader is best served by the I/O
/// thread reading ahead of it, many messages per system call.
fn reads_for_itself(socket_type: SocketType) -> bool {
    matches!(
        socket_type,
        SocketType::Req | SocketType::Rep | SocketType::Dealer | SocketType::Pair
    )
}

/// Whether two handles name the same owner.
fn same_owner(a: &Arc<dyn ReadThrough>, b: &Arc<dyn ReadThrough>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// What a send that may not wait did with its part.
pub(crate) enum TrySend {
    /// The socket took the part.
    Sent,
    /// No peer has room now: the part comes back, to be retried once the socket is woken.
    Full(Message),
}

pub(crate) struct SocketCore {
    pub(crate) id: u64,
    pub(crate) socket_type: SocketType,
    pub(crate) ctx: Arc<ContextShared>,
    pub(crate) link: Arc<SocketLink>,
    io: Option<Arc<IoThread>>,
    pub(crate) options: Options,
    pipes: PipeTable,
    pattern: Box<dyn Pattern>,
    endpoints: Vec<EndpointRecord>,
    pub(crate) last_endpoint: String,
    /// The last part received had MORE set.
    pub(crate) rcvmore: bool,
    /// A send went through since the last receive: the next receive waits for an answer,
    /// which it may read for itself (see [`wait`](Self::wait)).
    awaiting_answer: bool,
    events: Vec<SocketEvent>,
}

impl SocketCore {
    pub(crate) fn new(ctx: Arc<ContextShared>, socket_type: SocketType) -> Result<SocketCore> {
        let pattern = pattern_for(socket_type)?;
        let options = Options::default();
        let id = ctx.next_id();
        let link = Arc::new(SocketLink::new(socket_type, options.linger));
        ctx.register_socket(id, &link);
        Ok(SocketCore {
            id,
            socket_type,
            ctx,
            link,
            io: None,
            options,
            pipes: PipeTable::default(),
            pattern,
            endpoints: Vec::new(),
            last_endpoint: String::new(),
            rcvmore: false,
            awaiting_answer: false,
            events: Vec::new(),
        })
    }

    /// Applies what happened on the pipes since the last look.
    #[inline]
    pub(crate) fn process_events(&mut self) {
        if self.link.has_events() {
            self.take_events();
        }
    }

    fn take_events(&mut self) {
        let mut events = std::mem::take(&mut self.events);
        self.link.take_events(&mut events);
        for event in events.drain(..) {
            match event {
                SocketEvent::Attach(end, peer) => self.attach(end, peer),
                SocketEvent::Pipe { token, event } => {
                    pattern::on_pipe_event(&mut *self.pattern, &mut self.pipes, token, event)
                }
            }
        }
        self.events = events;
        self.reap();
    }

    fn attach(&mut self, end: PipeEnd, peer: PeerDetails) {
        let names = self.link.monitor.pipe_attached(&peer.endpoint);
        pattern::attach_pipe(
            &mut *self.pattern,
            &mut self.pipes,
            Pipe { end, peer, names },
        );
    }

    /// Removes the pipes the pattern found dead.
    fn reap(&mut self) {
        pattern::reap(&mut *self.pattern, &mut self.pipes);
    }

    fn deadline(timeout_ms: i32) -> Option<Instant> {
        millis(timeout_ms).map(|d| Instant::now() + d)
    }

    /// Runs `attempt` until it completes: at once with `dont_wait`, else waiting for the
    /// socket's events between tries until `timeout_ms` (-1: for ever) runs out. `attempt`
    /// returns `None` when it would block.
    fn blocking<T>(
        &mut self,
        dont_wait: bool,
        timeout_ms: i32,
        attempt: impl FnMut(&mut dyn Pattern, &mut PipeTable) -> Option<Result<T>>,
    ) -> Result<T> {
        self.blocking_as(Waiting::ForEvents, dont_wait, timeout_ms, attempt)
    }

    /// [`blocking`](Self::blocking) for a receive: it may wait on its connection itself
    /// (see [`wait`](Self::wait)).
    fn blocking_recv<T>(
        &mut self,
        dont_wait: bool,
        attempt: impl FnMut(&mut dyn Pattern, &mut PipeTable) -> Option<Result<T>>,
    ) -> Result<T> {
        // Outside a blocking receive the I/O thread watches the connection, as always: what
        // was armed is given back as `armed` goes.
        let mut armed = None;
        let timeout_ms = self.options.rcvtimeo;
        self.blocking_as(
            Waiting::ForInput(&mut armed),
            dont_wait,
            timeout_ms,
            attempt,
        )
    }

    fn blocking_as<T>(
        &mut self,
        mut waiting: Waiting<'_>,
        dont_wait: bool,
        timeout_ms: i32,
        mut attempt: impl FnMut(&mut dyn Pattern, &mut PipeTable) -> Option<Result<T>>,
    ) -> Result<T> {
        let mut deadline = None;
        loop {
            if self.link.is_terminated() {
                return Err(Error::Terminated);
            }
            self.process_events();
            let outcome = attempt(self.pattern.as_mut(), &mut self.pipes);
            self.reap();
            if let Some(result) = outcome {
                return result;
            }
            if dont_wait || timeout_ms == 0 {
                return Err(Error::Again);
            }
            let deadline = *deadline.get_or_insert_with(|| Self::deadline(timeout_ms));
            if !self.wait(deadline, &mut waiting) && !self.link.has_events() {
                return Err(Error::Again);
            }
        }
    }

    /// Sleeps until the socket's next event or `deadline`; false on timeout.
    ///
    /// A receive on a socket whose only pipe leads to a connection the I/O thread lent out
    /// waits on the connection's descriptor as well, and when it is readable reads what
    /// arrived into the pipe itself (see [`ReadThrough`]): the I/O thread, which no longer
    /// watches the descriptor meanwhile, is not woken for it. What it armed is kept in
    /// `waiting`, to be disarmed when the receive ends.
    fn wait(&mut self, deadline: Option<Instant>, waiting: &mut Waiting<'_>) -> bool {
        let Waiting::ForInput(armed) = waiting else {
            return self.link.wait(deadline);
        };
        if !self.awaiting_answer || !reads_for_itself(self.socket_type) || !Signal::can_wait_on_fd()
        {
            return self.link.wait(deadline);
        }
        let Some(reads) = self.pipes.sole_read_through() else {
            // A second pipe came (a new connection): a wait on the signal alone would leave
            // the first connection's input with nobody watching it.
            **armed = None;
            return self.link.wait(deadline);
        };
        // The only pipe changed since (a new connection): the old one is given back.
        if armed
            .as_ref()
            .is_some_and(|old| !same_owner(&old.0, &reads))
        {
            **armed = None;
        }
        let Some(fd) = reads.arm() else {
            return self.link.wait(deadline);
        };
        // Armed again in the same lending: kept as it is (a replaced guard would disarm).
        let reads = &armed.get_or_insert_with(|| Armed(reads)).0;
        match self.link.wait_or_readable(deadline, fd) {
            Some(Woken::Notified) => return true,
            Some(Woken::TimedOut) => return false,
            Some(Woken::Readable) if reads.read_through() => return true,
            // The I/O thread has the connection back: the pipe brings what arrives.
            Some(Woken::Readable) => {}
            None => **armed = None,
        }
        self.link.wait(deadline)
    }

    /// Sends one part, waiting as the flags and SNDTIMEO say.
    pub(crate) fn send(&mut self, msg: Message, dont_wait: bool) -> Result<()> {
        let mut pending = Some(msg);
        self.blocking(dont_wait, self.options.sndtimeo, |pattern, pipes| {
            let msg = pending.take()?;
            match pattern.send(pipes, msg) {
                Ok(()) => Some(Ok(())),
                Err(SendError::Fail(e)) => Some(Err(e)),
                Err(SendError::WouldBlock(back)) => {
                    pending = Some(back);
                    None
                }
            }
        })?;
        self.awaiting_answer = true;
        Ok(())
    }

    /// Receives one part, waiting as the flags and RCVTIMEO say.
    pub(crate) fn recv(&mut self, dont_wait: bool) -> Result<Message> {
        let msg = self.blocking_recv(dont_wait, |pattern, pipes| match pattern.recv(pipes) {
            Ok(msg) => Some(Ok(msg)),
            Err(RecvError::Fail(e)) => Some(Err(e)),
            Err(RecvError::WouldBlock) => None,
        })?;
        self.rcvmore = msg.more();
        self.awaiting_answer = false;
        Ok(msg)
    }

    /// The properties of the connection the last part received came through.
    pub(crate) fn last_properties(&mut self) -> crate::properties::Properties {
        self.pipes.last_read_properties()
    }

    /// Sends a single-part message to an address (a peer's routing id, a group).
    pub(crate) fn send_to(&mut self, to: Address, msg: Message, dont_wait: bool) -> Result<()> {
        let mut pending = Some(msg);
        self.blocking(dont_wait, self.options.sndtimeo, |pattern, pipes| {
            let msg = pending.take()?;
            match pattern.send_to(pipes, &to, msg) {
                Ok(()) => Some(Ok(())),
                Err(SendError::Fail(e)) => Some(Err(e)),
                Err(SendError::WouldBlock(back)) => {
                    pending = Some(back);
                    None
                }
            }
        })
    }

    /// Drops the peer with this routing id (SERVER, PEER).
    pub(crate) fn disconnect_peer(&mut self, routing_id: u32) -> Result<()> {
        self.check_alive()?;
        let outcome = self.pattern.disconnect_peer(&mut self.pipes, routing_id);
        self.reap();
        outcome
    }

    /// Receives a single-part message with the address it came from or was sent to.
    pub(crate) fn recv_from(&mut self, dont_wait: bool) -> Result<(Address, Message)> {
        self.blocking_recv(dont_wait, |pattern, pipes| match pattern.recv_from(pipes) {
            Ok(received) => Some(Ok(received)),
            Err(RecvError::Fail(e)) => Some(Err(e)),
            Err(RecvError::WouldBlock) => None,
        })
    }

    /// Sends one part if the socket can take it now. Unlike `send` with `dont_wait`, a part
    /// refused for want of room comes back instead of being dropped: the async API keeps it
    /// and retries when woken.
    pub(crate) fn try_send(&mut self, msg: Message) -> Result<TrySend> {
        self.send_once(|pattern, pipes| pattern.send(pipes, msg))
    }

    /// [`try_send`](Self::try_send) for a single-part message to an address.
    pub(crate) fn try_send_to(&mut self, to: &Address, msg: Message) -> Result<TrySend> {
        self.send_once(|pattern, pipes| pattern.send_to(pipes, to, msg))
    }

    fn send_once(
        &mut self,
        attempt: impl FnOnce(&mut dyn Pattern, &mut PipeTable) -> std::result::Result<(), SendError>,
    ) -> Result<TrySend> {
        self.check_alive()?;
        self.process_events();
        let outcome = attempt(self.pattern.as_mut(), &mut self.pipes);
        self.reap();
        match outcome {
            Ok(()) => Ok(TrySend::Sent),
            Err(SendError::WouldBlock(msg)) => Ok(TrySend::Full(msg)),
            Err(SendError::Fail(e)) => Err(e),
        }
    }

    /// Whether a receive and a send would go through now (`ZMQ_EVENTS`).
    pub(crate) fn poll_events(&mut self) -> Result<Readiness> {
        if self.link.is_terminated() {
            return Err(Error::Terminated);
        }
        self.process_events();
        let readiness = Readiness {
            readable: self.pattern.has_in(&mut self.pipes),
            writable: self.pattern.has_out(&mut self.pipes),
        };
        self.reap();
        Ok(readiness)
    }

    /// Waits until at least `count` peers have subscribed (PUB, XPUB) or joined a group
    /// (RADIO), as long as `timeout_ms` allows (-1: for ever).
    pub(crate) fn wait_for_subscribers(&mut self, count: usize, timeout_ms: i32) -> Result<()> {
        self.process_events();
        if self.pattern.subscribers().is_none() {
            return Err(Error::NotSupported);
        }
        self.blocking(false, timeout_ms, |pattern, _| {
            (pattern.subscribers().unwrap_or(0) >= count).then_some(Ok(()))
        })
    }

    /// PUB, XPUB, SUB, XSUB: distinct prefixes subscribed (`ZMQ_TOPICS_COUNT`).
    pub(crate) fn topics_count(&mut self) -> Result<usize> {
        self.process_events();
        let count = self.pattern.topics_count();
        self.reap();
        count.ok_or(Error::InvalidArgument(
            "TOPICS_COUNT applies to PUB, XPUB, SUB and XSUB",
        ))
    }

    /// ROUTER: whether a peer has room for a message now.
    pub(crate) fn peer_writable(&mut self, routing_id: &[u8]) -> Result<bool> {
        self.process_events();
        let writable = self.pattern.peer_writable(&mut self.pipes, routing_id);
        self.reap();
        writable
    }

    /// Whole messages queued on the socket's pipes that no connection has taken yet.
    pub(crate) fn unsent(&mut self) -> usize {
        self.process_events();
        let mut queued = 0u64;
        for id in self.pipes.ids() {
            if let Some(pipe) = self.pipes.get(id) {
                queued += pipe.end.unread();
            }
        }
        usize::try_from(queued).unwrap_or(usize::MAX)
    }

    /// Sends the wire feed one pipe statistics event per pipe (`zmq_socket_monitor_pipes_stats`).
    pub(crate) fn monitor_pipes_stats(&mut self) -> Result<()> {
        self.process_events();
        let monitor = &self.link.monitor;
        if !monitor.wants_pipes_stats() {
            return Err(Error::InvalidArgument(
                "no monitor feed asks for pipe statistics",
            ));
        }
        let ids = self.pipes.ids();
        if ids.is_empty() {
            return Err(Error::Again);
        }
        let mut stats = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(pipe) = self.pipes.get(id) {
                let (outbound, inbound) = (pipe.end.unread(), pipe.end.queued_inbound());
                stats.push((
                    pipe.peer.endpoint.clone(),
                    pipe.names.clone(),
                    outbound,
                    inbound,
                ));
            }
        }
        self.link.monitor.emit_pipes_stats(
            stats
                .iter()
                .map(|(endpoint, names, out, inb)| (&**endpoint, names.as_ref(), *out, *inb)),
        );
        Ok(())
    }

    /// Hands a routing option to the socket type.
    pub(crate) fn set_pattern_option(&mut self, option: PatternOption) -> Result<()> {
        self.pattern.set_option(option)
    }

    pub(crate) fn subscribe(&mut self, prefix: &[u8], on: bool) -> Result<()> {
        self.process_events();
        let result = self.pattern.subscribe(&mut self.pipes, prefix, on);
        self.reap();
        result
    }

    pub(crate) fn change_membership(&mut self, group: &[u8], join: bool) -> Result<()> {
        self.process_events();
        let result = self.pattern.change_membership(&mut self.pipes, group, join);
        self.reap();
        result
    }

    fn io(&mut self) -> Result<Arc<IoThread>> {
        if let Some(io) = &self.io {
            return Ok(io.clone());
        }
        let io = self.ctx.io_thread(self.options.affinity)?;
        self.io = Some(io.clone());
        Ok(io)
    }

    fn owner(&self, endpoint_id: u64, endpoint: &str) -> Owner {
        Owner {
            socket_id: self.id,
            endpoint_id,
            link: self.link.clone(),
            options: Arc::new(self.options.clone()),
            endpoint: Arc::from(endpoint),
            zap: self.ctx.zap_directory(),
        }
    }

    fn inproc_side(&self) -> InprocSide {
        InprocSide {
            link: self.link.clone(),
            socket_type: self.socket_type,
            routing_id: self.options.routing_id.clone(),
            outbound: self.options.outbound_limit(self.socket_type),
            inbound: self.options.inbound_limit(self.socket_type),
            hello: self.options.hello_msg.clone().map(Message::from_bytes),
            // Only the binder's counts: DISCONNECT_MSG is about peers that came to it.
            disconnect: self.options.disconnect_msg.clone().map(Message::from_bytes),
        }
    }

    pub(crate) fn bind(&mut self, text: &str) -> Result<()> {
        self.check_alive()?;
        let endpoint = Endpoint::parse(text)?;
        self.check_transport(&endpoint, text)?;
        if let Endpoint::Inproc(name) = &endpoint {
            let waiting = self.ctx.inproc_bind(name, self.id, self.inproc_side())?;
            for (end, peer) in waiting {
                self.attach(end, peer);
            }
            self.last_endpoint = text.to_string();
            self.endpoints.push(EndpointRecord {
                names: vec![text.to_string()],
                bound: true,
                kind: EndpointKind::InprocBind { name: name.clone() },
            });
            return Ok(());
        }
        let monitor = &self.link.monitor;
        if let Endpoint::Udp { .. } = &endpoint {
            // As in libzmq, only a DISH binds udp, to receive whatever is sent there, and a
            // DGRAM, to exchange datagrams with whoever writes to it.
            let direction = match self.socket_type {
                SocketType::Dish => DatagramDirection::Receive,
                SocketType::Dgram => DatagramDirection::Addressed,
                _ => return Err(Error::ProtocolNotSupported(text.to_string())),
            };
            let (socket, bound) = udp::bind(&endpoint, self.options.ipv6)
                .inspect_err(|e| monitor.emit_now(EventKind::BindFailed, e.errno() as u32, text))?;
            monitor.emit_now(EventKind::Listening, socket.as_raw_fd() as u32, &bound);
            let names = bind_names(text, bound);
            self.open_datagram(socket, direction, names, true)?;
            return Ok(());
        }
        self.options.security.validate()?;
        let listening = match self.options.use_fd {
            Some(fd) => Listener::adopt(
                &endpoint,
                fd,
                WsConfig::for_options(&self.options, self.socket_type),
            ),
            None => Listener::bind(
                &endpoint,
                self.options.ipv6,
                self.options.backlog,
                &self.options.tuning,
                WsConfig::for_options(&self.options, self.socket_type),
            ),
        };
        let (listener, bound) = listening
            .inspect_err(|e| monitor.emit_now(EventKind::BindFailed, e.errno() as u32, text))?;
        monitor.emit_now(EventKind::Listening, listener.as_raw_fd() as u32, &bound);
        let io = self.io()?;
        let id = self.ctx.next_id();
        io.send(Command::Listen {
            listener,
            owner: self.owner(id, &bound),
        });
        self.last_endpoint = bound.clone();
        self.endpoints.push(EndpointRecord {
            names: bind_names(text, bound),
            bound: true,
            kind: EndpointKind::Io { id },
        });
        Ok(())
    }

    /// Connects, and returns the address the pattern gave the new peer (PEER).
    pub(crate) fn connect_addressed(&mut self, text: &str) -> Result<Option<Address>> {
        let pipe = self.connect_pipe(text)?;
        Ok(pipe.and_then(|id| self.pattern.address_of(id)))
    }

    pub(crate) fn connect(&mut self, text: &str) -> Result<()> {
        self.connect_pipe(text).map(|_| ())
    }

    /// Connects; returns the pipe made at once, when the pipe does not wait for the
    /// connection.
    fn connect_pipe(&mut self, text: &str) -> Result<Option<PipeId>> {
        self.check_alive()?;
        let endpoint = Endpoint::parse(text)?;
        self.check_transport(&endpoint, text)?;
        if let Endpoint::Inproc(name) = &endpoint {
            let (end, binder_id) = self.ctx.inproc_connect(name, self.inproc_side())?;
            let peer = PeerDetails {
                routing_id: self.options.connect_routing_id.take().unwrap_or(binder_id),
                endpoint: Arc::from(text),
            };
            let id = self.pipes.insert(Pipe {
                end,
                peer,
                names: None,
            });
            self.pattern.attach(&mut self.pipes, id);
            self.reap();
            self.last_endpoint = text.to_string();
            self.endpoints.push(EndpointRecord {
                names: vec![text.to_string()],
                bound: false,
                kind: EndpointKind::InprocConnect,
            });
            return Ok(Some(id));
        }
        // Name the endpoint as the application wrote it (`:0`, not the parsed `:*`).
        let as_written = |e| match e {
            Error::InvalidEndpoint(_) => Error::InvalidEndpoint(text.to_string()),
            e => e,
        };
        if let Endpoint::Udp { .. } = &endpoint {
            // As in libzmq, only a RADIO connects udp: it sends there.
            if self.socket_type != SocketType::Radio {
                return Err(Error::ProtocolNotSupported(text.to_string()));
            }
            let (socket, to) = udp::sender(
                &endpoint,
                self.options.ipv6,
                self.options.multicast_hops,
                self.options.multicast_loop,
            )
            .map_err(as_written)?;
            let fd = socket.as_raw_fd() as u32;
            let names = vec![text.to_string()];
            let id = self.open_datagram(socket, DatagramDirection::Send { to }, names, false)?;
            self.link.monitor.emit_now(EventKind::Connected, fd, text);
            return Ok(Some(id));
        }
        self.options.security.validate()?;
        let target =
            Target::resolve(&endpoint, &self.options, self.socket_type).map_err(as_written)?;
        let io = self.io()?;
        let id = self.ctx.next_id();
        let owner = self.owner(id, text);
        let assigned_id = self.options.connect_routing_id.take();
        // The pipe outlives connections unless messages should only queue to live peers:
        // with IMMEDIATE; for publishers, whose subscription state belongs to one
        // connection (nothing must queue for a subscriber that is gone); and for sockets
        // that address peers by the id they announce, unless CONNECT_ROUTING_ID named the
        // peer in advance. (Subscribers and dishes keep their pipe: the connection re-sends
        // their subscriptions and joins after each reconnect.)
        let per_connection = self.options.immediate
            || matches!(
                self.socket_type,
                SocketType::Pub | SocketType::XPub | SocketType::Radio
            )
            || (self.socket_type == SocketType::Router && assigned_id.is_none());
        // (A STREAM's pipe outlives connections too: data sent before the connection is
        // made, or between reconnections, waits in it, as in libzmq.)
        let (end, pipe) = if per_connection {
            (None, None)
        } else {
            let (mine, theirs) = pipe(
                self.link.clone(),
                io.clone(),
                PipeLimits {
                    a_to_b: self.options.outbound_limit(self.socket_type),
                    b_to_a: self.options.inbound_limit(self.socket_type),
                },
            );
            let pid = self.pipes.insert(Pipe {
                end: mine,
                peer: PeerDetails {
                    routing_id: assigned_id.unwrap_or_default(),
                    endpoint: Arc::from(text),
                },
                names: None,
            });
            self.pattern.attach(&mut self.pipes, pid);
            self.reap();
            if self.socket_type == SocketType::Stream {
                // How libzmq tells a STREAM's application the id of the connection it
                // just made: the socket's ROUTING_ID becomes it.
                if let Some(id) = self.pattern.routing_id_of(pid) {
                    self.options.routing_id = id;
                }
            }
            (Some(theirs), Some(pid))
        };
        io.send(Command::Connect { target, end, owner });
        self.last_endpoint = text.to_string();
        self.endpoints.push(EndpointRecord {
            names: vec![text.to_string()],
            bound: false,
            kind: EndpointKind::Io { id },
        });
        Ok(pipe)
    }

    /// STREAM carries the bytes of a tcp or ipc connection: inproc and udp have none.
    /// DGRAM carries udp datagrams, and nothing else.
    fn check_transport(&self, endpoint: &Endpoint, text: &str) -> Result<()> {
        let fits = match self.socket_type {
            SocketType::Stream => matches!(endpoint, Endpoint::Tcp { .. } | Endpoint::Ipc(_)),
            SocketType::Dgram => matches!(endpoint, Endpoint::Udp { .. }),
            _ => true,
        };
        if !fits {
            return Err(Error::ProtocolNotSupported(text.to_string()));
        }
        Ok(())
    }

    /// Hands a udp socket to an I/O thread with the engine's end of a new pipe, the
    /// socket's end attached at once: there is no connection to wait for. `names` are the
    /// endpoint's, the last one naming the pipe.
    fn open_datagram(
        &mut self,
        socket: mio::net::UdpSocket,
        direction: DatagramDirection,
        names: Vec<String>,
        bound: bool,
    ) -> Result<PipeId> {
        let io = self.io()?;
        let id = self.ctx.next_id();
        let name = names.last().cloned().unwrap_or_default();
        let (mine, theirs) = pipe(
            self.link.clone(),
            io.clone(),
            PipeLimits {
                a_to_b: self.options.outbound_limit(self.socket_type),
                b_to_a: self.options.inbound_limit(self.socket_type),
            },
        );
        let pid = self.pipes.insert(Pipe {
            end: mine,
            peer: PeerDetails {
                routing_id: Bytes::new(),
                endpoint: Arc::from(name.as_str()),
            },
            names: None,
        });
        self.pattern.attach(&mut self.pipes, pid);
        self.reap();
        io.send(Command::Datagram {
            socket,
            direction,
            end: theirs,
            owner: self.owner(id, &name),
        });
        self.last_endpoint = name;
        self.endpoints.push(EndpointRecord {
            names,
            bound,
            kind: EndpointKind::Io { id },
        });
        Ok(pid)
    }

    /// Unbinds (`bind == true`) or disconnects an endpoint.
    pub(crate) fn remove_endpoint(&mut self, text: &str, bind: bool) -> Result<()> {
        self.check_alive()?;
        let position = self
            .endpoints
            .iter()
            .position(|r| r.bound == bind && r.names.iter().any(|n| n == text));
        let Some(position) = position else {
            return Err(Error::NoSuchEndpoint(text.to_string()));
        };
        let record = self.endpoints.remove(position);
        match &record.kind {
            EndpointKind::InprocBind { name } => self.ctx.inproc_unbind(name, self.id)?,
            EndpointKind::InprocConnect => {}
            EndpointKind::Io { id } => {
                if let Some(io) = &self.io {
                    let (done, closed) = mpsc::channel();
                    io.send(Command::CloseEndpoint {
                        socket_id: self.id,
                        endpoint_id: *id,
                        done,
                    });
                    let _ = closed.recv_timeout(CLOSE_WAIT);
                }
            }
        }
        // The endpoint's connections go with it (their queued messages linger as usual).
        for id in self.pipes.ids() {
            let through = self.pipes.get(id).map(|p| p.peer.endpoint.clone());
            if through.is_some_and(|e| record.names.iter().any(|n| **n == *e)) {
                self.pattern.detach(&mut self.pipes, id);
                self.pipes.remove(id);
            }
        }
        Ok(())
    }

    /// Gives every pipe the socket's current SNDHWM and RCVHWM as its shares of the pipes'
    /// high-water marks (a conflating pipe keeps its single slot).
    pub(crate) fn apply_high_water_marks(&mut self) {
        self.process_events();
        let outbound = self.options.outbound_limit(self.socket_type);
        let inbound = self.options.inbound_limit(self.socket_type);
        for id in self.pipes.ids() {
            let end = self.pipes.end(id);
            if let Limit::Messages(share) = outbound {
                end.set_send_share(share);
            }
            if let Limit::Messages(share) = inbound {
                end.set_recv_share(share);
            }
        }
        self.reap();
    }

    fn check_alive(&self) -> Result<()> {
        if self.link.is_terminated() {
            Err(Error::Terminated)
        } else {
            Ok(())
        }
    }

    /// Closes the socket: pipes close (their queued messages linger in the I/O threads as
    /// LINGER allows), endpoints go away.
    pub(crate) fn close(&mut self) {
        drop(self.link.close());
        drop(self.pipes.drain());
        if let Some(io) = &self.io {
            let (done, closed) = mpsc::channel();
            io.send(Command::CloseSocket {
                socket_id: self.id,
                done,
            });
            let _ = closed.recv_timeout(CLOSE_WAIT);
        }
        // After the I/O thread closed the listeners, so that their CLOSED events come first.
        self.link.monitor.stop();
        self.ctx.unregister_socket(self.id);
    }
}

/// The names a bound endpoint answers to for `unbind`: as bound (the port chosen, the path
/// made up), and as given unless what was given was a wildcard (an ephemeral tcp port, or
/// `ipc://*`), which names no endpoint in particular: libzmq refuses to unbind by it too.
fn bind_names(given: &str, bound: String) -> Vec<String> {
    let wildcard = given.ends_with(":*") || given == "ipc://*";
    if wildcard {
        vec![bound]
    } else {
        vec![given.to_string(), bound]
    }
}
