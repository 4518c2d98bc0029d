//! A whole connection: a [`Session`] (NULL, PLAIN or CURVE, client or server) fed a peer's
//! byte stream (greeting, handshake, traffic) in chunks of random size, echoing what it
//! receives the way a socket would send it, while a simulated transport writes random
//! amounts of the outbox.
//!
//! Checked at every step:
//! - no panic, no event without consuming input (a livelock), consumed bytes never exceed
//!   the input;
//! - after "need more input", [`Session::bytes_wanted`] is more than what is buffered and no
//!   more than the largest frame the limits allow (the engine sizes reads from it);
//! - one `Ready`, before any message, naming a compatible peer; no message part over the
//!   size limit;
//! - when the connection ends, the messages recovered from the outbox for the next
//!   connection are exactly the whole messages not yet completely written, in order.

use zmtp::entropy::{Entropy, EntropyError};
use zmtp::frame::FrameDecoder;
use zmtp::frame_v1;
use zmtp::greeting::GREETING_LEN;
use zmtp::mechanism::{Mechanism, Verdict, CURVE_MESSAGE_OVERHEAD};
use zmtp::{
    Bytes, BytesMut, CurveKeyPair, CurveSecretKey, Event, Kind, Message, Outbox, Session,
    SessionConfig, SocketType,
};

/// CURVE keys, the same as `fuzz/capture_corpus.py` gives libzmq, so that a captured HELLO
/// opens here.
const SERVER_SECRET: [u8; 32] = [0x53; 32];
const CLIENT_SECRET: [u8; 32] = [0x43; 32];

/// Reproducible "randomness" for CURVE, so that a crash replays exactly.
struct Counter(u64);

impl Entropy for Counter {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), EntropyError> {
        for byte in dest {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            *byte = (self.0 >> 33) as u8;
        }
        Ok(())
    }
}

/// Our side's mechanism, picked by the fourth input byte (bits 0-2).
fn mechanism(pick: u8, config: &SessionConfig) -> Mechanism {
    let metadata = config.metadata();
    let server = || CurveKeyPair::from_secret(CurveSecretKey::from_bytes(SERVER_SECRET));
    match pick % 6 {
        0 => Mechanism::null(metadata),
        1 => Mechanism::null_authenticated(metadata),
        2 => Mechanism::plain_server(metadata),
        3 => Mechanism::plain_client(b"admin", b"secret", metadata).expect("short credentials"),
        4 => Mechanism::curve_server(server(), metadata, Box::new(Counter(4))),
        _ => Mechanism::curve_client(
            server().public,
            CurveKeyPair::from_secret(CurveSecretKey::from_bytes(CLIENT_SECRET)),
            metadata,
            Box::new(Counter(5)),
        )
        .expect("entropy never fails"),
    }
}

/// Message size limits to pick from: none, the edges of the inline and short-frame sizes,
/// and one over the command limit.
const LIMITS: [Option<u64>; 6] = [None, Some(0), Some(16), Some(255), Some(256), Some(100_000)];

/// How far a connection got, for tests that replay known-good streams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The handshake completed.
    pub ready: bool,
    /// Whole messages received (and echoed).
    pub messages: usize,
    /// The ZMTP version the peer spoke, once ready.
    pub peer_version: (u8, u8),
}

/// Input: our socket type, a seed for chunk and write sizes, the message size limit, our
/// mechanism (bits 0-2: NULL, NULL put to the authenticator, PLAIN server, PLAIN client,
/// CURVE server, CURVE client; bit 3: the authenticator refuses), then the bytes the peer
/// sends.
pub fn check(data: &[u8]) -> Outcome {
    let Some((&[kind, seed, limit, pick], stream)) = data.split_first_chunk::<4>() else {
        return Outcome::default();
    };
    let socket_type = SocketType::ALL[usize::from(kind) % SocketType::ALL.len()];
    let max_message_size = LIMITS[usize::from(limit) % LIMITS.len()];
    run(socket_type, max_message_size, seed, pick, stream)
}

/// One connection of `socket_type` with these limits, seed and mechanism (as [`check`]
/// reads them) fed `stream`, under every check of this module.
pub fn run(
    socket_type: SocketType,
    max_message_size: Option<u64>,
    seed: u8,
    pick: u8,
    stream: &[u8],
) -> Outcome {
    Connection::new(socket_type, max_message_size, seed, pick).run(stream)
}

/// The message size limit [`check`] picks with `limit`.
pub fn limit(limit: u8) -> Option<u64> {
    LIMITS[usize::from(limit) % LIMITS.len()]
}

