//! The numbers monitor events carry: libzmq's protocol error codes, ZAP status codes and
//! `errno` values, and the [`DisconnectReason`] of a lost connection, all derived from the
//! error that ended a connection.

use super::{DisconnectReason, EventKind};
use crate::engine::{Reason, ZapError};
use crate::sys::errno::{EFAULT, EIO, ENOTCONN, EPIPE, EPROTO, ETIMEDOUT};
use std::io;
use zmtp::{MechanismError, ProtocolError};

/// The values of [`EventKind::HandshakeFailedProtocol`] (and the codes of
/// [`DisconnectReason::Protocol`]): libzmq's
/// `ZMQ_PROTOCOL_ERROR_ZMTP_*` and `ZMQ_PROTOCOL_ERROR_ZAP_*` codes, for the errors ferrozmq
/// tells apart.
///
/// ```
/// assert_eq!(ferrozmq::protocol_error::ZMTP_INVALID_METADATA, 0x1000_0018);
/// ```
pub mod protocol_error {
    /// Any other breach of the protocol: no greeting, an unsupported version, a bad frame.
    pub const ZMTP_UNSPECIFIED: u32 = 0x1000_0000;
    /// A command or message arrived where the handshake expects another.
    pub const ZMTP_UNEXPECTED_COMMAND: u32 = 0x1000_0001;
    /// A command did not parse.
    pub const ZMTP_MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    /// The peer's metadata did not parse, or named a socket type ours cannot talk to.
    pub const ZMTP_INVALID_METADATA: u32 = 0x1000_0018;
    /// The peer uses another security mechanism.
    pub const ZMTP_MECHANISM_MISMATCH: u32 = 0x1100_0002;
    /// A command came out of order: a replayed or reordered CURVE command or message.
    pub const ZMTP_INVALID_SEQUENCE: u32 = 0x1000_0002;
    /// The CURVE key exchange failed (our side could not make keys or seal).
    pub const ZMTP_KEY_EXCHANGE: u32 = 0x1000_0003;
    /// A MESSAGE did not parse (CURVE traffic: too short, bad flags).
    pub const ZMTP_MALFORMED_COMMAND_MESSAGE: u32 = 0x1000_0012;
    /// A HELLO did not parse (or announced an unknown CurveZMQ version).
    pub const ZMTP_MALFORMED_COMMAND_HELLO: u32 = 0x1000_0013;
    /// An INITIATE did not parse.
    pub const ZMTP_MALFORMED_COMMAND_INITIATE: u32 = 0x1000_0014;
    /// An ERROR did not parse.
    pub const ZMTP_MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
    /// A READY did not parse.
    pub const ZMTP_MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
    /// A WELCOME did not parse.
    pub const ZMTP_MALFORMED_COMMAND_WELCOME: u32 = 0x1000_0017;
    /// A cryptographic box did not open, or held what it must not: a client with the wrong
    /// server key, an altered or truncated command or message.
    pub const ZMTP_CRYPTOGRAPHIC: u32 = 0x1100_0001;
    /// The ZAP handler failed in another way (it closed before answering).
    pub const ZAP_UNSPECIFIED: u32 = 0x2000_0000;
    /// The ZAP reply is not seven frames starting with an empty delimiter.
    pub const ZAP_MALFORMED_REPLY: u32 = 0x2000_0001;
    /// The ZAP reply answers another request.
    pub const ZAP_BAD_REQUEST_ID: u32 = 0x2000_0002;
    /// The ZAP reply is not version 1.0.
    pub const ZAP_BAD_VERSION: u32 = 0x2000_0003;
    /// The ZAP reply's status code is not 200, 300, 400 or 500.
    pub const ZAP_INVALID_STATUS_CODE: u32 = 0x2000_0004;
    /// The ZAP reply's metadata does not parse.
    pub const ZAP_INVALID_METADATA: u32 = 0x2000_0005;
}

/// The `ZMQ_PROTOCOL_ERROR_*` code closest to a ZMTP error.
pub(crate) fn protocol_error_code(error: &ProtocolError) -> u32 {
    use protocol_error::*;
    match error {
        ProtocolError::MechanismMismatch { .. } => ZMTP_MECHANISM_MISMATCH,
        ProtocolError::UnexpectedFrame { .. } => ZMTP_UNEXPECTED_COMMAND,
        ProtocolError::MalformedCommand | ProtocolError::CommandWithMore => {
            ZMTP_MALFORMED_COMMAND_UNSPECIFIED
        }
        // libzmq files a socket type it cannot talk to under metadata, where it is announced.
        ProtocolError::MalformedMetadata
        | ProtocolError::UnknownSocketType
        | ProtocolError::IncompatibleSocketType { .. } => ZMTP_INVALID_METADATA,
        ProtocolError::Mechanism(e) => mechanism_error_code(e),
        _ => ZMTP_UNSPECIFIED,
    }
}

