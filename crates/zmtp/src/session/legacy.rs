//! Talking to ZMTP 1.0 (libzmq 2.x) and ZMTP 2.0 (libzmq 3.x) peers, as libzmq 4.3 does
//! (RFC 23, "Backwards Interoperability"; RFC 15 and RFC 13 for the older protocols).
//!
//! Every session opens with the 10-octet signature alone. What the peer sends first decides
//! the rest:
//!
//! ```text
//!  peer's first octets          we send next                           then
//!  not 0xFF, or octet 9 even    our identity's body (the signature     ZMTP 1.0 frames, the
//!  (ZMTP 1.0: an identity)      was its header)                        peer's identity first
//!  0xFF .. 0x7F, revision 0/1   major 3, our socket type, our          ZMTP 1.0 (0) or 2.0 (1)
//!                               identity frame                         frames, identity first
//!  0xFF .. 0x7F, revision 2+    major 3, the rest of the greeting      ZMTP 3.x
//! ```
//!
//! Older peers know no security and no commands: only a NULL socket without authentication
//! of a type that existed then (PAIR to XSUB) talks to them; ZMTP 2.0 command frames are
//! dropped, and no PING goes out. Subscriptions travel as messages starting with 1 or 0
//! (both ways), and a PUB or XPUB takes a ZMTP 1.0 subscriber as subscribed to everything
//! (libzmq 2.x filtered on the subscriber's side, which ours does too).
//!
//! Unlike libzmq 4.3 the handshake ends only once the peer's identity has arrived (so
//! HANDSHAKE_IVL covers it); a ZMTP 2.0 peer of a type ours cannot talk to is dropped
//! (RFC 15's SHOULD; libzmq does not check); an identity is at most 255 octets (RFC 13
//! and 15); and a ZMTP 1.0 message frame with reserved flag bits set is refused (RFC 13:
//! SHOULD be zero; libzmq ignores them).

use super::{Framing, Legacy, Session, State};
use crate::error::ProtocolError;
use crate::frame;
use crate::frame_v1;
use crate::greeting::{MechanismName, SIGNATURE_LEN};
use crate::message::{Kind, Message, INLINE_CAPACITY};
use crate::metadata::Metadata;
use crate::outbox::Outbox;
use crate::session::{ControlFrame, Event, PeerInfo};
use crate::socket_type::SocketType;
use bytes::{Buf, Bytes, BytesMut};

/// The longest identity RFC 13 and RFC 15 allow.
const MAX_IDENTITY: usize = 255;
/// Octets of a ZMTP 1.0 or 2.0 greeting that carries a version: the signature, the
/// revision and the socket type.
const VERSIONED_GREETING_LEN: usize = SIGNATURE_LEN + 2;

impl Session {
    /// The peer speaks an older ZMTP: says what we owe it of our greeting and identity,
    /// then reads its identity.
    #[cold]
    pub(super) fn downgrade(
        &mut self,
        input: &mut BytesMut,
        legacy: Legacy,
    ) -> Result<Option<Event>, ProtocolError> {
        let version = match legacy {
            Legacy::V1Unversioned | Legacy::V1 => (1, 0),
            Legacy::V2 => (2, 0),
        };
        if !self.mechanism.allows_legacy_peers() || !self.config.socket_type.has_legacy_peers() {
            return Err(match legacy {
                // Nothing tells a ZMTP 1.0 peer from any other stream of bytes.
                Legacy::V1Unversioned => ProtocolError::BadSignature,
                Legacy::V1 | Legacy::V2 => ProtocolError::UnsupportedVersion {
                    major: version.0,
                    minor: version.1,
                },
            });
        }
        self.legacy = true;
        self.peer_version = version;
        let identity = self.config.routing_id.clone();
        match legacy {
            // The signature was our identity frame's header: its body follows.
            Legacy::V1Unversioned => self.control.extend_from_slice(&identity),
            Legacy::V1 => {
                self.control.push(self.config.socket_type.number());
                frame_v1::encode_header(false, identity.len(), &mut self.control);
                self.control.extend_from_slice(&identity);
            }
            Legacy::V2 => {
                self.control.push(self.config.socket_type.number());
                frame::encode_header(false, false, identity.len(), &mut self.control);
                self.control.extend_from_slice(&identity);
            }
        }
        if legacy != Legacy::V2 {
            self.framing = Framing::V1;
        }
        self.state = State::ExpectIdentity(legacy);
        self.identity(input, legacy)
    }

