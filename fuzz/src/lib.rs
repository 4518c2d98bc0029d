//! The checks behind the fuzz targets, one module per parser of peer bytes, and one for
//! the C boundary.
//!
//! Each module has one `check(data)` that feeds fuzzer bytes to the pure core of the `zmtp`
//! crate (or, for `c_api`, to the C API of `crates/ferrozmq-ffi`) and asserts what must
//! hold for any input: no panic, and the properties named in its doc comment. The targets
//! in `fuzz_targets/` are one-line calls into these, and `crates/zmtp/tests/
//! fuzz_regressions.rs` (`crates/ferrozmq-ffi/tests/c_api_fuzz.rs` for `c_api`) includes the
//! same files to replay the seed corpus and every crash input on each `cargo test`.

pub mod c_api;
pub mod command;
pub mod frame_header;
pub mod frame_v1;
pub mod greeting;
pub mod handshake;
pub mod legacy;
pub mod metadata;
pub mod session;
