//! One peer relationship on an I/O thread: a connection accepted by a listener, or a
//! connect endpoint that keeps (re)connecting. The session is the pump around a pure
//! [`Connection`]: it makes the system calls (connect, read, write), moves messages between
//! the connection and the socket's pipe, and hands the clock in.
//!
//! What happens when a connection ends (reconnect or not, replay, the monitor's events) is
//! in [`loss`]; the handshake's end and ZAP requests in [`handshake`]; how an idle
//! connection lets the socket's thread write for itself in [`write_through`], and read for
//! itself while it waits in a receive in [`read_through`].
//!
//! About 800 lines, on purpose: the read and write pumps, the SOCKS5 step of a connect,
//! the lending of an idle connection and the reactor's callbacks are one loop around one
//! connection, and are read together (each callback is a turn that takes the connection
//! back first and may lend it after).

mod handshake;
mod loss;
mod read_through;
mod write_through;

use super::backoff::Backoff;
use super::connection::{Connection, Event, ReadBuf, Timeouts};
use super::peer_messages;
use super::pump::{Ctx, MessagePump, Readiness, Step};
use super::reason::Reason;
use super::upstream_filters::UpstreamFilters;
use super::zap::ZapClient;
use super::Owner;
use crate::monitor::EventKind;
use crate::options::millis;
use crate::pipe::{PipeEnd, PipeEvent, Read, ReadThrough, WriteError, WriteThrough};
use crate::transport::socks5::SocksConnect;
use crate::transport::{Stream, Target};
use mio::{Registry, Token};
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Instant;
use write_through::{Lender, Lent};
use zmtp::mechanism::AuthRequest;
use zmtp::{Message, PeerInfo, SessionConfig};

/// Bytes a session may read or write in one turn before others get theirs.
const TURN_BUDGET: usize = 1024 * 1024;
/// Bytes the socket's thread may write through in one go: the I/O thread waits for the
/// lent connection while a write-through runs, so its hold stays one modest system call.
const WRITE_THROUGH_BUDGET: usize = 64 * 1024;
/// Most slices handed to one vectored write.
const MAX_IOV: usize = 64;

/// How the session came to be.
// One per session, boxed with it by the reactor: the unused room of `Accepted` costs
// nothing worth an allocation.
#[allow(clippy::large_enum_variant)]
enum Origin {
    /// Through a listener: one connection, then gone.
    Accepted,
    /// Through connect: reconnects for ever (or as RECONNECT_IVL and RECONNECT_STOP say).
    Connect {
        target: Target,
        /// Attempts so far, to rotate through the resolved addresses.
        attempt: usize,
        backoff: Backoff,
        /// The pipe outlives connections: messages queue while disconnected.
        persistent: bool,
    },
}

/// Whether the socket still wants this endpoint's traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closing {
    /// The socket is open.
    No,
    /// The socket closed: what it sent may still go out until `until` (`None`: for ever,
    /// LINGER -1).
    Lingering { until: Option<Instant> },
}

/// A live (or connecting) byte stream and its connection.
struct Link {
    stream: Stream,
    conn: Connection,
    /// Through a SOCKS5 proxy: its handshake, run on the stream once the stream to the proxy
    /// is connected and before the connection's own (the connection stays connecting, under
    /// CONNECT_TIMEOUT and HANDSHAKE_IVL, until the proxy connected onwards).
    socks: Option<SocksConnect>,
    /// The poller reported the peer's end of stream or an error: from then on every read
    /// goes on until the stream says so, as no new event will come.
    hung_up: bool,
    /// The peer's IP address (tcp), for ZAP requests and message properties.
    peer_address: String,
    /// The ZAP request under way while the handshake waits for its verdict.
    zap: Option<ZapClient>,
    /// The poller reports the stream writable (as registered); for a stream that is
    /// reported writable whenever the peer reads, only while a write is blocked (see
    /// [`Stream::writable_on_every_read`]).
    watching_writable: bool,
}

