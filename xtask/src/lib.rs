//! Build tasks around ferrozmq's libzmq drop-in (`crates/ferrozmq-ffi`), run as
//! `cargo xtask <task>` (an alias in `.cargo/config.toml`):
//!
//! | task | what it does |
//! |---|---|
//! | `stage --prefix DIR` | builds `libzmq.so.5`/`libzmq.a` and installs `include/`, `lib/` and `lib/pkgconfig/libzmq.pc` into DIR |
//! | `libzmq-ref` | builds the real libzmq 4.3.4 (draft API on) from the `zeromq-src` crate's vendored source with cmake, into a cache outside the repository, and prints its prefix |
//! | `libzmq-tests --prefix DIR` | builds libzmq's own test suite against the libzmq in DIR, runs it, prints a table and `N passed, N failed, N excluded` |
//! | `perf --prefix DIR` | builds libzmq's perf tools (`local_thr`, `inproc_lat`, ...) against the libzmq in DIR |
//! | `pyzmq --prefix DIR` | builds pyzmq from its source distribution against the libzmq in DIR, into a venv, and imports it |
//! | `check-header` | compares `crates/ferrozmq-ffi/include/zmq.h` with libzmq 4.3.4's: every constant, prototype and layout |
//!
//! A task is Rust rather than shell so that each one is one command wherever cargo runs,
//! and so that the parts they share (finding libzmq's vendored source, compiling C,
//! caching) are written once. Only the standard library is used: the tasks build in
//! seconds.

#![warn(missing_docs)]

pub mod cc;
pub mod header;
pub mod paths;
pub mod perf;
pub mod pyzmq;
pub mod reference;
pub mod stage;
pub mod suite;
pub mod vendor;

/// What a task reports when it cannot go on.
pub type Result<T> = std::result::Result<T, String>;
