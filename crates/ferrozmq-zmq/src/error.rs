//! Errors as `errno` values, the way libzmq reports them.

use std::fmt;
use std::io;

/// Base of the error numbers libzmq defines itself (`ZMQ_HAUSNUMERO`).
const HAUSNUMERO: i32 = 156_384_712;

/// Why a call failed: libzmq's `errno` value, one variant each.
///
/// `Display` and `Debug` both give the system's text for the error (`zmq_strerror`);
/// [`to_raw`](Error::to_raw) and [`from_raw`](Error::from_raw) convert from and to the
/// number.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let ctx = zmq::Context::new();
/// let rep = ctx.socket(zmq::REP).unwrap();
/// // A REP must receive a request before it can reply.
/// let err = rep.send("too early", 0).unwrap_err();
/// assert_eq!(err, zmq::Error::EFSM);
/// assert_eq!(err.to_string(), "Operation cannot be accomplished in current state");
/// ```
#[derive(Clone, Copy, Eq, PartialEq)]
#[allow(missing_docs)] // Each variant is the errno of the same name.
pub enum Error {
    EACCES,
    EADDRINUSE,
    EAGAIN,
    EBUSY,
    ECONNREFUSED,
    EFAULT,
    EINTR,
    EHOSTUNREACH,
    EINPROGRESS,
    EINVAL,
    EMFILE,
    EMSGSIZE,
    ENAMETOOLONG,
    ENODEV,
    ENOENT,
    ENOMEM,
    ENOTCONN,
    ENOTSOCK,
    EPROTO,
    EPROTONOSUPPORT,
    ENOTSUP,
    ENOBUFS,
    ENETDOWN,
    EADDRNOTAVAIL,
    EFSM,
    ENOCOMPATPROTO,
    ETERM,
    EMTHREAD,
}

/// Every variant with its number and text (glibc's `strerror` for the system's errors,
/// libzmq's for its own).
const TABLE: [(Error, i32, &str); 28] = [
    (Error::EACCES, libc::EACCES, "Permission denied"),
    (
        Error::EADDRINUSE,
        libc::EADDRINUSE,
        "Address already in use",
    ),
    (
        Error::EAGAIN,
        libc::EAGAIN,
        "Resource temporarily unavailable",
    ),
    (Error::EBUSY, libc::EBUSY, "Device or resource busy"),
    (
        Error::ECONNREFUSED,
        libc::ECONNREFUSED,
        "Connection refused",
    ),
    (Error::EFAULT, libc::EFAULT, "Bad address"),
    (Error::EINTR, libc::EINTR, "Interrupted system call"),
    (Error::EHOSTUNREACH, libc::EHOSTUNREACH, "No route to host"),
    (
        Error::EINPROGRESS,
        libc::EINPROGRESS,
        "Operation now in progress",
    ),
    (Error::EINVAL, libc::EINVAL, "Invalid argument"),
    (Error::EMFILE, libc::EMFILE, "Too many open files"),
    (Error::EMSGSIZE, libc::EMSGSIZE, "Message too long"),
    (
        Error::ENAMETOOLONG,
        libc::ENAMETOOLONG,
        "File name too long",
    ),
    (Error::ENODEV, libc::ENODEV, "No such device"),
    (Error::ENOENT, libc::ENOENT, "No such file or directory"),
    (Error::ENOMEM, libc::ENOMEM, "Cannot allocate memory"),
    (
        Error::ENOTCONN,
        libc::ENOTCONN,
        "Transport endpoint is not connected",
    ),
    (
        Error::ENOTSOCK,
        libc::ENOTSOCK,
        "Socket operation on non-socket",
    ),
    (Error::EPROTO, libc::EPROTO, "Protocol error"),
    (
        Error::EPROTONOSUPPORT,
        libc::EPROTONOSUPPORT,
        "Protocol not supported",
    ),
    (Error::ENOTSUP, libc::ENOTSUP, "Operation not supported"),
    (Error::ENOBUFS, libc::ENOBUFS, "No buffer space available"),
    (Error::ENETDOWN, libc::ENETDOWN, "Network is down"),
    (
        Error::EADDRNOTAVAIL,
        libc::EADDRNOTAVAIL,
        "Cannot assign requested address",
    ),
    (
        Error::EFSM,
        HAUSNUMERO + 51,
        "Operation cannot be accomplished in current state",
    ),
    (
        Error::ENOCOMPATPROTO,
        HAUSNUMERO + 52,
        "The protocol is not compatible with the socket type",
    ),
    (Error::ETERM, HAUSNUMERO + 53, "Context was terminated"),
    (Error::EMTHREAD, HAUSNUMERO + 54, "No thread available"),
];

