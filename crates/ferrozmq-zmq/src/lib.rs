//! The API of the `zmq` crate (rust-zmq 0.10), on ferrozmq: ZeroMQ written in Rust, with no
//! libzmq underneath.
//!
//! Code written for the `zmq` crate moves over by changing one line of its `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! zmq = { package = "ferrozmq-zmq", version = "0.1" }
//! ```
//!
//! and nothing else: the names, signatures and constants are the `zmq` crate's
//! ([`Context`], [`Socket`] with its `get_xxx`/`set_xxx`/`is_xxx` options, integer flags
//! [`SNDMORE`] and [`DONTWAIT`], the errno-shaped [`Error`], [`Message`], [`poll`] and
//! [`PollItem`], the proxies, [`z85_encode`], [`CurveKeyPair`], ...). Each call is a thin
//! layer over [`ferrozmq`]'s own API, which new code may prefer: it says the same with
//! `Duration`s, `Option`s and typed flags instead of milliseconds, `-1` and integers, and
//! the two mix freely ([`Message`] converts to and from [`ferrozmq::Message`]).
//!
//! ```
//! # use ferrozmq_zmq as zmq;
//! let ctx = zmq::Context::new();
//! let server = ctx.socket(zmq::REP).unwrap();
//! server.bind("tcp://127.0.0.1:*").unwrap();
//! let endpoint = server.get_last_endpoint().unwrap().unwrap();
//!
//! let client = ctx.socket(zmq::REQ).unwrap();
//! client.connect(&endpoint).unwrap();
//! client.send("Hello", 0).unwrap();
//! assert_eq!(server.recv_string(0).unwrap().unwrap(), "Hello");
//! server.send("World", 0).unwrap();
//! assert_eq!(client.recv_msg(0).unwrap().as_str(), Some("World"));
//! ```
//!
//! # What is not there
//!
//! What ferrozmq lacks answers as libzmq answers when built without it:
//!
//! * GSSAPI (the `gssapi` options): [`Error::EINVAL`], and [`has`]`("gssapi")` is false.
//! * RATE and RECOVERY_IVL are kept and read back, with no effect: they configure the PGM
//!   and NORM multicast transports, which ferrozmq does not have (libzmq built without them
//!   does the same).
//!
//! [`Socket::into_raw`], [`Socket::from_raw`] and [`Socket::as_mut_ptr`] hand a socket
//! through C code as an opaque pointer, for this crate to take back; there is no libzmq to
//! give it to, so it is not a `void *` that libzmq's C functions (`zmq-sys`) accept.
//!
//! # Where it differs
//!
//! * [`z85_decode`] refuses text that is not Z85 with [`DecodeError::InvalidInput`], as
//!   libzmq's `zmq_z85_decode` does; the `zmq` crate ignored that failure and returned
//!   whatever the buffer held.
//! * An error that none of [`Error`]'s variants names (an unusual operating-system error,
//!   which the `zmq` crate would panic on) becomes the variant nearest to it by its
//!   [`std::io::ErrorKind`] (`ECONNRESET` is [`Error::ENOTCONN`]), else [`Error::EINVAL`].
//! * [`version`] is the libzmq version whose behaviour ferrozmq matches, 4.3.4.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod context;
mod error;
mod events;
mod message;
mod poll;
mod proxy;
mod raw;
mod security;
mod socket;
mod socket_options;

pub use context::Context;
pub use error::Error;
pub use events::SocketEvent;
pub use message::Message;
pub use poll::{poll, PollEvents, PollItem, POLLERR, POLLIN, POLLOUT};
pub use proxy::{proxy, proxy_steerable, proxy_steerable_with_capture, proxy_with_capture};
pub use security::{z85_decode, z85_encode, CurveKeyPair, DecodeError, EncodeError};
pub use socket::{Mechanism, Sendable, Socket, SocketType, SocketType::*};

/// The result of this crate's calls.
pub type Result<T> = std::result::Result<T, Error>;

/// Send or receive flag: fail with [`Error::EAGAIN`] at once rather than wait
/// (`ZMQ_DONTWAIT`).
pub const DONTWAIT: i32 = 1;

/// Send flag: more parts of the same message follow this one (`ZMQ_SNDMORE`).
pub const SNDMORE: i32 = 2;

/// The version of libzmq whose behaviour this library reproduces, as
/// `(major, minor, patch)`: 4.3.4.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// assert_eq!(zmq::version(), (4, 3, 4));
/// ```
pub fn version() -> (i32, i32, i32) {
    (4, 3, 4)
}

/// Whether the library has a capability, by `zmq_has`'s names: `ipc`, `curve` and `draft`
/// (the draft socket types, in [`ferrozmq`]'s own API) are there; `pgm`, `tipc`, `norm`,
/// `gssapi`, `vmci` and anything else are not. Always `Some`, as in the `zmq` crate 0.10.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// assert_eq!(zmq::has("curve"), Some(true));
/// assert_eq!(zmq::has("pgm"), Some(false));
/// ```
pub fn has(capability: &str) -> Option<bool> {
    Some(matches!(capability, "ipc" | "curve" | "draft"))
}