/// The `ZMQ_PROTOCOL_ERROR_*` code for a security mechanism's failure.
fn mechanism_error_code(error: &MechanismError) -> u32 {
    use protocol_error::*;
    match error {
        MechanismError::MalformedCommand { command }
        | MechanismError::MalformedMetadata { command } => match *command {
            "HELLO" => ZMTP_MALFORMED_COMMAND_HELLO,
            "WELCOME" => ZMTP_MALFORMED_COMMAND_WELCOME,
            "INITIATE" => ZMTP_MALFORMED_COMMAND_INITIATE,
            "READY" => ZMTP_MALFORMED_COMMAND_READY,
            "ERROR" => ZMTP_MALFORMED_COMMAND_ERROR,
            "MESSAGE" => ZMTP_MALFORMED_COMMAND_MESSAGE,
            _ => ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
        },
        MechanismError::UnsupportedCurveVersion { .. } => ZMTP_MALFORMED_COMMAND_HELLO,
        MechanismError::BadMessageFlags(_) => ZMTP_MALFORMED_COMMAND_MESSAGE,
        MechanismError::Unexpected { .. } | MechanismError::NotReady => ZMTP_UNEXPECTED_COMMAND,
        MechanismError::BoxNotOpened { .. } | MechanismError::BadBoxContents { .. } => {
            ZMTP_CRYPTOGRAPHIC
        }
        MechanismError::NonceNotIncreasing { .. } => ZMTP_INVALID_SEQUENCE,
        MechanismError::NonceExhausted
        | MechanismError::SealFailed
        | MechanismError::Entropy(_) => ZMTP_KEY_EXCHANGE,
        _ => ZMTP_UNSPECIFIED,
    }
}

/// The ZAP status code when a handshake failed on authentication: our ZAP handler refused
/// the peer, or the server's ERROR refused us. Such failures are
/// [`EventKind::HandshakeFailedAuth`], not protocol errors.
pub(crate) fn auth_failure_status(error: &ProtocolError) -> Option<u32> {
    match error {
        ProtocolError::Mechanism(
            MechanismError::Refused { status_code, .. }
            | MechanismError::RefusedByPeer { status_code },
        ) => Some(u32::from(*status_code)),
        _ => None,
    }
}

/// The `ZMQ_PROTOCOL_ERROR_ZAP_*` code for a ZAP handler that broke RFC 27.
pub(crate) fn zap_error_code(error: ZapError) -> u32 {
    use protocol_error::*;
    match error {
        ZapError::MalformedReply => ZAP_MALFORMED_REPLY,
        ZapError::BadRequestId => ZAP_BAD_REQUEST_ID,
        ZapError::BadVersion => ZAP_BAD_VERSION,
        ZapError::InvalidStatusCode => ZAP_INVALID_STATUS_CODE,
        ZapError::InvalidMetadata => ZAP_INVALID_METADATA,
    }
}

/// The `errno` to report for an I/O failure; errors that did not come from the kernel get
/// the one libzmq would have seen (a peer hanging up reads as `EPIPE`).
pub(crate) fn errno_of(error: &io::Error) -> u32 {
    let errno = error.raw_os_error().unwrap_or(match error.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::WriteZero => EPIPE,
        io::ErrorKind::TimedOut => ETIMEDOUT,
        io::ErrorKind::NotConnected => ENOTCONN,
        _ => EIO,
    });
    errno.unsigned_abs()
}

/// How a handshake that never completed failed, as libzmq reports it: the event kind and
/// its value (a ZAP status code, a protocol error code or an `errno`).
pub(crate) fn handshake_failure(reason: &Reason) -> (EventKind, u32) {
    match reason {
        Reason::Protocol(e) => match auth_failure_status(e) {
            Some(status) => (EventKind::HandshakeFailedAuth, status),
            None => (EventKind::HandshakeFailedProtocol, protocol_error_code(e)),
        },
        Reason::Zap(e) => (EventKind::HandshakeFailedProtocol, zap_error_code(*e)),
        other => (EventKind::HandshakeFailedNoDetail, errno_of_loss(other)),
    }
}

/// The `errno` libzmq reports for a loss that is neither a protocol nor a ZAP failure.
fn errno_of_loss(reason: &Reason) -> u32 {
    let errno = match reason {
        Reason::Io(e) => return errno_of(e),
        Reason::PeerClosed => EPIPE,
        Reason::ConnectTimeout | Reason::HandshakeTimeout | Reason::HeartbeatTimeout => ETIMEDOUT,
        Reason::SocketClosed => ENOTCONN,
        // libzmq's value for a handshake it could not do: HANDSHAKE_FAILED_NO_DETAIL.
        Reason::NoZapHandler => EFAULT,
        Reason::Protocol(_) | Reason::Zap(_) => EPROTO,
    };
    errno.unsigned_abs()
}

