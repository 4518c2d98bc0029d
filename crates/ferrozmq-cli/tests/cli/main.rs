//! The `ferrozmq` command, run as real processes over real tcp on loopback: on its own,
//! against itself, and against libzmq through the seed's Python programs and the Python
//! peers of `tests/peers`.

mod command_line;
mod demo;
mod drafts;
mod errors;
mod fixes;
mod interop;
mod monitor;
mod options;
mod output_formats;
mod patterns;
mod readme;
mod security;
mod support;
mod types;
mod wait_peers;
