//! libzmq's C API on top of ferrozmq: `libzmq.so.5` and `libzmq.a`, with the header
//! `include/zmq.h`, for C, C++ and Python programs (pyzmq, czmq...) to use unchanged.
//!
//! ```text
//!  C program ── zmq.h ──► libzmq.so.5 (this crate) ──► ferrozmq (Context, Socket, Message)
//!                          │ call:     panic guard, errno
//!                          │ registry: handles C holds (contexts, sockets, counters, ...)
//!                          │ message:  the 64-byte zmq_msg_t ↔ ferrozmq::Message
//!                          │ socket:   sockets, options, send/recv, how a call waits
//!                          │ poll, poller, proxy, monitor
//! ```
//!
//! Build and install it with `cargo xtask stage --prefix DIR` (header, libraries,
//! `libzmq.pc`); check it against libzmq's own test suite with
//! `cargo xtask libzmq-tests --prefix DIR`.
//!
//! # Safety at the boundary
//! - Every export runs inside [`call::guard`]: a Rust panic becomes the function's failure
//!   value with `errno` set, never an unwind into C.
//! - Handles (contexts, sockets, pollers, counters, stopwatches, threads) are slots of a
//!   [`registry::Registry`]: NULL, closed and foreign handles are recognised without
//!   reading memory the library does not own, and fail with libzmq's errno (EFAULT for
//!   contexts, ENOTSOCK for sockets).
//! - A `zmq_msg_t` carries a magic value while it holds a message; closed or never
//!   initialised storage fails with EFAULT (see [`message::repr`]).
//! - Layouts C sees are asserted at compile time ([`types`]).
//! - What C must guarantee (buffers valid for their stated length, strings terminated,
//!   storage not copied bytewise and then used twice) is written on each function as its
//!   `# Safety` section; ownership is tabled per module ([`context`], [`message`]).
//!
//! # Threads
//! Everything here may be called from any thread. A free function given to
//! `zmq_msg_init_data` runs on the thread that releases the content last, as in libzmq.
//! Calls on one handle are serialised by the handle's slot lock. A socket may be used from
//! several threads at once (libzmq allows it for its thread-safe types only, and calls it
//! undefined behaviour for the others): each call holds the socket's lock for one
//! non-blocking operation, and a call that must wait sleeps without it, on a duplicate of
//! the socket's `ZMQ_FD` eventfd (see [`socket::wait`]); closing the socket wakes it with
//! ENOTSOCK. `zmq_proxy` is the exception: it holds its sockets for as long as it runs.

#![warn(missing_docs)]

pub mod atomic_counter;
pub mod call;
pub mod clock;
pub mod context;
pub mod errno;
pub mod keys;
pub mod message;
pub mod monitor;
pub mod poll;
pub mod poller;
pub mod proxy;
pub mod registry;
pub mod socket;
pub mod thread;
pub mod timers;
pub mod types;
pub mod version;
