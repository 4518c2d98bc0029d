//! One ZMTP connection as a state machine: greeting, security handshake, then traffic.
//!
//! The session owns no socket and no clock. The I/O layer drives it:
//!
//! 1. [`Session::new`] (NULL) or [`Session::with_mechanism`] queues the greeting's
//!    signature; the rest of the greeting follows the peer's first octets, which also tell
//!    an older peer (ZMTP 1.0 or 2.0, see `legacy.rs`), as libzmq does. Nothing of the
//!    mechanism's (NULL's READY, a PLAIN client's username and password, a CURVE HELLO)
//!    follows until the peer's greeting has arrived and names the same mechanism: a
//!    listener that never greets, greets with another mechanism or is no ZMTP peer at all
//!    learns nothing but our greeting;
//! 2. bytes read from the transport go to [`Session::handle_input`], called until it returns
//!    `Ok(None)` (more input needed); each call yields at most one [`Event`], and consumes
//!    input to do so, but for the subscription to everything a PUB or XPUB gets right
//!    after a ZMTP 1.0 subscriber's [`Event::Ready`]. An
//!    [`Event::Authenticate`] asks for a verdict on the peer: pass it to
//!    [`Session::handle_verdict`] whenever the authenticator answers (the session waits
//!    meanwhile), then call [`Session::handle_input`] again;
//! 3. [`Session::poll_transmit`] moves queued handshake and control bytes (PONG replies,
//!    ERROR) into an [`Outbox`]; on [`Event::Ready`], call it once more (the handshake's
//!    last bytes) before [`Outbox::start_traffic`], then [`Session::encode`] adds messages;
//! 4. on an error the connection is closed; [`Session::report`] then
//!    [`Session::poll_transmit`] may first yield an ERROR command for the peer.
//!
//! With NULL and PLAIN, traffic frames travel in clear and the session encodes and decodes
//! them itself: no copy of a large body, no allocation for a small one. With CURVE every
//! frame goes through the mechanism, which seals it in a MESSAGE box (see
//! [`crate::mechanism`]).

use crate::command::Command;
use crate::curve_keys::CurvePublicKey;
use crate::error::ProtocolError;
use crate::frame::{self, FrameDecoder, FrameHeader, MAX_HEADER_LEN};
use crate::frame_v1;
use crate::greeting::{Greeting, MechanismName, GREETING_LEN, REVISION_POS, SIGNATURE_LEN};
use crate::mechanism::{
    AuthRequest, Frame, HandshakeOutcome, Mechanism, MechanismError, MechanismEvent, SentFrames,
    Verdict,
};
use crate::message::{Kind, Message, INLINE_CAPACITY};
use crate::message_budget::MessageBudget;
use crate::metadata::{self, Metadata};
use crate::outbox::{Outbox, SHARE_THRESHOLD};
use crate::socket_type::SocketType;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::collections::VecDeque;

/// Most PONGs owed at once (see `Session::pending_pongs`): far more than a peer that
/// reads its answers ever has outstanding.
const MAX_OWED_PONGS: usize = 16;

/// What a session needs to know about its own side.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Our socket type, announced in READY and checked against the peer's.
    pub socket_type: SocketType,
    /// Our routing id, announced as `Identity` by the types that send one.
    pub routing_id: Bytes,
    /// Largest message part accepted from the peer (`None`: unlimited). Under CURVE the
    /// part is measured once opened, so the limit means the same under every mechanism
    /// (libzmq measures the sealed frame, 33 octets more, and its handshake commands too).
    pub max_message_size: Option<u64>,
    /// Most parts one message from the peer may have (`None`: unlimited).
    pub max_message_parts: Option<u64>,
    /// Most bytes the parts of one message from the peer may add up to (`None`: unlimited).
    pub max_multipart_size: Option<u64>,
}

impl SessionConfig {
    /// The properties this side announces (`Socket-Type`, and `Identity` for the types that
    /// send one): what a [`Mechanism`] is built with.
    ///
    /// ```
    /// use ferrozmq_zmtp::{Bytes, SessionConfig, SocketType};
    ///
    /// let config = SessionConfig {
    ///     socket_type: SocketType::Dealer,
    ///     routing_id: Bytes::from_static(b"me"),
    ///     max_message_size: None,
    ///     max_message_parts: None,
    ///     max_multipart_size: None,
    /// };
    /// let metadata = config.metadata();
    /// assert_eq!(&metadata.get("Socket-Type").unwrap()[..], b"DEALER");
    /// assert_eq!(&metadata.get("Identity").unwrap()[..], b"me");
    /// ```
    pub fn metadata(&self) -> Metadata {
        let mut metadata = Metadata::new();
        // Both names are valid property names, so insertion cannot fail.
        let _ = metadata.insert(metadata::SOCKET_TYPE, self.socket_type.as_str());
        if self.socket_type.sends_identity() {
            let _ = metadata.insert(metadata::IDENTITY, self.routing_id.clone());
        }
        metadata
    }
}