impl Link {
    /// Whether the transport connect is done: the stream connected and, through a SOCKS5
    /// proxy, the proxy connected to the peer. `Ok(false)`: wait for the next readiness.
    fn finish_connect(&mut self) -> io::Result<bool> {
        if !self.stream.finish_connect()? {
            return Ok(false);
        }
        if let Some(socks) = self.socks.as_mut() {
            if !socks.drive(&mut self.stream)? {
                return Ok(false);
            }
            self.socks = None;
        }
        Ok(true)
    }

    /// Watches the stream for writability or stops, where that saves wake-ups (see
    /// [`Stream::writable_on_every_read`]). Any other stream, once watched, stays watched
    /// (each change costs a system call); it is watched for reads alone after the socket's
    /// thread read it (see [`read_through`]), until a write blocks.
    fn watch_writable(&mut self, on: bool, ctx: &Ctx<'_>) -> io::Result<()> {
        if self.watching_writable == on || (!on && !self.stream.writable_on_every_read()) {
            return Ok(());
        }
        self.stream
            .watch(ctx.registry, Token(ctx.token as usize), on)?;
        self.watching_writable = on;
        Ok(())
    }

    /// Writes what the connection queued for a peer being dropped (an ERROR), best effort.
    fn farewell(&mut self) {
        let mut slices = [IoSlice::new(&[]); MAX_IOV];
        let n = self.conn.poll_transmit(&mut slices);
        let _ = self.stream.write_vectored(&slices[..n]);
    }
}

/// See the module documentation.
pub(super) struct Session {
    owner: Owner,
    origin: Origin,
    /// The engine's end of the socket's pipe.
    end: Option<PipeEnd>,
    link: Option<Link>,
    /// Messages written on a connection that died before the kernel took them all, to be
    /// sent first on the next connection.
    replay: VecDeque<Message>,
    /// A decoded message part the inbound pipe had no room for.
    stalled: Option<Message>,
    closing: Closing,
    /// Everything the socket wrote has been read from the pipe.
    drained: bool,
    /// For SUB, XSUB and DISH: what the peer was asked to send, asked again of each new
    /// connection (the socket asked once, into a pipe that outlives connections).
    filters: Option<UpstreamFilters>,
    /// Where the idle connection is lent to the socket's thread between turns.
    lender: Arc<Lender>,
    /// The peer's messages arrived since the connection was last lent: it may be lent again.
    credit: bool,
    /// The connection is with the lender: the next turn takes it back (a turn with nothing
    /// lent skips the lender's lock).
    lent: bool,
}

impl Session {
    /// A session that connects to `target`.
    pub(super) fn connect(
        owner: Owner,
        target: Target,
        end: Option<PipeEnd>,
        ctx: &mut Ctx<'_>,
    ) -> Session {
        let lender = Arc::new(Lender::new(ctx.io.clone(), ctx.token));
        if let Some(end) = &end {
            end.register(ctx.token);
            lend_through(end, &lender);
        }
        let persistent = end.is_some();
        let filters = UpstreamFilters::for_socket(owner.link.socket_type);
        let backoff = Backoff::new(
            millis(owner.options.reconnect_ivl),
            millis(owner.options.reconnect_ivl_max),
            jitter_seed(ctx.token),
        );
        let mut session = Session {
            origin: Origin::Connect {
                target,
                attempt: 0,
                backoff,
                persistent,
            },
            owner,
            end,
            link: None,
            replay: VecDeque::new(),
            stalled: None,
            closing: Closing::No,
            drained: false,
            filters,
            lender,
            credit: false,
            lent: false,
        };
        session.start_connect(ctx);
        session
    }

