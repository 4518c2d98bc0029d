//! The `errno` values the library reports or recognises by name, as this operating system
//! numbers them. libzmq's API and monitor events carry the platform's own values, so these
//! are the system's constants, not a table of our own.

pub(crate) use libc::{
    EACCES, EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EFAULT, EHOSTUNREACH, EINPROGRESS, EINVAL, EIO,
    EMFILE, ENAMETOOLONG, ENOENT, ENOTCONN, ENOTSOCK, ENOTSUP, EPIPE, EPROTO, EPROTONOSUPPORT,
    ETIMEDOUT,
};

/// What the tests make a peer's reset from.
#[cfg(test)]
pub(crate) use libc::ECONNRESET;
