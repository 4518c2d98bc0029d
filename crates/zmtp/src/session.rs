//! One ZMTP connection as a state machine: greeting, NULL handshake, then traffic.
//!
//! The session owns no socket and no clock. The I/O layer drives it:
//!
//! 1. [`Session::new`] queues the greeting (and, for NULL, the READY that follows it, so the
//!    handshake costs one round trip instead of two);
//! 2. bytes read from the transport go to [`Session::handle_input`], called until it returns
//!    `Ok(None)` (more input needed); each call yields at most one [`Event`];
//! 3. [`Session::poll_transmit`] moves queued handshake and control bytes (PONG replies,
//!    ERROR) into an [`Outbox`]; after [`Event::Ready`], [`Session::encode`] adds messages;
//! 4. on an error the connection is closed; [`Session::poll_transmit`] may first yield an
//!    ERROR command for the peer.

use crate::command::Command;
use crate::error::ProtocolError;
use crate::frame::{self, FrameDecoder, FrameHeader, MAX_HEADER_LEN};
use crate::greeting::{Greeting, MechanismName, GREETING_LEN};
use crate::message::{Kind, Message, INLINE_CAPACITY};
use crate::metadata::{self, Metadata};
use crate::outbox::{Outbox, SHARE_THRESHOLD};
use crate::socket_type::SocketType;
use bytes::{Buf, BufMut, Bytes, BytesMut};

/// What a session needs to know about its own side.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Our socket type, announced in READY and checked against the peer's.
    pub socket_type: SocketType,
    /// Our routing id, announced as `Identity` by the types that send one.
    pub routing_id: Bytes,
    /// Largest message part accepted from the peer (`None`: unlimited).
    pub max_message_size: Option<u64>,
}

/// Who the peer is, learnt from its greeting and READY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type.
    pub socket_type: SocketType,
    /// The peer's `Identity` property (empty when it sent none).
    pub identity: Bytes,
    /// The ZMTP version the peer announced.
    pub version: (u8, u8),
    /// Every property of the peer's READY.
    pub metadata: Metadata,
}

/// Something the peer said.
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
}

#[derive(Debug)]
enum State {
    ExpectGreeting,
    ExpectReady,
    Traffic,
}

/// A ZMTP 3.x connection using the NULL mechanism.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    decoder: FrameDecoder,
    /// Control bytes to send: greeting, READY, PONG, ERROR.
    control: Vec<u8>,
    peer: Option<PeerInfo>,
    peer_version: (u8, u8),
    /// Bytes the next event needs at the front of the input, when known.
    wanted: usize,
}

impl Session {
    /// Starts a session; the greeting and READY are queued for [`poll_transmit`](Self::poll_transmit).
    pub fn new(config: SessionConfig) -> Session {
        let mut control = Vec::with_capacity(GREETING_LEN + 64);
        control.extend_from_slice(
            &Greeting {
                version: Greeting::VERSION,
                mechanism: MechanismName::NULL,
                as_server: false,
            }
            .encode(),
        );
        Command::Ready(ready_metadata(&config)).encode(&mut control);
        Session {
            decoder: FrameDecoder::new(config.max_message_size),
            config,
            state: State::ExpectGreeting,
            control,
            peer: None,
            peer_version: (0, 0),
            wanted: GREETING_LEN,
        }
    }