    /// A session for a connection a listener accepted; `None` when the stream cannot be
    /// registered or written.
    pub(super) fn accepted(owner: Owner, stream: Stream, ctx: &mut Ctx<'_>) -> Option<Session> {
        let mut session = Session {
            origin: Origin::Accepted,
            owner,
            end: None,
            link: None,
            replay: VecDeque::new(),
            stalled: None,
            closing: Closing::No,
            drained: false,
            filters: None,
            lender: Arc::new(Lender::new(ctx.io.clone(), ctx.token)),
            credit: false,
            lent: false,
        };
        session.open(stream, false, ctx).ok()?;
        session.connected(ctx).ok()?;
        Some(session)
    }

    /// Registers a stream and starts its connection (a connect under way, or the handshake
    /// of an accepted one).
    fn open(
        &mut self,
        mut stream: Stream,
        connecting: bool,
        ctx: &mut Ctx<'_>,
    ) -> crate::Result<()> {
        stream.register(ctx.registry, Token(ctx.token as usize))?;
        let options = &self.owner.options;
        if !connecting {
            // An accepted connection: its socket knobs come from here.
            stream.tune(&options.tuning);
        }
        let config = SessionConfig {
            socket_type: self.owner.link.socket_type,
            routing_id: options.routing_id.clone(),
            max_message_size: options.max_message_size(),
            max_message_parts: options.max_message_parts(),
            max_multipart_size: options.max_multipart_size(),
        };
        // The handshake's properties: the protocol's (Socket-Type, Identity) and METADATA's.
        let metadata = options.announced(config.metadata());
        let mechanism = options.security.mechanism(metadata)?;
        let zmtp = zmtp::Session::with_mechanism(config, mechanism);
        let timeouts = Timeouts::of(options);
        let now = Instant::now();
        let conn = if connecting {
            Connection::connecting(zmtp, timeouts, now)
        } else {
            Connection::accepted(zmtp, timeouts, now)
        }
        .with_hello(peer_messages::hello(options));
        if let Some(when) = conn.poll_timeout() {
            ctx.wake_at(when);
        }
        self.link = Some(Link {
            peer_address: stream.peer_ip(),
            stream,
            conn,
            socks: None,
            hung_up: false,
            zap: None,
            watching_writable: true,
        });
        Ok(())
    }

