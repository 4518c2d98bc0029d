//! What can go wrong on the wire.

use crate::greeting::MechanismName;
use crate::mechanism::MechanismError;
use crate::socket_type::SocketType;
use std::fmt;

/// A peer broke the protocol. Every variant is fatal for the connection it happened on,
/// never for the socket.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The first bytes are not a ZMTP greeting.
    BadSignature,
    /// The peer speaks ZMTP 1.0 or 2.0, which only a NULL socket without authentication
    /// talks to (and only the socket types that existed then).
    UnsupportedVersion {
        /// Peer's major version.
        major: u8,
        /// Peer's minor version.
        minor: u8,
    },
    /// The peer announced another security mechanism than ours.
    MechanismMismatch {
        /// What we use.
        ours: MechanismName,
        /// What the peer announced.
        theirs: MechanismName,
    },
    /// A ZMTP 1.0 frame of size 0 (its size counts the flags octet, so cannot be 0).
    MalformedFrame,
    /// A ZMTP 1.0 or 2.0 peer's identity is longer than 255 octets, or is a command.
    MalformedIdentity,
    /// A frame header has reserved flag bits set.
    ReservedFlags(u8),
    /// A command frame has the MORE flag set.
    CommandWithMore,
    /// A frame declares a body larger than allowed.
    FrameTooLarge {
        /// Declared length.
        len: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A multipart message has more parts than allowed.
    TooManyParts {
        /// Largest number of parts allowed.
        max: u64,
    },
    /// The parts of a multipart message add up to more bytes than allowed.
    MultipartTooLarge {
        /// Bytes of the message with the part that broke the limit.
        len: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A command body does not parse.
    MalformedCommand,
    /// A metadata property list does not parse.
    MalformedMetadata,
    /// A command or message arrived where the handshake expects something else.
    UnexpectedFrame {
        /// What the handshake was waiting for.
        expected: &'static str,
    },
    /// The peer's READY names a socket type nobody knows.
    UnknownSocketType,
    /// The peer's socket type cannot talk to ours.
    IncompatibleSocketType {
        /// Our type.
        ours: SocketType,
        /// The peer's type.
        theirs: SocketType,
    },
    /// The peer sent an ERROR command.
    PeerError {
        /// Its reason text.
        reason: String,
    },
    /// The security mechanism failed (bad credentials, a box that does not open, a replayed
    /// nonce, ...). The mechanism queues any ERROR the peer is owed itself.
    Mechanism(MechanismError),
}

impl From<MechanismError> for ProtocolError {
    fn from(e: MechanismError) -> Self {
        ProtocolError::Mechanism(e)
    }
}

impl ProtocolError {
    /// The reason to put in the ERROR command sent back to the peer, when one is owed.
    /// The RFC asks for ERROR on handshake failures the peer can learn from.
    pub fn reason_for_peer(&self) -> Option<&'static str> {
        match self {
            ProtocolError::IncompatibleSocketType { .. } | ProtocolError::UnknownSocketType => {
                Some("Invalid socket type")
            }
            ProtocolError::MalformedMetadata | ProtocolError::MalformedCommand => {
                Some("Malformed command")
            }
            _ => None,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::BadSignature => write!(f, "peer did not send a ZMTP greeting"),
            ProtocolError::UnsupportedVersion { major, minor } => {
                write!(
                    f,
                    "peer speaks ZMTP {major}.{minor}, which only NULL sockets without \
                     authentication of the classic types talk to"
                )
            }
            ProtocolError::MalformedFrame => write!(f, "ZMTP 1.0 frame of size 0"),
            ProtocolError::MalformedIdentity => {
                write!(
                    f,
                    "peer's identity is over 255 octets or not a message part"
                )
            }
            ProtocolError::MechanismMismatch { ours, theirs } => {
                write!(
                    f,
                    "peer uses security mechanism {theirs}, this socket uses {ours}"
                )
            }
            ProtocolError::ReservedFlags(flags) => {
                write!(f, "frame has reserved flag bits set ({flags:#04x})")
            }
            ProtocolError::CommandWithMore => write!(f, "command frame has the MORE flag"),
            ProtocolError::FrameTooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max}")
            }
            ProtocolError::TooManyParts { max } => {
                write!(f, "message has more than {max} parts")
            }
            ProtocolError::MultipartTooLarge { len, max } => {
                write!(
                    f,
                    "message parts add up to {len} bytes, over the limit of {max}"
                )
            }
            ProtocolError::MalformedCommand => write!(f, "malformed command"),
            ProtocolError::MalformedMetadata => write!(f, "malformed metadata"),
            ProtocolError::UnexpectedFrame { expected } => {
                write!(f, "unexpected frame while waiting for {expected}")
            }
            ProtocolError::UnknownSocketType => write!(f, "peer announced an unknown socket type"),
            ProtocolError::IncompatibleSocketType { ours, theirs } => {
                write!(f, "a {ours} socket cannot talk to a {theirs} peer")
            }
            ProtocolError::PeerError { reason } => write!(f, "peer reported error: {reason}"),
            ProtocolError::Mechanism(e) => write!(f, "security handshake failed: {e}"),
        }
    }
}

impl std::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProtocolError::Mechanism(e) => Some(e),
            _ => None,
        }
    }
}