    /// True once the handshake is complete.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Traffic)
    }

    /// The peer, once the handshake is complete.
    pub fn peer(&self) -> Option<&PeerInfo> {
        self.peer.as_ref()
    }

    /// Total bytes the next event needs at the front of the input (at least what is
    /// there now, plus one). Readers use it to size their buffer once for a large frame.
    pub fn bytes_wanted(&self) -> usize {
        self.wanted
    }

    /// True when control bytes are waiting for [`poll_transmit`](Self::poll_transmit).
    pub fn wants_transmit(&self) -> bool {
        !self.control.is_empty()
    }

    /// Moves pending control bytes to `out`.
    pub fn poll_transmit(&mut self, out: &mut Outbox) {
        if !self.control.is_empty() {
            out.push_slice(&self.control);
            self.control.clear();
            out.end_message();
        }
    }

    /// Queues an ERROR for the peer when `error` is one it should hear about. The caller
    /// then flushes and closes the connection.
    pub fn report(&mut self, error: &ProtocolError) {
        if let (Some(reason), State::ExpectReady | State::ExpectGreeting) =
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
        Command::Ping {
            ttl_deciseconds,
            context: Bytes::copy_from_slice(context),
        }
        .encode(&mut self.control);
    }

    /// Consumes input from the front of `input` and returns the next event, or `Ok(None)`
    /// when more input is needed. On `Err` the connection must be closed.
    #[inline]
    pub fn handle_input(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        match self.state {
            State::Traffic => self.traffic(input),
            State::ExpectGreeting => self.greeting(input),
            State::ExpectReady => self.ready(input),
        }
    }

    fn greeting(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        Greeting::check_prefix(&input[..input.len().min(GREETING_LEN)])?;
        if input.len() < GREETING_LEN {
            self.wanted = GREETING_LEN;
            return Ok(None);
        }
        let mut raw = [0u8; GREETING_LEN];
        raw.copy_from_slice(&input[..GREETING_LEN]);
        input.advance(GREETING_LEN);
        let greeting = Greeting::decode(&raw)?;
        if greeting.mechanism != MechanismName::NULL {
            return Err(ProtocolError::MechanismMismatch {
                ours: MechanismName::NULL,
                theirs: greeting.mechanism,
            });
        }
        self.peer_version = greeting.version;
        self.state = State::ExpectReady;
        self.ready(input)
    }

    fn ready(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        let Some(header) = self.complete_frame(input)? else {
            return Ok(None);
        };
        if !header.is_command() {
            return Err(ProtocolError::UnexpectedFrame { expected: "READY" });
        }
        let command = Command::decode(&input[header.header_len..header.frame_len()])?;
        input.advance(header.frame_len());
        let metadata = match command {
            Command::Ready(metadata) => metadata,
            Command::Error { reason } => {
                return Err(ProtocolError::PeerError {
                    reason: String::from_utf8_lossy(&reason).into_owned(),
                })
            }
            _ => return Err(ProtocolError::UnexpectedFrame { expected: "READY" }),
        };
        let socket_type = metadata
            .get(metadata::SOCKET_TYPE)
            .and_then(|t| SocketType::from_wire(t))
            .ok_or(ProtocolError::UnknownSocketType)?;
        if !self.config.socket_type.is_compatible_with(socket_type) {
            return Err(ProtocolError::IncompatibleSocketType {
                ours: self.config.socket_type,
                theirs: socket_type,
            });
        }
        let identity = metadata
            .get(metadata::IDENTITY)
            .filter(|_| socket_type.sends_identity())
            .cloned()
            .unwrap_or_default();
        let info = PeerInfo {
            socket_type,
            identity,
            version: self.peer_version,
            metadata,
        };
        self.peer = Some(info.clone());
        self.state = State::Traffic;
        Ok(Some(Event::Ready(info)))
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

    #[inline]
    fn traffic(&mut self, input: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        loop {
            let Some(header) = self.complete_frame(input)? else {
                return Ok(None);
            };
            if !header.is_command() {
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
            let command = Command::decode(&input[header.header_len..header.frame_len()])?;
            input.advance(header.frame_len());
            match command {
                Command::Subscribe(topic) => {
                    return Ok(Some(Event::Message(Message::subscription(&topic, true))))
                }
                Command::Cancel(topic) => {
                    return Ok(Some(Event::Message(Message::subscription(&topic, false))))
                }
                Command::Join(group) => {
                    return Ok(Some(Event::Message(Message::membership(&group, true))))
                }
                Command::Leave(group) => {
                    return Ok(Some(Event::Message(Message::membership(&group, false))))
                }
                Command::Ping {
                    ttl_deciseconds,
                    context,
                } => {
                    Command::Pong { context }.encode(&mut self.control);
                    return Ok(Some(Event::Ping { ttl_deciseconds }));
                }
                Command::Pong { .. } => return Ok(Some(Event::Pong)),
                Command::Error { reason } => {
                    return Err(ProtocolError::PeerError {
                        reason: String::from_utf8_lossy(&reason).into_owned(),
                    })
                }
                Command::Ready(_) => {
                    return Err(ProtocolError::UnexpectedFrame {
                        expected: "a message",
                    })
                }
                // Forward compatibility: later revisions may add commands.
                Command::Unknown { .. } => continue,
            }
        }
    }

    /// Encodes one message part (or subscription) for this peer into `out`. Subscriptions
    /// become SUBSCRIBE/CANCEL commands for ZMTP 3.1 peers and `\x01`/`\x00`-prefixed
    /// messages for ZMTP 3.0 peers.
    #[inline]
    pub fn encode(&mut self, msg: &Message, out: &mut Outbox) {
        let body = msg.as_slice();
        match msg.kind() {
            Kind::Data => {
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
            kind @ (Kind::Join | Kind::Leave) => {
                let group = Bytes::copy_from_slice(body);
                let mut frame = Vec::with_capacity(body.len() + 8);
                if kind == Kind::Join {
                    Command::Join(group)
                } else {
                    Command::Leave(group)
                }
                .encode(&mut frame);
                out.push_slice(&frame);
            }
            kind @ (Kind::Subscribe | Kind::Cancel) => {
                let subscribe = kind == Kind::Subscribe;
                let mut frame = Vec::with_capacity(body.len() + 16);
                if self.peer_version >= (3, 1) {
                    let topic = Bytes::copy_from_slice(body);
                    let command = if subscribe {
                        Command::Subscribe(topic)
                    } else {
                        Command::Cancel(topic)
                    };
                    command.encode(&mut frame);
                } else {
                    frame::encode_header(false, false, body.len() + 1, &mut frame);
                    frame.push(u8::from(subscribe));
                    frame.extend_from_slice(body);
                }
                out.push_slice(&frame);
            }
        }
        if !msg.more() {
            out.end_message();
        }
    }

    /// Decodes messages this session encoded, as returned by
    /// [`Outbox::take_unsent_traffic`], so they can be sent again on a new connection.
    /// Heartbeats are dropped; subscriptions come back as subscriptions.
    pub fn recover_unsent(&self, mut bytes: BytesMut) -> Vec<Message> {
        let mut replay = Session {
            config: self.config.clone(),
            state: State::Traffic,
            decoder: FrameDecoder::new(None),
            control: Vec::new(),
            peer: None,
            peer_version: self.peer_version,
            wanted: 0,
        };
        let mut out = Vec::new();
        while let Ok(Some(event)) = replay.traffic(&mut bytes) {
            if let Event::Message(mut msg) = event {
                if self.peer_version < (3, 1) && self.config.socket_type.sends_subscriptions() {
                    msg = legacy_subscription(msg);
                }
                out.push(msg);
            }
        }
        out
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
fn encode_header_into(out: &mut BytesMut, more: bool, command: bool, body_len: usize) {
    let flags = (u8::from(more) * frame::MORE) | (u8::from(command) * frame::COMMAND);
    if body_len <= 255 {
        out.put_slice(&[flags, body_len as u8]);
    } else {
        out.put_u8(flags | frame::LONG);
        out.put_u64(body_len as u64);
    }
}

fn ready_metadata(config: &SessionConfig) -> Metadata {
    let mut metadata = Metadata::new();
    // Both names are valid property names, so insertion cannot fail.
    let _ = metadata.insert(metadata::SOCKET_TYPE, config.socket_type.as_str());
    if config.socket_type.sends_identity() {
        let _ = metadata.insert(metadata::IDENTITY, config.routing_id.clone());
    }
    metadata
}

impl SocketType {
    /// Whether this type sends subscriptions upstream.
    pub const fn sends_subscriptions(self) -> bool {
        matches!(self, SocketType::Sub | SocketType::XSub)
    }
}

#[cfg(test)]
mod tests;
