//! A connection in raw mode, for STREAM sockets: no greeting, no handshake, no framing.
//! The bytes that arrive go to the socket as they come, one message per read; each message
//! the socket sends is written as it is. An empty message tells the socket that the
//! connection was made or lost (STREAM_NOTIFY); the socket letting go of the pipe closes the
//! connection, once what it queued before is written.
//!
//! This is the ZMTP [`Session`](super::session::Session)'s sibling: the reactor picks one or
//! the other by socket type ([`super::is_raw`]), and both serve the same [`MessagePump`]
//! interface.
//!
//! Nearly 700 lines, on purpose: it is the whole life of a raw connection (connect,
//! reconnect, the read and write pumps, the notifications) in one loop, as a session is;
//! splitting it the session's way would give files that are only read together.
//!
//! Memory stays bounded: a read takes at most [`READ_SIZE`] bytes (or MAXMSGSIZE, if
//! smaller), into a buffer the I/O thread shares among its connections; a message the
//! inbound pipe has no room for stops reading until the socket makes room (RCVHWM); and at
//! most [`WRITE_BATCH`] bytes are taken from the outbound pipe ahead of the kernel (SNDHWM
//! bounds the rest).

use super::pump::{Ctx, MessagePump, Readiness, Step};
use super::reason::Reason;
use super::Owner;
use crate::monitor::{disconnect_reason, EventKind};
use crate::options::{millis, RECONNECT_STOP_AFTER_DISCONNECT, RECONNECT_STOP_CONN_REFUSED};
use crate::pipe::{pipe, PipeEnd, PipeEvent, PipeLimits, Read, WriteError};
use crate::properties::Properties;
use crate::socket::mailbox::{PeerDetails, SocketEvent};
use crate::transport::{Stream, Target};
use bytes::Bytes;
use mio::{Registry, Token};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};
use zmtp::Message;

/// Most bytes one read takes, and so the largest message a read makes.
const READ_SIZE: usize = 64 * 1024;
/// Bytes taken from the pipe ahead of the kernel.
const WRITE_BATCH: usize = 64 * 1024;
/// Bytes a connection may read or write in one turn before others get theirs.
const TURN_BUDGET: usize = 1024 * 1024;
/// Most slices handed to one vectored write.
const MAX_IOV: usize = 64;

