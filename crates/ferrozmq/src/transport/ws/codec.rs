//! ZWS 2.0 (RFC 45) as a pure translator between the WebSocket wire and ZMTP bytes: no
//! sockets, no clock. The ZMTP session runs unchanged on top of it: the translator swallows
//! the session's greeting (ZWS has none; the subprotocol names the mechanism), hands the
//! session a greeting for the peer once the HTTP upgrade is done, and maps frames one to
//! one — a ZMTP frame (flags, size, body) becomes one binary WebSocket message whose
//! payload is a flag octet (0 last, 1 more, 2 command) and the body.
//!
//! The peer's greeting names ZMTP 3.0, whose subscriptions are messages starting with 1
//! (subscribe) or 0 (cancel), as RFC 45's are. Heartbeats are WebSocket pings, as RFC 45
//! and libzmq's ws transport have them: a PING command from the session leaves as a ping
//! carrying its context, the pong comes back to the session as a PONG command (where
//! commands travel in clear: not under CURVE, whose sealed PINGs go out as commands).
//!
//! ```text
//! session ── ZMTP bytes ──▶ handle_output ── WebSocket frames ──▶ wire
//! session ◀── ZMTP bytes ── handle_input ◀── WebSocket frames ── wire
//! ```
//!
//! The WebSocket rules (RFC 6455) it holds the peer to: a client masks its frames and a
//! server does not; data messages are binary; control frames are short and unfragmented;
//! lengths are checked before any byte of the payload is kept. Any breach is a
//! [`WsError`], which costs the connection and nothing else.
//!
//! A server that agreed on the bare `ZWS2.0` (RFC 45 "No Mechanism", what a browser
//! offers) hands the session a ZMTP 2.0 greeting instead, naming a socket type the local
//! socket talks to (the subprotocol carries none): the session then speaks ZMTP 2.0, which
//! is that protocol's traffic — identity first, no commands, subscriptions as messages.

use super::handshake::Handshake;
use std::fmt;
use zmtp::greeting::{Greeting, MechanismName, GREETING_LEN, SIGNATURE_LEN};
use zmtp::SocketType;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;
/// The longest payload a control frame may have (RFC 6455 §5.5).
const MAX_CONTROL: usize = 125;
/// ZMTP flag bits.
const ZMTP_MORE: u8 = 0x01;
const ZMTP_LONG: u8 = 0x02;
const ZMTP_COMMAND: u8 = 0x04;
/// ZWS flag octets.
const ZWS_MORE: u8 = 0x01;
const ZWS_COMMAND: u8 = 0x02;
/// A ZMTP 2.0 greeting's length: the signature, the revision and the socket type.
const V2_GREETING_LEN: usize = SIGNATURE_LEN + 2;
/// The revision octet of ZMTP 2.0.
const V2_REVISION: u8 = 1;
/// The ZMTP version a ZWS peer with a mechanism is announced to the session as.
const ZWS_ZMTP_VERSION: (u8, u8) = (3, 0);
/// A ZMTP PING command's body starts so (then a TTL of two octets and the context).
const PING_NAME: &[u8] = b"\x04PING";
/// A ZMTP PONG command's body starts so (then the context).
const PONG_NAME: &[u8] = b"\x04PONG";
/// The longest command body the translator looks into for a PING: the name, the TTL and
/// a context that fits a WebSocket ping.
const MAX_PING: u64 = (PING_NAME.len() + 2 + MAX_CONTROL) as u64;

/// Why a WebSocket connection is given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WsError {
    /// The HTTP upgrade failed (what was wrong with it).
    Handshake(&'static str),
    /// A client frame without a mask, or a server frame with one.
    Masking,
    /// A reserved bit, an unknown opcode, a text message or a misplaced continuation.
    BadFrame(&'static str),
    /// A message longer than the largest allowed.
    TooLarge { len: u64, max: u64 },
    /// A binary message without its ZWS flag octet, or with an unknown one.
    BadFlags,
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WsError::Handshake(why) => write!(f, "WebSocket upgrade refused: {why}"),
            WsError::Masking => f.write_str("WebSocket frame masked the wrong way"),
            WsError::BadFrame(why) => write!(f, "bad WebSocket frame: {why}"),
            WsError::TooLarge { len, max } => {
                write!(f, "WebSocket message of {len} bytes exceeds {max}")
            }
            WsError::BadFlags => f.write_str("ZWS message without a valid flag octet"),
        }
    }
}

impl std::error::Error for WsError {}

/// What the local end is: the side that sent the HTTP request masks its frames.
#[derive(Debug, Clone)]
pub(crate) enum Side {
    Client {
        /// `host[:port]` for the Host header.
        host: String,
        /// The request target, `/` at least.
        path: String,
    },
    Server,
}

/// The local security mechanism, as the greeting would have named it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mechanism {
    pub(crate) name: MechanismName,
    /// Whether the local end takes the mechanism's server role (PLAIN_SERVER, CURVE_SERVER).
    pub(crate) as_server: bool,
}

enum Inbound {
    /// Collecting a frame header (2 to 14 octets).
    Header { buf: [u8; 14], have: usize },
    /// Inside a frame's payload.
    Payload(Payload),
}

