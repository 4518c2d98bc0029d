//! One peer relationship on an I/O thread: a connection accepted by a listener, or a
//! connect endpoint that keeps (re)connecting. The session drives a ZMTP state machine
//! ([`zmtp::Session`]) over a byte stream and moves messages between it and the socket's pipe.
//!
//! Each connection runs the mechanism the socket's security options chose when it bound or
//! connected. When a server mechanism asks for a verdict on a client, the session asks the
//! ZAP handler through a pipe ([`super::zap`]) and goes on serving other work; the reply
//! arrives as a pipe event like any other, and the handshake resumes from there.

use super::heartbeat::{Beat, Heartbeat};
use super::peer_messages;
use super::reactor::{Ctx, MessagePump, Readiness, Step};
use super::upstream_filters::UpstreamFilters;
use super::zap::{RequestContext, ZapClient};
use super::Owner;
use crate::monitor::{disconnect_reason, handshake_failure, EventKind};
use crate::options::{
    millis, Options, RECONNECT_STOP_AFTER_DISCONNECT, RECONNECT_STOP_CONN_REFUSED,
    RECONNECT_STOP_HANDSHAKE_FAILED,
};
use crate::pipe::{pipe, PipeEnd, PipeEvent, PipeLimits, Read, WriteError};
use crate::properties::Properties;
use crate::socket::mailbox::{PeerDetails, SocketEvent};
use crate::transport::socks5::SocksConnect;
use crate::transport::{Stream, Target};
use bytes::BytesMut;
use mio::{Registry, Token};
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};
use zmtp::greeting::MechanismName;
use zmtp::mechanism::{AuthRequest, Verdict};
use zmtp::outbox::Outbox;
use zmtp::{Event, Message, PeerInfo, ProtocolError, SessionConfig};

/// Bytes read per system call when no large frame is pending.
const READ_SIZE: usize = 64 * 1024;
/// A message part at least this long is read straight from the socket into a buffer of
/// its own (see [`LargeBody`]), not into the input buffer.
const LARGE_BODY: usize = zmtp::recycled::MIN_RECYCLED;
/// The longest large frame whose part gets a buffer of its full size before half of it
/// arrived. Reserved is not resident: a fresh buffer costs memory only as bytes arrive.
const UPFRONT_FRAME: usize = 4 * 1024 * 1024;
/// Bytes read per system call right after a large part: in a stream of large parts, the
/// next header then comes with little of its body, and the rest of that body goes
/// straight into its own buffer rather than through the input buffer.
const READ_AFTER_LARGE: usize = 8 * 1024;
/// Encoded bytes gathered before a write system call.
const WRITE_BATCH: usize = 64 * 1024;
/// Bytes a session may read or write in one turn before others get theirs.
const TURN_BUDGET: usize = 1024 * 1024;
/// Most slices handed to one vectored write.
const MAX_IOV: usize = 64;
/// An unfinished message from a lost peer that held this much memory (bytes, and the
/// bookkeeping of its parts) is given back to the operating system at once.
const RELEASE_AFTER: u64 = 1024 * 1024;

/// How the session came to be.
enum Origin {
    /// Through a listener: one connection, then gone.
    Accepted,
    /// Through connect: reconnects for ever (or as RECONNECT_IVL says).
    Connect {
        target: Target,
        /// Attempts so far, to rotate through the resolved addresses.
        attempt: usize,
        /// Current reconnection interval (grows up to RECONNECT_IVL_MAX).
        interval: Option<Duration>,
        /// Spreads the reconnections of many clients of one server that restarted.
        jitter: Jitter,
        retry_at: Option<Instant>,
        /// The pipe outlives connections: messages queue while disconnected.
        persistent: bool,
    },
}

/// A live (or connecting) byte stream and its protocol state.
struct Link {
    stream: Stream,
    /// Until the stream is connected (to the peer, or through the SOCKS proxy to it).
    connecting: bool,
    /// The SOCKS5 handshake to run once the stream to the proxy is connected.
    socks: Option<SocksConnect>,
    zmtp: zmtp::Session,
    inbuf: BytesMut,
    /// How much the next read into `inbuf` asks for: [`READ_SIZE`], or
    /// [`READ_AFTER_LARGE`] after a large part.
    read_size: usize,
    /// The large message part being read, if any.
    large_body: Option<LargeBody>,
    /// The poller reported the peer's end of stream or an error: from then on every read
    /// goes on until the stream says so, as no new event will come.
    hung_up: bool,
    outbox: Outbox,
    handshake_until: Option<Instant>,
    /// CONNECT_TIMEOUT: a connect still under way then is abandoned.
    connect_until: Option<Instant>,
    /// Liveness checks, once the handshake is done and heartbeats are asked for.
    heartbeat: Option<Heartbeat>,
    /// The peer's IP address (tcp), for ZAP requests and message properties.
    peer_address: String,
    /// A ZAP request waiting for its reply; the handshake waits with it.
    zap: Option<ZapClient>,
}