/// Who the peer is, learnt from its greeting and handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type; `None` when the peer did not say (a READY without
    /// `Socket-Type`, which libzmq accepts too).
    pub socket_type: Option<SocketType>,
    /// The peer's `Identity` property (empty when it sent none).
    pub identity: Bytes,
    /// The ZMTP version the peer announced.
    pub version: (u8, u8),
    /// Every property of the peer's READY (or INITIATE).
    pub metadata: Metadata,
    /// The security mechanism the connection uses.
    pub mechanism: MechanismName,
    /// Server side: the user id the authenticator gave the peer (empty without one).
    pub user_id: Bytes,
    /// Server side: the properties the authenticator attached to the connection (ZAP
    /// metadata). They stay on this side; the peer never sees them.
    pub auth_metadata: Metadata,
    /// CURVE: the peer's long-term public key (the client's on a server, the server's on a
    /// client).
    pub peer_key: Option<CurvePublicKey>,
}

/// Something the peer said, or something the session needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The handshake is complete; messages may flow both ways.
    Ready(PeerInfo),
    /// A message part, or a subscription ([`Kind::Subscribe`] / [`Kind::Cancel`]).
    Message(Message),
    /// A heartbeat request; the PONG is already queued.
    Ping {
        /// How long the peer asks us to wait for traffic before giving up, in tenths of a
        /// second (0: no request).
        ttl_deciseconds: u16,
    },
    /// A heartbeat reply.
    Pong,
    /// Server side: the handshake waits for a verdict on the peer (a ZAP request, RFC 27).
    /// Answer with [`Session::handle_verdict`], now or later.
    Authenticate(AuthRequest),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Our signature is out; the peer's first octets say which ZMTP it speaks.
    ExpectSignature,
    /// A peer of ZMTP 2.0 or later: its revision octet says what the rest of our greeting is.
    ExpectRevision,
    /// ZMTP 3.x: the rest of the peer's 64-octet greeting.
    ExpectGreeting,
    /// The mechanism's commands (READY for NULL; HELLO, WELCOME, INITIATE, READY otherwise).
    Handshake,
    /// Traffic in ZMTP 3.x framing (ZMTP 2.0 too: the same frames, without commands).
    Traffic,
    /// ZMTP 1.0 or 2.0: the peer's identity frame (after its socket type, for 2.0).
    ExpectIdentity(Legacy),
    /// ZMTP 1.0 to a PUB or XPUB: the peer will never subscribe (libzmq 2.x filtered on the
    /// subscriber's side), so a subscription to everything is made for it, as libzmq does.
    SubscribeAll,
    /// Traffic in ZMTP 1.0 framing.
    TrafficV1,
}

/// How an older peer announced itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Legacy {
    /// No version at all (libzmq 2.x): its first frame is its identity.
    V1Unversioned,
    /// Revision 0 after the signature: ZMTP 1.0 framing, after a 12-octet greeting.
    V1,
    /// Revision 1: ZMTP 2.0 (libzmq 3.x).
    V2,
}

/// How traffic frames are written and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// ZMTP 3.x (and 2.0) frames, which the session encodes and decodes itself.
    Clear,
    /// CURVE: every frame goes through the mechanism.
    Sealed,
    /// ZMTP 1.0 frames.
    V1,
}

/// A ZMTP connection (3.x, or 2.0 and 1.0 with an older peer).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    mechanism: Mechanism,
    /// How traffic frames are written and read.
    framing: Framing,
    /// The peer speaks ZMTP 1.0 or 2.0: no commands either way.
    legacy: bool,
    state: State,
    decoder: FrameDecoder,
    /// Control bytes to send, final: greeting, handshake commands, and in clear traffic
    /// PING, PONG and ERROR.
    control: Vec<u8>,
    /// Sealed traffic: commands to seal when they go to the outbox. Sealing then, not when
    /// they are made, keeps the short nonces increasing in the order the bytes go out.
    to_seal: Vec<Command>,
    /// Sealed traffic: opens what this side sealed, to recover unsent messages.
    sent_frames: Option<SentFrames>,
    peer: Option<PeerInfo>,
    peer_version: (u8, u8),
    /// Bytes the next event needs at the front of the input, when known.
    wanted: usize,
    /// The last part encoded had MORE: control traffic (PING, PONG, ...) must wait, since
    /// nothing may come between the parts of a message on the wire.
    mid_message: bool,
    /// The PONGs owed, one per PING as libzmq answers, sent with the next control bytes;
    /// at most [`MAX_OWED_PONGS`], the latest kept, so that a peer that pings and never
    /// reads cannot make the answers pile up.
    pending_pongs: VecDeque<Bytes>,
    /// The parts of the inbound message under way, against the configured bounds.
    budget: MessageBudget,
}

