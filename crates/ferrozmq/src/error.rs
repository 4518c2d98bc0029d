//! The library's error type.

use std::fmt;
use std::io;

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Why an operation failed. Each variant is something a caller can act on; [`Error::errno`]
/// gives the value libzmq would have set, for code ported from C.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The operation would block: non-blocking mode, or the send/receive timeout expired
    /// (`EAGAIN`).
    Again,
    /// The context was shut down; the socket can only be closed now (`ETERM`).
    Terminated,
    /// The operation is not valid in the socket's current state, e.g. a REQ sending twice
    /// without receiving the reply in between (`EFSM`).
    State,
    /// The socket type does not support the operation, e.g. receiving on a PUB (`ENOTSUP`).
    NotSupported,
    /// The endpoint is malformed (`EINVAL`).
    InvalidEndpoint(String),
    /// The endpoint's transport is unknown, or not for this socket type: udp is for a RADIO
    /// to connect and a DISH to bind (`EPROTONOSUPPORT`).
    ProtocolNotSupported(String),
    /// The address is already bound, by this or another socket or process (`EADDRINUSE`).
    AddrInUse(String),
    /// The address is not local, or the host name does not resolve (`EADDRNOTAVAIL`).
    AddrNotAvailable(String),
    /// Unbind or disconnect of an endpoint this socket does not have (`ENOENT`).
    NoSuchEndpoint(String),
    /// An option value is out of range, or an argument is invalid (`EINVAL`).
    InvalidArgument(&'static str),
    /// The inproc endpoint's peer cannot talk to this socket type.
    IncompatibleSocketType,
    /// The context has MAX_SOCKETS sockets open already (`EMFILE`).
    TooManySockets,
    /// No peer has the routing id a message was addressed to (ROUTER with
    /// ROUTER_MANDATORY) (`EHOSTUNREACH`).
    HostUnreachable,
    /// Any other operating-system error.
    Io(io::Error),
}

impl Error {
    /// The libzmq `errno` value for this error.
    pub fn errno(&self) -> i32 {
        const ETERM: i32 = 156_384_712 + 53;
        const EFSM: i32 = 156_384_712 + 51;
        match self {
            Error::Again => libc::EAGAIN,
            Error::Terminated => ETERM,
            Error::State => EFSM,
            Error::NotSupported => libc::ENOTSUP,
            Error::InvalidEndpoint(_) | Error::InvalidArgument(_) => libc::EINVAL,
            Error::ProtocolNotSupported(_) => libc::EPROTONOSUPPORT,
            Error::AddrInUse(_) => libc::EADDRINUSE,
            Error::AddrNotAvailable(_) => libc::EADDRNOTAVAIL,
            Error::NoSuchEndpoint(_) => libc::ENOENT,
            Error::IncompatibleSocketType => libc::ECONNREFUSED,
            Error::HostUnreachable => libc::EHOSTUNREACH,
            Error::TooManySockets => libc::EMFILE,
            Error::Io(e) => e.raw_os_error().unwrap_or(libc::EIO),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Again => write!(f, "resource temporarily unavailable"),
            Error::Terminated => write!(f, "context was terminated"),
            Error::State => {
                write!(f, "operation cannot be accomplished in current state")
            }
            Error::NotSupported => write!(f, "operation not supported by this socket type"),
            Error::InvalidEndpoint(e) => write!(f, "invalid endpoint '{e}'"),
            Error::ProtocolNotSupported(e) => {
                write!(
                    f,
                    "transport not supported in '{e}' (tcp, ipc, inproc; udp only for a \
                     RADIO to connect and a DISH to bind)"
                )
            }
            Error::AddrInUse(e) => write!(f, "address already in use: {e}"),
            Error::AddrNotAvailable(e) => write!(f, "address not available: {e}"),
            Error::NoSuchEndpoint(e) => write!(f, "no such endpoint: {e}"),
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Error::HostUnreachable => write!(f, "host unreachable: no peer has that routing id"),
            Error::TooManySockets => write!(f, "too many open sockets in this context"),
            Error::IncompatibleSocketType => {
                write!(f, "the peer's socket type cannot talk to this socket type")
            }
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}