    /// The transport connect finished (through a SOCKS5 proxy: the proxy's handshake too,
    /// see [`Link::finish_connect`]): the handshake starts.
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), Reason> {
        if let Some(link) = self.link.as_mut() {
            link.conn.handle_connected();
            link.stream.set_nodelay();
            if link.peer_address.is_empty() {
                link.peer_address = link.stream.peer_ip();
            }
            // Connected: until a write blocks, only readability is news (it was watched
            // for the connect to finish).
            link.watch_writable(false, ctx)?;
        }
        self.pump_output(ctx)
    }

    /// Reads and decodes until the stream is drained, the pipe is full or the turn is over.
    fn pump_input(&mut self, ctx: &mut Ctx<'_>) -> Result<(), Reason> {
        let mut budget = TURN_BUDGET;
        loop {
            let Some(link) = self.link.as_mut().filter(|l| !l.conn.is_connecting()) else {
                return Ok(());
            };
            let pumped = read_messages(
                link,
                self.end.as_mut(),
                &mut self.stalled,
                &mut self.credit,
                &mut budget,
            )?;
            match pumped {
                Pumped::Authenticate(request) => self.authenticate(request, ctx)?,
                Pumped::Ready(peer) => {
                    self.on_handshake(peer, ctx)?;
                    self.pump_output(ctx)?;
                }
                Pumped::OutOfBudget => {
                    ctx.run_again();
                    break;
                }
                Pumped::Drained | Pumped::Stalled => break,
            }
        }
        if let Some(end) = self.end.as_mut() {
            end.flush();
        }
        if let Some(link) = self.link.as_mut() {
            if let Some(when) = link.conn.poll_new_timeout() {
                ctx.wake_at(when);
            }
            if link.conn.wants_transmit() {
                self.pump_output(ctx)?;
            }
        }
        Ok(())
    }

    /// Encodes what the socket queued and writes it, many messages per system call.
    fn pump_output(&mut self, ctx: &mut Ctx<'_>) -> Result<(), Reason> {
        let Session {
            link,
            end,
            replay,
            drained,
            filters,
            ..
        } = self;
        let Some(link) = link.as_mut().filter(|l| !l.conn.is_connecting()) else {
            return Ok(());
        };
        let written = write_messages(
            link,
            end.as_mut(),
            replay,
            drained,
            filters.as_mut(),
            TURN_BUDGET,
        )?;
        match written {
            Written::Idle => link.watch_writable(false, ctx)?,
            Written::Blocked => link.watch_writable(true, ctx)?,
            Written::OutOfBudget => ctx.run_again(),
        }
        Ok(())
    }

    /// Lends the connection to the socket's thread (see [`write_through`]) if it is idle and
    /// the peer spoke since the last lending.
    fn lend(&mut self) {
        let idle = self.credit
            && self.closing == Closing::No
            && !self.drained
            && self.replay.is_empty()
            && self.link.as_ref().is_some_and(|l| {
                l.conn.is_ready()
                    && l.conn.is_flushed()
                    && !l.conn.wants_transmit()
                    && !l.hung_up
                    && l.zap.is_none()
                    && l.socks.is_none()
            })
            // Not only nothing to read: the reader asleep, so that the socket's next flush
            // writes through or wakes this thread (a pump that stopped for its budget at
            // the last message left it awake).
            && self.end.as_mut().is_some_and(|e| !e.poll_readable());
        if !idle {
            return;
        }
        let (Some(link), Some(end)) = (self.link.take(), self.end.take()) else {
            return;
        };
        // The invariant write_through's safety rests on: a message the socket flushes
        // from now on is written through or wakes this thread.
        debug_assert!(end.wakes_on_flush(), "lent with the pipe's reader awake");
        self.credit = false;
        self.lent = true;
        self.lender.lend(Lent {
            link,
            end,
            filters: self.filters.take(),
            stalled: self.stalled.take(),
        });
    }

    /// Takes back what [`lend`](Self::lend) lent, before anything else looks at the
    /// session; the reason the connection failed, if a write-through found it dead.
    fn take_back(&mut self) -> Option<Reason> {
        if !std::mem::take(&mut self.lent) {
            return None;
        }
        let returned = self.lender.take_back();
        if let Some(lent) = returned.lent {
            self.link = Some(lent.link);
            self.end = Some(lent.end);
            self.filters = lent.filters;
            self.stalled = lent.stalled;
        }
        self.credit |= returned.credit;
        returned.failed
    }

    /// Runs one of the reactor's callbacks with the connection taken back, and lends it
    /// again after.
    fn turn(
        &mut self,
        ctx: &mut Ctx<'_>,
        f: impl FnOnce(&mut Session, &mut Ctx<'_>) -> Step,
    ) -> Step {
        if let Some(reason) = self.take_back() {
            if let Step::Remove = self.lost(reason, ctx) {
                return Step::Remove;
            }
        }
        // A read on the socket's thread met a PING: its deadlines are armed here.
        if let Some(when) = self.link.as_mut().and_then(|l| l.conn.poll_new_timeout()) {
            ctx.wake_at(when);
        }
        let step = f(self, ctx);
        if let Step::Keep = step {
            self.lend();
        }
        step
    }

    /// The earliest deadline this session has to act on (on_timer has just acted on those
    /// that passed).
    fn next_wake(&self) -> Option<Instant> {
        let linger = match self.closing {
            Closing::Lingering { until } => until,
            Closing::No => None,
        };
        let retry = match &self.origin {
            Origin::Connect { backoff, .. } => backoff.poll_timeout(),
            Origin::Accepted => None,
        };
        let conn = self.link.as_ref().and_then(|l| l.conn.poll_timeout());
        [linger, retry, conn].into_iter().flatten().min()
    }

    /// Tells the monitor about this session's endpoint.
    fn report(&self, kind: EventKind, value: u32) {
        let Owner { link, endpoint, .. } = &self.owner;
        link.monitor.emit(kind, value, endpoint);
    }
}

