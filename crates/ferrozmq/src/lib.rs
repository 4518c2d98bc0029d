//! ZeroMQ in pure Rust: messaging sockets that speak ZMTP with libzmq peers.
//!
//! ferrozmq sits where libzmq does, "above sockets, below a message queue": no broker,
//! just sockets whose type decides how messages flow.
//!
//! **The model.** A [`Context`] holds the I/O threads and the `inproc://` namespace; make
//! one per process. It makes [`Socket`]s, each of a [`SocketType`] that fixes its pattern.
//! A socket [`bind`](Socket::bind)s and [`connect`](Socket::connect)s to any number of
//! endpoints, in either direction and in any order: connections are made, and remade, in
//! the background, and messages queue meanwhile up to a high-water mark. A message is one
//! or more [`Message`] parts, delivered whole or not at all. A socket is used by one thread
//! at a time; it may move between threads.
//!
//! | pattern | sockets | behaviour | seed examples |
//! |---|---|---|---|
//! | request-reply | [`REQ`], [`REP`] | every request gets its reply, in turn | [`reqrep_server`][rs], [`reqrep_client`][rc] |
//! | publish-subscribe | [`PUB`], [`SUB`] | broadcast, filtered by prefix at the publisher; nothing queues for absent subscribers | [`pubsub_server`][ps], [`pubsub_client`][pc] |
//! | pipeline | [`PUSH`], [`PULL`] | load-balanced work; queued messages survive reconnects | [`pipeline_ventilator`][pv], [`pipeline_worker`][pw], [`pipeline_sink`][pk] |
//!
//! Beyond the three: [`DEALER`] and [`ROUTER`] (asynchronous request-reply, brokers),
//! [`XPUB`]/[`XSUB`] (forwarders, see [`proxy`]), [`PAIR`], and libzmq's draft types
//! ([`SERVER`]/[`CLIENT`], [`RADIO`]/[`DISH`], [`SCATTER`]/[`GATHER`], [`PEER`],
//! [`CHANNEL`]), whose messages carry an address beside them
//! ([`send_to`](Socket::send_to), [`send_group`](Socket::send_group)). And [`STREAM`],
//! which speaks no ZMTP at all: it exchanges raw bytes with any tcp (or ipc) peer, each
//! message being the connection's routing id and the bytes, an empty message marking a
//! connection made or lost, and an empty message sent closing one:
//!
//! ```
//! use std::io::{Read, Write};
//! let ctx = ferrozmq::Context::new();
//! let server = ctx.socket(ferrozmq::STREAM).unwrap();
//! let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
//! // Any tcp client: here the standard library's.
//! let mut client = std::net::TcpStream::connect(&endpoint["tcp://".len()..]).unwrap();
//! client.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
//! let connected = server.recv_multipart().unwrap();
//! let id = connected[0].clone();
//! assert!(connected[1].is_empty(), "a new connection");
//! let mut request = Vec::new();
//! while !request.ends_with(b"\r\n\r\n") {
//!     let [from, data] = &server.recv_multipart().unwrap()[..] else { unreachable!() };
//!     assert_eq!(from, &id);
//!     request.extend_from_slice(data);
//! }
//! server.send_more(id.clone()).unwrap();
//! server.send("HTTP/1.0 200 OK\r\n\r\nhello").unwrap();
//! server.send_more(id).unwrap();
//! server.send(ferrozmq::Message::new()).unwrap(); // close it
//! let mut response = String::new();
//! client.read_to_string(&mut response).unwrap();
//! assert_eq!(response, "HTTP/1.0 200 OK\r\n\r\nhello");
//! ```
//!
//! [`DGRAM`] (draft) is to udp what STREAM is to tcp: it binds a udp port and exchanges
//! plain datagrams with any udp program, each message being the peer's `ip:port` (NUL
//! terminated when received, as libzmq writes it) and the datagram:
//!
//! ```
//! let ctx = ferrozmq::Context::new();
//! let dgram = ctx.socket(ferrozmq::DGRAM).unwrap();
//! let endpoint = dgram.bind("udp://127.0.0.1:*").unwrap();
//! let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
//! peer.send_to(b"ping", &endpoint["udp://".len()..]).unwrap();
//! let [from, ping] = &dgram.recv_multipart().unwrap()[..] else { unreachable!() };
//! assert_eq!(from, format!("{}\0", peer.local_addr().unwrap()).as_bytes());
//! assert_eq!(ping, "ping");
//! dgram.send_more(from.clone()).unwrap();
//! dgram.send("pong").unwrap();
//! let mut reply = [0; 16];
//! let n = peer.recv(&mut reply).unwrap();
//! assert_eq!(&reply[..n], b"pong");
//! ```
//!
//! **Transports.** `tcp://` (IPv4, IPv6, host names, `*` and ephemeral ports),
//! `ipc://` (unix domain sockets), `inproc://` (between sockets of one context, no kernel
//! involved) and, for RADIO, DISH and DGRAM, `udp://` (unicast or multicast).
//!
//! **The rest.** [`Socket::options`] sets and reads libzmq's socket options by their
//! names, typed ([`Duration`](std::time::Duration)s, counts, [`Option`] where libzmq says
//! -1); security (PLAIN, CURVE with [`curve_keypair`], ZAP and the built-in
//! [`Authenticator`]) is among them. [`Socket::monitor`] reports what happens to
//! connections as typed [`MonitorEvent`]s. [`poll`] and [`Poller`] wait on many sockets
//! and descriptors; [`Socket::into_async`] makes an [`AsyncSocket`] for any executor.
//!
//! **Diagnostics.** With the `tracing` cargo feature (off by default; without it no
//! `tracing` code is compiled), the library emits [`tracing`](https://docs.rs/tracing)
//! events on the `ferrozmq` target for any subscriber the application installs:
//!
//! | event (message) | level | fields |
//! |---|---|---|
//! | `connection lost` | INFO | `endpoint`, `reason` |
//! | `handshake failed` | WARN | `endpoint`, `mechanism` (ours), `reason` |
//! | `connect failed` | DEBUG | `endpoint`, `reason` |
//! | `reconnect scheduled` | DEBUG | `endpoint`, `delay_ms` |
//! | `connect attempt` | DEBUG | `endpoint`, `attempt` (0 for the first) |
//! | `message dropped at the high-water mark` | DEBUG | `socket_type` (PUB, XPUB, RADIO, ROUTER), `endpoint` |
//!
//! ```
//! use ferrozmq::{Context, PULL, PUSH};
//! let ctx = Context::new();
//! let sink = ctx.socket(PULL).unwrap();
//! let endpoint = sink.bind("tcp://127.0.0.1:*").unwrap(); // the port chosen
//! let source = ctx.socket(PUSH).unwrap();
//! source.connect(&endpoint).unwrap();
//! source.send_more("测试").unwrap();
//! source.send("消息").unwrap();
//! assert_eq!(sink.recv_multipart().unwrap(), ["测试", "消息"]);
//! ```
//!
//! ```text
//!  application ── Socket (pattern: lb / fq / trie) ── pipes (lock-free, HWM) ──┐
//!                                                                             │
//!  network ◄── I/O thread: zmtp::Session (greeting, handshake, frames) ◄──────┘
//! ```
//!
//! # Choices in this API
//!
//! * Sending says what it means: [`send`](Socket::send) a last part,
//!   [`send_more`](Socket::send_more) a part with more to follow,
//!   [`try_send`](Socket::try_send) without waiting; [`SendFlags`] for code that decides
//!   at run time. No integer flags, no -1: a timeout is `Option<Duration>`, `None` for
//!   ever.
//! * [`bind`](Socket::bind) returns the endpoint as bound, so an ephemeral port
//!   (`tcp://127.0.0.1:*`) is known at once.
//! * There is no `recv_string`: [`Message::as_str`] reads a received part as text, and
//!   a part that is not UTF-8 stays a message rather than becoming an error that loses it.
//! * Options are set on a live socket ([`SocketOptions`]), as in libzmq; no builder, since
//!   connection options apply to later binds and connects anyway.
//! * CURVE keys are [`CurvePublicKey`] and [`CurveSecretKey`] (Z85 via `to_z85` and
//!   `from_z85`); option setters take them, their 32 bytes, or their 40 Z85 characters.
//! * libzmq's wire formats stay available for interoperation: the monitor feed
//!   ([`Socket::monitor_to`], [`WireEvent`]), and [`Error::errno`].
//!
//! [rs]: https://github.com/ferrozmq/ferrozmq/blob/main/crates/ferrozmq/examples/reqrep_server.rs
//! [rc]: https://github.com/ferrozmq/ferrozmq/blob/main/crates/ferrozmq/examples/reqrep_client.rs
//! [ps]: https://github.com/ferrozmq/ferrozmq/blob/main/crates/ferrozmq/examples/pubsub_server.rs
//! [pc]: https://github.com/ferrozmq/ferrozmq/blob/main/crates/ferrozmq/examples/pubsub_client.rs
//! [pv]: https://github.com/ferrozmq/ferrozmq/blob/main/crates/ferrozmq/examples/pipeline_ventilator.rs
//! [pw]: https://github.com/ferrozmq/ferrozmq/blob/main/crates/ferrozmq/examples/pipeline_worker.rs
//! [pk]: https://github.com/ferrozmq/ferrozmq/blob/main/crates/ferrozmq/examples/pipeline_sink.rs
#![deny(missing_docs)]

