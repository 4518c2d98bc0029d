//! ZMTP commands: a name (1-octet length, then the name) followed by command data.
//!
//! ```text
//! READY     metadata                  (NULL handshake)
//! ERROR     reason-len (1) | reason   (fatal handshake error)
//! SUBSCRIBE topic-prefix              (ZMTP 3.1)
//! CANCEL    topic-prefix              (ZMTP 3.1)
//! PING      ttl (2, deciseconds) | context (0..16)
//! PONG      context (0..16)
//! JOIN      group (RADIO/DISH, ZMTP 3.1)
//! LEAVE     group (RADIO/DISH, ZMTP 3.1)
//! ```

use crate::error::ProtocolError;
use crate::frame;
use crate::metadata::Metadata;
use bytes::Bytes;

/// Longest PING context the RFC allows. A longer one is cut to this length, as libzmq
/// does (its heartbeat test sends 58 octets and expects 16 back): the excess costs
/// nothing to drop and a peer that over-fills a PING is not worth a lost connection.
pub const MAX_PING_CONTEXT: usize = 16;

/// A decoded command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// End of the NULL (or PLAIN) handshake, with the sender's metadata.
    Ready(Metadata),
    /// Fatal error during a handshake.
    Error {
        /// Human-readable reason (at most 255 octets).
        reason: Bytes,
    },
    /// Subscribe to messages starting with the prefix.
    Subscribe(Bytes),
    /// Cancel one subscription to the prefix.
    Cancel(Bytes),
    /// Join a RADIO/DISH group.
    Join(Bytes),
    /// Leave a RADIO/DISH group.
    Leave(Bytes),
    /// Heartbeat request.
    Ping {
        /// Time to live in tenths of a second (0: none).
        ttl_deciseconds: u16,
        /// Opaque context the PONG must echo.
        context: Bytes,
    },
    /// Heartbeat reply.
    Pong {
        /// The context of the PING answered.
        context: Bytes,
    },
    /// A command this implementation does not know (ignored in traffic).
    Unknown {
        /// Its name.
        name: Bytes,
    },
}

impl Command {
    /// Parses a command frame body.
    pub fn decode(body: &[u8]) -> Result<Command, ProtocolError> {
        let (&name_len, rest) = body.split_first().ok_or(ProtocolError::MalformedCommand)?;
        let name_len = usize::from(name_len);
        if name_len == 0 {
            return Err(ProtocolError::MalformedCommand);
        }
        let name = rest
            .get(..name_len)
            .ok_or(ProtocolError::MalformedCommand)?;
        let data = &rest[name_len..];
        Ok(match name {
            b"READY" => Command::Ready(Metadata::decode(data)?),
            b"ERROR" => {
                let (&len, reason) = data.split_first().ok_or(ProtocolError::MalformedCommand)?;
                let reason = reason
                    .get(..usize::from(len))
                    .ok_or(ProtocolError::MalformedCommand)?;
                Command::Error {
                    reason: Bytes::copy_from_slice(reason),
                }
            }
            b"SUBSCRIBE" => Command::Subscribe(Bytes::copy_from_slice(data)),
            b"CANCEL" => Command::Cancel(Bytes::copy_from_slice(data)),
            b"JOIN" => Command::Join(Bytes::copy_from_slice(data)),
            b"LEAVE" => Command::Leave(Bytes::copy_from_slice(data)),
            b"PING" => {
                let ttl = data.get(..2).ok_or(ProtocolError::MalformedCommand)?;
                let context = &data[2..data.len().min(2 + MAX_PING_CONTEXT)];
                Command::Ping {
                    ttl_deciseconds: u16::from_be_bytes([ttl[0], ttl[1]]),
                    context: Bytes::copy_from_slice(context),
                }
            }
            b"PONG" => Command::Pong {
                context: Bytes::copy_from_slice(&data[..data.len().min(MAX_PING_CONTEXT)]),
            },
            _ => Command::Unknown {
                name: Bytes::copy_from_slice(name),
            },
        })
    }