/// How a read pump stopped.
enum Pumped {
    /// Everything the kernel had was read (it said "would block", or a read came back short).
    Drained,
    /// The budget ran out with more to read.
    OutOfBudget,
    /// The pipe to the socket is full: a part waits for room (the pipe tells the I/O thread
    /// when there is some).
    Stalled,
    /// The handshake asks for the ZAP handler's verdict.
    Authenticate(AuthRequest),
    /// The handshake completed.
    Ready(PeerInfo),
}

/// Hands a decoded part to the socket; false when the pipe is full (the part waits in
/// `stalled`, and the pipe will say when there is room).
fn deliver(end: Option<&mut PipeEnd>, mut msg: Message, stalled: &mut Option<Message>) -> bool {
    let Some(end) = end else {
        return true;
    };
    loop {
        match end.write(msg) {
            Ok(()) => return true,
            Err(WriteError::Full(m)) => {
                // Let the socket see what is there before waiting for it to make room.
                end.flush();
                if !end.wait_writable() {
                    *stalled = Some(m);
                    return false;
                }
                msg = m;
            }
            // The socket is gone; what the peer sends goes nowhere.
            Err(WriteError::Closed(_)) => return true,
        }
    }
}

/// The read pump: delivers a part that waited for room, then reads, decodes and delivers
/// until the stream is drained, the pipe is full, the budget is spent or the handshake has
/// business for the I/O thread. Sets `credit` when a message from the peer arrived. Run by
/// the I/O thread, and by the socket's thread through [`read_through`]; the caller flushes
/// the pipe.
fn read_messages(
    link: &mut Link,
    mut end: Option<&mut PipeEnd>,
    stalled: &mut Option<Message>,
    credit: &mut bool,
    budget: &mut usize,
) -> Result<Pumped, Reason> {
    if let Some(msg) = stalled.take() {
        if !deliver(end.as_deref_mut(), msg, stalled) {
            return Ok(Pumped::Stalled);
        }
    }
    // A read that returned less than it asked for emptied the socket: the next one would
    // only say "would block". Readiness is edge-triggered, so bytes that arrive later bring
    // a new event; skipping that read saves a system call per message exchange.
    let mut drained = false;
    loop {
        let Some(event) = link.conn.poll_event() else {
            if drained {
                return Ok(Pumped::Drained);
            }
            if *budget == 0 {
                return Ok(Pumped::OutOfBudget);
            }
            let read = match link.conn.read_buf() {
                ReadBuf::Input(buf, asked) => {
                    let asked = link.stream.read_limit(asked);
                    (link.stream.read_into(buf, asked), asked)
                }
                ReadBuf::Body(buf, asked) => {
                    let asked = link.stream.read_limit(asked);
                    (link.stream.read_into_vec(buf, asked), asked)
                }
            };
            match read {
                (Ok(n), asked) => {
                    link.conn.handle_read(n, Instant::now())?;
                    drained = n < asked && !link.hung_up;
                    *budget = budget.saturating_sub(n);
                    continue;
                }
                (Err(e), _) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Pumped::Drained),
                (Err(e), _) if e.kind() == io::ErrorKind::Interrupted => continue,
                (Err(e), _) => return Err(Reason::Io(e)),
            }
        };
        match event {
            Event::Message(msg) => {
                *credit = true;
                if !deliver(end.as_deref_mut(), msg, stalled) {
                    return Ok(Pumped::Stalled);
                }
            }
            Event::Authenticate(request) => return Ok(Pumped::Authenticate(request)),
            Event::Ready(peer) => return Ok(Pumped::Ready(peer)),
            Event::Lost(reason) => return Err(reason),
        }
    }
}

