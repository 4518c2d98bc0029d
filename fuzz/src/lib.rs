//! The checks behind the fuzz targets, one module per parser of peer bytes.
//!
//! Each module has one `check(data)` that feeds fuzzer bytes to the pure core of the `zmtp`
//! crate and asserts what must hold for any input: no panic, and the properties named in its
//! doc comment. The targets in `fuzz_targets/` are one-line calls into these, and
//! `crates/zmtp/tests/fuzz_regressions.rs` includes the same files to replay the seed corpus
//! and every crash input on each `cargo test`.

pub mod command;
pub mod frame_header;
pub mod frame_v1;
pub mod greeting;
pub mod handshake;
pub mod legacy;
pub mod metadata;
pub mod session;
