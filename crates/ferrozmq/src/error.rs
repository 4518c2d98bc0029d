//! The library's error type.

use crate::sys::errno::{
    EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EHOSTUNREACH, EINVAL, EIO, EMFILE, ENOENT, ENOTSOCK,
    ENOTSUP, EPROTONOSUPPORT,
};
use std::fmt;
use std::io;

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Why an operation failed. Each variant is something a caller can act on; [`Error::errno`]
/// gives the value libzmq would have set, for code ported from C.
///
/// Errors compare equal when they are the same variant with the same details; two
/// [`Io`](Error::Io) errors compare by their [`io::ErrorKind`] and `errno`. An `Error`
/// converts into an [`io::Error`] (for `?` in functions returning `io::Result`), keeping
/// itself as the source.
///
/// ```
/// use ferrozmq::{Context, Error, PUSH};
/// let push = Context::new().socket(PUSH).unwrap();
/// assert_eq!(push.try_recv(), Err(Error::NotSupported));
/// assert_eq!(push.try_send("no peer yet"), Err(Error::Again));
/// // The operating system's EAGAIN, the code behind `ErrorKind::WouldBlock`.
/// let errno = std::io::Error::from_raw_os_error(Error::Again.errno());
/// assert_eq!(errno.kind(), std::io::ErrorKind::WouldBlock);
///
/// let io: std::io::Error = Error::Again.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
/// ```
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
    /// The context has MAX_SOCKETS sockets open already (`EMFILE`).
    TooManySockets,
    /// No peer has the routing id a message was addressed to (ROUTER with
    /// ROUTER_MANDATORY, SERVER, PEER) (`EHOSTUNREACH`).
    HostUnreachable,
    /// The socket is closed: a [`Monitor`](crate::Monitor) whose socket was dropped has no
    /// more events (`ENOTSOCK`).
    Closed,
    /// A tcp, ipc or udp endpoint needs an I/O thread and the context has none the socket
    /// may use: IO_THREADS is 0 (an inproc-only context), or the socket's AFFINITY names
    /// none of the context's threads (`EMTHREAD`).
    NoIoThread,
    /// Any other operating-system error.
    Io(io::Error),
}

impl Error {
    /// The libzmq `errno` value for this error.
    pub fn errno(&self) -> i32 {
        const ETERM: i32 = 156_384_712 + 53;
        const EFSM: i32 = 156_384_712 + 51;
        const EMTHREAD: i32 = 156_384_712 + 54;
        match self {
            Error::Again => EAGAIN,
            Error::Terminated => ETERM,
            Error::State => EFSM,
            Error::NotSupported => ENOTSUP,
            Error::InvalidEndpoint(_) | Error::InvalidArgument(_) => EINVAL,
            Error::ProtocolNotSupported(_) => EPROTONOSUPPORT,
            Error::AddrInUse(_) => EADDRINUSE,
            Error::AddrNotAvailable(_) => EADDRNOTAVAIL,
            Error::NoSuchEndpoint(_) => ENOENT,
            Error::HostUnreachable => EHOSTUNREACH,
            Error::TooManySockets => EMFILE,
            Error::Closed => ENOTSOCK,
            Error::NoIoThread => EMTHREAD,
            Error::Io(e) => e.raw_os_error().unwrap_or(EIO),
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
                    "transport not supported in '{e}' (tcp, ipc, inproc, ws, wss; udp only \
                     for a RADIO to connect and a DISH to bind; only tcp and ipc for a STREAM)"
                )
            }
            Error::AddrInUse(e) => write!(f, "address already in use: {e}"),
            Error::AddrNotAvailable(e) => write!(f, "address not available: {e}"),
            Error::NoSuchEndpoint(e) => write!(f, "no such endpoint: {e}"),
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Error::HostUnreachable => write!(f, "host unreachable: no peer has that routing id"),
            Error::TooManySockets => write!(f, "too many open sockets in this context"),
            Error::Closed => write!(f, "the socket is closed"),
            Error::NoIoThread => write!(
                f,
                "no I/O thread is available: the context has IO_THREADS 0, or the socket's \
                 AFFINITY names none of its threads"
            ),
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

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        use Error::*;
        match (self, other) {
            (Again, Again)
            | (Terminated, Terminated)
            | (State, State)
            | (NotSupported, NotSupported)
            | (TooManySockets, TooManySockets)
            | (HostUnreachable, HostUnreachable)
            | (Closed, Closed)
            | (NoIoThread, NoIoThread) => true,
            (InvalidEndpoint(a), InvalidEndpoint(b))
            | (ProtocolNotSupported(a), ProtocolNotSupported(b))
            | (AddrInUse(a), AddrInUse(b))
            | (AddrNotAvailable(a), AddrNotAvailable(b))
            | (NoSuchEndpoint(a), NoSuchEndpoint(b)) => a == b,
            (InvalidArgument(a), InvalidArgument(b)) => a == b,
            (Io(a), Io(b)) => a.kind() == b.kind() && a.raw_os_error() == b.raw_os_error(),
            _ => false,
        }
    }
}

impl Error {
    /// The [`io::ErrorKind`] closest to the error.
    fn io_error_kind(&self) -> io::ErrorKind {
        match self {
            Error::Io(e) => e.kind(),
            Error::Again => io::ErrorKind::WouldBlock,
            Error::InvalidEndpoint(_) | Error::InvalidArgument(_) => io::ErrorKind::InvalidInput,
            Error::AddrInUse(_) => io::ErrorKind::AddrInUse,
            Error::AddrNotAvailable(_) => io::ErrorKind::AddrNotAvailable,
            Error::NoSuchEndpoint(_) => io::ErrorKind::NotFound,
            Error::NotSupported | Error::ProtocolNotSupported(_) => io::ErrorKind::Unsupported,
            Error::HostUnreachable => io::ErrorKind::HostUnreachable,
            Error::Terminated | Error::Closed => io::ErrorKind::NotConnected,
            Error::State | Error::TooManySockets | Error::NoIoThread => io::ErrorKind::Other,
        }
    }
}

impl From<Error> for io::Error {
    /// The [`io::ErrorKind`] closest to the error, with the error itself as the source
    /// (an [`Error::Io`] gives its own `io::Error` back).
    fn from(error: Error) -> io::Error {
        match error {
            Error::Io(e) => e,
            other => io::Error::new(other.io_error_kind(), other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::errno::{ECONNRESET, EPIPE};

    #[test]
    fn errors_compare_by_variant_and_details() {
        assert_eq!(Error::Again, Error::Again);
        assert_ne!(Error::Again, Error::State);
        assert_eq!(
            Error::AddrInUse("tcp://a:1".into()),
            Error::AddrInUse("tcp://a:1".into())
        );
        assert_ne!(
            Error::AddrInUse("tcp://a:1".into()),
            Error::AddrInUse("tcp://a:2".into())
        );
        let reset = || Error::Io(io::Error::from_raw_os_error(ECONNRESET));
        assert_eq!(reset(), reset());
        assert_ne!(reset(), Error::Io(io::Error::from_raw_os_error(EPIPE)));
    }

    #[test]
    fn io_errors_keep_the_error_as_source() {
        let io = io::Error::from(Error::HostUnreachable);
        assert_eq!(io.kind(), io::ErrorKind::HostUnreachable);
        let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert_eq!(inner, Some(&Error::HostUnreachable));
        let reset = io::Error::from(Error::Io(io::Error::from_raw_os_error(ECONNRESET)));
        assert_eq!(reset.raw_os_error(), Some(ECONNRESET));
    }
}