/// How a write turn ended.
enum Written {
    /// Everything queued went to the kernel.
    Idle,
    /// The kernel took no more: the rest waits for writability.
    Blocked,
    /// The turn's budget ran out with more to write.
    OutOfBudget,
}

/// The write pump: encodes what is to be replayed, then what the socket queued, and writes
/// it, many messages per system call. Run by the I/O thread, and by the socket's thread
/// through [`write_through`].
fn write_messages(
    link: &mut Link,
    mut end: Option<&mut PipeEnd>,
    replay: &mut VecDeque<Message>,
    drained: &mut bool,
    mut filters: Option<&mut UpstreamFilters>,
    mut budget: usize,
) -> Result<Written, Reason> {
    loop {
        link.conn.poll_protocol();
        while link.conn.wants_messages() {
            let msg = match replay.pop_front() {
                Some(msg) => msg,
                None => {
                    let Some(end) = end.as_deref_mut() else { break };
                    if let Some(msg) = end.read_seen() {
                        msg
                    } else if !link.conn.is_flushed() {
                        // Write what is encoded before looking for newer messages: a busy
                        // writer fills a batch during the system call, where looking now
                        // would take its cache line for a message or two at a time. This
                        // turn cannot end `Idle` with the outbox full, so the pump comes
                        // back to `read` until Empty (which puts the pipe's reader to sleep).
                        break;
                    } else {
                        match end.read() {
                            Read::Message(msg) => msg,
                            Read::Empty => break,
                            Read::Closed => {
                                *drained = true;
                                break;
                            }
                        }
                    }
                }
            };
            if let Some(filters) = filters.as_deref_mut() {
                filters.track(&msg);
            }
            link.conn.send(&msg)?;
        }
        let mut slices = [IoSlice::new(&[]); MAX_IOV];
        let n = link.conn.poll_transmit(&mut slices);
        if n == 0 {
            // What the stream owes the wire itself (a ws pong, TLS records) goes now too.
            return match link.stream.flush_pending() {
                Ok(true) => Ok(Written::Idle),
                Ok(false) => Ok(Written::Blocked),
                Err(e) => Err(Reason::Io(e)),
            };
        }
        match link.stream.write_vectored(&slices[..n]) {
            Ok(0) => return Err(Reason::PeerClosed),
            Ok(written) => {
                link.conn.handle_written(written);
                budget = budget.saturating_sub(written);
                if budget == 0 {
                    return Ok(Written::OutOfBudget);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Written::Blocked),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Reason::Io(e)),
        }
    }
}

/// Lets the socket's thread write and read through `end`'s connection when it is lent
/// (see [`write_through`] and [`read_through`]). The pipe holds the [`Lender`] weakly, as
/// the session owns the pipe's end.
fn lend_through(end: &PipeEnd, lender: &Arc<Lender>) {
    let writes: Arc<dyn WriteThrough> = lender.clone();
    let reads: Arc<dyn ReadThrough> = lender.clone();
    end.set_write_through(Arc::downgrade(&writes));
    end.set_read_through(Arc::downgrade(&reads));
}

/// Seeds the reconnection jitter: different for each endpoint and each run, so that the
/// clients of a restarted server spread out.
fn jitter_seed(token: u64) -> u64 {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    token ^ u64::from(clock)
}

impl MessagePump for Session {
    fn owner(&self) -> &Owner {
        &self.owner
    }

    fn on_ready(&mut self, readiness: Readiness, ctx: &mut Ctx<'_>) -> Step {
        self.turn(ctx, |session, ctx| session.ready(readiness, ctx))
    }

    fn on_pipe(&mut self, event: PipeEvent, ctx: &mut Ctx<'_>) -> Step {
        self.turn(ctx, |session, ctx| session.pipe_event(event, ctx))
    }

