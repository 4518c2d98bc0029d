//! ZeroMQ in pure Rust: messaging sockets that speak ZMTP with libzmq peers.
//!
//! ferrozmq sits where libzmq does, "above sockets, below a message queue": no broker,
//! just sockets whose type decides how messages flow.
//!
//! | pattern | sockets | behaviour |
//! |---|---|---|
//! | request-reply | [`REQ`], [`REP`] | every request gets its reply |
//! | publish-subscribe | [`PUB`], [`SUB`] | broadcast, filtered by prefix at the publisher; nothing queues for absent subscribers |
//! | pipeline | [`PUSH`], [`PULL`] | load-balanced work; queued messages survive reconnects |
//! | radio-dish | [`RADIO`], [`DISH`] | broadcast to groups joined by exact name |
//!
//! Transports: `tcp://` (IPv4 and IPv6), `ipc://` (unix domain sockets), `inproc://`
//! (between sockets of one context, no kernel involved) and, for RADIO and DISH, `udp://`
//! (unicast or multicast datagrams).
//!
//! Connections over tcp and ipc may be secured as in libzmq: PLAIN (username and password,
//! in clear) or CURVE (encryption and authentication with long-term keys, see
//! [`curve_keypair`]), chosen with the socket's security options
//! ([`Socket::set_curve_server`], [`Socket::set_plain_username`], ...). Servers ask the
//! context's ZAP handler (RFC 27) about each client: one the application binds at
//! `inproc://zeromq.zap.01`, or the built-in [`Authenticator`]. What the handler said
//! about a peer (its user id, its metadata) comes with the messages it sends, through
//! [`Socket::recv_msg_with_properties`].
//!
//! Every socket also works from async code, under any executor: [`Socket::into_async`]
//! makes an [`AsyncSocket`], whose futures are cancel-safe, and [`proxy_async`] forwards
//! between two of them.
//!
//! ```text
//!  application ── Socket (pattern: lb / fq / trie) ── pipes (lock-free, HWM) ──┐
//!                                                                             │
//!  network ◄── I/O thread: zmtp::Session (greeting, handshake, frames) ◄──────┘
//! ```
//!
//! ```
//! use ferrozmq::{Context, PULL, PUSH};
//! let ctx = Context::new();
//! let sink = ctx.socket(PULL).unwrap();
//! sink.bind("tcp://127.0.0.1:*").unwrap();
//! let endpoint = sink.get_last_endpoint().unwrap().unwrap();
//! let source = ctx.socket(PUSH).unwrap();
//! source.connect(&endpoint).unwrap();
//! source.send("测试消息", 0).unwrap();
//! assert_eq!(sink.recv_string(0).unwrap().unwrap(), "测试消息");
//! ```
#![warn(missing_docs)]

mod asynchronous;
mod authenticator;
mod context;
mod endpoint;
mod engine;
mod error;
mod monitor;
mod options;
mod patterns;
mod pipe;
mod poll;
mod properties;
mod proxy;
mod security;
mod signal;
mod socket;
mod sys;
mod transport;

pub use asynchronous::{proxy_async, AsyncSocket};
pub use authenticator::Authenticator;
pub use context::Context;
pub use error::{Error, Result};
pub use monitor::{protocol_error, EventKind, MonitorEvent};
pub use poll::{poll, PollEvents, PollItem, Poller, PollerEvent, POLLERR, POLLIN, POLLOUT};
pub use properties::Properties;
pub use proxy::{proxy, proxy_steerable, proxy_with_capture};
pub use security::{curve_keypair, curve_public};
pub use socket::{
    Socket, DONTWAIT, RECONNECT_STOP_AFTER_DISCONNECT, RECONNECT_STOP_CONN_REFUSED,
    RECONNECT_STOP_HANDSHAKE_FAILED, SNDMORE,
};
pub use zmtp::{Message, SocketType};

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
