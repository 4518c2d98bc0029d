//! A sans-IO implementation of ZMTP, the ZeroMQ Message Transport Protocol (RFC 37, ZMTP 3.1,
//! talking to ZMTP 3.0 peers as RFC 23 describes, and under NULL security to ZMTP 2.0 and
//! 1.0 peers, RFCs 15 and 13).
//!
//! Nothing here opens a socket, reads a clock or starts a thread: bytes go in, events and
//! bytes come out, so every behaviour is tested by feeding bytes and checking bytes.
//!
//! ```text
//!   transport bytes ──► Session::handle_input ──► Event::Message(part) ──► socket pipes
//!        ▲                 (greeting, READY,         Event::Ready(peer)
//!        │                  frames, commands)
//!   Outbox ◄── Session::encode(part) ◄── socket pipes
//! ```
//!
//! A message is a sequence of parts; each part travels as one frame whose MORE flag says
//! whether another part follows. Commands (READY, SUBSCRIBE, PING, ...) are single frames
//! with the COMMAND flag.
//!
//! This crate is the protocol layer of [ferrozmq](https://docs.rs/ferrozmq), published as
//! `ferrozmq-zmtp` (inside the ferrozmq workspace it is imported under the name `zmtp`).
#![warn(missing_docs)]

mod block;
pub mod command;
pub mod curve_keys;
pub mod entropy;
pub mod error;
pub mod frame;
pub mod frame_v1;
pub mod greeting;
pub mod mechanism;
pub mod message;
mod message_budget;
pub mod metadata;
pub mod outbox;
pub mod recycled;
pub mod session;
pub mod socket_type;
pub mod z85;

pub use bytes::{Bytes, BytesMut};
pub use curve_keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
pub use error::ProtocolError;
pub use mechanism::{Mechanism, MechanismError, MechanismEvent};
pub use message::{Kind, Message};
pub use metadata::Metadata;
pub use outbox::Outbox;
pub use session::{Event, PeerInfo, Session, SessionConfig};
pub use socket_type::SocketType;

/// The README's snippet, compiled and run with the doctests so that it stays correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeSnippets;