/// A message part read straight from the socket into a buffer of its own, which becomes
/// the message: no copy through the input buffer, and the buffer is recycled when the
/// message is dropped (see [`zmtp::recycled`]).
struct LargeBody {
    data: Vec<u8>,
    len: usize,
    more: bool,
}

impl Link {
    /// Makes room in the input buffer for the next read; returns how much to read.
    fn make_room(&mut self) -> usize {
        let have = self.inbuf.len();
        let wanted = self.zmtp.bytes_wanted();
        if wanted >= LARGE_BODY && wanted > have {
            // A large frame the session reads itself (a command, a sealed message, one
            // too large to take yet): grow towards its end, but never past twice what has
            // arrived, so a peer cannot make us reserve memory it has not sent.
            let room = (wanted - have).min(have.max(READ_SIZE));
            self.inbuf.reserve(room);
            return room;
        }
        self.inbuf.reserve(READ_SIZE);
        self.read_size
    }

    /// Reads once, into the large body under way or else the input buffer. Returns the
    /// bytes read and the bytes asked for.
    fn read_some(&mut self) -> io::Result<(usize, usize)> {
        if let Some(body) = self.large_body.as_mut() {
            let asked = body.len - body.data.len();
            return Ok((self.stream.read_into_vec(&mut body.data, asked)?, asked));
        }
        let limit = self.make_room();
        let asked = limit.min(self.inbuf.capacity() - self.inbuf.len());
        Ok((self.stream.read_into(&mut self.inbuf, limit)?, asked))
    }

    /// When the frame at the front of the input is a large message part still arriving,
    /// moves it to a buffer of its own; true if it did.
    fn start_large_body(&mut self) -> Result<bool, ProtocolError> {
        if self.large_body.is_some() || self.zmtp.bytes_wanted() < LARGE_BODY {
            return Ok(false);
        }
        // A part of up to a few MiB gets its buffer at once; a longer one only once half of
        // it is here, so a peer cannot make us reserve much memory it has not sent.
        let have = self.inbuf.len();
        if self.zmtp.bytes_wanted() > (2 * have).max(UPFRONT_FRAME) {
            return Ok(false);
        }
        let Some(header) = self
            .zmtp
            .take_large_data_header(&mut self.inbuf, LARGE_BODY)?
        else {
            return Ok(false);
        };
        let mut data = zmtp::recycled::take(header.body_len);
        // What arrived with the header; nothing of the next frame can be there yet.
        data.extend_from_slice(&self.inbuf);
        self.inbuf.clear();
        self.large_body = Some(LargeBody {
            data,
            len: header.body_len,
            more: header.more(),
        });
        Ok(true)
    }

    /// The large body under way, as a message once all of it has arrived.
    fn finish_large_body(&mut self) -> Option<Message> {
        if self.large_body.as_ref()?.data.len() < self.large_body.as_ref()?.len {
            return None;
        }
        let body = self.large_body.take()?;
        Some(Message::from_bytes(zmtp::recycled::into_bytes(body.data)).with_more(body.more))
    }

    /// After a message part of `len` bytes: how much the next read asks for.
    fn after_part(&mut self, len: usize) {
        self.read_size = if len >= LARGE_BODY {
            READ_AFTER_LARGE
        } else {
            READ_SIZE
        };
    }

    /// The protocol failed: tell the peer why if it is owed that (an ERROR: a refusal's
    /// status code, an incompatible socket type), best effort, and give the error to close
    /// the connection with.
    fn fail(&mut self, error: ProtocolError) -> io::Error {
        self.zmtp.report(&error);
        self.zmtp.poll_transmit(&mut self.outbox);
        let mut slices = [IoSlice::new(&[]); MAX_IOV];
        let n = self.outbox.io_slices(&mut slices);
        let _ = self.stream.write_vectored(&slices[..n]);
        io::Error::new(io::ErrorKind::InvalidData, error)
    }
}