impl Session {
    /// Starts a session with the NULL mechanism; the greeting and READY are queued for
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn new(config: SessionConfig) -> Session {
        let mechanism = Mechanism::null(config.metadata());
        Self::with_mechanism(config, mechanism)
    }

    /// Starts a session secured by `mechanism`, which should carry
    /// [`SessionConfig::metadata`]. The greeting announces it; the mechanism's first commands
    /// wait for the peer's greeting, and go out only if it names the same mechanism.
    ///
    /// ```
    /// use ferrozmq_zmtp::{Bytes, Mechanism, Outbox, Session, SessionConfig, SocketType};
    ///
    /// let config = SessionConfig {
    ///     socket_type: SocketType::Req,
    ///     routing_id: Bytes::new(),
    ///     max_message_size: None,
    ///     max_message_parts: None,
    ///     max_multipart_size: None,
    /// };
    /// let plain = Mechanism::plain_client(b"admin", b"secret", config.metadata()).unwrap();
    /// let mut session = Session::with_mechanism(config, plain);
    /// let mut out = Outbox::new();
    /// session.poll_transmit(&mut out);
    /// // The signature goes first (10 octets); the rest of the greeting waits for the
    /// // peer's first octets, and the credentials for the peer's greeting.
    /// assert_eq!(out.len(), 10);
    /// ```
    pub fn with_mechanism(config: SessionConfig, mechanism: Mechanism) -> Session {
        let mut control = Vec::with_capacity(GREETING_LEN + 64);
        // As libzmq: the signature alone, which a ZMTP 1.0 peer reads as the header of an
        // identity frame; the rest follows the peer's first octets.
        control.extend_from_slice(&Greeting::signature(config.routing_id.len()));
        let overhead = mechanism.frame_overhead() as u64;
        // A sealed frame is larger than the part it carries; the part itself is checked
        // against the limit once opened.
        let decoder =
            FrameDecoder::new(config.max_message_size.map(|m| m.saturating_add(overhead)));
        Session {
            decoder,
            budget: MessageBudget::new(config.max_message_parts, config.max_multipart_size),
            framing: if overhead > 0 {
                Framing::Sealed
            } else {
                Framing::Clear
            },
            legacy: false,
            config,
            mechanism,
            state: State::ExpectSignature,
            control,
            to_seal: Vec::new(),
            sent_frames: None,
            peer: None,
            peer_version: (0, 0),
            wanted: SIGNATURE_LEN,
            mid_message: false,
            pending_pongs: VecDeque::new(),
        }
    }

    /// True once the handshake is complete.
    pub fn is_ready(&self) -> bool {
        matches!(
            self.state,
            State::Traffic | State::TrafficV1 | State::SubscribeAll
        )
    }

    /// The peer, once the handshake is complete.
    pub fn peer(&self) -> Option<&PeerInfo> {
        self.peer.as_ref()
    }

    /// The security mechanism announced in our greeting.
    pub fn mechanism(&self) -> MechanismName {
        self.mechanism.name()
    }

    /// Total bytes the next event needs at the front of the input (at least what is
    /// there now, plus one). Readers use it to size their buffer once for a large frame.
    pub fn bytes_wanted(&self) -> usize {
        self.wanted
    }

    /// For readers that pour large bodies straight into buffers of their own: when `input`
    /// begins with the header of a data frame (clear traffic, after the handshake) whose body
    /// is at least `min_body` bytes long and has not all arrived, takes the header off
    /// `input` and returns it. The `body_len` bytes that follow on the stream, starting with
    /// those still in `input`, are then a message part the caller delivers itself (with the
    /// header's MORE flag); the session carries on with the frame after it.
    ///
    /// Returns `Ok(None)`, leaving everything as it was, in every other case: such frames
    /// go through [`handle_input`](Self::handle_input) as usual.
    pub fn take_large_data_header(
        &mut self,
        input: &mut BytesMut,
        min_body: usize,
    ) -> Result<Option<FrameHeader>, ProtocolError> {
        if self.state != State::Traffic || self.framing != Framing::Clear {
            return Ok(None);
        }
        match self.decoder.decode_header(input)? {
            Some(header)
                if !header.is_command()
                    && header.body_len >= min_body
                    && header.frame_len() > input.len() =>
            {
                self.budget.check(header.body_len as u64)?;
                self.budget.take(header.body_len as u64, header.more());
                input.advance(header.header_len);
                self.wanted = 1;
                Ok(Some(header))
            }
            _ => Ok(None),
        }
    }

    /// Roughly the memory the parts received of an unfinished message hold (bytes plus
    /// bookkeeping): what a connection lost now leaves behind to free.
    pub fn partial_message_cost(&self) -> u64 {
        self.budget.held()
    }