struct Payload {
    opcode: u8,
    fin: bool,
    left: u64,
    mask: Option<[u8; 4]>,
    /// Payload octets seen so far (for the mask's phase).
    pos: usize,
    /// A single-frame binary message whose flag octet is still to come.
    awaiting_flag: bool,
}

enum Outbound {
    /// Dropping the session's greeting: so many octets of it are still to come.
    Greeting(usize),
    /// Collecting a ZMTP frame header (2 or 9 octets).
    Header { buf: [u8; 9], have: usize },
    /// Collecting a short command's body (and whether MORE was set), to see whether it is
    /// a PING.
    Command {
        body: Vec<u8>,
        left: usize,
        more: bool,
    },
    /// Copying a body: octets left, the mask and its phase.
    Body {
        left: u64,
        mask: Option<[u8; 4]>,
        pos: usize,
    },
}

/// One ZWS connection's translation state. See the module docs.
pub(crate) struct Zws {
    side: Side,
    mechanism: Mechanism,
    /// The socket type a peer speaking ZWS 2.0 without a mechanism is taken for; `None`
    /// refuses that subprotocol.
    no_mechanism_peer: Option<SocketType>,
    /// Whether the bare `ZWS2.0` was agreed: no commands cross.
    no_mechanism: bool,
    /// `Some` until the HTTP upgrade is done.
    handshake: Option<Handshake>,
    inbound: Inbound,
    /// A fragmented binary message being put together (flag octet first).
    fragments: Option<Vec<u8>>,
    /// A control frame's payload being collected.
    control: Vec<u8>,
    outbound: Outbound,
    /// What the session wrote before the upgrade finished, sent once it has.
    deferred: Vec<u8>,
    /// The largest frame body accepted: MAXMSGSIZE plus what sealing adds, or a command's
    /// limit if that is larger (see [`frame_limit`]).
    max_frame: u64,
    /// Mask keys for the frames a client sends.
    masks: MaskSource,
    /// The control frame owed to the peer (a pong or the close echo), written by
    /// [`Zws::write_owed`]: one at most, so a peer that pings without reading costs no
    /// memory; a later ping's pong replaces an unsent one (RFC 6455 §5.5.3 allows it).
    owed: Option<(u8, Vec<u8>)>,
    closed: bool,
}

/// A small generator for mask keys: RFC 6455 wants them unpredictable to intermediaries,
/// which a generator seeded from the system's entropy is.
struct MaskSource(u64);

impl MaskSource {
    fn next(&mut self) -> [u8; 4] {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((v >> 32) as u32).to_le_bytes()
    }
}

impl Zws {
    /// A connection for `side`, whose session uses `mechanism` and takes messages of up
    /// to `max_message` bytes (frames far over that are refused from their header, see
    /// [`frame_limit`]). `seed` (random) feeds the mask keys and the
    /// client's `Sec-WebSocket-Key`. A client's request is ready in [`Zws::start`]. A
    /// server whose socket is of type `ours` accepts peers without a mechanism when its
    /// mechanism is NULL and `ours` has a type of ZMTP 2.0's time to talk to.
    pub(crate) fn new(
        side: Side,
        mechanism: Mechanism,
        ours: SocketType,
        max_message: u64,
        seed: [u8; 24],
    ) -> Zws {
        let mut key = [0u8; 16];
        key.copy_from_slice(&seed[..16]);
        let mut state = [0u8; 8];
        state.copy_from_slice(&seed[16..]);
        let no_mechanism_peer = (mechanism.name == MechanismName::NULL && ours.has_legacy_peers())
            .then(|| {
                SocketType::ALL
                    .into_iter()
                    .find(|&t| t.has_legacy_peers() && ours.is_compatible_with(t))
            })
            .flatten();
        let handshake = match &side {
            Side::Client { .. } => Handshake::client(key),
            Side::Server => Handshake::server(no_mechanism_peer.is_some()),
        };
        Zws {
            side,
            mechanism,
            no_mechanism_peer,
            no_mechanism: false,
            handshake: Some(handshake),
            inbound: Inbound::Header {
                buf: [0; 14],
                have: 0,
            },
            fragments: None,
            control: Vec::new(),
            outbound: Outbound::Greeting(GREETING_LEN),
            deferred: Vec::new(),
            max_frame: frame_limit(mechanism.name, max_message),
            masks: MaskSource(u64::from_le_bytes(state) | 1),
            owed: None,
            closed: false,
        }
    }

    fn is_client(&self) -> bool {
        matches!(self.side, Side::Client { .. })
    }

    /// What to send first: a client's upgrade request (nothing for a server).
    pub(crate) fn start(&mut self, wire: &mut Vec<u8>) {
        if let (Side::Client { host, path }, Some(hs)) = (&self.side, &self.handshake) {
            hs.write_request(host, path, self.mechanism.name, wire);
        }
    }