// First: rustdoc lists a type's impl blocks in the order it meets them, and `Socket`'s
// everyday calls (in `socket`) should come before those other modules add (polling).
mod socket;

mod asynchronous;
mod authenticator;
mod context;
mod endpoint;
mod engine;
mod error;
mod io_thread_settings;
mod message;
mod monitor;
mod options;
mod patterns;
mod pipe;
mod poll;
mod properties;
mod proxy;
mod security;
mod signal;
mod sys;
mod trace;
mod transport;

pub use asynchronous::{proxy_async, AsyncSocket};
pub use authenticator::Authenticator;
pub use bytes::Bytes;
pub use context::Context;
pub use error::{Error, Result};
pub use message::Message;
pub use monitor::{
    protocol_error, DisconnectReason, EventKind, EventSet, FeedVersion, Monitor, MonitorEvent,
    WireEvent, WireEventV2,
};
pub use poll::{poll, PollEvents, PollItem, Poller, PollerEvent, POLLERR, POLLIN, POLLOUT};
pub use properties::Properties;
pub use proxy::{proxy, proxy_steerable, proxy_with_capture};
pub use security::curve_keypair;
pub use socket::{Mechanism, ReconnectStop, RouterNotify, SendFlags, Socket, SocketOptions};
pub use zmtp::curve_keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
/// Z85, the text encoding of binary data (and of CURVE keys) that ZeroMQ uses (RFC 32):
/// `zmq_z85_encode` and `zmq_z85_decode`.
pub use zmtp::z85;
pub use zmtp::SocketType;