impl Error {
    fn entry(self) -> &'static (Error, i32, &'static str) {
        // The table lists the variants in declaration order.
        &TABLE[self as usize]
    }

    /// The `errno` value.
    ///
    /// ```
    /// # use ferrozmq_zmq as zmq;
    /// assert_eq!(zmq::Error::EAGAIN.to_raw(), libc::EAGAIN);
    /// assert_eq!(zmq::Error::ETERM.to_raw(), 156_384_712 + 53);
    /// ```
    pub fn to_raw(self) -> i32 {
        self.entry().1
    }

    /// The variant for an `errno` value.
    ///
    /// # Panics
    ///
    /// For a number none of the variants stands for, as the `zmq` crate does.
    ///
    /// ```
    /// # use ferrozmq_zmq as zmq;
    /// assert_eq!(zmq::Error::from_raw(libc::EINTR), zmq::Error::EINTR);
    /// ```
    pub fn from_raw(raw: i32) -> Error {
        match Self::from_errno(raw) {
            Some(error) => error,
            None => panic!(
                "unknown error [{raw}]: {}",
                io::Error::from_raw_os_error(raw)
            ),
        }
    }

    fn from_errno(raw: i32) -> Option<Error> {
        TABLE.iter().find(|(_, n, _)| *n == raw).map(|(e, _, _)| *e)
    }

    /// The error's text, as `zmq_strerror` gives it.
    ///
    /// ```
    /// # use ferrozmq_zmq as zmq;
    /// assert_eq!(zmq::Error::ETERM.message(), "Context was terminated");
    /// ```
    pub fn message(self) -> &'static str {
        self.entry().2
    }
}

impl From<ferrozmq::Error> for Error {
    /// The variant for the error's libzmq `errno`; an operating-system error that no
    /// variant names becomes the nearest one by its kind, else [`Error::EINVAL`].
    fn from(error: ferrozmq::Error) -> Error {
        let errno = error.errno();
        if let Some(known) = Error::from_errno(errno) {
            return known;
        }
        use io::ErrorKind::*;
        match io::Error::from_raw_os_error(errno).kind() {
            ConnectionReset | ConnectionAborted | BrokenPipe | NotConnected => Error::ENOTCONN,
            PermissionDenied | ReadOnlyFilesystem => Error::EACCES,
            OutOfMemory => Error::ENOMEM,
            NetworkDown | NetworkUnreachable => Error::ENETDOWN,
            HostUnreachable => Error::EHOSTUNREACH,
            NotFound | NotADirectory => Error::ENOENT,
            TimedOut | WouldBlock => Error::EAGAIN,
            Interrupted => Error::EINTR,
            Unsupported => Error::ENOTSUP,
            _ => Error::EINVAL,
        }
    }
}

impl std::error::Error for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for Error {
    /// The text, as `Display` gives it (the `zmq` crate's `Debug` format).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl From<Error> for io::Error {
    /// An [`io::Error`] of the kind the `zmq` crate gives, with the error inside.
    fn from(error: Error) -> io::Error {
        let kind = match error {
            Error::ENOENT => io::ErrorKind::NotFound,
            Error::EACCES => io::ErrorKind::PermissionDenied,
            Error::ECONNREFUSED => io::ErrorKind::ConnectionRefused,
            Error::ENOTCONN => io::ErrorKind::NotConnected,
            Error::EADDRINUSE => io::ErrorKind::AddrInUse,
            Error::EADDRNOTAVAIL => io::ErrorKind::AddrNotAvailable,
            Error::EAGAIN => io::ErrorKind::WouldBlock,
            Error::EINVAL => io::ErrorKind::InvalidInput,
            Error::EINTR => io::ErrorKind::Interrupted,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order_and_round_trips() {
        for (i, (error, raw, _)) in TABLE.iter().enumerate() {
            assert_eq!(*error as usize, i);
            assert_eq!(Error::from_raw(*raw), *error);
            assert_eq!(error.to_raw(), *raw);
        }
    }

    #[test]
    fn system_texts_are_the_c_library_s() {
        for (error, raw, text) in TABLE.iter().filter(|(_, raw, _)| *raw < HAUSNUMERO) {
            let system = io::Error::from_raw_os_error(*raw).to_string();
            assert!(
                system.starts_with(text),
                "{error:?}: {system} (errno {raw})"
            );
        }
    }

    #[test]
    #[should_panic(expected = "unknown error")]
    fn an_unknown_number_panics_as_the_zmq_crate_does() {
        Error::from_raw(libc::ECONNRESET);
    }

    #[test]
    fn native_errors_map_by_errno_then_by_kind() {
        assert_eq!(Error::from(ferrozmq::Error::State), Error::EFSM);
        assert_eq!(Error::from(ferrozmq::Error::Terminated), Error::ETERM);
        assert_eq!(Error::from(ferrozmq::Error::NoIoThread), Error::EMTHREAD);
        let reset = ferrozmq::Error::Io(io::Error::from_raw_os_error(libc::ECONNRESET));
        assert_eq!(Error::from(reset), Error::ENOTCONN);
        let no_space = ferrozmq::Error::Io(io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(Error::from(no_space), Error::EINVAL);
    }

    #[test]
    fn io_errors_carry_the_error() {
        let io = io::Error::from(Error::EHOSTUNREACH);
        assert_eq!(io.kind(), io::ErrorKind::Other);
        let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert_eq!(inner, Some(&Error::EHOSTUNREACH));
        assert_eq!(
            format!("{:?}", Error::EAGAIN),
            "Resource temporarily unavailable"
        );
    }
}