    /// The peer's socket type (ZMTP 2.0 and versioned 1.0) and identity frame; once both are
    /// here, the connection is ready.
    #[cold]
    pub(super) fn identity(
        &mut self,
        input: &mut BytesMut,
        legacy: Legacy,
    ) -> Result<Option<Event>, ProtocolError> {
        let (offset, socket_type) = match legacy {
            Legacy::V1Unversioned => (0, None),
            Legacy::V1 | Legacy::V2 => {
                let Some(&number) = input.get(VERSIONED_GREETING_LEN - 1) else {
                    self.wanted = VERSIONED_GREETING_LEN;
                    return Ok(None);
                };
                let theirs = SocketType::from_legacy_number(number)
                    .ok_or(ProtocolError::UnknownSocketType)?;
                if !self.config.socket_type.is_compatible_with(theirs) {
                    return Err(ProtocolError::IncompatibleSocketType {
                        ours: self.config.socket_type,
                        theirs,
                    });
                }
                (VERSIONED_GREETING_LEN, Some(theirs))
            }
        };
        let frame = &input[offset..];
        let header = match legacy {
            Legacy::V2 => self.decoder.decode_header(frame),
            Legacy::V1Unversioned | Legacy::V1 => {
                frame_v1::decode_header(frame, MAX_IDENTITY as u64, true)
            }
        };
        let header = match header {
            Ok(Some(header)) => header,
            Ok(None) => {
                self.wanted = input.len() + 1;
                return Ok(None);
            }
            Err(ProtocolError::FrameTooLarge { .. }) => {
                return Err(ProtocolError::MalformedIdentity)
            }
            Err(e) => return Err(e),
        };
        if header.is_command() || header.body_len > MAX_IDENTITY {
            return Err(ProtocolError::MalformedIdentity);
        }
        if offset + header.frame_len() > input.len() {
            self.wanted = offset + header.frame_len();
            return Ok(None);
        }
        input.advance(offset + header.header_len);
        let identity = input.split_to(header.body_len).freeze();
        let peer = PeerInfo {
            socket_type,
            identity,
            version: self.peer_version,
            metadata: Metadata::new(),
            mechanism: MechanismName::NULL,
            user_id: Bytes::new(),
            auth_metadata: Metadata::new(),
            peer_key: None,
        };
        self.peer = Some(peer.clone());
        self.decoder.allow_traffic_commands();
        self.state = match legacy {
            Legacy::V2 => State::Traffic,
            Legacy::V1Unversioned if self.config.socket_type.takes(Kind::Subscribe) => {
                State::SubscribeAll
            }
            Legacy::V1Unversioned | Legacy::V1 => State::TrafficV1,
        };
        Ok(Some(Event::Ready(peer)))
    }

    /// ZMTP 1.0 traffic: one message part per call.
    #[cold]
    pub(super) fn traffic_v1(
        &mut self,
        input: &mut BytesMut,
    ) -> Result<Option<Event>, ProtocolError> {
        let max = self.decoder.max_message_size();
        let Some(header) = frame_v1::decode_header(input, max, false)? else {
            self.wanted = (input.len() + 1).min(frame_v1::MAX_HEADER_LEN);
            return Ok(None);
        };
        self.budget.check(header.body_len as u64)?;
        if header.frame_len() > input.len() {
            self.wanted = header.frame_len();
            return Ok(None);
        }
        self.budget.take(header.body_len as u64, header.more());
        input.advance(header.header_len);
        let len = header.body_len;
        let msg = if len <= INLINE_CAPACITY {
            let msg = Message::from_slice(&input[..len]);
            input.advance(len);
            msg
        } else {
            Message::from_bytes(input.split_to(len).freeze())
        };
        Ok(Some(Event::Message(msg.with_more(header.more()))))
    }

    /// Encodes one part in ZMTP 1.0 framing; a subscription is a message starting with 1
    /// (or 0 to cancel). Out of line: it must cost the ZMTP 3.x path nothing.
    #[cold]
    #[inline(never)]
    pub(super) fn encode_v1(&mut self, msg: &Message, out: &mut Outbox) {
        let mut frame = Vec::with_capacity(msg.len() + frame_v1::MAX_HEADER_LEN);
        let (more, body) = match self.wire_kind(msg) {
            Kind::Data => (msg.more(), msg.as_slice().to_vec()),
            _ => match self.control_frame(msg) {
                ControlFrame::Legacy(data) => (false, data),
                // Memberships come from DISH only, which never meets an older peer.
                ControlFrame::Command(_) => (false, msg.as_slice().to_vec()),
            },
        };
        frame_v1::encode_header(more, body.len(), &mut frame);
        frame.extend_from_slice(&body);
        out.push_slice(&frame);
        if !more {
            out.end_message();
        }
    }
}