    /// True when control bytes are waiting for [`poll_transmit`](Self::poll_transmit).
    pub fn wants_transmit(&self) -> bool {
        !self.control.is_empty() || !self.to_seal.is_empty() || !self.pending_pongs.is_empty()
    }

    /// Moves pending control bytes to `out`, unless a message is half encoded: a command
    /// between the parts of a message would break the framing (RFC 37: traffic is whole
    /// commands and whole messages), so it waits for the last part.
    pub fn poll_transmit(&mut self, out: &mut Outbox) {
        if self.mid_message {
            return;
        }
        while let Some(context) = self.pending_pongs.pop_front() {
            self.queue_command(Command::Pong { context });
        }
        if !self.control.is_empty() {
            out.push_slice(&self.control);
            self.control.clear();
            out.end_message();
        }
        if self.to_seal.is_empty() {
            return;
        }
        let mut body = Vec::new();
        for command in std::mem::take(&mut self.to_seal) {
            body.clear();
            command.encode_body(&mut body);
            // Only a spent nonce counter (2^64 frames) fails here, and the mechanism then
            // refuses all traffic, which the next encode or input reports.
            let _ = self.seal_into(false, true, &body, out);
            out.end_message();
        }
    }

    /// Queues an ERROR for the peer when `error` is one it should hear about. The caller
    /// then flushes and closes the connection.
    pub fn report(&mut self, error: &ProtocolError) {
        if let ProtocolError::Mechanism(_) = error {
            // The mechanism queued what it owes the peer (a refusal's ERROR), if anything.
            self.drain_commands();
            return;
        }
        if let (Some(reason), State::Handshake | State::ExpectGreeting) =
            (error.reason_for_peer(), &self.state)
        {
            Command::Error {
                reason: Bytes::from_static(reason.as_bytes()),
            }
            .encode(&mut self.control);
        }
    }

    /// Queues a PING with the given TTL (tenths of a second) and context.
    pub fn ping(&mut self, ttl_deciseconds: u16, context: &[u8]) {
        if self.legacy {
            // ZMTP 1.0 and 2.0 have no commands; heartbeats are for 3.1 peers only.
            return;
        }
        self.queue_command(Command::Ping {
            ttl_deciseconds,
            context: Bytes::copy_from_slice(context),
        });
    }

    /// Takes the authenticator's answer to the last [`Event::Authenticate`], then
    /// [`handle_input`](Self::handle_input) goes on with the handshake (call it even when no
    /// new input came: the verdict may complete the handshake). A refusal is an error: the
    /// ERROR owed to the peer is queued by [`report`](Self::report).
    pub fn handle_verdict(&mut self, verdict: Verdict) -> Result<(), ProtocolError> {
        let result = self.mechanism.handle_verdict(verdict);
        self.drain_commands();
        result.map_err(from_mechanism)
    }

    /// Consumes input from the front of `input` and returns the next event, or `Ok(None)`
    /// when more input is needed. On `Err` the connection must be closed.
    #[inline]
    pub fn handle_input(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        match self.state {
            State::Traffic => self.traffic(input),
            State::TrafficV1 => self.traffic_v1(input),
            State::ExpectSignature => self.signature(input),
            State::ExpectRevision => self.revision(input),
            State::ExpectGreeting => self.greeting(input),
            State::Handshake => self.handshake(input),
            State::ExpectIdentity(legacy) => self.identity(input, legacy),
            State::SubscribeAll => {
                self.state = State::TrafficV1;
                Ok(Some(Event::Message(Message::subscription(b"", true))))
            }
        }
    }

    /// The peer's first octets: not 0xFF, or a tenth octet with bit 0 clear, is a ZMTP 1.0
    /// peer's identity frame (RFC 23, "Detecting ZMTP 1.0 and 2.0 Peers"); else the
    /// peer speaks 2.0 or later, and is sent our major version.
    #[cold]
    fn signature(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        let Some(&first) = input.first() else {
            self.wanted = 1;
            return Ok(None);
        };
        if first != 0xFF {
            return self.downgrade(input, Legacy::V1Unversioned);
        }
        if input.len() < SIGNATURE_LEN {
            self.wanted = SIGNATURE_LEN;
            return Ok(None);
        }
        if input[SIGNATURE_LEN - 1] & 0x01 == 0 {
            return self.downgrade(input, Legacy::V1Unversioned);
        }
        self.control.push(Greeting::VERSION.0);
        self.state = State::ExpectRevision;
        self.revision(input)
    }