/// Whether the connection ended because the peer broke the protocol (or refused us, or we
/// it, in the handshake). As in libzmq, such a peer is not tried again: reconnecting would
/// only meet the same error, and an ERROR's sender asked not to be (RFC 23). The pipe
/// goes with the connect, and `connect` makes a new one.
fn is_protocol_error(cause: &io::Error) -> bool {
    cause
        .get_ref()
        .is_some_and(|e| e.downcast_ref::<ProtocolError>().is_some())
}

/// A small generator of reconnection jitter; quality does not matter, spread does.
#[derive(Clone, Copy, Debug)]
struct Jitter(u64);

impl Jitter {
    fn new(token: u64) -> Self {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Jitter((token ^ u64::from(clock)) | 1)
    }

    /// A duration in `0..bound`.
    fn below(&mut self, bound: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX).max(1);
        Duration::from_nanos(self.0 % nanos)
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
    /// The socket closed; `Some(None)` lingers for ever.
    linger_until: Option<Option<Instant>>,
    /// Everything the socket wrote has been read from the pipe.
    drained: bool,
    /// For SUB, XSUB and DISH: what the peer was asked to send, asked again of each new
    /// connection (the socket asked once, into a pipe that outlives connections).
    filters: Option<UpstreamFilters>,
}

impl Session {
    /// A session that connects to `target`.
    pub(super) fn connect(
        owner: Owner,
        target: Target,
        end: Option<PipeEnd>,
        ctx: &mut Ctx<'_>,
    ) -> Session {
        if let Some(end) = &end {
            end.register(ctx.token);
        }
        let persistent = end.is_some();
        let filters = UpstreamFilters::for_socket(owner.link.socket_type);
        let mut session = Session {
            origin: Origin::Connect {
                target,
                attempt: 0,
                interval: millis(owner.options.reconnect_ivl),
                jitter: Jitter::new(ctx.token),
                retry_at: None,
                persistent,
            },
            owner,
            end,
            link: None,
            replay: VecDeque::new(),
            stalled: None,
            linger_until: None,
            drained: false,
            filters,
        };
        session.start_connect(ctx);
        session
    }

    /// A session for a connection a listener accepted; fails when the stream cannot be
    /// registered or written.
    pub(super) fn accepted(owner: Owner, stream: Stream, ctx: &mut Ctx<'_>) -> io::Result<Session> {
        let mut session = Session {
            origin: Origin::Accepted,
            owner,
            end: None,
            link: None,
            replay: VecDeque::new(),
            stalled: None,
            linger_until: None,
            drained: false,
            filters: None,
        };
        session.open(stream, false, ctx)?;
        Ok(session)
    }

    fn config(options: &Options, owner: &Owner) -> SessionConfig {
        SessionConfig {
            socket_type: owner.link.socket_type,
            routing_id: options.routing_id.clone(),
            max_message_size: options.max_message_size(),
            max_message_parts: options.max_message_parts(),
            max_multipart_size: options.max_multipart_size(),
        }
    }

    /// Registers a stream and, once it is connected, starts the handshake.
    fn open(&mut self, mut stream: Stream, connecting: bool, ctx: &mut Ctx<'_>) -> io::Result<()> {
        stream.register(ctx.registry, Token(ctx.token as usize))?;
        let now = Instant::now();
        let handshake_until = millis(self.owner.options.handshake_ivl)
            .filter(|d| !d.is_zero())
            .map(|d| now + d);
        let connect_until = millis(self.owner.options.connect_timeout)
            .filter(|d| connecting && !d.is_zero())
            .map(|d| now + d);
        for when in [handshake_until, connect_until].into_iter().flatten() {
            ctx.wake_at(when);
        }
        if !connecting {
            // An accepted connection: its socket knobs come from here.
            stream.tune(&self.owner.options.tuning);
        }
        let config = Self::config(&self.owner.options, &self.owner);
        let mechanism = self
            .owner
            .options
            .security
            .mechanism(self.owner.options.announced(config.metadata()))
            .map_err(io::Error::other)?;
        self.link = Some(Link {
            peer_address: stream.peer_ip(),
            stream,
            connecting,
            socks: None,
            zmtp: zmtp::Session::with_mechanism(config, mechanism),
            inbuf: BytesMut::new(),
            read_size: READ_SIZE,
            large_body: None,
            hung_up: false,
            outbox: Outbox::new(),
            handshake_until,
            connect_until,
            heartbeat: None,
            zap: None,
        });
        if !connecting {
            self.connected(ctx)?;
        }
        Ok(())
    }