/// The README's snippets, compiled and run with the doctests so that they stay correct
/// (`README.md` beside the manifest links to the workspace's, and is the package's own).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeSnippets;

/// Request socket: sends a request, then receives its reply.
pub const REQ: SocketType = SocketType::Req;
/// Reply socket: receives a request, then sends its reply.
pub const REP: SocketType = SocketType::Rep;
/// Publish socket: broadcasts to subscribers.
pub const PUB: SocketType = SocketType::Pub;
/// Subscribe socket: receives what publishers send, filtered by its subscriptions.
pub const SUB: SocketType = SocketType::Sub;
/// Push socket: sends work round robin to pullers.
pub const PUSH: SocketType = SocketType::Push;
/// Pull socket: receives work from pushers in turn.
pub const PULL: SocketType = SocketType::Pull;
/// Dealer socket: sends round robin and receives in turn, without envelopes.
pub const DEALER: SocketType = SocketType::Dealer;
/// Exclusive pair: one peer, both directions.
pub const PAIR: SocketType = SocketType::Pair;
/// Router socket: receives with, and sends by, the peer's routing id.
pub const ROUTER: SocketType = SocketType::Router;
/// Extended publisher: a PUB that hands subscriptions to the application.
pub const XPUB: SocketType = SocketType::XPub;
/// Extended subscriber: a SUB whose subscriptions are messages.
pub const XSUB: SocketType = SocketType::XSub;
/// Raw tcp (or ipc) byte streams to peers that speak no ZMTP: each message is a routing id
/// and bytes, an empty message marks a connection made or lost, and sending a routing id
/// with empty data closes that connection. The crate documentation has an example.
pub const STREAM: SocketType = SocketType::Stream;
/// Raw udp datagrams (draft), to and from any udp program: the socket binds one udp
/// endpoint, and each message is the peer's address as text, `ip:port`, sent with MORE,
/// then the datagram. A received address ends with a NUL byte, as libzmq writes it; one
/// sent may or may not. It cannot connect, and speaks udp only. The crate documentation has
/// an example.
pub const DGRAM: SocketType = SocketType::Dgram;
/// Thread-safe server (draft): single-part messages addressed by routing id.
pub const SERVER: SocketType = SocketType::Server;
/// Thread-safe client (draft): a single-part DEALER.
pub const CLIENT: SocketType = SocketType::Client;
/// Thread-safe pipeline producer (draft): a single-part PUSH.
pub const SCATTER: SocketType = SocketType::Scatter;
/// Thread-safe pipeline consumer (draft): a single-part PULL.
pub const GATHER: SocketType = SocketType::Gather;
/// Peer-to-peer (draft): a SERVER that can also connect and speak first.
pub const PEER: SocketType = SocketType::Peer;
/// Thread-safe exclusive pair (draft): a single-part PAIR.
pub const CHANNEL: SocketType = SocketType::Channel;
/// Group broadcaster (draft): sends single-part messages to the dishes that joined their
/// group, over tcp, ipc, inproc or udp.
pub const RADIO: SocketType = SocketType::Radio;
/// Group receiver (draft): receives the messages of the groups it joined.
pub const DISH: SocketType = SocketType::Dish;
