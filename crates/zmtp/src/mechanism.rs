//! Security mechanisms: NULL (RFC 23/37), PLAIN (RFC 24) and CURVE (RFC 25/26), as state
//! machines behind one interface the session drives.
//!
//! # Design
//!
//! After the greetings, a ZMTP connection runs its mechanism's handshake, a few command
//! frames each way, and then carries traffic. A [`Mechanism`] is that handshake plus, for
//! CURVE, the encryption of the traffic. Like the session it owns no socket, clock or thread:
//!
//! ```text
//!                       handle_command(body) ──►┌───────────┐──► poll_command() → body to frame and send
//!  peer command frames                          │ Mechanism │
//!                       handle_verdict(v) ─────►│           │──► poll_event() → Authenticate(request)
//!  authenticator (ZAP)                          └───────────┘                   Ready(outcome)
//!  traffic:  encode_frame(more, command, body) → wire frame;  decode_frame(header, body) → Frame
//! ```
//!
//! The session's part, in order:
//!
//! 1. build the mechanism with our metadata (`Socket-Type`, `Identity`, ...) and, for CURVE, the
//!    keys and an [`Entropy`] source; announce [`Mechanism::name`] and
//!    [`Mechanism::as_server`] in the greeting;
//! 2. check the peer's greeting with [`Mechanism::check_peer_greeting`] (same mechanism);
//! 3. only then drain [`Mechanism::poll_command`] and [`Mechanism::poll_event`]: a client's
//!    first command (HELLO, or READY for NULL) is ready from the start, but it must not reach
//!    a listener that has not shown itself to be a ZMTP peer of this mechanism (a PLAIN HELLO
//!    carries the password in clear);
//! 4. hand the body of every command frame to [`Mechanism::handle_command`], then drain both
//!    queues again; an [`MechanismEvent::Authenticate`] goes to the authenticator, whose
//!    answer, whenever it comes, goes to [`Mechanism::handle_verdict`] (drain again);
//! 5. after [`MechanismEvent::Ready`], send and receive every frame (message parts and
//!    commands alike) through [`Mechanism::encode_frame`] and [`Mechanism::decode_frame`].
//!    NULL and PLAIN pass frames through unchanged, so a session may keep its own zero-copy
//!    path when [`Mechanism::frame_overhead`] is 0; CURVE wraps each in a MESSAGE command;
//! 6. on any error, drain [`Mechanism::poll_command`] once more (an ERROR may be owed to the
//!    peer, e.g. after a refused authentication), send it and close. The mechanism refuses
//!    everything after an error.
//!
//! A server mechanism never judges credentials itself: it asks with
//! [`MechanismEvent::Authenticate`] (the mechanism name and ZAP credential frames, RFC 27) and
//! waits, so an asynchronous ZAP handler fits between the two calls. A server without an
//! authenticator answers [`Verdict::allow`] at once. A refusal queues an ERROR whose reason is
//! the status code ("400"), which libzmq peers report as an authentication failure.
//!
//! | mechanism | client sends            | server sends             | server asks about      |
//! |-----------|-------------------------|--------------------------|------------------------|
//! | NULL      | READY                   | READY                    | nothing, or the bare connection ([`Mechanism::null_authenticated`]) |
//! | PLAIN     | HELLO, INITIATE         | WELCOME, READY           | username and password, on HELLO |
//! | CURVE     | HELLO, INITIATE         | WELCOME, READY           | the client's long-term key, on INITIATE |
//!
//! ```
//! use ferrozmq_zmtp::metadata::Metadata;
//! use ferrozmq_zmtp::mechanism::{Mechanism, MechanismEvent, Verdict};
//!
//! let mut client = Mechanism::plain_client(b"admin", b"secret", Metadata::new()).unwrap();
//! let mut server = Mechanism::plain_server(Metadata::new());
//!
//! // The client's HELLO goes to the server, which asks its authenticator.
//! let hello = client.poll_command().unwrap();
//! server.handle_command(&hello).unwrap();
//! let Some(MechanismEvent::Authenticate(request)) = server.poll_event() else { panic!() };
//! assert_eq!(&request.credentials[0][..], b"admin");
//! server.handle_verdict(Verdict::allow("admin")).unwrap();
//!
//! // WELCOME, INITIATE, READY.
//! client.handle_command(&server.poll_command().unwrap()).unwrap();
//! server.handle_command(&client.poll_command().unwrap()).unwrap();
//! client.handle_command(&server.poll_command().unwrap()).unwrap();
//! assert!(client.is_ready() && server.is_ready());
//! ```