    /// The peer's revision: 0 and 1 are ZMTP 1.0 and 2.0 framing after a 12-octet greeting;
    /// anything else is ZMTP 3.x (libzmq reads a revision of 2, which no ZMTP ever sent, so
    /// too), and is sent the rest of our greeting.
    #[cold]
    fn revision(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        let Some(&revision) = input.get(REVISION_POS) else {
            self.wanted = REVISION_POS + 1;
            return Ok(None);
        };
        match revision {
            0 => self.downgrade(input, Legacy::V1),
            1 => self.downgrade(input, Legacy::V2),
            _ => {
                let rest = Greeting {
                    version: Greeting::VERSION,
                    mechanism: self.mechanism.name(),
                    as_server: self.mechanism.as_server(),
                }
                .encode();
                self.control.extend_from_slice(&rest[REVISION_POS + 1..]);
                self.state = State::ExpectGreeting;
                self.greeting(input)
            }
        }
    }

    fn greeting(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        if input.len() < GREETING_LEN {
            self.wanted = GREETING_LEN;
            return Ok(None);
        }
        let mut raw = [0u8; GREETING_LEN];
        raw.copy_from_slice(&input[..GREETING_LEN]);
        input.advance(GREETING_LEN);
        raw[REVISION_POS] = raw[REVISION_POS].max(3);
        let greeting = Greeting::decode(&raw)?;
        self.mechanism.check_peer_greeting(&greeting)?;
        self.peer_version = greeting.version;
        self.state = State::Handshake;
        // Only now may the mechanism speak: the peer is a ZMTP peer of our mechanism.
        self.drain_commands();
        self.handshake(input)
    }

    /// Feeds command frames to the mechanism until it has something to say.
    fn handshake(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        loop {
            if let Some(event) = self.poll_mechanism()? {
                return Ok(Some(event));
            }
            let Some(header) = self.complete_frame(input)? else {
                return Ok(None);
            };
            if !header.is_command() {
                return Err(ProtocolError::UnexpectedFrame {
                    expected: "a handshake command",
                });
            }
            let result = self
                .mechanism
                .handle_command(&input[header.header_len..header.frame_len()]);
            input.advance(header.frame_len());
            result.map_err(from_mechanism)?;
        }
    }

    /// Moves the mechanism's commands to the wire and turns its next event into ours.
    fn poll_mechanism(&mut self) -> Result<Option<Event>, ProtocolError> {
        let event = match self.mechanism.poll_event() {
            Some(MechanismEvent::Ready(outcome)) => {
                // Checked before the server's READY leaves: a peer of the wrong type is told
                // so with an ERROR instead.
                let peer = self.peer_info(outcome)?;
                self.sent_frames = self.mechanism.sent_frames();
                self.peer = Some(peer.clone());
                self.state = State::Traffic;
                self.decoder.allow_traffic_commands();
                Some(Event::Ready(peer))
            }
            Some(MechanismEvent::Authenticate(request)) => Some(Event::Authenticate(request)),
            None => None,
        };
        self.drain_commands();
        Ok(event)
    }