/// The largest frame, header included, that the limits let through (a CURVE frame carries
/// a part of the limit's size plus its box).
fn largest_frame(max_message_size: Option<u64>) -> u64 {
    let sealed = max_message_size.map(|m| m.saturating_add(CURVE_MESSAGE_OVERHEAD as u64));
    let decoder = FrameDecoder::new(sealed);
    // ZMTP 1.0 headers are one octet longer than 3.x ones.
    decoder.max_message_size().max(FrameDecoder::MAX_COMMAND) + frame_v1::MAX_HEADER_LEN as u64
}

/// A part as it was sent: kind, body, MORE flag.
type Part = (Kind, Vec<u8>, bool);

fn part(msg: &Message) -> Part {
    (msg.kind(), msg.as_slice().to_vec(), msg.more())
}

struct Connection {
    socket_type: SocketType,
    /// The authenticator's answer.
    deny: bool,
    /// Our side asks an authenticator about the peer (a server, or NULL with ZAP).
    authenticates: bool,
    max_message_size: Option<u64>,
    session: Session,
    outbox: Outbox,
    input: BytesMut,
    rng: XorShift,
    ready: bool,
    peer_version: (u8, u8),
    /// Bytes the simulated transport has taken from the outbox.
    written: u64,
    /// Whole messages sent after the handshake, with the stream offset where each ends.
    sent: Vec<(Vec<Part>, u64)>,
    /// Whole messages received.
    received: usize,
    /// Parts of a message still arriving.
    unfinished: Vec<Message>,
}

impl Connection {
    fn new(
        socket_type: SocketType,
        max_message_size: Option<u64>,
        seed: u8,
        pick: u8,
    ) -> Connection {
        let config = SessionConfig {
            socket_type,
            routing_id: Bytes::from_static(b"fuzz"),
            max_message_size,
            max_message_parts: None,
            max_multipart_size: None,
        };
        let mechanism = mechanism(pick & 0x07, &config);
        let session = Session::with_mechanism(config, mechanism);
        Connection {
            socket_type,
            deny: pick & 0x08 != 0,
            authenticates: matches!((pick & 0x07) % 6, 1 | 2 | 4),
            max_message_size,
            session,
            outbox: Outbox::new(),
            input: BytesMut::new(),
            rng: XorShift::new(seed),
            ready: false,
            peer_version: (0, 0),
            written: 0,
            sent: Vec::new(),
            received: 0,
            unfinished: Vec::new(),
        }
    }

    fn run(mut self, mut stream: &[u8]) -> Outcome {
        self.session.poll_transmit(&mut self.outbox);
        while !stream.is_empty() {
            let (chunk, rest) = stream.split_at(self.rng.chunk_len().min(stream.len()));
            stream = rest;
            self.input.extend_from_slice(chunk);
            if !self.drain_events() {
                break;
            }
            self.transport_writes();
        }
        let outcome = Outcome {
            ready: self.ready,
            messages: self.received,
            peer_version: self.peer_version,
        };
        self.check_recovery();
        outcome
    }

    /// Takes every event out of the buffered input; false once the connection has failed.
    fn drain_events(&mut self) -> bool {
        loop {
            let before = self.input.len();
            match self.session.handle_input(&mut self.input) {
                Ok(Some(Event::Authenticate(_))) => {
                    // A verdict may take the handshake on without new input (it consumes
                    // none): answer, then read on.
                    let verdict = if self.deny {
                        Verdict::deny(400, "fuzz says no")
                    } else {
                        Verdict::allow("fuzz")
                    };
                    if let Err(error) = self.session.handle_verdict(verdict) {
                        assert!(self.deny, "an allowing verdict failed: {error}");
                        self.fail(&error);
                        return false;
                    }
                    self.session.poll_transmit(&mut self.outbox);
                }
                Ok(Some(event)) => {
                    // The one event that consumes nothing: the subscription to everything a
                    // PUB or XPUB makes for a ZMTP 1.0 subscriber, right after its Ready.
                    let made_up = matches!(&event, Event::Message(m) if m.kind() == Kind::Subscribe
                        && m.is_empty()
                        && self.received == 0
                        && self.peer_version == (1, 0));
                    assert!(
                        self.input.len() < before || made_up,
                        "{event:?} consumed no input"
                    );
                    if !self.on_event(event) {
                        return false;
                    }
                }
                Ok(None) => {
                    assert!(self.input.len() <= before, "input grew");
                    let wanted = self.session.bytes_wanted();
                    assert!(
                        wanted > self.input.len(),
                        "wants {wanted} bytes, {} are already buffered",
                        self.input.len()
                    );
                    let bound = largest_frame(self.max_message_size).max(GREETING_LEN as u64);
                    assert!(
                        wanted as u64 <= bound,
                        "wants {wanted} bytes, frames are at most {bound}"
                    );
                    return true;
                }
                Err(error) => {
                    assert!(self.input.len() <= before, "input grew");
                    self.fail(&error);
                    return false;
                }
            }
        }
    }