    fn connected(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        if let Some(link) = self.link.as_mut() {
            link.connecting = false;
            link.stream.set_nodelay();
            if link.peer_address.is_empty() {
                link.peer_address = link.stream.peer_ip();
            }
        }
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
        let socks = target.socks_handshake();
        *attempt = attempt.wrapping_add(1);
        match result {
            Ok(stream) => {
                let pending = stream.connect_may_be_pending();
                let opened = self.open(stream, true, ctx);
                if let Some(link) = self.link.as_mut() {
                    link.socks = socks;
                }
                if opened.is_err() {
                    self.link = None;
                    self.schedule_reconnect(ctx);
                } else if pending {
                    self.report(EventKind::ConnectDelayed, libc::EINPROGRESS as u32);
                }
            }
            Err(e) => {
                if self.stops_reconnecting(&e, false, false) {
                    self.origin_give_up();
                } else {
                    self.schedule_reconnect(ctx);
                }
            }
        }
    }

    /// Whether RECONNECT_STOP says to give up after this failure: the peer refused the
    /// connection, a handshake failed, or an established connection ended.
    fn stops_reconnecting(&self, cause: &io::Error, connected: bool, was_ready: bool) -> bool {
        let stop = self.owner.options.reconnect_stop;
        let refused = cause.kind() == io::ErrorKind::ConnectionRefused
            || cause.raw_os_error() == Some(libc::ENOENT);
        (!connected && refused && stop & RECONNECT_STOP_CONN_REFUSED != 0)
            || (connected && !was_ready && stop & RECONNECT_STOP_HANDSHAKE_FAILED != 0)
            || (was_ready && stop & RECONNECT_STOP_AFTER_DISCONNECT != 0)
    }

    /// Stops reconnecting for good: the session ends when nothing else holds it.
    fn origin_give_up(&mut self) {
        if let Origin::Connect { interval, .. } = &mut self.origin {
            *interval = None;
        }
    }

    /// Arms the reconnection timer; false when reconnection is off (RECONNECT_IVL -1).
    fn schedule_reconnect(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let max = millis(self.owner.options.reconnect_ivl_max);
        let base = millis(self.owner.options.reconnect_ivl).unwrap_or_default();
        let Origin::Connect {
            interval,
            retry_at,
            jitter,
            ..
        } = &mut self.origin
        else {
            return false;
        };
        let Some(delay) = *interval else {
            return false;
        };
        // As libzmq: a random extra of up to one base interval, so that the clients of a
        // restarted server do not all come back in the same instant.
        let when = Instant::now() + delay + jitter.below(base);
        *retry_at = Some(when);
        ctx.wake_at(when);
        if let Some(max) = max.filter(|m| *m > delay) {
            *interval = Some((delay * 2).min(max));
        }
        let millis = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
        self.report(EventKind::ConnectRetried, millis);
        true
    }

    fn socket_closed(&mut self, ctx: &mut Ctx<'_>) {
        if self.linger_until.is_some() {
            return;
        }
        let linger = self
            .owner
            .link
            .linger
            .load(std::sync::atomic::Ordering::Acquire);
        let until = millis(linger).map(|d| Instant::now() + d);
        if let Some(when) = until {
            ctx.wake_at(when);
        }
        self.linger_until = Some(until);
    }

    /// Whether the session still has work.
    fn step(&mut self) -> Step {
        let Some(until) = self.linger_until else {
            return Step::Keep;
        };
        if until.is_some_and(|t| Instant::now() >= t) {
            return Step::Remove;
        }
        let flushed = self.replay.is_empty()
            && self
                .link
                .as_ref()
                .is_none_or(|l| l.outbox.is_empty() && !l.connecting);
        if self.drained && flushed {
            return Step::Remove;
        }
        // Not connected and nothing left to deliver: no reason to wait for a peer.
        if self.link.is_none() && self.replay.is_empty() {
            let pending = self.end.as_mut().is_some_and(|e| e.has_message());
            if !pending {
                return Step::Remove;
            }
        }
        Step::Keep
    }

