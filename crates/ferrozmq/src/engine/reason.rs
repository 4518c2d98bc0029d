//! Why a connection ended, as a type: the engine decides on it (reconnect or give up) and
//! the monitor reports it in libzmq's numbers (see `monitor::codes`), without an
//! `io::Error` made up to carry it.

use super::zap::ZapError;
use std::{fmt, io};
use zmtp::ProtocolError;

/// See the module documentation.
#[derive(Debug)]
pub(crate) enum Reason {
    /// A connect still under way at CONNECT_TIMEOUT (or at HANDSHAKE_IVL, which counts from
    /// the start of the connect) was abandoned.
    ConnectTimeout,
    /// The handshake did not complete within HANDSHAKE_IVL.
    HandshakeTimeout,
    /// Nothing came from the peer in time after a PING, or within the TTL of its own PING.
    HeartbeatTimeout,
    /// The peer ended the stream (a read found its end, a write was taken by nobody).
    PeerClosed,
    /// The peer broke the protocol, refused us, or was refused by our ZAP handler.
    Protocol(ProtocolError),
    /// Our ZAP handler's reply broke RFC 27.
    Zap(ZapError),
    /// The mechanism wanted a ZAP verdict, no handler is bound, and the security options say
    /// the client is not let in without one.
    NoZapHandler,
    /// The socket closed while the handshake ran: there is nobody to hand the peer to.
    SocketClosed,
    /// The operating system failed a read, a write or the connect.
    Io(io::Error),
}

impl Reason {
    /// Whether the peer broke the protocol (or a verdict refused it). As in libzmq, such a
    /// peer is not tried again: reconnecting would only meet the same error, and an ERROR's
    /// sender asked not to be (RFC 23).
    pub(crate) fn is_protocol_failure(&self) -> bool {
        matches!(self, Reason::Protocol(_) | Reason::Zap(_))
    }

    /// Whether the peer refused the connection itself (nobody listens there).
    pub(crate) fn is_refusal(&self) -> bool {
        match self {
            Reason::Io(e) => {
                e.kind() == io::ErrorKind::ConnectionRefused
                    || e.raw_os_error() == Some(crate::sys::errno::ENOENT)
            }
            _ => false,
        }
    }
}

impl From<io::Error> for Reason {
    fn from(error: io::Error) -> Self {
        Reason::Io(error)
    }
}

impl From<ProtocolError> for Reason {
    fn from(error: ProtocolError) -> Self {
        Reason::Protocol(error)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ConnectTimeout => f.write_str("the connect timed out"),
            Reason::HandshakeTimeout => f.write_str("the handshake timed out"),
            Reason::HeartbeatTimeout => f.write_str("the peer was silent after a heartbeat"),
            Reason::PeerClosed => f.write_str("the peer closed the connection"),
            Reason::Protocol(e) => write!(f, "protocol error: {e}"),
            Reason::Zap(e) => write!(f, "ZAP handler failed: {e}"),
            Reason::NoZapHandler => f.write_str("authentication needs a ZAP handler"),
            Reason::SocketClosed => f.write_str("the socket closed"),
            Reason::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}