    /// What the engine does on an error: tell the peer if it is owed an ERROR, flush, close.
    fn fail(&mut self, error: &zmtp::ProtocolError) {
        self.session.report(error);
        self.session.poll_transmit(&mut self.outbox);
    }

    /// Handles one event; false once the connection has failed.
    fn on_event(&mut self, event: Event) -> bool {
        match event {
            Event::Ready(peer) => {
                assert!(!self.ready, "a second Ready");
                assert!(
                    !self.deny || !self.authenticates,
                    "a refused peer got through"
                );
                if let Some(theirs) = peer.socket_type {
                    assert!(
                        self.socket_type.is_compatible_with(theirs),
                        "{} accepted a {theirs} peer",
                        self.socket_type,
                    );
                    // ZMTP 1.0 and 2.0 peers of every type send an identity.
                    if !theirs.sends_identity() && peer.version.0 >= 3 {
                        assert!(peer.identity.is_empty(), "identity from a type without one");
                    }
                }
                self.ready = true;
                self.peer_version = peer.version;
                // The handshake's last bytes go before the traffic mark, as the engine does.
                self.session.poll_transmit(&mut self.outbox);
                self.outbox.start_traffic();
            }
            Event::Message(msg) => {
                assert!(self.ready, "a message before Ready");
                if let (Some(max), Kind::Data) = (self.max_message_size, msg.kind()) {
                    assert!(msg.len() as u64 <= max, "a part over the size limit");
                }
                if !msg.more() {
                    self.received += 1;
                }
                if let Err(error) = self.echo(msg) {
                    self.fail(&error);
                    return false;
                }
            }
            Event::Ping { .. } | Event::Pong => assert!(self.ready, "a heartbeat before Ready"),
            Event::Authenticate(_) => unreachable!("answered in drain_events"),
        }
        // A PING's PONG goes out between whole messages: a command inside a multipart
        // message breaks the RFC's grammar and the outbox's message boundaries.
        if self.unfinished.is_empty() {
            self.session.poll_transmit(&mut self.outbox);
        }
        true
    }

    /// Sends a received message back once all its parts are in, as a socket of our type
    /// would send such a message.
    fn echo(&mut self, msg: Message) -> Result<(), zmtp::ProtocolError> {
        let ours = match msg.kind() {
            Kind::Data => true,
            Kind::Subscribe | Kind::Cancel => self.socket_type.sends_subscriptions(),
            Kind::Join | Kind::Leave => self.socket_type == SocketType::Dish,
        };
        if !ours {
            return Ok(());
        }
        self.unfinished.push(msg);
        if self.unfinished.last().is_some_and(Message::more) {
            return Ok(());
        }
        let parts = std::mem::take(&mut self.unfinished);
        for msg in &parts {
            self.session.encode(msg, &mut self.outbox)?;
        }
        let end = self.written + self.outbox.len() as u64;
        self.sent.push((parts.iter().map(part).collect(), end));
        Ok(())
    }

    /// The transport accepts some of what is queued, as a non-blocking write would.
    fn transport_writes(&mut self) {
        let n = self.rng.below(self.outbox.len() + 1);
        self.outbox.advance(n);
        self.written += n as u64;
    }

    fn check_recovery(mut self) {
        let unsent = self.outbox.take_unsent_traffic();
        let recovered: Vec<Part> = self
            .session
            .recover_unsent(unsent)
            .iter()
            .map(part)
            .collect();
        // ZMTP 3.0 subscriptions are data messages starting with 0 or 1, so a subscriber's
        // data parts that start so come back as subscriptions: by design, not compared.
        if self.peer_version < (3, 1) && self.socket_type.sends_subscriptions() {
            return;
        }
        let expected: Vec<Part> = self
            .sent
            .into_iter()
            .filter(|(_, end)| *end > self.written)
            .flat_map(|(parts, _)| parts)
            .collect();
        assert_eq!(
            recovered, expected,
            "recovered messages are the ones not completely written"
        );
    }
}

/// A small deterministic generator for chunk and write sizes, so a crash replays exactly.
struct XorShift(u32);

impl XorShift {
    fn new(seed: u8) -> XorShift {
        XorShift(0x9E37_79B9 ^ u32::from(seed).wrapping_mul(0x0101_0101) | 1)
    }

    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() as usize) % n.max(1)
    }

    /// Mostly a few bytes, sometimes a whole read buffer's worth.
    fn chunk_len(&mut self) -> usize {
        match self.next() % 8 {
            0 => 1,
            1..=5 => 1 + self.below(16),
            6 => 1 + self.below(300),
            _ => 1 + self.below(8192),
        }
    }
}