    /// The connection is gone: keep what can be delivered later and arrange to reconnect.
    fn lost(&mut self, cause: io::Error, ctx: &mut Ctx<'_>) -> Step {
        let Some(mut link) = self.link.take() else {
            return self.step();
        };
        link.stream.deregister(ctx.registry);
        self.report_loss(&link, &cause);
        let was_ready = link.zmtp.is_ready();
        let abandoned = link.zmtp.partial_message_cost();
        if is_protocol_error(&cause) || self.stops_reconnecting(&cause, !link.connecting, was_ready)
        {
            self.origin_give_up();
        }
        if let Some(end) = self.end.as_mut() {
            // Half a message from the peer will never be finished; whole ones go on.
            end.rollback();
            end.flush();
            if was_ready {
                let loss = peer_messages::Loss {
                    accepted: matches!(self.origin, Origin::Accepted),
                    reconnecting: matches!(
                        self.origin,
                        Origin::Connect {
                            persistent: true,
                            interval: Some(_),
                            ..
                        }
                    ) && self.linger_until.is_none(),
                };
                peer_messages::lost(&self.owner.options, loss, end);
            }
            if self.stalled.as_ref().is_some_and(|m| m.more()) {
                self.stalled = None;
            }
        }
        let persistent = matches!(
            self.origin,
            Origin::Connect {
                persistent: true,
                ..
            }
        );
        if was_ready && persistent {
            let mut recovered: VecDeque<Message> = link
                .zmtp
                .recover_unsent(link.outbox.take_unsent_traffic())
                .into();
            recovered.append(&mut self.replay);
            self.replay = recovered;
        }
        if !persistent {
            // Each connection had its own pipe; the socket reads what arrived, then drops it.
            if let Some(end) = self.end.take() {
                end.unregister();
            }
            self.stalled = None;
        }
        drop(link);
        if abandoned >= RELEASE_AFTER {
            // The allocator keeps what the unfinished message freed for later use by this
            // thread; a peer that made us hold megabytes must not leave them held.
            crate::sys::release_free_memory();
        }
        match self.origin {
            Origin::Accepted => Step::Remove,
            Origin::Connect { .. } => {
                if self.linger_until.is_some() && self.end.is_none() {
                    return Step::Remove;
                }
                if !self.schedule_reconnect(ctx) {
                    return Step::Remove;
                }
                self.step()
            }
        }
    }

    /// Tells the monitor about this session's endpoint.
    fn report(&self, kind: EventKind, value: u32) {
        let Owner { link, endpoint, .. } = &self.owner;
        link.monitor.emit(kind, value, endpoint);
    }

    /// Tells the monitor how a connection ended, in libzmq's terms: a connect that never
    /// completed is CLOSED; a connection that did is DISCONNECTED (with why), after the
    /// reason its handshake failed if it never finished one.
    fn report_loss(&self, link: &Link, cause: &io::Error) {
        let fd = link.stream.as_raw_fd() as u32;
        if link.connecting {
            self.report(EventKind::Closed, fd);
            return;
        }
        let handshake_done = link.zmtp.is_ready();
        if !handshake_done {
            let (kind, value) = handshake_failure(cause);
            self.report(kind, value);
        }
        let Owner {
            link: owner,
            endpoint,
            ..
        } = &self.owner;
        let reason = disconnect_reason(cause, handshake_done);
        owner.monitor.emit_disconnected(fd, endpoint, reason);
    }