    /// Whether the peer closed the WebSocket (nothing more will come).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Takes bytes from the wire: ZMTP bytes for the session go to `session`, the server's
    /// upgrade answer to `wire`. Pongs and the close echo wait for [`Zws::write_owed`].
    pub(crate) fn handle_input(
        &mut self,
        mut input: &[u8],
        session: &mut Vec<u8>,
        wire: &mut Vec<u8>,
    ) -> Result<(), WsError> {
        if let Some(hs) = self.handshake.as_mut() {
            let used = match hs.handle_input(input, self.mechanism.name, wire) {
                Ok(Some(used)) => used,
                Ok(None) => return Ok(()),
                Err(e) => return Err(e),
            };
            input = &input[used..];
            self.no_mechanism = hs.chose_no_mechanism();
            self.handshake = None;
            match self.no_mechanism_peer.filter(|_| self.no_mechanism) {
                Some(peer) => {
                    // The session's reply to a ZMTP 2.0 greeting is shorter: it sent
                    // only its signature so far, so the count is still ahead of it.
                    if let Outbound::Greeting(left) = self.outbound {
                        self.outbound = match left.saturating_sub(GREETING_LEN - V2_GREETING_LEN) {
                            0 => Outbound::Header {
                                buf: [0; 9],
                                have: 0,
                            },
                            left => Outbound::Greeting(left),
                        };
                    }
                    session.extend_from_slice(&Greeting::signature(0));
                    session.extend_from_slice(&[V2_REVISION, peer.number()]);
                }
                None => {
                    // The peer's greeting as the session expects it: ZWS has none, the
                    // agreed subprotocol stood for it. It names ZMTP 3.0, so that the
                    // session sends and takes subscriptions as messages starting with 1
                    // or 0, as RFC 45 has them (libzmq's ws transport drops SUBSCRIBE
                    // commands).
                    let peer = Greeting {
                        version: ZWS_ZMTP_VERSION,
                        mechanism: self.mechanism.name,
                        as_server: !self.mechanism.as_server,
                    };
                    session.extend_from_slice(&peer.encode());
                }
            }
            wire.append(&mut self.deferred);
        }
        while !input.is_empty() && !self.closed {
            let used = self.step_input(input, session)?;
            input = &input[used..];
        }
        Ok(())
    }

    fn step_input(&mut self, input: &[u8], session: &mut Vec<u8>) -> Result<usize, WsError> {
        let no_mechanism = self.no_mechanism;
        match &mut self.inbound {
            Inbound::Header { buf, have } => {
                let take = needed_header_len(&buf[..*have]).saturating_sub(*have);
                // At least one byte: until the length octets are in, the need is unknown.
                let take = take.max(1).min(input.len());
                buf[*have..*have + take].copy_from_slice(&input[..take]);
                *have += take;
                let need = needed_header_len(&buf[..*have]);
                if *have == need {
                    let header = *buf;
                    let len = *have;
                    self.start_frame(&header[..len], session)?;
                }
                Ok(take)
            }
            Inbound::Payload(p) => {
                let n = (p.left.min(input.len() as u64)) as usize;
                let (mask, mut pos) = (p.mask, p.pos);
                p.pos += n;
                p.left -= n as u64;
                let (opcode, fin, done) = (p.opcode, p.fin, p.left == 0);
                let mut body = &input[..n];
                if p.awaiting_flag && !body.is_empty() {
                    p.awaiting_flag = false;
                    let total = p.left + body.len() as u64 - 1;
                    let flag = body[0] ^ mask.map_or(0, |m| m[pos % 4]);
                    zmtp_header(flag, total, no_mechanism, session)?;
                    body = &body[1..];
                    pos += 1;
                }
                // Copied once, to where it goes, and unmasked there (no chunk of its own).
                let destination = match opcode {
                    OP_PING | OP_PONG | OP_CLOSE => &mut self.control,
                    _ => match self.fragments.as_mut() {
                        Some(message) => message,
                        None => session,
                    },
                };
                let from = destination.len();
                destination.extend_from_slice(body);
                if let Some(mask) = mask {
                    for (i, b) in destination[from..].iter_mut().enumerate() {
                        *b ^= mask[(pos + i) % 4];
                    }
                }
                if done {
                    self.end_frame(opcode, fin, session)?;
                }
                Ok(n)
            }
        }
    }