mod auth;
mod curve;
mod error;
mod null;
mod plain;
mod wire;

pub use auth::{AuthRequest, HandshakeOutcome, Verdict};
pub(crate) use curve::SentFrames;
pub use curve::MESSAGE_OVERHEAD as CURVE_MESSAGE_OVERHEAD;
pub use error::MechanismError;

use crate::curve_keys::{CurveKeyPair, CurvePublicKey};
use crate::entropy::Entropy;
use crate::error::ProtocolError;
use crate::frame::{self, FrameHeader};
use crate::greeting::{Greeting, MechanismName};
use crate::metadata::Metadata;
use bytes::{BufMut, BytesMut};
use std::collections::VecDeque;
use std::fmt;

/// Something the session must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MechanismEvent {
    /// A server needs a verdict on the client before it goes on: pass the request to the
    /// authenticator and its answer to [`Mechanism::handle_verdict`].
    Authenticate(AuthRequest),
    /// The handshake is complete; traffic may flow.
    Ready(HandshakeOutcome),
}

/// One frame of traffic in clear: a message part or a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// More parts of the same message follow.
    pub more: bool,
    /// The frame is a command (SUBSCRIBE, PING, ...), not a message part.
    pub command: bool,
    /// The frame's body.
    pub body: BytesMut,
}

/// A connection's security mechanism, on one side.
pub struct Mechanism {
    role: Role,
}

enum Role {
    Null(null::Null),
    PlainClient(plain::PlainClient),
    PlainServer(plain::PlainServer),
    CurveClient(curve::CurveClient),
    CurveServer(curve::CurveServer),
}

impl Mechanism {
    /// NULL: no security. Our READY (with `metadata`) is queued at once.
    pub fn null(metadata: Metadata) -> Mechanism {
        Mechanism {
            role: Role::Null(null::Null::new(metadata, false)),
        }
    }

    /// NULL with the connection put to the authenticator (libzmq does this when a ZAP domain
    /// is set): an [`MechanismEvent::Authenticate`] with no credentials is queued at once, and
    /// our READY follows an accepting verdict.
    pub fn null_authenticated(metadata: Metadata) -> Mechanism {
        Mechanism {
            role: Role::Null(null::Null::new(metadata, true)),
        }
    }

    /// PLAIN, client side: HELLO with these credentials (at most 255 octets each) is queued
    /// at once; `metadata` goes in INITIATE.
    pub fn plain_client(
        username: &[u8],
        password: &[u8],
        metadata: Metadata,
    ) -> Result<Mechanism, MechanismError> {
        Ok(Mechanism {
            role: Role::PlainClient(plain::PlainClient::new(username, password, metadata)?),
        })
    }

    /// PLAIN, server side; `metadata` goes in READY.
    pub fn plain_server(metadata: Metadata) -> Mechanism {
        Mechanism {
            role: Role::PlainServer(plain::PlainServer::new(metadata)),
        }
    }

    /// CURVE, client side: talks only to the holder of `server_key`, and proves it holds
    /// `client_keys`. A transient key pair is drawn from `entropy` and HELLO is queued at
    /// once; `metadata` goes in INITIATE.
    pub fn curve_client(
        server_key: CurvePublicKey,
        client_keys: CurveKeyPair,
        metadata: Metadata,
        entropy: Box<dyn Entropy + Send>,
    ) -> Result<Mechanism, MechanismError> {
        Ok(Mechanism {
            role: Role::CurveClient(curve::CurveClient::new(
                server_key,
                client_keys,
                metadata,
                entropy,
            )?),
        })
    }

