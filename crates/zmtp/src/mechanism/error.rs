//! What can go wrong in a security handshake or in CURVE traffic.

use crate::entropy::EntropyError;
use std::fmt;

/// A security mechanism failed. Every variant ends the connection: the mechanism refuses
/// everything after it (further calls return [`MechanismError::Failed`]), though
/// [`Mechanism::poll_command`](super::Mechanism::poll_command) may still yield an ERROR
/// command owed to the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MechanismError {
    /// A command has the wrong size or layout for its name.
    MalformedCommand {
        /// The command's name.
        command: &'static str,
    },
    /// A command's metadata does not parse.
    MalformedMetadata {
        /// The command that carried it.
        command: &'static str,
    },
    /// The peer sent a command or frame the handshake does not expect now.
    Unexpected {
        /// What the mechanism was waiting for.
        expected: &'static str,
    },
    /// The client's HELLO announces a CurveZMQ version other than 1.0.
    UnsupportedCurveVersion {
        /// Major version announced.
        major: u8,
        /// Minor version announced.
        minor: u8,
    },
    /// A cryptographic box did not open: it was altered or cut short, comes from another
    /// connection, or was sealed with other keys (a client that has the wrong server key sees
    /// this for WELCOME).
    BoxNotOpened {
        /// Which box: "HELLO", "WELCOME", "cookie", "INITIATE", "vouch", "READY" or "MESSAGE".
        what: &'static str,
    },
    /// A box opened but holds what the protocol forbids: a HELLO signature that is not zeros,
    /// a vouch for other keys than this connection's.
    BadBoxContents {
        /// Which box.
        what: &'static str,
    },
    /// The peer's short nonce did not increase: a replayed, repeated or reordered command.
    NonceNotIncreasing {
        /// The nonce received.
        received: u64,
        /// The last nonce accepted from this peer.
        last: u64,
    },
    /// This side has used up its short nonces (2^64 - 1 commands on one connection).
    NonceExhausted,
    /// The cipher refused to seal (a message beyond its length limit).
    SealFailed,
    /// A MESSAGE's flags octet has reserved bits, or both MORE and COMMAND.
    BadMessageFlags(u8),
    /// The peer ended the handshake with an ERROR command.
    PeerError {
        /// Its reason text.
        reason: String,
    },
    /// The server refused us: its ERROR carried a ZAP status code ("300", "400" or "500").
    RefusedByPeer {
        /// The status code.
        status_code: u16,
    },
    /// Our authenticator refused the peer. An ERROR with the status code is queued for it.
    Refused {
        /// The authenticator's status code.
        status_code: u16,
        /// The authenticator's explanation.
        status_text: String,
    },
    /// A verdict was given while the mechanism was not waiting for one.
    NoVerdictPending,
    /// Traffic was encoded or decoded before the handshake completed.
    NotReady,
    /// An earlier error ended this mechanism; it accepts nothing more.
    Failed,
    /// No random bytes for keys or nonces.
    Entropy(EntropyError),
    /// A PLAIN username or password is longer than 255 octets.
    CredentialTooLong {
        /// "username" or "password".
        field: &'static str,
        /// Its length.
        len: usize,
    },
}

impl fmt::Display for MechanismError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MechanismError::MalformedCommand { command } => {
                write!(f, "malformed {command} command")
            }
            MechanismError::MalformedMetadata { command } => {
                write!(f, "malformed metadata in {command} command")
            }
            MechanismError::Unexpected { expected } => {
                write!(f, "unexpected command while waiting for {expected}")
            }
            MechanismError::UnsupportedCurveVersion { major, minor } => {
                write!(f, "peer speaks CurveZMQ {major}.{minor}; 1.0 is required")
            }
            MechanismError::BoxNotOpened { what } => write!(
                f,
                "{what} box does not open: altered, replayed, or sealed with other keys"
            ),
            MechanismError::BadBoxContents { what } => {
                write!(f, "{what} box holds something the protocol forbids")
            }
            MechanismError::NonceNotIncreasing { received, last } => write!(
                f,
                "peer nonce {received} does not follow {last}: replayed or reordered command"
            ),
            MechanismError::NonceExhausted => {
                write!(f, "short nonces exhausted on this connection")
            }
            MechanismError::SealFailed => write!(f, "message too large to encrypt"),
            MechanismError::BadMessageFlags(flags) => {
                write!(f, "MESSAGE has invalid flags ({flags:#04x})")
            }
            MechanismError::PeerError { reason } => write!(f, "peer reported error: {reason}"),
            MechanismError::RefusedByPeer { status_code } => {
                write!(f, "server refused authentication (status {status_code})")
            }
            MechanismError::Refused {
                status_code,
                status_text,
            } => write!(
                f,
                "client refused by the authenticator (status {status_code}: {status_text})"
            ),
            MechanismError::NoVerdictPending => write!(f, "no authentication is pending"),
            MechanismError::NotReady => write!(f, "security handshake not complete"),
            MechanismError::Failed => write!(f, "security handshake already failed"),
            MechanismError::Entropy(e) => write!(f, "{e}"),
            MechanismError::CredentialTooLong { field, len } => {
                write!(f, "PLAIN {field} of {len} octets exceeds 255")
            }
        }
    }
}

impl std::error::Error for MechanismError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MechanismError::Entropy(e) => Some(e),
            _ => None,
        }
    }
}

impl From<EntropyError> for MechanismError {
    fn from(e: EntropyError) -> Self {
        MechanismError::Entropy(e)
    }
}