    /// A frame header is complete: check it and set up for its payload.
    fn start_frame(&mut self, header: &[u8], session: &mut Vec<u8>) -> Result<(), WsError> {
        let fin = header[0] & 0x80 != 0;
        if header[0] & 0x70 != 0 {
            return Err(WsError::BadFrame("reserved bit set"));
        }
        let opcode = header[0] & 0x0F;
        let masked = header[1] & 0x80 != 0;
        // A server's frames come unmasked, a client's masked (RFC 6455 §5.1).
        if masked == self.is_client() {
            return Err(WsError::Masking);
        }
        let (len, at) = match header[1] & 0x7F {
            126 => (u64::from(u16::from_be_bytes([header[2], header[3]])), 4),
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&header[2..10]);
                let len = u64::from_be_bytes(b);
                if len >> 63 != 0 {
                    return Err(WsError::BadFrame("length with its top bit set"));
                }
                (len, 10)
            }
            short => (u64::from(short), 2),
        };
        let mask = masked.then(|| [header[at], header[at + 1], header[at + 2], header[at + 3]]);
        let mut awaiting_flag = false;
        match opcode {
            OP_CLOSE | OP_PING | OP_PONG => {
                if !fin || len > MAX_CONTROL as u64 {
                    return Err(WsError::BadFrame("long or fragmented control frame"));
                }
                self.control.clear();
            }
            OP_BINARY => {
                if self.fragments.is_some() {
                    return Err(WsError::BadFrame("new message inside a fragmented one"));
                }
                self.check_size(len.saturating_sub(1))?;
                if fin {
                    if len == 0 {
                        return Err(WsError::BadFlags);
                    }
                    awaiting_flag = true;
                } else {
                    self.fragments = Some(Vec::new());
                }
            }
            OP_CONTINUATION => {
                let Some(message) = self.fragments.as_ref() else {
                    return Err(WsError::BadFrame("continuation without a message"));
                };
                self.check_size((message.len() as u64 + len).saturating_sub(1))?;
            }
            OP_TEXT => return Err(WsError::BadFrame("text message (ZWS is binary)")),
            _ => return Err(WsError::BadFrame("unknown opcode")),
        }
        self.inbound = Inbound::Payload(Payload {
            opcode,
            fin,
            left: len,
            mask,
            pos: 0,
            awaiting_flag,
        });
        if len == 0 {
            self.end_frame(opcode, fin, session)?;
        }
        Ok(())
    }

    fn check_size(&self, body: u64) -> Result<(), WsError> {
        if body > self.max_frame {
            return Err(WsError::TooLarge {
                len: body,
                max: self.max_frame,
            });
        }
        Ok(())
    }

    /// A frame's payload is complete.
    fn end_frame(&mut self, opcode: u8, fin: bool, session: &mut Vec<u8>) -> Result<(), WsError> {
        self.inbound = Inbound::Header {
            buf: [0; 14],
            have: 0,
        };
        match opcode {
            // A close echo owed goes first and last.
            OP_PING if !matches!(self.owed, Some((OP_CLOSE, _))) => {
                self.owed = Some((OP_PONG, std::mem::take(&mut self.control)));
            }
            OP_PING => {}
            OP_CLOSE => {
                // Echo the status code, as RFC 6455 §5.5.1 asks, then stop reading.
                let payload = std::mem::take(&mut self.control);
                let code = payload.get(..2).unwrap_or(&[]).to_vec();
                self.owed = Some((OP_CLOSE, code));
                self.closed = true;
            }
            OP_PONG => {
                // The answer to a ping the session's PING became: a PONG for the session,
                // with the ping's context. Sealed mechanisms' PINGs never become pings (the
                // translator cannot read them) and the peer's unasked pongs mean nothing.
                let context = std::mem::take(&mut self.control);
                if self.heartbeats_as_pings() && self.fragments.is_none() {
                    let len = PONG_NAME.len() + context.len();
                    session.extend_from_slice(&[ZMTP_COMMAND, len as u8]);
                    session.extend_from_slice(PONG_NAME);
                    session.extend_from_slice(&context);
                }
            }
            _ if fin => {
                if let Some(message) = self.fragments.take() {
                    let (&flag, body) = message.split_first().ok_or(WsError::BadFlags)?;
                    zmtp_header(flag, body.len() as u64, self.no_mechanism, session)?;
                    session.extend_from_slice(body);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes the control frame owed to the peer, if any, unless a data frame is half
    /// written (a control frame may go between frames, never inside one). The caller
    /// calls it once the wire has taken everything before, so that at most one control
    /// frame ever waits in its buffer.
    pub(crate) fn write_owed(&mut self, wire: &mut Vec<u8>) {
        if matches!(self.outbound, Outbound::Body { .. }) || self.handshake.is_some() {
            return;
        }
        if let Some((opcode, payload)) = self.owed.take() {
            self.write_frame(opcode, &payload, wire);
        }
    }

    /// Whether the session's PING commands travel as WebSocket pings, as RFC 45 and
    /// libzmq's ws transport do heartbeats: when commands travel in clear (CURVE seals
    /// them, ZWS 2.0 without a mechanism has none).
    fn heartbeats_as_pings(&self) -> bool {
        !self.no_mechanism && self.mechanism.name != MechanismName::CURVE
    }

    /// Writes one whole frame (the local side's masking applied).
    fn write_frame(&mut self, opcode: u8, payload: &[u8], wire: &mut Vec<u8>) {
        let mask = self.is_client().then(|| self.masks.next());
        ws_header(opcode, payload.len() as u64, mask, wire);
        let start = wire.len();
        wire.extend_from_slice(payload);
        if let Some(mask) = mask {
            for (i, b) in wire[start..].iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
        }
    }

    /// Takes ZMTP bytes from the session and writes their WebSocket form to `wire` (held
    /// back until the upgrade is done). Every byte is taken.
    pub(crate) fn handle_output(&mut self, mut input: &[u8], wire: &mut Vec<u8>) {
        let mut deferred = std::mem::take(&mut self.deferred);
        let out = if self.handshake.is_some() {
            &mut deferred
        } else {
            wire
        };
        while !input.is_empty() {
            let used = self.step_output(input, out);
            input = &input[used..];
        }
        self.deferred = deferred;
    }

    fn step_output(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        match &mut self.outbound {
            Outbound::Greeting(left) => {
                let n = (*left).min(input.len());
                *left -= n;
                if *left == 0 {
                    self.outbound = Outbound::Header {
                        buf: [0; 9],
                        have: 0,
                    };
                }
                n
            }
            Outbound::Header { buf, have } => {
                buf[*have] = input[0];
                *have += 1;
                let need = if buf[0] & ZMTP_LONG != 0 { 9 } else { 2 };
                if *have == need {
                    let flags = buf[0];
                    let len = if need == 9 {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&buf[1..9]);
                        u64::from_be_bytes(b)
                    } else {
                        u64::from(buf[1])
                    };
                    if flags & ZMTP_COMMAND != 0 && len <= MAX_PING && self.heartbeats_as_pings() {
                        self.outbound = Outbound::Command {
                            body: Vec::with_capacity(len as usize),
                            left: len as usize,
                            more: flags & ZMTP_MORE != 0,
                        };
                        if len == 0 {
                            self.end_command(out);
                        }
                        return 1;
                    }
                    let mask = self.is_client().then(|| self.masks.next());
                    ws_header(OP_BINARY, len + 1, mask, out);
                    let mut flag = 0;
                    if flags & ZMTP_MORE != 0 {
                        flag |= ZWS_MORE;
                    }
                    if flags & ZMTP_COMMAND != 0 {
                        flag |= ZWS_COMMAND;
                    }
                    out.push(flag ^ mask.map_or(0, |m| m[0]));
                    self.outbound = if len == 0 {
                        Outbound::Header {
                            buf: [0; 9],
                            have: 0,
                        }
                    } else {
                        Outbound::Body {
                            left: len,
                            mask,
                            pos: 1,
                        }
                    };
                }
                1
            }
            Outbound::Command { body, left, .. } => {
                let n = (*left).min(input.len());
                body.extend_from_slice(&input[..n]);
                *left -= n;
                if *left == 0 {
                    self.end_command(out);
                }
                n
            }
            Outbound::Body { left, mask, pos } => {
                let n = (*left).min(input.len() as u64) as usize;
                let start = out.len();
                out.extend_from_slice(&input[..n]);
                if let Some(mask) = mask {
                    for (i, b) in out[start..].iter_mut().enumerate() {
                        *b ^= mask[(*pos + i) % 4];
                    }
                }
                *pos += n;
                *left -= n as u64;
                if *left == 0 {
                    self.outbound = Outbound::Header {
                        buf: [0; 9],
                        have: 0,
                    };
                }
                n
            }
        }
    }
}

impl Zws {
    /// A short command from the session is complete: a PING goes out as a WebSocket ping
    /// carrying its context (the pong brings it back), anything else as a ZWS command.
    fn end_command(&mut self, out: &mut Vec<u8>) {
        let Outbound::Command { body, more, .. } = std::mem::replace(
            &mut self.outbound,
            Outbound::Header {
                buf: [0; 9],
                have: 0,
            },
        ) else {
            return;
        };
        match body.strip_prefix(PING_NAME) {
            Some(ttl_and_context) if ttl_and_context.len() >= 2 => {
                let context = &ttl_and_context[2..];
                let context = &context[..context.len().min(MAX_CONTROL)];
                self.write_frame(OP_PING, context, out);
            }
            _ => {
                let mut payload = Vec::with_capacity(body.len() + 1);
                payload.push(if more {
                    ZWS_COMMAND | ZWS_MORE
                } else {
                    ZWS_COMMAND
                });
                payload.extend_from_slice(&body);
                self.write_frame(OP_BINARY, &payload, out);
            }
        }
    }
}

/// The largest frame body the translator takes in for a session limited to `max_message`
/// body octets. The limit bounds what a fragmented message may make it keep; the session
/// holds each frame to the exact limits as over tcp (messages to MAXMSGSIZE once opened,
/// commands to their own), so this one only needs to be no tighter than those: MAXMSGSIZE
/// plus CURVE's sealing (a message of exactly MAXMSGSIZE travels longer), and at least a
/// command's limit (READY is longer than a small MAXMSGSIZE; the flag octet that says
/// "command" comes after the length).
fn frame_limit(mechanism: MechanismName, max_message: u64) -> u64 {
    let sealing = if mechanism == MechanismName::CURVE {
        zmtp::mechanism::CURVE_MESSAGE_OVERHEAD as u64
    } else {
        0
    };
    max_message
        .saturating_add(sealing)
        .max(zmtp::frame::FrameDecoder::MAX_COMMAND)
}

/// How long a WebSocket frame header is, judging from the octets seen so far.
fn needed_header_len(seen: &[u8]) -> usize {
    if seen.len() < 2 {
        return 2;
    }
    let mask = if seen[1] & 0x80 != 0 { 4 } else { 0 };
    match seen[1] & 0x7F {
        126 => 4 + mask,
        127 => 10 + mask,
        _ => 2 + mask,
    }
}

/// Writes a final frame header for a payload of `len` octets.
fn ws_header(opcode: u8, len: u64, mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
    out.push(0x80 | opcode);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(mask_bit | 126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    if let Some(mask) = mask {
        out.extend_from_slice(&mask);
    }
}

/// Writes the ZMTP header for a ZWS message with flag octet `flag` and a body of `len`
/// (no commands without a mechanism).
fn zmtp_header(
    flag: u8,
    len: u64,
    no_mechanism: bool,
    session: &mut Vec<u8>,
) -> Result<(), WsError> {
    let mut flags = match flag {
        0 => 0,
        ZWS_MORE => ZMTP_MORE,
        ZWS_COMMAND if !no_mechanism => ZMTP_COMMAND,
        _ => return Err(WsError::BadFlags),
    };
    if len > 255 {
        flags |= ZMTP_LONG;
        session.push(flags);
        session.extend_from_slice(&len.to_be_bytes());
    } else {
        session.push(flags);
        session.push(len as u8);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NULL: Mechanism = Mechanism {
        name: MechanismName::NULL,
        as_server: false,
    };

    fn client() -> Zws {
        let side = Side::Client {
            host: "example.com:80".into(),
            path: "/zmq".into(),
        };
        Zws::new(side, NULL, SocketType::Pair, 1 << 20, [7; 24])
    }

    fn server() -> Zws {
        Zws::new(Side::Server, NULL, SocketType::Pair, 1 << 20, [9; 24])
    }

    /// A connected client and server, each having taken the other's greeting.
    fn pair() -> (Zws, Zws) {
        let (mut c, mut s) = (client(), server());
        let mut wire = Vec::new();
        c.start(&mut wire);
        let (mut to_session, mut back) = (Vec::new(), Vec::new());
        s.handle_input(&wire, &mut to_session, &mut back).unwrap();
        assert_eq!(to_session.len(), GREETING_LEN);
        let mut to_client = Vec::new();
        c.handle_input(&back, &mut to_client, &mut Vec::new())
            .unwrap();
        assert_eq!(to_client.len(), GREETING_LEN);
        // Both sessions' greetings vanish.
        let mut none = Vec::new();
        c.handle_output(&[0xAA; GREETING_LEN], &mut none);
        s.handle_output(&[0xAA; GREETING_LEN], &mut none);
        assert!(none.is_empty());
        (c, s)
    }

    /// Unmasked server frame bytes for a payload.
    fn server_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        ws_header(opcode, payload.len() as u64, None, &mut out);
        if !fin {
            out[0] &= 0x7F;
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn frames_cross_in_both_directions_byte_by_byte() {
        let (mut c, mut s) = pair();
        // A two-part message (second part long) and a command, as the session writes them.
        let mut zmtp = vec![ZMTP_MORE, 3];
        zmtp.extend_from_slice(b"abc");
        zmtp.push(ZMTP_LONG);
        zmtp.extend_from_slice(&300u64.to_be_bytes());
        zmtp.extend(std::iter::repeat_n(b'x', 300));
        zmtp.extend_from_slice(&[ZMTP_COMMAND, 5, 4]);
        zmtp.extend_from_slice(b"PING");
        let mut wire = Vec::new();
        for b in &zmtp {
            c.handle_output(std::slice::from_ref(b), &mut wire);
        }
        // Client frames are masked: the payload does not appear in clear.
        assert!(!wire.windows(3).any(|w| w == b"abc"));
        let mut got = Vec::new();
        for b in &wire {
            s.handle_input(std::slice::from_ref(b), &mut got, &mut Vec::new())
                .unwrap();
        }
        assert_eq!(got, zmtp);
        // And back: server frames are not masked.
        let mut wire = Vec::new();
        s.handle_output(&zmtp, &mut wire);
        assert!(wire.windows(3).any(|w| w == b"abc"));
        let mut got = Vec::new();
        c.handle_input(&wire, &mut got, &mut Vec::new()).unwrap();
        assert_eq!(got, zmtp);
    }

    #[test]
    fn zws_flag_octets_are_rfc_45s() {
        let (_, mut s) = pair();
        let mut wire = Vec::new();
        s.handle_output(
            &[ZMTP_MORE, 1, b'a', 0, 1, b'b', ZMTP_COMMAND, 1, b'c'],
            &mut wire,
        );
        assert_eq!(wire, [0x82, 2, 1, b'a', 0x82, 2, 0, b'b', 0x82, 2, 2, b'c']);
    }

    /// A browser's upgrade request: only the bare subprotocol.
    const BARE_REQUEST: &str =
        "GET /zmq HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Protocol: ZWS2.0\r\n\r\n";

    /// A masked client frame (mask 1 2 3 4).
    fn client_frame(payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = Vec::new();
        ws_header(OP_BINARY, payload.len() as u64, Some(mask), &mut out);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    #[test]
    fn without_a_mechanism_the_session_speaks_zmtp_2_0() {
        let mut s = Zws::new(Side::Server, NULL, SocketType::Pub, 1 << 20, [9; 24]);
        // The session's signature goes out before the upgrade is done.
        let mut wire = Vec::new();
        s.handle_output(&Greeting::signature(0), &mut wire);
        let mut input = BARE_REQUEST.as_bytes().to_vec();
        input.extend(client_frame(&[0]));
        input.extend(client_frame(&[0, 1, b'a']));
        let mut session = Vec::new();
        s.handle_input(&input, &mut session, &mut wire).unwrap();
        let answer = String::from_utf8(wire).unwrap();
        assert!(
            answer.contains("Sec-WebSocket-Protocol: ZWS2.0\r\n"),
            "{answer}"
        );
        // A ZMTP 2.0 greeting from a SUB, the (empty) identity, then a subscription.
        let mut expected = Greeting::signature(0).to_vec();
        expected.extend_from_slice(&[V2_REVISION, SocketType::Sub.number()]);
        expected.extend_from_slice(&[0, 0, 0, 2, 1, b'a']);
        assert_eq!(session, expected);
        // The rest of the session's ZMTP 2.0 greeting vanishes; its identity and
        // messages become ZWS messages.
        let mut wire = Vec::new();
        s.handle_output(
            &[3, SocketType::Pub.number(), 0, 0, 0, 2, b'a', b'b'],
            &mut wire,
        );
        assert_eq!(wire, [0x82, 1, 0, 0x82, 3, 0, b'a', b'b']);
        // ZWS 2.0 without a mechanism has no commands.
        let r = s.handle_input(&client_frame(&[2, 4]), &mut session, &mut Vec::new());
        assert_eq!(r, Err(WsError::BadFlags));
    }

    #[test]
    fn without_a_mechanism_only_types_of_zmtp_2_0s_time_are_served() {
        let mut s = Zws::new(Side::Server, NULL, SocketType::Radio, 1 << 20, [9; 24]);
        let mut wire = Vec::new();
        let r = s.handle_input(BARE_REQUEST.as_bytes(), &mut Vec::new(), &mut wire);
        assert!(matches!(r, Err(WsError::Handshake(_))), "{r:?}");
        assert!(wire.starts_with(b"HTTP/1.1 400 "));
    }

    #[test]
    fn a_fragmented_message_is_joined() {
        let (mut c, _) = pair();
        let mut wire = server_frame(OP_BINARY, false, &[0, b'h']);
        wire.extend(server_frame(OP_PING, true, b"p"));
        wire.extend(server_frame(OP_CONTINUATION, false, b"el"));
        wire.extend(server_frame(OP_CONTINUATION, true, b"lo"));
        let (mut got, mut back) = (Vec::new(), Vec::new());
        c.handle_input(&wire, &mut got, &mut back).unwrap();
        assert_eq!(got, b"\x00\x05hello");
        // The ping in between is answered with a (masked) pong carrying its payload.
        assert!(back.is_empty());
        c.write_owed(&mut back);
        assert_eq!(back[0], 0x80 | OP_PONG);
        assert_eq!(back[1], 0x80 | 1);
        assert_eq!(back[6] ^ back[2], b'p');
    }

    /// A peer that pings and never reads is owed one pong, the latest ping's, however
    /// many pings it sent; and the pong never lands inside a half-written data frame.
    #[test]
    fn many_pings_owe_one_pong() {
        let (_, mut s) = pair();
        let mask = [1, 2, 3, 4];
        let mut wire = Vec::new();
        for i in 0..10_000u32 {
            let payload = i.to_be_bytes();
            ws_header(OP_PING, 4, Some(mask), &mut wire);
            wire.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        }
        let mut back = Vec::new();
        s.handle_input(&wire, &mut Vec::new(), &mut back).unwrap();
        assert!(back.is_empty());
        // The session has begun a message: the pong waits for its end.
        s.handle_output(&[0, 3, b'a'], &mut back);
        s.write_owed(&mut back);
        assert_eq!(back, [0x82, 4, 0, b'a']);
        s.handle_output(b"bc", &mut back);
        s.write_owed(&mut back);
        let mut expected = vec![0x82, 4, 0, b'a', b'b', b'c', 0x80 | OP_PONG, 4];
        expected.extend_from_slice(&9_999u32.to_be_bytes());
        assert_eq!(back, expected);
        // Paid once.
        s.write_owed(&mut back);
        assert_eq!(back, expected);
    }

    /// The session's PING leaves as a WebSocket ping; the pong returns as its PONG.
    #[test]
    fn heartbeats_are_websocket_pings() {
        let (mut c, mut s) = pair();
        let mut ping = vec![ZMTP_COMMAND, 10];
        ping.extend_from_slice(b"\x04PING\x00\x0actx");
        let mut wire = Vec::new();
        s.handle_output(&ping, &mut wire);
        assert_eq!(wire, [0x80 | OP_PING, 3, b'c', b't', b'x']);
        // The client answers it with a (masked) pong; the server's session gets a PONG.
        c.handle_input(&wire, &mut Vec::new(), &mut Vec::new())
            .unwrap();
        let mut pong = Vec::new();
        c.write_owed(&mut pong);
        let mut got = Vec::new();
        s.handle_input(&pong, &mut got, &mut Vec::new()).unwrap();
        assert_eq!(got, b"\x04\x08\x04PONGctx");
        // Other commands cross as ZWS commands.
        let mut wire = Vec::new();
        s.handle_output(&[ZMTP_COMMAND, 5, 4, b'T', b'E', b'S', b'T'], &mut wire);
        assert_eq!(wire, [0x82, 6, 2, 4, b'T', b'E', b'S', b'T']);
    }

    #[test]
    fn a_close_is_echoed_and_ends_the_input() {
        let (mut c, _) = pair();
        let mut wire = server_frame(OP_CLOSE, true, &1000u16.to_be_bytes());
        wire.extend(server_frame(OP_BINARY, true, &[0, b'x']));
        let (mut got, mut back) = (Vec::new(), Vec::new());
        c.handle_input(&wire, &mut got, &mut back).unwrap();
        assert!(c.is_closed());
        assert!(got.is_empty());
        c.write_owed(&mut back);
        assert_eq!(back[0], 0x80 | OP_CLOSE);
    }

    #[test]
    fn an_unmasked_client_frame_is_refused() {
        let (_, mut s) = pair();
        let err = s
            .handle_input(
                &server_frame(OP_BINARY, true, &[0, 1]),
                &mut Vec::new(),
                &mut Vec::new(),
            )
            .unwrap_err();
        assert_eq!(err, WsError::Masking);
    }

    #[test]
    fn a_masked_server_frame_is_refused() {
        let (mut c, _) = pair();
        let mut wire = Vec::new();
        ws_header(OP_BINARY, 2, Some([1, 2, 3, 4]), &mut wire);
        wire.extend_from_slice(&[1, 3]);
        let err = c
            .handle_input(&wire, &mut Vec::new(), &mut Vec::new())
            .unwrap_err();
        assert_eq!(err, WsError::Masking);
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_header() {
        let (mut c, _) = pair();
        let mut wire = Vec::new();
        ws_header(OP_BINARY, 1 << 40, None, &mut wire);
        let err = c
            .handle_input(&wire, &mut Vec::new(), &mut Vec::new())
            .unwrap_err();
        assert!(matches!(err, WsError::TooLarge { .. }), "{err:?}");
        // Fragments add up to the limit too.
        let (mut c, _) = pair();
        let mut wire = server_frame(OP_BINARY, false, &[0]);
        ws_header(OP_CONTINUATION, (1 << 20) + 1, None, &mut wire);
        let err = c
            .handle_input(&wire, &mut Vec::new(), &mut Vec::new())
            .unwrap_err();
        assert!(matches!(err, WsError::TooLarge { .. }), "{err:?}");
    }

    #[test]
    fn a_truncated_frame_yields_nothing_until_complete() {
        let (mut c, _) = pair();
        let wire = server_frame(OP_BINARY, true, &[0, b'a', b'b']);
        let mut got = Vec::new();
        c.handle_input(&wire[..1], &mut got, &mut Vec::new())
            .unwrap();
        assert!(got.is_empty());
        c.handle_input(&wire[1..3], &mut got, &mut Vec::new())
            .unwrap();
        // The header is out once the flag octet is here; the body follows as it comes.
        assert_eq!(got, [0, 2]);
    }

    #[test]
    fn bad_frames_are_refused() {
        for (wire, what) in [
            (server_frame(OP_TEXT, true, b"\0hi"), "text"),
            (
                server_frame(OP_CONTINUATION, true, b"x"),
                "stray continuation",
            ),
            (server_frame(0x3, true, b"x"), "unknown opcode"),
            (server_frame(OP_PING, false, b"x"), "fragmented control"),
            (server_frame(OP_PING, true, &[0; 126]), "long control"),
            (server_frame(OP_BINARY, true, b""), "no flag octet"),
            (server_frame(OP_BINARY, true, b"\x03x"), "unknown flag"),
            (vec![0xC2, 0], "reserved bit"),
        ] {
            let (mut c, _) = pair();
            assert!(
                c.handle_input(&wire, &mut Vec::new(), &mut Vec::new())
                    .is_err(),
                "{what} accepted"
            );
        }
    }

    #[test]
    fn output_before_the_upgrade_waits_for_it() {
        let (mut c, mut s) = (client(), server());
        let mut wire = Vec::new();
        c.start(&mut wire);
        let request_len = wire.len();
        let mut zmtp = vec![0xAA; GREETING_LEN];
        zmtp.extend_from_slice(&[0, 1, b'z']);
        c.handle_output(&zmtp, &mut wire);
        assert_eq!(wire.len(), request_len);
        let mut back = Vec::new();
        s.handle_input(&wire, &mut Vec::new(), &mut back).unwrap();
        let mut out = Vec::new();
        c.handle_input(&back, &mut Vec::new(), &mut out).unwrap();
        let mut got = Vec::new();
        s.handle_input(&out, &mut got, &mut Vec::new()).unwrap();
        assert_eq!(got, [0, 1, b'z']);
    }
}