    /// The handshake finished.
    fn on_handshake(&mut self, peer: PeerInfo, ctx: &mut Ctx<'_>) -> io::Result<()> {
        let options = &self.owner.options;
        let properties = Properties::of_peer(
            &peer,
            self.link.as_ref().map_or("", |l| l.peer_address.as_str()),
        );
        if let Some(end) = &self.end {
            // A pipe that outlives connections describes the newest one.
            end.set_properties(properties.clone());
        }
        if let Some(link) = self.link.as_mut() {
            link.handshake_until = None;
            // What the handshake still owes the peer (the rest of our greeting, our READY)
            // goes before the traffic mark: it is never replayed on another connection.
            link.zmtp.poll_transmit(&mut link.outbox);
            if let Some(hello) = peer_messages::hello(options) {
                if let Err(error) = link.zmtp.encode(&hello, &mut link.outbox) {
                    return Err(link.fail(error));
                }
            }
            link.outbox.start_traffic();
            // ZMTP 1.0 and 2.0 peers know no PING: no heartbeats with them, as in libzmq.
            let interval = millis(options.heartbeat_ivl)
                .filter(|_| peer.version.0 >= 3)
                .unwrap_or_default();
            let heartbeat = Heartbeat::new(
                interval,
                options.heartbeat_timeout(),
                millis(options.heartbeat_ttl).unwrap_or_default(),
                Instant::now(),
            );
            if let Some(when) = heartbeat.next_deadline() {
                ctx.wake_at(when);
            }
            link.heartbeat = Some(heartbeat);
        }
        if let Origin::Connect { interval, .. } = &mut self.origin {
            *interval = millis(self.owner.options.reconnect_ivl);
        }
        if let Some(filters) = &self.filters {
            // The new peer knows nothing of what the old one was told.
            for announcement in filters.announcements() {
                self.replay.push_front(announcement);
            }
        }
        if self.end.is_none() {
            if self.linger_until.is_some() || self.owner.link.is_closed() {
                return Err(io::ErrorKind::NotConnected.into());
            }
            let options = &self.owner.options;
            let (mut socket_end, engine_end) = pipe(
                self.owner.link.clone(),
                ctx.io.clone(),
                PipeLimits {
                    a_to_b: options.outbound_limit(self.owner.link.socket_type),
                    b_to_a: options.inbound_limit(self.owner.link.socket_type),
                },
            );
            engine_end.register(ctx.token);
            engine_end.set_properties(properties);
            self.end = Some(engine_end);
            if options.probe_router && self.owner.link.socket_type == zmtp::SocketType::Router {
                // The probe goes out now, as libzmq's does on connect: the socket itself
                // attaches the pipe only when its owner next calls it, which a ROUTER
                // waiting to be greeted by name may never do.
                socket_end.send_control(Message::new());
            }
            self.owner.link.post(SocketEvent::Attach(
                socket_end,
                PeerDetails {
                    routing_id: peer.identity,
                    endpoint: self.owner.endpoint.clone(),
                },
            ));
        }
        if let Some(end) = self.end.as_mut() {
            peer_messages::connected(&self.owner.options, end);
        }
        // Reported once the socket has the pipe: an application that saw the event and
        // sends at once already sends to this peer too.
        if let Some(link) = &self.link {
            let Owner {
                link: owner,
                endpoint,
                ..
            } = &self.owner;
            let fd = link.stream.as_raw_fd() as u32;
            owner.monitor.emit_handshake_succeeded(fd, endpoint);
        }
        Ok(())
    }

    /// A server mechanism wants a verdict on the client: ask the ZAP handler without waiting
    /// for it, or, when there is none, decide as libzmq 4.3 does. NULL asks only when a ZAP
    /// domain is set (its mechanism was built that way); PLAIN and CURVE ask unless
    /// ZAP_ENFORCE_DOMAIN is set without a domain. With no handler to ask, PLAIN clients are
    /// refused, and NULL and CURVE ones let in unless ZAP_ENFORCE_DOMAIN says otherwise.
    /// A refusal for want of a handler ends the connection with `EFAULT`, libzmq's
    /// HANDSHAKE_FAILED_NO_DETAIL value.
    fn authenticate(&mut self, request: AuthRequest, ctx: &mut Ctx<'_>) -> io::Result<()> {
        let Owner { options, zap, .. } = &self.owner;
        let security = &options.security;
        let Some(link) = self.link.as_mut() else {
            return Ok(());
        };
        let ask = !security.zap_domain.is_empty() || !security.zap_enforce_domain;
        if ask {
            let context = RequestContext {
                domain: &security.zap_domain,
                address: &link.peer_address,
                identity: &options.routing_id,
            };
            if let Some(client) =
                ZapClient::start(zap, ctx.io.clone(), ctx.token, &request, &context)
            {
                link.zap = Some(client);
                // Looking once arms the pipe's wake-up for the reply (or finds it there).
                return self.poll_zap(ctx);
            }
        }
        let refuse =
            request.mechanism == MechanismName::PLAIN || (ask && security.zap_enforce_domain);
        if refuse {
            return Err(io::Error::from_raw_os_error(libc::EFAULT));
        }
        self.give_verdict(Verdict::allow(""), ctx)
    }

    /// Hands the verdict on the client to the handshake and lets it go on.
    fn give_verdict(&mut self, verdict: Verdict, ctx: &mut Ctx<'_>) -> io::Result<()> {
        let Some(link) = self.link.as_mut() else {
            return Ok(());
        };
        if let Err(error) = link.zmtp.handle_verdict(verdict) {
            return Err(link.fail(error));
        }
        // The handshake may be complete now, with input already waiting behind it.
        self.pump_input(ctx)?;
        self.pump_output(ctx)
    }