    /// CURVE, server side, with its long-term `keys`; `metadata` goes in READY.
    pub fn curve_server(
        keys: CurveKeyPair,
        metadata: Metadata,
        entropy: Box<dyn Entropy + Send>,
    ) -> Mechanism {
        Mechanism {
            role: Role::CurveServer(curve::CurveServer::new(keys, metadata, entropy)),
        }
    }

    /// The name to announce in the greeting.
    pub fn name(&self) -> MechanismName {
        match self.role {
            Role::Null(_) => MechanismName::NULL,
            Role::PlainClient(_) | Role::PlainServer(_) => MechanismName::PLAIN,
            Role::CurveClient(_) | Role::CurveServer(_) => MechanismName::CURVE,
        }
    }

    /// The greeting's as-server flag.
    pub fn as_server(&self) -> bool {
        matches!(self.role, Role::PlainServer(_) | Role::CurveServer(_))
    }

    /// Whether a ZMTP 1.0 or 2.0 peer may be talked to: those know no security, so only
    /// NULL without authentication may downgrade (RFC 23: any other mechanism MUST close
    /// the connection; libzmq also refuses them when a ZAP domain is set).
    pub fn allows_legacy_peers(&self) -> bool {
        matches!(&self.role, Role::Null(null) if !null.authenticates())
    }

    /// Checks that the peer's greeting announces the same mechanism.
    ///
    /// The peer's as-server flag is not checked: libzmq (4.3) sends 0 there even from a PLAIN
    /// or CURVE server. Two clients or two servers find out from the first command instead.
    pub fn check_peer_greeting(&self, greeting: &Greeting) -> Result<(), ProtocolError> {
        if greeting.mechanism != self.name() {
            return Err(ProtocolError::MechanismMismatch {
                ours: self.name(),
                theirs: greeting.mechanism,
            });
        }
        Ok(())
    }

    /// Takes the body of a command frame received during the handshake (name length, name,
    /// data). Commands and events it causes wait in [`poll_command`](Self::poll_command) and
    /// [`poll_event`](Self::poll_event).
    pub fn handle_command(&mut self, body: &[u8]) -> Result<(), MechanismError> {
        self.handshake().handle_command(body)
    }

    /// Takes the authenticator's answer to the last [`MechanismEvent::Authenticate`]. A
    /// refusal queues an ERROR for the peer and returns [`MechanismError::Refused`].
    pub fn handle_verdict(&mut self, verdict: Verdict) -> Result<(), MechanismError> {
        self.handshake().handle_verdict(verdict)
    }

    /// The body of the next command to send (the session frames it as a command).
    pub fn poll_command(&mut self) -> Option<Vec<u8>> {
        self.handshake().outputs().commands.pop_front()
    }

    /// The next event for the session.
    pub fn poll_event(&mut self) -> Option<MechanismEvent> {
        self.handshake().outputs().events.pop_front()
    }

    /// True once the handshake is complete on this side: traffic may be encoded and decoded.
    /// (A server is ready as soon as its READY is queued, a client when the server's READY has
    /// arrived.)
    pub fn is_ready(&self) -> bool {
        match &self.role {
            Role::Null(m) => m.is_ready(),
            Role::PlainClient(m) => m.is_ready(),
            Role::PlainServer(m) => m.is_ready(),
            Role::CurveClient(m) => m.is_ready(),
            Role::CurveServer(m) => m.is_ready(),
        }
    }

    /// Octets each frame of traffic grows by on the wire, beyond its own header and body: 0
    /// when frames pass through unchanged, [`CURVE_MESSAGE_OVERHEAD`] for CURVE. A session
    /// raises its frame size limit by this much.
    pub fn frame_overhead(&self) -> usize {
        match self.role {
            Role::CurveClient(_) | Role::CurveServer(_) => curve::MESSAGE_OVERHEAD,
            _ => 0,
        }
    }

    /// Appends one frame of traffic, ready for the wire, to `out`.
    pub fn encode_frame(
        &mut self,
        more: bool,
        command: bool,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        let handshake = self.handshake();
        let result = match handshake.traffic() {
            Traffic::Clear => {
                write_clear_frame(more, command, body, out);
                Ok(())
            }
            Traffic::Encrypted(codec) => codec.seal(more, command, body, out),
            Traffic::NotReady => return Err(MechanismError::NotReady),
            Traffic::Failed => return Err(MechanismError::Failed),
        };
        if result.is_err() {
            handshake.fail();
        }
        result
    }