    fn peer_info(&self, outcome: HandshakeOutcome) -> Result<PeerInfo, ProtocolError> {
        let HandshakeOutcome {
            metadata,
            user_id,
            auth_metadata,
            peer_key,
        } = outcome;
        // As libzmq: every Socket-Type property must name a type we can talk to, and a
        // peer that names none is taken at its word that it is one.
        let mut socket_type = None;
        for (_, value) in metadata
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(metadata::SOCKET_TYPE))
        {
            let theirs = SocketType::from_wire(value).ok_or(ProtocolError::UnknownSocketType)?;
            if !self.config.socket_type.is_compatible_with(theirs) {
                return Err(ProtocolError::IncompatibleSocketType {
                    ours: self.config.socket_type,
                    theirs,
                });
            }
            socket_type.get_or_insert(theirs);
        }
        let identity = metadata
            .get(metadata::IDENTITY)
            .filter(|_| socket_type.is_none_or(SocketType::sends_identity))
            .cloned()
            .unwrap_or_default();
        Ok(PeerInfo {
            socket_type,
            identity,
            version: self.peer_version,
            metadata,
            mechanism: self.mechanism.name(),
            user_id,
            auth_metadata,
            peer_key,
        })
    }

    /// Frames the mechanism's handshake commands into the control bytes.
    fn drain_commands(&mut self) {
        while let Some(body) = self.mechanism.poll_command() {
            frame::encode_header(false, true, body.len(), &mut self.control);
            self.control.extend_from_slice(&body);
        }
    }

    /// Queues a command of our own (PING, PONG): in clear, or sealed later in traffic order.
    fn queue_command(&mut self, command: Command) {
        if self.framing == Framing::Sealed && self.state == State::Traffic {
            self.to_seal.push(command);
        } else {
            command.encode(&mut self.control);
        }
    }

    /// Returns the header of the frame at the front of `input` once all of it has arrived.
    #[inline]
    fn complete_frame(&mut self, input: &BytesMut) -> Result<Option<FrameHeader>, ProtocolError> {
        match self.decoder.decode_header(input)? {
            Some(header) if header.frame_len() <= input.len() => Ok(Some(header)),
            Some(header) => {
                self.wanted = header.frame_len();
                Ok(None)
            }
            None => {
                self.wanted = MAX_HEADER_LEN.min(input.len() + 1);
                Ok(None)
            }
        }
    }

    /// Kept out of [`handle_input`](Self::handle_input): inlined there, the decoder's hot
    /// loop lost the inlining of its own helpers (callgrind: 20 more instructions a message).
    #[inline(never)]
    fn traffic(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        if self.framing == Framing::Sealed {
            return self.sealed_traffic(input);
        }
        loop {
            let Some(header) = self.decoder.decode_header(input)? else {
                self.wanted = MAX_HEADER_LEN.min(input.len() + 1);
                return Ok(None);
            };
            if header.frame_len() > input.len() {
                // A part that would take its message over the bounds is refused from its
                // header, before its body is waited for.
                if !header.is_command() {
                    self.budget.check(header.body_len as u64)?;
                }
                self.wanted = header.frame_len();
                return Ok(None);
            }
            if !header.is_command() {
                self.budget.admit(header.body_len as u64, header.more())?;
                input.advance(header.header_len);
                let len = header.body_len;
                let mut msg = if len <= INLINE_CAPACITY {
                    let m = Message::from_slice(&input[..len]);
                    input.advance(len);
                    m
                } else {
                    Message::from_bytes(input.split_to(len).freeze())
                };
                msg.set_more(header.more());
                return Ok(Some(Event::Message(msg)));
            }
            if self.legacy {
                // ZMTP 2.0 has no commands; libzmq drops a frame with the bit set.
                input.advance(header.frame_len());
                continue;
            }
            let command = decode_traffic_command(&input[header.header_len..header.frame_len()])?;
            input.advance(header.frame_len());
            if let Some(event) = self.traffic_command(command)? {
                return Ok(Some(event));
            }
        }
    }

    /// CURVE traffic: each frame is opened by the mechanism, then handled like a clear one.
    fn sealed_traffic(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        loop {
            let header = match self.complete_frame(input) {
                Ok(Some(header)) => header,
                Ok(None) => return Ok(None),
                // Name the part the box would carry, which is what the limit is about.
                Err(ProtocolError::FrameTooLarge { len, max }) => {
                    return Err(ProtocolError::FrameTooLarge {
                        len: len.saturating_sub(self.overhead()),
                        max: max.saturating_sub(self.overhead()),
                    })
                }
                Err(e) => return Err(e),
            };
            input.advance(header.header_len);
            let body = input.split_to(header.body_len);
            let Frame {
                more,
                command,
                body,
            } = self
                .mechanism
                .decode_frame(header, body)
                .map_err(from_mechanism)?;
            if !command {
                let max = self
                    .decoder
                    .max_message_size()
                    .saturating_sub(self.overhead());
                if body.len() as u64 > max {
                    return Err(ProtocolError::FrameTooLarge {
                        len: body.len() as u64,
                        max,
                    });
                }
                self.budget.check(body.len() as u64)?;
                self.budget.take(body.len() as u64, more);
                let msg = if body.len() <= INLINE_CAPACITY {
                    Message::from_slice(&body)
                } else {
                    Message::from_bytes(body.freeze())
                };
                return Ok(Some(Event::Message(msg.with_more(more))));
            }
            let command = decode_traffic_command(&body)?;
            if let Some(event) = self.traffic_command(command)? {
                return Ok(Some(event));
            }
        }
    }

    fn overhead(&self) -> u64 {
        self.mechanism.frame_overhead() as u64
    }

    /// A command received in traffic; `None` for those that mean nothing to us.
    #[inline]
    fn traffic_command(&mut self, command: Command) -> Result<Option<Event>, ProtocolError> {
        Ok(Some(match command {
            Command::Subscribe(topic) if self.config.socket_type.takes(Kind::Subscribe) => {
                Event::Message(Message::subscription(&topic, true))
            }
            Command::Cancel(topic) if self.config.socket_type.takes(Kind::Cancel) => {
                Event::Message(Message::subscription(&topic, false))
            }
            Command::Join(group) if self.config.socket_type.takes(Kind::Join) => {
                Event::Message(Message::membership(&group, true))
            }
            Command::Leave(group) if self.config.socket_type.takes(Kind::Leave) => {
                Event::Message(Message::membership(&group, false))
            }
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                if self.pending_pongs.len() == MAX_OWED_PONGS {
                    self.pending_pongs.pop_front();
                }
                self.pending_pongs.push_back(context);
                Event::Ping { ttl_deciseconds }
            }
            Command::Pong { .. } => Event::Pong,
            Command::Error { reason } => {
                return Err(ProtocolError::PeerError {
                    reason: String::from_utf8_lossy(&reason).into_owned(),
                })
            }
            // Commands for other socket types (a SUBSCRIBE sent to a PULL) mean nothing
            // here; later revisions may add commands. Either way the command is dropped,
            // as libzmq drops it: only data frames ever reach an application.
            Command::Subscribe(_)
            | Command::Cancel(_)
            | Command::Join(_)
            | Command::Leave(_)
            | Command::Ready(_)
            | Command::Unknown { .. } => return Ok(None),
        }))
    }

    /// Encodes one message part (or subscription) for this peer into `out`. Subscriptions
    /// become SUBSCRIBE/CANCEL commands for ZMTP 3.1 peers and `\x01`/`\x00`-prefixed
    /// messages for ZMTP 3.0 peers. Fails only under CURVE, when the mechanism cannot seal
    /// (its nonces are spent); the connection must then be closed.
    #[inline]
    pub fn encode(&mut self, msg: &Message, out: &mut Outbox) -> Result<(), ProtocolError> {
        self.mid_message = msg.more();
        match self.framing {
            Framing::Clear => {}
            Framing::Sealed => return self.encode_sealed(msg, out),
            Framing::V1 => {
                self.encode_v1(msg, out);
                return Ok(());
            }
        }
        let body = msg.as_slice();
        match msg.kind() {
            kind if kind != Kind::Data && self.config.socket_type.sends(kind) => {
                self.encode_control(msg, out);
            }
            _ => {
                if let Some(shared) = msg.shared_bytes().filter(|b| b.len() >= SHARE_THRESHOLD) {
                    let tail = out.tail_mut();
                    let before = tail.len();
                    encode_header_into(tail, msg.more(), false, body.len());
                    let appended = tail.len() - before;
                    out.commit_tail(appended);
                    out.push_bytes(shared.clone());
                } else {
                    let tail = out.tail_mut();
                    let before = tail.len();
                    tail.reserve(MAX_HEADER_LEN + body.len());
                    encode_header_into(tail, msg.more(), false, body.len());
                    tail.put_slice(body);
                    let appended = tail.len() - before;
                    out.commit_tail(appended);
                }
            }
        }
        if !msg.more() {
            out.end_message();
        }
        Ok(())
    }

    /// A subscription or membership in clear, as the peer's version wants it.
    #[cold]
    fn encode_control(&self, msg: &Message, out: &mut Outbox) {
        let mut frame = Vec::with_capacity(msg.len() + 16);
        match self.control_frame(msg) {
            ControlFrame::Command(command) => command.encode(&mut frame),
            ControlFrame::Legacy(data) => {
                frame::encode_header(false, false, data.len(), &mut frame);
                frame.extend_from_slice(&data);
            }
        }
        out.push_slice(&frame);
    }

    /// [`encode`](Self::encode) through the mechanism: one copy of the body, into the
    /// outbox, where it is encrypted in place.
    fn encode_sealed(&mut self, msg: &Message, out: &mut Outbox) -> Result<(), ProtocolError> {
        match self.wire_kind(msg) {
            Kind::Data => self.seal_into(msg.more(), false, msg.as_slice(), out)?,
            Kind::Join | Kind::Leave | Kind::Subscribe | Kind::Cancel => {
                match self.control_frame(msg) {
                    ControlFrame::Command(command) => {
                        let mut body = Vec::with_capacity(msg.len() + 16);
                        command.encode_body(&mut body);
                        self.seal_into(false, true, &body, out)?;
                    }
                    ControlFrame::Legacy(data) => self.seal_into(false, false, &data, out)?,
                }
            }
        }
        if !msg.more() {
            out.end_message();
        }
        Ok(())
    }

    fn seal_into(
        &mut self,
        more: bool,
        command: bool,
        body: &[u8],
        out: &mut Outbox,
    ) -> Result<(), ProtocolError> {
        let tail = out.tail_mut();
        let before = tail.len();
        let result = self.mechanism.encode_frame(more, command, body, tail);
        let appended = tail.len() - before;
        out.commit_tail(appended);
        result.map_err(from_mechanism)
    }

    /// What `msg` travels as: a subscription or membership only from the socket types that
    /// send them (SUB and XSUB, DISH). Any other socket handed such a part sends its body
    /// as data: nothing an application gives a PULL or a DEALER may go out as a command.
    #[inline]
    fn wire_kind(&self, msg: &Message) -> Kind {
        match msg.kind() {
            Kind::Data => Kind::Data,
            kind if self.config.socket_type.sends(kind) => kind,
            _ => Kind::Data,
        }
    }

    /// How a subscription or group membership travels to this peer.
    fn control_frame(&self, msg: &Message) -> ControlFrame {
        let body = Bytes::copy_from_slice(msg.as_slice());
        match msg.kind() {
            Kind::Join => ControlFrame::Command(Command::Join(body)),
            Kind::Leave => ControlFrame::Command(Command::Leave(body)),
            kind if self.peer_version >= (3, 1) => {
                ControlFrame::Command(if kind == Kind::Subscribe {
                    Command::Subscribe(body)
                } else {
                    Command::Cancel(body)
                })
            }
            kind => {
                let mut data = Vec::with_capacity(body.len() + 1);
                data.push(u8::from(kind == Kind::Subscribe));
                data.extend_from_slice(&body);
                ControlFrame::Legacy(data)
            }
        }
    }

    /// Decodes messages this session encoded, as returned by
    /// [`Outbox::take_unsent_traffic`], so they can be sent again on a new connection.
    /// Heartbeats are dropped; subscriptions come back as subscriptions. Under CURVE the
    /// frames are opened again with this connection's keys (the new connection seals them
    /// with its own), so nothing is lost to encryption either.
    pub fn recover_unsent(&self, mut bytes: BytesMut) -> Vec<Message> {
        let decoder = FrameDecoder::new(None);
        let legacy = self.peer_version < (3, 1) && self.config.socket_type.sends_subscriptions();
        let mut out = Vec::new();
        let header = |bytes: &[u8]| match self.framing {
            Framing::V1 => frame_v1::decode_header(bytes, isize::MAX as u64, true),
            Framing::Clear | Framing::Sealed => decoder.decode_header(bytes),
        };
        while let Ok(Some(header)) = header(&bytes) {
            if header.frame_len() > bytes.len() {
                break;
            }
            bytes.advance(header.header_len);
            let body = bytes.split_to(header.body_len);
            let frame = match &self.sent_frames {
                Some(sent) => match sent.open(body) {
                    Ok(frame) => frame,
                    // Cannot happen for frames we sealed; stop rather than guess.
                    Err(_) => break,
                },
                None => Frame {
                    more: header.more(),
                    command: header.is_command(),
                    body,
                },
            };
            let msg = if frame.command {
                match Command::decode(&frame.body) {
                    Ok(Command::Subscribe(topic)) => Message::subscription(&topic, true),
                    Ok(Command::Cancel(topic)) => Message::subscription(&topic, false),
                    Ok(Command::Join(group)) => Message::membership(&group, true),
                    Ok(Command::Leave(group)) => Message::membership(&group, false),
                    // Heartbeats and the like belonged to the old connection.
                    _ => continue,
                }
            } else {
                let msg = Message::from_bytes(frame.body.freeze()).with_more(frame.more);
                if legacy {
                    legacy_subscription(msg)
                } else {
                    msg
                }
            };
            out.push(msg);
        }
        out
    }
}

