//! One ZMTP connection as a pure state machine: no system calls, no clock readings. The
//! session (the pump) reads bytes into [`Connection::read_buf`], writes what
//! [`Connection::poll_transmit`] gives, passes the time in, and acts on what
//! [`Connection::poll_event`] says.
//!
//! Its lifecycle is one [`Phase`]: the transport connect under way (bounded by
//! CONNECT_TIMEOUT), the handshake (bounded by HANDSHAKE_IVL, possibly waiting for a ZAP
//! verdict), then traffic watched by heartbeats (RFC 37). Whatever ends it says why as a
//! [`Reason`].
//!
//! The order to call things in, for each readiness or timer event:
//! 1. [`handle_connected`](Connection::handle_connected) once the transport connect finished
//!    (and, through a SOCKS5 proxy, once the proxy connected onwards: that handshake is the
//!    session's, before this one);
//! 2. [`read_buf`](Connection::read_buf), the read system call, then
//!    [`handle_read`](Connection::handle_read) with the count and the time;
//! 3. [`poll_event`](Connection::poll_event) until it says `None` (or the socket's pipe is
//!    full), answering [`Event::Authenticate`] with
//!    [`handle_verdict`](Connection::handle_verdict) when the ZAP handler replied;
//! 4. [`send`](Connection::send) messages while [`wants_messages`](Connection::wants_messages),
//!    then [`poll_transmit`](Connection::poll_transmit), the write, and
//!    [`handle_written`](Connection::handle_written);
//! 5. [`handle_timeout`](Connection::handle_timeout) at [`poll_timeout`](Connection::poll_timeout).
//!
//! Large message parts are read straight into a buffer of their own, which becomes the
//! message: no copy through the input buffer, and the buffer is recycled when the message is
//! dropped (see [`zmtp::recycled`]).
//!
//! A little over 500 lines, on purpose: the large-part reader decides where the next read
//! goes and what the decoder sees, so it lives with the state machine it feeds (the tests
//! are in `connection/tests.rs`).

use super::heartbeat::{Beat, Heartbeat};
use super::reason::Reason;
use crate::options::{millis, Options};
use bytes::BytesMut;
use std::io::IoSlice;
use std::time::{Duration, Instant};
use zmtp::mechanism::{AuthRequest, Verdict};
use zmtp::outbox::Outbox;
use zmtp::{Message, PeerInfo, ProtocolError};

/// Bytes read per system call when no large frame is pending.
const READ_SIZE: usize = 64 * 1024;
/// A message part at least this long is read straight from the socket into a buffer of
/// its own, not into the input buffer.
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

/// The deadlines a connection keeps, from the socket's options.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Timeouts {
    /// HANDSHAKE_IVL, counted from the start of the connect (or the accept).
    pub(super) handshake: Option<Duration>,
    /// CONNECT_TIMEOUT.
    pub(super) connect: Option<Duration>,
    /// HEARTBEAT_IVL (zero: we send no PINGs).
    pub(super) heartbeat_ivl: Duration,
    /// HEARTBEAT_TIMEOUT (zero: the interval).
    pub(super) heartbeat_timeout: Duration,
    /// HEARTBEAT_TTL.
    pub(super) heartbeat_ttl: Duration,
}

impl Timeouts {
    /// The timeouts the options ask for; zero means none.
    pub(super) fn of(options: &Options) -> Self {
        let nonzero = |ms| millis(ms).filter(|d| !d.is_zero());
        Timeouts {
            handshake: nonzero(options.handshake_ivl),
            connect: nonzero(options.connect_timeout),
            heartbeat_ivl: millis(options.heartbeat_ivl).unwrap_or_default(),
            heartbeat_timeout: options.heartbeat_timeout(),
            heartbeat_ttl: millis(options.heartbeat_ttl).unwrap_or_default(),
        }
    }
}

/// Where a connection is in its life.
#[derive(Debug)]
enum Phase {
    /// The transport connect is under way.
    Connecting {
        /// CONNECT_TIMEOUT.
        connect_until: Option<Instant>,
        /// HANDSHAKE_IVL also bounds a connect that hangs without CONNECT_TIMEOUT.
        handshake_until: Option<Instant>,
    },
    /// Greetings and the security handshake.
    Handshaking {
        until: Option<Instant>,
        /// The mechanism asked for a ZAP verdict on the client, which has not come yet.
        awaiting_verdict: bool,
    },
    /// Traffic flows.
    Ready { heartbeat: Heartbeat },
}