    fn on_close(&mut self, ctx: &mut Ctx<'_>) -> Step {
        self.turn(ctx, Session::close)
    }

    fn on_timer(&mut self, now: Instant, ctx: &mut Ctx<'_>) -> Step {
        self.turn(ctx, |session, ctx| session.timer(now, ctx))
    }

    fn shutdown(&mut self, registry: &Registry) {
        // A failure found by a write-through no longer matters: the session is going.
        let _ = self.take_back();
        if let Some(mut link) = self.link.take() {
            link.stream.deregister(registry);
            // Like libzmq, only a connect still under way is reported closed; a connection
            // the socket ends goes without an event.
            if link.conn.is_connecting() {
                self.report(EventKind::Closed, link.stream.as_raw_fd() as u32);
            }
        }
    }
}

/// The reactor's callbacks, run with the connection taken back (see [`Session::turn`]).
impl Session {
    fn ready(&mut self, readiness: Readiness, ctx: &mut Ctx<'_>) -> Step {
        let Some(link) = self.link.as_mut() else {
            return Step::Keep;
        };
        link.hung_up |= readiness.hung_up;
        if link.conn.is_connecting() {
            match link.finish_connect() {
                Ok(true) => {
                    let fd = link.stream.as_raw_fd() as u32;
                    self.report(EventKind::Connected, fd);
                    if let Err(reason) = self.connected(ctx) {
                        return self.lost(reason, ctx);
                    }
                }
                Ok(false) => return Step::Keep,
                Err(e) => return self.lost(Reason::Io(e), ctx),
            }
        }
        if readiness.readable {
            if let Err(reason) = self.pump_input(ctx) {
                return self.lost(reason, ctx);
            }
        }
        if readiness.writable {
            if let Err(reason) = self.pump_output(ctx) {
                return self.lost(reason, ctx);
            }
        }
        self.step()
    }

    fn pipe_event(&mut self, event: PipeEvent, ctx: &mut Ctx<'_>) -> Step {
        // The event may be the ZAP handler's reply: it shares the session's token.
        if let Err(reason) = self.poll_zap(ctx) {
            return self.lost(reason, ctx);
        }
        let result = match event {
            PipeEvent::Readable => self.pump_output(ctx),
            PipeEvent::Writable => self.pump_input(ctx),
            PipeEvent::Closed => {
                // The event may be about a pipe this session already dropped.
                if !self.end.as_ref().is_some_and(PipeEnd::peer_closed) {
                    return self.step();
                }
                self.socket_closed(ctx);
                self.pump_output(ctx)
            }
        };
        if let Err(reason) = result {
            return self.lost(reason, ctx);
        }
        self.step()
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) -> Step {
        if self.end.is_none() {
            // Nothing queued for the peer: the connection can go now.
            return Step::Remove;
        }
        self.socket_closed(ctx);
        if let Err(reason) = self.pump_output(ctx) {
            return self.lost(reason, ctx);
        }
        self.step()
    }

    fn timer(&mut self, now: Instant, ctx: &mut Ctx<'_>) -> Step {
        if let Closing::Lingering { until: Some(until) } = self.closing {
            if now >= until {
                return Step::Remove;
            }
        }
        if let Some(link) = self.link.as_mut() {
            if let Err(reason) = link.conn.handle_timeout(now) {
                return self.lost(reason, ctx);
            }
            // A PING fell due.
            if link.conn.wants_transmit() {
                if let Err(reason) = self.pump_output(ctx) {
                    return self.lost(reason, ctx);
                }
            }
        }
        if let Origin::Connect { backoff, .. } = &mut self.origin {
            if backoff.due(now) && self.link.is_none() {
                self.start_connect(ctx);
            }
        }
        // The reactor keeps one wake-up per handler, the earliest asked for; the others
        // are asked for again here, whichever one this was.
        if let Some(when) = self.next_wake() {
            ctx.wake_at(when);
        }
        self.step()
    }
}