/// A subscription or membership on its way to the peer.
enum ControlFrame {
    /// A ZMTP 3.1 command.
    Command(Command),
    /// A ZMTP 3.0 subscription: a data frame starting with 1 or 0.
    Legacy(Vec<u8>),
}

/// A mechanism error as the session reports it: a peer's ERROR, an unexpected command and
/// unparsable metadata read the same whatever the mechanism (and NULL reported them so
/// before mechanisms existed); the rest stays a mechanism failure.
fn from_mechanism(error: MechanismError) -> ProtocolError {
    match error {
        MechanismError::PeerError { reason } => ProtocolError::PeerError { reason },
        MechanismError::Unexpected { expected } => ProtocolError::UnexpectedFrame { expected },
        MechanismError::MalformedMetadata { .. } => ProtocolError::MalformedMetadata,
        other => ProtocolError::Mechanism(other),
    }
}

/// A ZMTP 3.0 subscription travels as a message starting with 1 (subscribe) or 0 (cancel).
fn legacy_subscription(msg: Message) -> Message {
    match msg.as_slice().split_first() {
        Some((&flag @ (0 | 1), topic)) if msg.kind() == Kind::Data => {
            Message::subscription(topic, flag == 1)
        }
        _ => msg,
    }
}

#[inline]
/// Parses a command received after the handshake. A READY then means nothing, and is
/// dropped by its name alone, as libzmq drops it: parsing its properties would let a peer
/// make us build megabytes of metadata only to throw them away.
fn decode_traffic_command(body: &[u8]) -> Result<Command, ProtocolError> {
    if body.starts_with(b"\x05READY") {
        return Ok(Command::Unknown {
            name: Bytes::from_static(b"READY"),
        });
    }
    Command::decode(body)
}

fn encode_header_into(out: &mut BytesMut, more: bool, command: bool, body_len: usize) {
    let flags = (u8::from(more) * frame::MORE) | (u8::from(command) * frame::COMMAND);
    if body_len <= 255 {
        out.put_slice(&[flags, body_len as u8]);
    } else {
        out.put_u8(flags | frame::LONG);
        out.put_u64(body_len as u64);
    }
}

mod legacy;
#[cfg(test)]
mod legacy_tests;
#[cfg(test)]
mod tests;