    /// The command's name.
    pub fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => b"READY",
            Command::Error { .. } => b"ERROR",
            Command::Subscribe(_) => b"SUBSCRIBE",
            Command::Cancel(_) => b"CANCEL",
            Command::Join(_) => b"JOIN",
            Command::Leave(_) => b"LEAVE",
            Command::Ping { .. } => b"PING",
            Command::Pong { .. } => b"PONG",
            Command::Unknown { name } => name,
        }
    }

    /// Appends the whole command frame (header and body) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        self.encode_body(&mut body);
        frame::encode_header(false, true, body.len(), out);
        out.extend_from_slice(&body);
    }

    /// Appends the command's body (name length, name, data), without a frame header: what a
    /// CURVE MESSAGE carries.
    pub fn encode_body(&self, body: &mut Vec<u8>) {
        let name = self.name();
        body.push(name.len() as u8);
        body.extend_from_slice(name);
        match self {
            Command::Ready(metadata) => metadata.encode(body),
            Command::Error { reason } => {
                let reason = &reason[..reason.len().min(255)];
                body.push(reason.len() as u8);
                body.extend_from_slice(reason);
            }
            Command::Subscribe(topic)
            | Command::Cancel(topic)
            | Command::Join(topic)
            | Command::Leave(topic) => body.extend_from_slice(topic),
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                body.extend_from_slice(&ttl_deciseconds.to_be_bytes());
                body.extend_from_slice(&context[..context.len().min(MAX_PING_CONTEXT)]);
            }
            Command::Pong { context } => {
                body.extend_from_slice(&context[..context.len().min(MAX_PING_CONTEXT)])
            }
            Command::Unknown { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameDecoder;

    fn round_trip(cmd: Command) -> Vec<u8> {
        let mut wire = Vec::new();
        cmd.encode(&mut wire);
        let header = FrameDecoder::new(None)
            .decode_header(&wire)
            .unwrap()
            .unwrap();
        assert!(header.is_command());
        assert_eq!(header.frame_len(), wire.len());
        assert_eq!(Command::decode(&wire[header.header_len..]).unwrap(), cmd);
        wire
    }

    #[test]
    fn subscribe_has_the_rfc_layout() {
        let wire = round_trip(Command::Subscribe(Bytes::from_static(b"A")));
        assert_eq!(wire, b"\x04\x0b\x09SUBSCRIBEA".to_vec());
        round_trip(Command::Cancel(Bytes::new()));
    }

    #[test]
    fn join_and_leave_have_the_rfc_layout() {
        let wire = round_trip(Command::Join(Bytes::from_static(b"weather")));
        assert_eq!(wire, b"\x04\x0c\x04JOINweather".to_vec());
        let wire = round_trip(Command::Leave(Bytes::from_static(b"weather")));
        assert_eq!(wire, b"\x04\x0d\x05LEAVEweather".to_vec());
    }

    #[test]
    fn ping_pong_and_error_round_trip() {
        let wire = round_trip(Command::Ping {
            ttl_deciseconds: 300,
            context: Bytes::from_static(b"ctx"),
        });
        assert_eq!(wire, b"\x04\x0a\x04PING\x01\x2cctx".to_vec());
        round_trip(Command::Pong {
            context: Bytes::from_static(b"ctx"),
        });
        round_trip(Command::Error {
            reason: Bytes::from_static(b"Invalid socket type"),
        });
    }

    #[test]
    fn ready_carries_metadata() {
        let mut m = Metadata::new();
        m.insert("Socket-Type", "PUB").unwrap();
        round_trip(Command::Ready(m));
    }

    #[test]
    fn contexts_over_sixteen_octets_are_cut_to_sixteen() {
        let long = [&b"\x04PING\x00\x07"[..], &[b'z'; 58]].concat();
        assert_eq!(
            Command::decode(&long).unwrap(),
            Command::Ping {
                ttl_deciseconds: 7,
                context: Bytes::from_static(&[b'z'; 16]),
            }
        );
        assert_eq!(
            Command::decode(b"\x04PONG01234567890123456").unwrap(),
            Command::Pong {
                context: Bytes::from_static(b"0123456789012345"),
            }
        );
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        for bad in [
            &b""[..],
            &b"\x00"[..],
            &b"\x05REA"[..],
            &b"\x04PING\x01"[..],
            &b"\x05ERROR\x05abc"[..],
            &b"\x05READY\x03ab"[..],
        ] {
            assert!(Command::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_commands_are_reported_by_name() {
        assert_eq!(
            Command::decode(b"\x05HELLOxyz").unwrap(),
            Command::Unknown {
                name: Bytes::from_static(b"HELLO")
            }
        );
    }
}