    /// Reads the ZAP handler's reply if it came.
    fn poll_zap(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        let Some(reply) = self
            .link
            .as_mut()
            .and_then(|l| l.zap.as_mut())
            .and_then(ZapClient::poll)
        else {
            return Ok(());
        };
        if let Some(link) = self.link.as_mut() {
            link.zap = None;
        }
        match reply {
            Ok(verdict) => self.give_verdict(verdict, ctx),
            Err(error) => Err(io::Error::new(io::ErrorKind::InvalidData, error)),
        }
    }

    /// Hands a decoded part to the socket; false when the pipe is full (the part waits).
    fn deliver(&mut self, mut msg: Message) -> bool {
        let Some(end) = self.end.as_mut() else {
            return true;
        };
        loop {
            match end.write(msg) {
                Ok(()) => return true,
                Err(WriteError::Full(m)) => {
                    // Let the socket see what is there before waiting for it to make room.
                    end.flush();
                    if !end.wait_writable() {
                        self.stalled = Some(m);
                        return false;
                    }
                    msg = m;
                }
                // The socket is gone; what the peer sends goes nowhere.
                Err(WriteError::Closed(_)) => return true,
            }
        }
    }

    /// Reads and decodes until the stream is drained, the pipe is full or the turn is over.
    fn pump_input(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        if let Some(msg) = self.stalled.take() {
            if !self.deliver(msg) {
                return Ok(());
            }
        }
        let mut budget = TURN_BUDGET;
        // A read that returned less than it asked for emptied the socket: the next one would
        // only say "would block". Readiness is edge-triggered, so bytes that arrive later
        // bring a new event; skipping that read saves a system call per message exchange.
        let mut drained = false;
        loop {
            let Some(link) = self.link.as_mut().filter(|l| !l.connecting) else {
                return Ok(());
            };
            let input = if link.large_body.is_some() {
                Ok(link.finish_large_body().map(Event::Message))
            } else {
                link.zmtp.handle_input(&mut link.inbuf)
            };
            let event = match input {
                Ok(Some(event)) => event,
                Ok(None) => {
                    match link.start_large_body() {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(error) => return Err(link.fail(error)),
                    }
                    if drained {
                        break;
                    }
                    if budget == 0 {
                        ctx.run_again();
                        break;
                    }
                    match link.read_some() {
                        Ok((0, _)) => return Err(io::ErrorKind::UnexpectedEof.into()),
                        Ok((n, asked)) => {
                            drained = n < asked && !link.hung_up;
                            budget = budget.saturating_sub(n);
                            if let Some(heartbeat) = link.heartbeat.as_mut() {
                                heartbeat.on_traffic(Instant::now());
                            }
                            continue;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(error) => return Err(link.fail(error)),
            };
            match event {
                Event::Authenticate(request) => self.authenticate(request, ctx)?,
                Event::Ready(peer) => {
                    self.on_handshake(peer, ctx)?;
                    self.pump_output(ctx)?;
                }
                Event::Message(msg) => {
                    link.after_part(msg.len());
                    if let Some(heartbeat) = link.heartbeat.as_mut() {
                        heartbeat.on_message();
                    }
                    if !self.deliver(msg) {
                        break;
                    }
                }
                Event::Ping { ttl_deciseconds } => {
                    if let Some(link) = self.link.as_mut() {
                        if let Some(heartbeat) = link.heartbeat.as_mut() {
                            heartbeat.on_peer_ping(ttl_deciseconds, Instant::now());
                            if let Some(when) = heartbeat.next_deadline() {
                                ctx.wake_at(when);
                            }
                        }
                    }
                }
                Event::Pong => {
                    if let Some(heartbeat) = self.link.as_mut().and_then(|l| l.heartbeat.as_mut()) {
                        heartbeat.on_message();
                    }
                }
            }
        }
        if let Some(end) = self.end.as_mut() {
            end.flush();
        }
        if self.link.as_ref().is_some_and(|l| l.zmtp.wants_transmit()) {
            self.pump_output(ctx)?;
        }
        Ok(())
    }

    /// Encodes what the socket queued and writes it, many messages per system call.
    fn pump_output(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        let Session {
            link,
            end,
            replay,
            drained,
            filters,
            ..
        } = self;
        let Some(link) = link.as_mut().filter(|l| !l.connecting) else {
            return Ok(());
        };
        let mut budget = TURN_BUDGET;
        loop {
            link.zmtp.poll_transmit(&mut link.outbox);
            if link.zmtp.is_ready() {
                while link.outbox.len() < WRITE_BATCH {
                    let msg = match replay.pop_front() {
                        Some(msg) => msg,
                        None => {
                            let Some(end) = end.as_mut() else { break };
                            match end.read() {
                                Read::Message(msg) => msg,
                                Read::Empty => break,
                                Read::Closed => {
                                    *drained = true;
                                    break;
                                }
                            }
                        }
                    };
                    if let Some(filters) = filters.as_mut() {
                        filters.track(&msg);
                    }
                    if let Err(error) = link.zmtp.encode(&msg, &mut link.outbox) {
                        return Err(link.fail(error));
                    }
                }
            }
            if link.outbox.is_empty() {
                return Ok(());
            }
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let n = link.outbox.io_slices(&mut slices);
            match link.stream.write_vectored(&slices[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => {
                    link.outbox.advance(written);
                    budget = budget.saturating_sub(written);
                    if budget == 0 {
                        ctx.run_again();
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Session {
    /// The earliest deadline this session has to act on (on_timer has just acted on those
    /// that passed).
    fn next_wake(&self) -> Option<Instant> {
        let linger = self.linger_until.flatten();
        let retry = match &self.origin {
            Origin::Connect { retry_at, .. } => *retry_at,
            Origin::Accepted => None,
        };
        let link = self.link.as_ref();
        let handshake = link.and_then(|l| l.handshake_until);
        let connect = link.filter(|l| l.connecting).and_then(|l| l.connect_until);
        let heartbeat = link
            .and_then(|l| l.heartbeat.as_ref())
            .filter(|h| h.is_active())
            .and_then(Heartbeat::next_deadline);
        [linger, retry, handshake, connect, heartbeat]
            .into_iter()
            .flatten()
            .min()
    }
}

impl MessagePump for Session {
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
                    // Through a proxy, the connection is made once the proxy made its own.
                    if let Some(socks) = link.socks.as_mut() {
                        match socks.drive(&mut link.stream) {
                            Ok(true) => link.socks = None,
                            Ok(false) => return Step::Keep,
                            Err(e) => return self.lost(e, ctx),
                        }
                    }
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
        // The event may be the ZAP handler's reply: it shares the session's token.
        if let Err(e) = self.poll_zap(ctx) {
            return self.lost(e, ctx);
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
        if let Err(e) = result {
            return self.lost(e, ctx);
        }
        self.step()
    }

    fn on_close(&mut self, ctx: &mut Ctx<'_>) -> Step {
        if self.end.is_none() {
            // Nothing queued for the peer: the connection can go now.
            return Step::Remove;
        }
        self.socket_closed(ctx);
        if let Err(e) = self.pump_output(ctx) {
            return self.lost(e, ctx);
        }
        self.step()
    }

    fn on_timer(&mut self, now: Instant, ctx: &mut Ctx<'_>) -> Step {
        if let Some(Some(until)) = self.linger_until {
            if now >= until {
                return Step::Remove;
            }
        }
        if let Some(link) = self.link.as_mut() {
            if link.handshake_until.is_some_and(|t| now >= t)
                || (link.connecting && link.connect_until.is_some_and(|t| now >= t))
            {
                return self.lost(io::ErrorKind::TimedOut.into(), ctx);
            }
            if let Some(heartbeat) = link.heartbeat.as_mut() {
                match heartbeat.poll(now) {
                    Beat::Wait => {}
                    Beat::Dead => return self.lost(io::ErrorKind::TimedOut.into(), ctx),
                    Beat::Ping { ttl_deciseconds } => {
                        link.zmtp.ping(ttl_deciseconds, b"");
                        if let Err(e) = self.pump_output(ctx) {
                            return self.lost(e, ctx);
                        }
                    }
                }
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
        // The reactor keeps one wake-up per handler, the earliest asked for; the others
        // are asked for again here, whichever one this was.
        if let Some(when) = self.next_wake() {
            ctx.wake_at(when);
        }
        self.step()
    }

    fn shutdown(&mut self, registry: &Registry) {
        if let Some(mut link) = self.link.take() {
            link.stream.deregister(registry);
            // Like libzmq, only a connect still under way is reported closed; a connection
            // the socket ends goes without an event.
            if link.connecting {
                self.report(EventKind::Closed, link.stream.as_raw_fd() as u32);
            }
        }
    }
}