thread_local! {
    /// The read buffer of this I/O thread's raw connections: each read is copied out into a
    /// message of its exact size, so an idle connection holds no buffer.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// How the connection came to be.
enum Origin {
    /// Through a listener: one connection, then gone.
    Accepted,
    /// Through connect: reconnects as RECONNECT_IVL says.
    Connect {
        target: Target,
        /// Attempts so far, to rotate through the resolved addresses.
        attempt: usize,
        /// The next reconnection interval (grows up to RECONNECT_IVL_MAX); `None` once
        /// reconnection stopped.
        interval: Option<Duration>,
        retry_at: Option<Instant>,
        /// The pipe outlives connections: data waits in it while disconnected.
        persistent: bool,
    },
}

/// A live (or connecting) byte stream.
struct Link {
    stream: Stream,
    connecting: bool,
    /// CONNECT_TIMEOUT: a connect still under way then is abandoned.
    connect_until: Option<Instant>,
    /// The poller reported the peer's end of stream or an error: from then on every read
    /// goes on until the stream says so, as no new event will come.
    hung_up: bool,
    /// Messages taken from the pipe and not yet all written; `written` bytes of the front
    /// one are.
    unsent: VecDeque<Bytes>,
    written: usize,
    unsent_bytes: usize,
    /// The peer's IP address (tcp), for the `Peer-Address` property.
    peer_address: String,
}

impl Link {
    /// Writes what is unsent; `Ok(true)` when all of it went.
    fn write_unsent(&mut self, budget: &mut usize) -> io::Result<bool> {
        while !self.unsent.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let mut n = 0;
            for (i, chunk) in self.unsent.iter().take(MAX_IOV).enumerate() {
                let from = if i == 0 { self.written } else { 0 };
                slices[n] = IoSlice::new(&chunk[from..]);
                n += 1;
            }
            match self.stream.write_vectored(&slices[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(mut done) => {
                    self.unsent_bytes -= done;
                    *budget = budget.saturating_sub(done);
                    while done > 0 {
                        let left = self.unsent[0].len() - self.written;
                        if done < left {
                            self.written += done;
                            break;
                        }
                        done -= left;
                        self.written = 0;
                        self.unsent.pop_front();
                    }
                    if *budget == 0 {
                        return Ok(self.unsent.is_empty());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// See the module documentation.
pub(super) struct RawConnection {
    owner: Owner,
    origin: Origin,
    /// The engine's end of the socket's pipe.
    end: Option<PipeEnd>,
    link: Option<Link>,
    /// A chunk read that the inbound pipe had no room for.
    stalled: Option<Message>,
    /// The socket let go of the pipe: the connection closes once what was queued is
    /// written, or at this deadline (`Some(None)`: no deadline).
    closing: Option<Option<Instant>>,
    /// Everything the socket queued has been taken from the pipe.
    drained: bool,
}

impl RawConnection {
    /// A connection that connects to `target`.
    pub(super) fn connect(
        owner: Owner,
        target: Target,
        end: Option<PipeEnd>,
        ctx: &mut Ctx<'_>,
    ) -> RawConnection {
        if let Some(end) = &end {
            end.register(ctx.token);
        }
        let mut connection = RawConnection {
            origin: Origin::Connect {
                target,
                attempt: 0,
                interval: millis(owner.options.reconnect_ivl),
                retry_at: None,
                persistent: end.is_some(),
            },
            owner,
            end,
            link: None,
            stalled: None,
            closing: None,
            drained: false,
        };
        connection.start_connect(ctx);
        connection
    }

    /// A connection a listener accepted; fails when the stream cannot be registered or
    /// the socket is gone.
    pub(super) fn accepted(
        owner: Owner,
        stream: Stream,
        ctx: &mut Ctx<'_>,
    ) -> io::Result<RawConnection> {
        let mut connection = RawConnection {
            origin: Origin::Accepted,
            owner,
            end: None,
            link: None,
            stalled: None,
            closing: None,
            drained: false,
        };
        stream.tune(&connection.owner.options.tuning);
        connection.open(stream, false, ctx)?;
        Ok(connection)
    }

    fn open(&mut self, mut stream: Stream, connecting: bool, ctx: &mut Ctx<'_>) -> io::Result<()> {
        stream.register(ctx.registry, Token(ctx.token as usize))?;
        let connect_until = millis(self.owner.options.connect_timeout)
            .filter(|d| connecting && !d.is_zero())
            .map(|d| Instant::now() + d);
        if let Some(when) = connect_until {
            ctx.wake_at(when);
        }
        self.link = Some(Link {
            peer_address: stream.peer_ip(),
            stream,
            connecting,
            connect_until,
            hung_up: false,
            unsent: VecDeque::new(),
            written: 0,
            unsent_bytes: 0,
        });
        if !connecting {
            self.connected(ctx)?;
        }
        Ok(())
    }

    /// The connection is up: give the socket its pipe (or tell it through the one it has)
    /// and start moving bytes.
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        let Some(link) = self.link.as_mut() else {
            return Ok(());
        };
        link.connecting = false;
        link.stream.set_nodelay();
        if link.peer_address.is_empty() {
            link.peer_address = link.stream.peer_ip();
        }
        let properties =
            Properties::of_address(&link.peer_address).with_source_fd(link.stream.as_raw_fd());
        if let Origin::Connect { interval, .. } = &mut self.origin {
            *interval = millis(self.owner.options.reconnect_ivl);
        }
        match self.end.as_mut() {
            Some(end) => end.set_properties(properties),
            None => {
                if self.closing.is_some() || self.owner.link.is_closed() {
                    return Err(io::ErrorKind::NotConnected.into());
                }
                let options = &self.owner.options;
                let socket_type = self.owner.link.socket_type;
                let (socket_end, engine_end) = pipe(
                    self.owner.link.clone(),
                    ctx.io.clone(),
                    PipeLimits {
                        a_to_b: options.outbound_limit(socket_type),
                        b_to_a: options.inbound_limit(socket_type),
                    },
                );
                engine_end.register(ctx.token);
                engine_end.set_properties(properties);
                self.end = Some(engine_end);
                self.owner.link.post(SocketEvent::Attach(
                    socket_end,
                    PeerDetails {
                        routing_id: Bytes::new(),
                        endpoint: self.owner.endpoint.clone(),
                    },
                ));
            }
        }
        if self.owner.options.stream_notify {
            if let Some(end) = self.end.as_mut() {
                // A marker, not data: it does not wait for room under RCVHWM, and there is
                // one per connection event.
                end.send_control(Message::new());
            }
        }
        // Input needs no nudge: a freshly registered stream reports what is waiting.
        self.pump_output(ctx)
    }

    fn start_connect(&mut self, ctx: &mut Ctx<'_>) {
        let Origin::Connect {
            target, attempt, ..
        } = &mut self.origin
        else {
            return;
        };
        let result = target.connect(*attempt, &self.owner.options.tuning);
        *attempt = attempt.wrapping_add(1);
        match result {
            Ok(stream) => {
                let pending = stream.connect_may_be_pending();
                match self.open(stream, true, ctx) {
                    Err(_) => {
                        self.link = None;
                        self.schedule_reconnect(ctx);
                    }
                    Ok(()) if pending => {
                        self.report(
                            EventKind::ConnectDelayed,
                            crate::sys::errno::EINPROGRESS as u32,
                        );
                    }
                    Ok(()) => {}
                }
            }
            Err(e) => {
                if self.stops_reconnecting(&e, false) {
                    self.give_up();
                } else {
                    self.schedule_reconnect(ctx);
                }
            }
        }
    }

    /// Whether RECONNECT_STOP says to give up after this failure.
    fn stops_reconnecting(&self, cause: &io::Error, was_connected: bool) -> bool {
        let stop = self.owner.options.reconnect_stop;
        let refused = cause.kind() == io::ErrorKind::ConnectionRefused
            || cause.raw_os_error() == Some(crate::sys::errno::ENOENT);
        (!was_connected && refused && stop & RECONNECT_STOP_CONN_REFUSED != 0)
            || (was_connected && stop & RECONNECT_STOP_AFTER_DISCONNECT != 0)
    }

    fn give_up(&mut self) {
        if let Origin::Connect { interval, .. } = &mut self.origin {
            *interval = None;
        }
    }

    /// Arms the reconnection timer; false when reconnection is off.
    fn schedule_reconnect(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let max = millis(self.owner.options.reconnect_ivl_max);
        let Origin::Connect {
            interval, retry_at, ..
        } = &mut self.origin
        else {
            return false;
        };
        let Some(delay) = *interval else {
            return false;
        };
        let when = Instant::now() + delay;
        *retry_at = Some(when);
        ctx.wake_at(when);
        if let Some(max) = max.filter(|m| *m > delay) {
            *interval = Some((delay * 2).min(max));
        }
        let millis = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
        self.report(EventKind::ConnectRetried, millis);
        true
    }

    /// Hands a chunk to the socket; false when the pipe is full (the chunk waits).
    fn deliver(&mut self, mut msg: Message) -> bool {
        let Some(end) = self.end.as_mut() else {
            return true;
        };
        loop {
            match end.write(msg) {
                Ok(()) => return true,
                Err(WriteError::Full(m)) => {
                    end.flush();
                    if !end.wait_writable() {
                        self.stalled = Some(m);
                        return false;
                    }
                    msg = m;
                }
                // The socket let go; what the peer sends goes nowhere.
                Err(WriteError::Closed(_)) => return true,
            }
        }
    }

    /// Reads until the stream is drained, the pipe is full or the turn is over.
    fn pump_input(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        if let Some(msg) = self.stalled.take() {
            if !self.deliver(msg) {
                return Ok(());
            }
        }
        let limit = match self.owner.options.max_message_size() {
            Some(max) => usize::try_from(max)
                .unwrap_or(usize::MAX)
                .clamp(1, READ_SIZE),
            None => READ_SIZE,
        };
        let mut budget = TURN_BUDGET;
        while let Some(link) = self.link.as_mut().filter(|l| !l.connecting) {
            if budget == 0 {
                ctx.run_again();
                break;
            }
            let fd = link.stream.as_raw_fd();
            let read = SCRATCH.with_borrow_mut(|scratch| {
                scratch.clear();
                scratch.reserve(limit);
                crate::sys::read_into_vec(fd, scratch, limit)
                    .map(|n| (n > 0).then(|| Message::from_slice(&scratch[..n])))
            });
            match read {
                Ok(None) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(Some(chunk)) => {
                    // A short read emptied the socket; readiness is edge-triggered, so new
                    // bytes bring a new event (unless the peer hung up: read on to the end).
                    let drained = chunk.len() < limit && !link.hung_up;
                    budget = budget.saturating_sub(chunk.len());
                    if !self.deliver(chunk) || drained {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(end) = self.end.as_mut() {
            end.flush();
        }
        Ok(())
    }

    /// Takes what the socket queued and writes it, many messages per system call.
    fn pump_output(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        let RawConnection {
            link, end, drained, ..
        } = self;
        let Some(link) = link.as_mut().filter(|l| !l.connecting) else {
            return Ok(());
        };
        let mut budget = TURN_BUDGET;
        loop {
            while link.unsent_bytes < WRITE_BATCH && !*drained {
                let Some(end) = end.as_mut() else { break };
                match end.read() {
                    Read::Message(msg) => {
                        let bytes = msg.into_bytes();
                        if !bytes.is_empty() {
                            link.unsent_bytes += bytes.len();
                            link.unsent.push_back(bytes);
                        }
                    }
                    Read::Empty => break,
                    Read::Closed => *drained = true,
                }
            }
            if link.unsent.is_empty() {
                return Ok(());
            }
            if !link.write_unsent(&mut budget)? {
                if budget == 0 {
                    ctx.run_again();
                }
                return Ok(());
            }
        }
    }

    /// The socket let go of the pipe: close once what it queued is written. When the
    /// socket closed, or dropped the endpoint (`by_socket`), LINGER bounds the wait; when
    /// the application closed only this connection, the peer reading (or leaving) does,
    /// until the socket itself closes.
    fn start_closing(&mut self, by_socket: bool, ctx: &mut Ctx<'_>) {
        if matches!(self.closing, Some(Some(_))) || (self.closing.is_some() && !by_socket) {
            return;
        }
        let until = if by_socket {
            let linger = self
                .owner
                .link
                .linger
                .load(std::sync::atomic::Ordering::Acquire);
            millis(linger).map(|d| Instant::now() + d)
        } else {
            None
        };
        if let Some(when) = until {
            ctx.wake_at(when);
        }
        self.closing = Some(until);
    }

    /// Whether the connection still has work.
    fn step(&mut self) -> Step {
        let Some(until) = self.closing else {
            return Step::Keep;
        };
        if until.is_some_and(|t| Instant::now() >= t) {
            return Step::Remove;
        }
        match &self.link {
            // Written all the socket queued before it let go.
            Some(link) if !link.connecting => {
                if self.drained && link.unsent.is_empty() {
                    Step::Remove
                } else {
                    Step::Keep
                }
            }
            // Not connected: no reason to wait for a peer.
            _ => Step::Remove,
        }
    }

    /// The connection is gone: tell the socket, and reconnect if this side connected.
    fn lost(&mut self, cause: io::Error, ctx: &mut Ctx<'_>) -> Step {
        let Some(mut link) = self.link.take() else {
            return self.step();
        };
        link.stream.deregister(ctx.registry);
        let fd = link.stream.as_raw_fd() as u32;
        if link.connecting {
            self.report(EventKind::Closed, fd);
        } else {
            let Owner {
                link: socket,
                endpoint,
                ..
            } = &self.owner;
            socket
                .monitor
                .emit_disconnected(fd, endpoint, disconnect_reason(&reason_of(&cause)));
            if let Some(end) = self.end.as_mut() {
                // What arrived before the loss comes before the news of it, whatever the
                // high-water mark says (one chunk more at most).
                if let Some(chunk) = self.stalled.take() {
                    end.write_unchecked(chunk);
                }
                if self.owner.options.stream_notify {
                    end.write_unchecked(Message::new());
                }
                // Closing a pipe flushes it; one that stays (a connect's) is flushed here.
                end.flush();
            }
        }
        if self.stops_reconnecting(&cause, !link.connecting) {
            self.give_up();
        }
        drop(link);
        let persistent = matches!(
            self.origin,
            Origin::Connect {
                persistent: true,
                ..
            }
        );
        if !persistent {
            // Each connection had its own pipe; the socket reads what arrived, then drops it.
            if let Some(end) = self.end.take() {
                end.unregister();
            }
            self.stalled = None;
        }
        match self.origin {
            Origin::Accepted => Step::Remove,
            Origin::Connect { .. } => {
                if self.closing.is_some() || !self.schedule_reconnect(ctx) {
                    return Step::Remove;
                }
                Step::Keep
            }
        }
    }

    /// Tells the monitor about this connection's endpoint.
    fn report(&self, kind: EventKind, value: u32) {
        let Owner { link, endpoint, .. } = &self.owner;
        link.monitor.emit(kind, value, endpoint);
    }

    /// The earliest deadline this connection has to act on.
    fn next_wake(&self) -> Option<Instant> {
        let closing = self.closing.flatten();
        let retry = match &self.origin {
            Origin::Connect { retry_at, .. } => *retry_at,
            Origin::Accepted => None,
        };
        let connect = self
            .link
            .as_ref()
            .filter(|l| l.connecting)
            .and_then(|l| l.connect_until);
        [closing, retry, connect].into_iter().flatten().min()
    }
}

impl MessagePump for RawConnection {
    fn owner(&self) -> &Owner {
        &self.owner
    }

    fn on_ready(&mut self, readiness: Readiness, ctx: &mut Ctx<'_>) -> Step {
        let Some(link) = self.link.as_mut() else {
            return Step::Keep;
        };
        link.hung_up |= readiness.hung_up;
        if link.connecting {
            match link.stream.finish_connect() {
                Ok(true) => {
                    let fd = link.stream.as_raw_fd() as u32;
                    self.report(EventKind::Connected, fd);
                    if let Err(e) = self.connected(ctx) {
                        return self.lost(e, ctx);
                    }
                }
                Ok(false) => return Step::Keep,
                Err(e) => return self.lost(e, ctx),
            }
        }
        if readiness.readable {
            if let Err(e) = self.pump_input(ctx) {
                return self.lost(e, ctx);
            }
        }
        if readiness.writable {
            if let Err(e) = self.pump_output(ctx) {
                return self.lost(e, ctx);
            }
        }
        self.step()
    }

    fn on_pipe(&mut self, event: PipeEvent, ctx: &mut Ctx<'_>) -> Step {
        let result = match event {
            PipeEvent::Readable => self.pump_output(ctx),
            PipeEvent::Writable => self.pump_input(ctx),
            PipeEvent::Closed => {
                // The event may be about a pipe this connection already dropped.
                if !self.end.as_ref().is_some_and(PipeEnd::peer_closed) {
                    return self.step();
                }
                self.start_closing(self.owner.link.is_closed(), ctx);
                self.pump_output(ctx)
            }
        };
        if let Err(e) = result {
            return self.lost(e, ctx);
        }
        self.step()
    }

    fn on_close(&mut self, ctx: &mut Ctx<'_>) -> Step {
        if self.end.is_none() {
            return Step::Remove;
        }
        self.start_closing(true, ctx);
        if let Err(e) = self.pump_output(ctx) {
            return self.lost(e, ctx);
        }
        self.step()
    }

    fn on_timer(&mut self, now: Instant, ctx: &mut Ctx<'_>) -> Step {
        if let Some(Some(until)) = self.closing {
            if now >= until {
                return Step::Remove;
            }
        }
        if let Some(link) = &self.link {
            if link.connecting && link.connect_until.is_some_and(|t| now >= t) {
                return self.lost(io::ErrorKind::TimedOut.into(), ctx);
            }
        }
        if let Origin::Connect { retry_at, .. } = &mut self.origin {
            if retry_at.is_some_and(|t| now >= t) {
                *retry_at = None;
                if self.link.is_none() {
                    self.start_connect(ctx);
                }
            }
        }
        if let Some(when) = self.next_wake() {
            ctx.wake_at(when);
        }
        self.step()
    }

    fn shutdown(&mut self, registry: &Registry) {
        if let Some(mut link) = self.link.take() {
            link.stream.deregister(registry);
            if link.connecting {
                self.report(EventKind::Closed, link.stream.as_raw_fd() as u32);
            }
        }
    }
}

/// Why a raw connection ended, in the engine's terms: a stream that ended or took no more
/// bytes is the peer closing; anything else is the system's error.
fn reason_of(cause: &io::Error) -> Reason {
    match cause.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::WriteZero => Reason::PeerClosed,
        kind => Reason::Io(
            cause
                .raw_os_error()
                .map_or_else(|| io::Error::from(kind), io::Error::from_raw_os_error),
        ),
    }
}