    /// Turns one frame received after the handshake (its header, and its body split off the
    /// input) into the frame it carries.
    pub fn decode_frame(
        &mut self,
        header: FrameHeader,
        body: BytesMut,
    ) -> Result<Frame, MechanismError> {
        let handshake = self.handshake();
        let result = match handshake.traffic() {
            Traffic::Clear => Ok(Frame {
                more: header.more(),
                command: header.is_command(),
                body,
            }),
            Traffic::Encrypted(codec) => codec.open(header, body),
            Traffic::NotReady => return Err(MechanismError::NotReady),
            Traffic::Failed => return Err(MechanismError::Failed),
        };
        if result.is_err() {
            handshake.fail();
        }
        result
    }

    /// CURVE, once ready: what opens the frames this side sealed, to recover the messages of a
    /// lost connection that were never completely written. `None` for clear mechanisms, whose
    /// frames need no opening, and before the handshake completes.
    pub(crate) fn sent_frames(&mut self) -> Option<SentFrames> {
        match self.handshake().traffic() {
            Traffic::Encrypted(codec) => Some(codec.sent_frames()),
            _ => None,
        }
    }

    fn handshake(&mut self) -> &mut dyn Handshake {
        match &mut self.role {
            Role::Null(m) => m,
            Role::PlainClient(m) => m,
            Role::PlainServer(m) => m,
            Role::CurveClient(m) => m,
            Role::CurveServer(m) => m,
        }
    }
}

impl fmt::Debug for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.role {
            Role::Null(m) => m.state_name(),
            Role::PlainClient(m) => m.state_name(),
            Role::PlainServer(m) => m.state_name(),
            Role::CurveClient(m) => m.state_name(),
            Role::CurveServer(m) => m.state_name(),
        };
        f.debug_struct("Mechanism")
            .field("name", &self.name())
            .field("as_server", &self.as_server())
            .field("state", &state)
            .finish()
    }
}

/// What every role does; [`Mechanism`] dispatches to it.
trait Handshake {
    fn handle_command(&mut self, body: &[u8]) -> Result<(), MechanismError>;
    fn handle_verdict(&mut self, verdict: Verdict) -> Result<(), MechanismError>;
    fn outputs(&mut self) -> &mut Outputs;
    fn traffic(&mut self) -> Traffic<'_>;
    /// Ends the mechanism after a traffic error.
    fn fail(&mut self);
    fn is_ready(&self) -> bool;
    fn state_name(&self) -> &'static str;
}

/// How traffic goes once the handshake is over.
enum Traffic<'a> {
    NotReady,
    Failed,
    Clear,
    Encrypted(&'a mut curve::Codec),
}

/// Commands and events waiting for the session.
#[derive(Default)]
struct Outputs {
    commands: VecDeque<Vec<u8>>,
    events: VecDeque<MechanismEvent>,
}

impl Outputs {
    fn command(&mut self, body: Vec<u8>) {
        self.commands.push_back(body);
    }

    fn event(&mut self, event: MechanismEvent) {
        self.events.push_back(event);
    }
}

/// Writes a frame header and body, as NULL and PLAIN send traffic.
fn write_clear_frame(more: bool, command: bool, body: &[u8], out: &mut BytesMut) {
    out.reserve(frame::MAX_HEADER_LEN + body.len());
    write_header(more, command, body.len(), out);
    out.put_slice(body);
}

/// Writes a frame header in its short form when the body fits in 255 octets.
fn write_header(more: bool, command: bool, body_len: usize, out: &mut BytesMut) {
    let flags = (u8::from(more) * frame::MORE) | (u8::from(command) * frame::COMMAND);
    match u8::try_from(body_len) {
        Ok(len) => out.put_slice(&[flags, len]),
        Err(_) => {
            out.put_u8(flags | frame::LONG);
            out.put_u64(body_len as u64);
        }
    }
}

#[cfg(test)]
mod tests;