/// What the connection has for the session.
#[derive(Debug)]
pub(super) enum Event {
    /// The mechanism wants a verdict on the client: ask the ZAP handler (or decide without
    /// one) and answer with [`Connection::handle_verdict`].
    Authenticate(AuthRequest),
    /// The handshake completed; what the peer announced.
    Ready(PeerInfo),
    /// A message part from the peer.
    Message(Message),
    /// The connection is over; drop it. What the peer is owed (an ERROR) is in
    /// [`Connection::poll_transmit`], to be written best effort.
    Lost(Reason),
}

/// Where the next read goes, and how much to ask for.
pub(super) enum ReadBuf<'a> {
    /// The input buffer, which the decoder reads frames from.
    Input(&'a mut BytesMut, usize),
    /// The buffer of the large part under way.
    Body(&'a mut Vec<u8>, usize),
}

/// A large message part read into a buffer of its own.
#[derive(Debug)]
struct LargeBody {
    data: Vec<u8>,
    len: usize,
    more: bool,
}

/// See the module documentation.
pub(super) struct Connection {
    zmtp: zmtp::Session,
    phase: Phase,
    timeouts: Timeouts,
    inbuf: BytesMut,
    /// How much the next read into `inbuf` asks for: [`READ_SIZE`], or
    /// [`READ_AFTER_LARGE`] after a large part.
    read_size: usize,
    large_body: Option<LargeBody>,
    outbox: Outbox,
    /// HELLO_MSG: the first message of this connection, sent as its handshake completes.
    hello: Option<Message>,
    /// The latest time the session passed in: when the bytes being decoded arrived.
    now: Instant,
    /// A deadline appeared or moved earlier since the session last asked.
    deadline_moved: bool,
}

impl Connection {
    /// A connection whose transport connect started at `now`.
    pub(super) fn connecting(zmtp: zmtp::Session, timeouts: Timeouts, now: Instant) -> Self {
        let phase = Phase::Connecting {
            connect_until: timeouts.connect.map(|d| now + d),
            handshake_until: timeouts.handshake.map(|d| now + d),
        };
        Self::new(zmtp, phase, timeouts, now)
    }

    /// A connection accepted at `now`: its handshake starts at once.
    pub(super) fn accepted(zmtp: zmtp::Session, timeouts: Timeouts, now: Instant) -> Self {
        let phase = Phase::Handshaking {
            until: timeouts.handshake.map(|d| now + d),
            awaiting_verdict: false,
        };
        Self::new(zmtp, phase, timeouts, now)
    }

    fn new(zmtp: zmtp::Session, phase: Phase, timeouts: Timeouts, now: Instant) -> Self {
        Connection {
            zmtp,
            phase,
            timeouts,
            inbuf: BytesMut::new(),
            read_size: READ_SIZE,
            large_body: None,
            outbox: Outbox::new(),
            hello: None,
            now,
            deadline_moved: false,
        }
    }

    /// Sends `hello` (HELLO_MSG) first once the handshake completes. It belongs to this
    /// connection: never replayed on the next one, which sends its own.
    pub(super) fn with_hello(mut self, hello: Option<Message>) -> Self {
        self.hello = hello;
        self
    }

    /// Whether the transport connect is still under way.
    pub(super) fn is_connecting(&self) -> bool {
        matches!(self.phase, Phase::Connecting { .. })
    }

    /// The security mechanism this connection speaks, for diagnostics.
    #[cfg(feature = "tracing")]
    pub(super) fn mechanism(&self) -> zmtp::greeting::MechanismName {
        self.zmtp.mechanism()
    }

    /// Whether the handshake completed.
    pub(super) fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready { .. })
    }

    /// The transport connect finished: the handshake starts, within what is left of
    /// HANDSHAKE_IVL.
    pub(super) fn handle_connected(&mut self) {
        if let Phase::Connecting {
            handshake_until, ..
        } = self.phase
        {
            self.phase = Phase::Handshaking {
                until: handshake_until,
                awaiting_verdict: false,
            };
        }
    }

    /// Where the next read goes. Makes room in the input buffer: towards the end of a large
    /// frame the decoder reads itself, but never past twice what has arrived, so a peer
    /// cannot make us reserve memory it has not sent.
    pub(super) fn read_buf(&mut self) -> ReadBuf<'_> {
        if let Some(body) = self.large_body.as_mut() {
            let asked = body.len - body.data.len();
            return ReadBuf::Body(&mut body.data, asked);
        }
        let have = self.inbuf.len();
        let wanted = self.zmtp.bytes_wanted();
        let limit = if wanted >= LARGE_BODY && wanted > have {
            let room = (wanted - have).min(have.max(READ_SIZE));
            self.inbuf.reserve(room);
            room
        } else {
            self.inbuf.reserve(READ_SIZE);
            self.read_size
        };
        let asked = limit.min(self.inbuf.capacity() - self.inbuf.len());
        ReadBuf::Input(&mut self.inbuf, asked)
    }

    /// `n` bytes arrived at `now` (a read into [`read_buf`](Self::read_buf)); zero is the
    /// end of the stream.
    #[inline]
    pub(super) fn handle_read(&mut self, n: usize, now: Instant) -> Result<(), Reason> {
        if n == 0 {
            return Err(Reason::PeerClosed);
        }
        self.now = now;
        if let Phase::Ready { heartbeat } = &mut self.phase {
            heartbeat.on_traffic(now);
        }
        Ok(())
    }

    /// The next event from what was read; `None` when more input is needed.
    pub(super) fn poll_event(&mut self) -> Option<Event> {
        loop {
            let input = if self.large_body.is_some() {
                Ok(self.finish_large_body().map(zmtp::Event::Message))
            } else {
                self.zmtp.handle_input(&mut self.inbuf)
            };
            let event = match input {
                Ok(Some(event)) => event,
                Ok(None) => match self.start_large_body() {
                    Ok(true) => continue,
                    Ok(false) => return None,
                    Err(error) => return Some(Event::Lost(self.fail(error))),
                },
                Err(error) => return Some(Event::Lost(self.fail(error))),
            };
            match event {
                zmtp::Event::Message(msg) => {
                    self.read_size = if msg.len() >= LARGE_BODY {
                        READ_AFTER_LARGE
                    } else {
                        READ_SIZE
                    };
                    if let Phase::Ready { heartbeat } = &mut self.phase {
                        heartbeat.on_message();
                    }
                    return Some(Event::Message(msg));
                }
                zmtp::Event::Authenticate(request) => {
                    if let Phase::Handshaking {
                        awaiting_verdict, ..
                    } = &mut self.phase
                    {
                        *awaiting_verdict = true;
                    }
                    return Some(Event::Authenticate(request));
                }
                zmtp::Event::Ready(peer) => {
                    if let Err(error) = self.on_ready(&peer) {
                        return Some(Event::Lost(self.fail(error)));
                    }
                    return Some(Event::Ready(peer));
                }
                zmtp::Event::Ping { ttl_deciseconds } => {
                    if let Phase::Ready { heartbeat } = &mut self.phase {
                        heartbeat.on_peer_ping(ttl_deciseconds, self.now);
                        self.deadline_moved = true;
                    }
                }
                zmtp::Event::Pong => {
                    if let Phase::Ready { heartbeat } = &mut self.phase {
                        heartbeat.on_message();
                    }
                }
            }
        }
    }

    /// The ZAP handler's verdict on the client (or the reason there is none), at `now`.
    pub(super) fn handle_verdict(
        &mut self,
        verdict: Result<Verdict, Reason>,
        now: Instant,
    ) -> Result<(), Reason> {
        self.now = now;
        let Phase::Handshaking {
            awaiting_verdict, ..
        } = &mut self.phase
        else {
            return Ok(());
        };
        if !std::mem::take(awaiting_verdict) {
            return Ok(());
        }
        match self.zmtp.handle_verdict(verdict?) {
            Ok(()) => Ok(()),
            Err(error) => Err(self.fail(error)),
        }
    }

    /// Whether the connection takes messages to send now, and has room for more before the
    /// next write.
    #[inline]
    pub(super) fn wants_messages(&self) -> bool {
        self.is_ready() && self.outbox.len() < WRITE_BATCH
    }

    /// Encodes a message part for the peer.
    #[inline]
    pub(super) fn send(&mut self, msg: &Message) -> Result<(), Reason> {
        match self.zmtp.encode(msg, &mut self.outbox) {
            Ok(()) => Ok(()),
            Err(error) => Err(self.fail(error)),
        }
    }

    /// Whether the protocol has something to send of its own (a PONG, the handshake).
    #[inline]
    pub(super) fn wants_transmit(&self) -> bool {
        self.zmtp.wants_transmit()
    }

    /// Queues what the protocol owes the peer.
    #[inline]
    pub(super) fn poll_protocol(&mut self) {
        self.zmtp.poll_transmit(&mut self.outbox);
    }

    /// Fills `slices` with the bytes to write next; returns how many it filled (none: nothing
    /// to write).
    #[inline]
    pub(super) fn poll_transmit<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        if self.outbox.is_empty() {
            return 0;
        }
        self.outbox.io_slices(slices)
    }

    /// The kernel took `n` of the bytes given by [`poll_transmit`](Self::poll_transmit).
    #[inline]
    pub(super) fn handle_written(&mut self, n: usize) {
        self.outbox.advance(n);
    }

    /// Whether everything queued has been written.
    pub(super) fn is_flushed(&self) -> bool {
        self.outbox.is_empty()
    }

    /// Acts on the deadlines that passed at `now`: a timeout ends the connection, a due PING
    /// is queued.
    pub(super) fn handle_timeout(&mut self, now: Instant) -> Result<(), Reason> {
        self.now = now;
        let passed = |t: Option<Instant>| t.is_some_and(|t| now >= t);
        match &mut self.phase {
            Phase::Connecting {
                connect_until,
                handshake_until,
            } => {
                if passed(*connect_until) || passed(*handshake_until) {
                    return Err(Reason::ConnectTimeout);
                }
            }
            Phase::Handshaking { until, .. } => {
                if passed(*until) {
                    return Err(Reason::HandshakeTimeout);
                }
            }
            Phase::Ready { heartbeat } => match heartbeat.poll(now) {
                Beat::Wait => {}
                Beat::Dead => return Err(Reason::HeartbeatTimeout),
                Beat::Ping { ttl_deciseconds } => self.zmtp.ping(ttl_deciseconds, b""),
            },
        }
        Ok(())
    }

    /// The earliest deadline the connection has to act on.
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Connecting {
                connect_until,
                handshake_until,
            } => [*connect_until, *handshake_until]
                .into_iter()
                .flatten()
                .min(),
            Phase::Handshaking { until, .. } => *until,
            Phase::Ready { heartbeat } => heartbeat
                .is_active()
                .then(|| heartbeat.next_deadline())
                .flatten(),
        }
    }

    /// The earliest deadline, if one appeared since the last call: the session arms its
    /// timer only then, not after every read.
    #[inline]
    pub(super) fn poll_new_timeout(&mut self) -> Option<Instant> {
        if !std::mem::take(&mut self.deadline_moved) {
            return None;
        }
        self.poll_timeout()
    }

    /// Whether [`poll_new_timeout`](Self::poll_new_timeout) has news, without taking it.
    pub(super) fn has_new_timeout(&self) -> bool {
        self.deadline_moved
    }

    /// Bytes held by a message from the peer that will now never be finished.
    pub(super) fn partial_message_cost(&self) -> u64 {
        self.zmtp.partial_message_cost()
    }

    /// The messages written into this connection that the peer never got whole, to send
    /// first on the next connection.
    pub(super) fn into_unsent(mut self) -> Vec<Message> {
        let unsent = self.outbox.take_unsent_traffic();
        self.zmtp.recover_unsent(unsent)
    }

    /// The handshake completed: what it still owes the peer (the rest of our greeting, our
    /// READY) and HELLO_MSG go before the traffic mark, so they are never replayed on
    /// another connection, and heartbeats start. ZMTP 1.0 and 2.0 peers know no PING: no
    /// heartbeats with them, as in libzmq.
    fn on_ready(&mut self, peer: &PeerInfo) -> Result<(), ProtocolError> {
        self.zmtp.poll_transmit(&mut self.outbox);
        if let Some(hello) = self.hello.take() {
            self.zmtp.encode(&hello, &mut self.outbox)?;
        }
        self.outbox.start_traffic();
        let interval = if peer.version.0 >= 3 {
            self.timeouts.heartbeat_ivl
        } else {
            Duration::ZERO
        };
        let heartbeat = Heartbeat::new(
            interval,
            self.timeouts.heartbeat_timeout,
            self.timeouts.heartbeat_ttl,
            self.now,
        );
        self.phase = Phase::Ready { heartbeat };
        self.deadline_moved = true;
        Ok(())
    }

    /// The protocol failed: queue what the peer is owed (an ERROR: a refusal's status code,
    /// an incompatible socket type) and say why the connection ends.
    fn fail(&mut self, error: ProtocolError) -> Reason {
        self.zmtp.report(&error);
        self.zmtp.poll_transmit(&mut self.outbox);
        Reason::Protocol(error)
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
        let body = self.large_body.as_ref()?;
        if body.data.len() < body.len {
            return None;
        }
        let body = self.large_body.take()?;
        Some(Message::from_bytes(zmtp::recycled::into_bytes(body.data)).with_more(body.more))
    }
}

#[cfg(test)]
mod tests;