/// Why a connection was lost, in the monitor's terms.
pub(crate) fn disconnect_reason(reason: &Reason) -> DisconnectReason {
    match reason {
        Reason::Protocol(e) => match auth_failure_status(e) {
            Some(status) => DisconnectReason::AuthenticationFailed {
                status_code: status as u16,
            },
            None => DisconnectReason::Protocol {
                code: protocol_error_code(e),
            },
        },
        Reason::Zap(e) => DisconnectReason::Protocol {
            code: zap_error_code(*e),
        },
        Reason::PeerClosed => DisconnectReason::PeerClosed,
        Reason::HandshakeTimeout | Reason::ConnectTimeout => DisconnectReason::HandshakeTimeout,
        Reason::HeartbeatTimeout => DisconnectReason::HeartbeatTimeout,
        // A peer that closes with data unread, or whose process dies, resets the connection.
        Reason::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ) =>
        {
            DisconnectReason::PeerClosed
        }
        other => DisconnectReason::Io {
            errno: errno_of_loss(other) as i32,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::errno::{ECONNRESET, EHOSTUNREACH};
    use zmtp::SocketType;

    #[test]
    fn protocol_errors_map_to_libzmq_codes() {
        let peer_type = ProtocolError::IncompatibleSocketType {
            ours: SocketType::Req,
            theirs: SocketType::Pub,
        };
        assert_eq!(protocol_error_code(&peer_type), 0x1000_0018);
        assert_eq!(
            protocol_error_code(&ProtocolError::BadSignature),
            0x1000_0000
        );
        let unexpected = ProtocolError::UnexpectedFrame { expected: "READY" };
        assert_eq!(protocol_error_code(&unexpected), 0x1000_0001);
    }

    #[test]
    fn io_errors_report_errno() {
        let reset = io::Error::from_raw_os_error(ECONNRESET);
        assert_eq!(errno_of(&reset), ECONNRESET as u32);
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(errno_of(&eof), EPIPE as u32);
    }

    #[test]
    fn losses_say_why() {
        assert_eq!(
            disconnect_reason(&Reason::PeerClosed),
            DisconnectReason::PeerClosed
        );
        assert_eq!(
            disconnect_reason(&Reason::HeartbeatTimeout),
            DisconnectReason::HeartbeatTimeout
        );
        assert_eq!(
            disconnect_reason(&Reason::HandshakeTimeout),
            DisconnectReason::HandshakeTimeout
        );
        let reset = io::Error::from_raw_os_error(ECONNRESET);
        assert_eq!(
            disconnect_reason(&Reason::Io(reset)),
            DisconnectReason::PeerClosed
        );
        let unreachable = io::Error::from_raw_os_error(EHOSTUNREACH);
        assert_eq!(
            disconnect_reason(&Reason::Io(unreachable)),
            DisconnectReason::Io {
                errno: EHOSTUNREACH
            }
        );
        let garbage = Reason::Protocol(ProtocolError::BadSignature);
        assert_eq!(
            disconnect_reason(&garbage),
            DisconnectReason::Protocol {
                code: protocol_error::ZMTP_UNSPECIFIED
            }
        );
        let refused = Reason::Protocol(ProtocolError::Mechanism(MechanismError::RefusedByPeer {
            status_code: 400,
        }));
        assert_eq!(
            disconnect_reason(&refused),
            DisconnectReason::AuthenticationFailed { status_code: 400 }
        );
        assert_eq!(
            handshake_failure(&refused),
            (EventKind::HandshakeFailedAuth, 400)
        );
    }

    #[test]
    fn handshake_failures_without_detail_carry_libzmqs_errno() {
        let no_detail = |reason| match handshake_failure(&reason) {
            (EventKind::HandshakeFailedNoDetail, errno) => errno as i32,
            other => panic!("{reason}: {other:?}"),
        };
        assert_eq!(no_detail(Reason::NoZapHandler), EFAULT);
        assert_eq!(no_detail(Reason::HandshakeTimeout), ETIMEDOUT);
        assert_eq!(no_detail(Reason::PeerClosed), EPIPE);
        assert_eq!(no_detail(Reason::SocketClosed), ENOTCONN);
        assert_eq!(
            handshake_failure(&Reason::Zap(ZapError::BadVersion)),
            (
                EventKind::HandshakeFailedProtocol,
                protocol_error::ZAP_BAD_VERSION
            )
        );
    }
}
