//! The libraries compared, each behind the same small blocking-socket trait so that every
//! scenario is written once.

mod ferrozmq;
mod ferrozmq_async;
mod libzmq;
mod monocoque;
mod omq;
mod zeromq;

use crate::error::{BenchError, Result};
use crate::transport::Transport;
use std::fmt;
use std::time::Instant;

/// One of the ZeroMQ implementations under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Implementation {
    /// This project.
    Ferrozmq,
    /// The reference C++ library (4.3.4, vendored by the `zmq` crate).
    Libzmq,
    /// The pure-Rust `zeromq` crate (zmq.rs), async on tokio.
    Zeromq,
    /// The pure-Rust `omq-tokio` crate, through its blocking API on its own I/O thread.
    Omq,
    /// The pure-Rust `monocoque-rs` crate, each socket on its own thread's runtime.
    Monocoque,
    /// This project's async API (`AsyncSocket`) on a tokio runtime: the async rows.
    FerrozmqAsync,
}

impl Implementation {
    /// The implementations of the main tables, in the order they show them.
    pub const ALL: [Implementation; 5] = [
        Implementation::Ferrozmq,
        Implementation::Libzmq,
        Implementation::Zeromq,
        Implementation::Omq,
        Implementation::Monocoque,
    ];

    /// The libraries ferrozmq is compared with: every one of the main tables but itself.
    pub const PEERS: [Implementation; 4] = [
        Implementation::Libzmq,
        Implementation::Zeromq,
        Implementation::Omq,
        Implementation::Monocoque,
    ];

    /// The implementations of the scale scenarios. Those scenarios put many peers on one
    /// bound socket, which monocoque's sockets do not take, and ask for unlimited
    /// high-water marks, which omq does not have; neither is measured there.
    pub const SCALED: [Implementation; 3] = [
        Implementation::Ferrozmq,
        Implementation::Libzmq,
        Implementation::Zeromq,
    ];

    /// Every implementation, the async rows' included.
    pub const EVERY: [Implementation; 6] = [
        Implementation::Ferrozmq,
        Implementation::Libzmq,
        Implementation::Zeromq,
        Implementation::Omq,
        Implementation::Monocoque,
        Implementation::FerrozmqAsync,
    ];

    /// The implementation's short name, as used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Implementation::Ferrozmq => "ferrozmq",
            Implementation::Libzmq => "libzmq",
            Implementation::Zeromq => "zeromq",
            Implementation::Omq => "omq",
            Implementation::Monocoque => "monocoque",
            Implementation::FerrozmqAsync => "ferrozmq-async",
        }
    }

    /// The implementation named `name`.
    pub fn parse(name: &str) -> Option<Implementation> {
        Implementation::EVERY.into_iter().find(|i| i.name() == name)
    }

    /// Whether the implementation has the transport for PUSH/PULL and REQ/REP.
    pub fn supports(self, transport: Transport) -> bool {
        transport != Transport::Inproc
            || !matches!(self, Implementation::Zeromq | Implementation::Monocoque)
    }

    /// Whether the implementation lets the application set SNDHWM and RCVHWM, 0 (no
    /// limit) included.
    pub fn has_high_water_marks(self) -> bool {
        matches!(
            self,
            Implementation::Ferrozmq | Implementation::Libzmq | Implementation::FerrozmqAsync
        )
    }

    /// A fresh context of this implementation; sockets made from it share it, as the
    /// in-process transport requires.
    pub fn open(self) -> Result<Box<dyn Library>> {
        match self {
            Implementation::Ferrozmq => Ok(Box::new(ferrozmq::FerrozmqLibrary::new())),
            Implementation::Libzmq => Ok(Box::new(libzmq::LibzmqLibrary::new())),
            Implementation::Zeromq => Ok(Box::new(zeromq::ZeromqLibrary::new()?)),
            Implementation::Omq => Ok(Box::new(omq::OmqLibrary::new())),
            Implementation::Monocoque => Ok(Box::new(monocoque::MonocoqueLibrary)),
            Implementation::FerrozmqAsync => {
                Ok(Box::new(ferrozmq_async::FerrozmqAsyncLibrary::new()?))
            }
        }
    }
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The bytes every scenario sends: what they hold does not matter, only how many.
pub fn payload(size: usize) -> Vec<u8> {
    vec![b'z'; size]
}

/// Checks that a message of `expected` bytes arrived, as every scenario sends.
pub fn expect_size(received: usize, expected: usize) -> Result<()> {
    if received == expected {
        Ok(())
    } else {
        Err(BenchError::UnexpectedMessage { expected, received })
    }
}

/// The socket types the scenarios use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    /// Pipeline producer.
    Push,
    /// Pipeline consumer.
    Pull,
    /// Request side of a round trip.
    Req,
    /// Reply side of a round trip.
    Rep,
    /// Broadcaster.
    Pub,
    /// Broadcast receiver.
    Sub,
    /// Many-peer server.
    Router,
}

/// One library's context: it makes the sockets of a worker, on whichever of the worker's
/// threads will use them.
pub trait Library: Sync {
    /// A new socket of `kind`. Its linger is zero: scenarios close a socket only once the
    /// other side has confirmed everything arrived, so nothing waits at exit.
    fn socket(&self, kind: SocketKind) -> Result<Box<dyn BenchSocket>>;
}

/// The little a scenario asks of a socket, blocking like libzmq's API.
///
/// A socket stays on the thread that made it: monocoque's sockets belong to their
/// thread's runtime, so scenarios make each socket on the thread that uses it.
pub trait BenchSocket {
    /// Binds to `endpoint` and returns the endpoint peers should connect to (with the
    /// ephemeral port filled in).
    fn bind(&mut self, endpoint: &str) -> Result<String>;

    /// Connects to `endpoint`.
    fn connect(&mut self, endpoint: &str) -> Result<()>;

    /// Sends one single-part message holding a copy of `payload`.
    ///
    /// Every implementation copies the bytes into a fresh message, the same work for all
    /// of them; none of them is given a zero-copy path the others lack.
    fn send(&mut self, payload: &[u8]) -> Result<()>;

    /// Receives one whole message and returns the size of its last part (a ROUTER's
    /// first part is the peer's routing id).
    fn recv(&mut self) -> Result<usize>;

    /// Sets SNDHWM and RCVHWM; only effective before bind and connect.
    fn set_high_water_marks(&mut self, messages: i32) -> Result<()>;

    /// Subscribes a SUB to every message.
    fn subscribe_all(&mut self) -> Result<()>;

    /// Sends `count` copies of `payload`. The async libraries override the loops below
    /// to run them as one task, as an async application would, rather than blocking on
    /// the runtime once per message.
    fn send_many(&mut self, payload: &[u8], count: u64) -> Result<()> {
        for _ in 0..count {
            self.send(payload)?;
        }
        Ok(())
    }

    /// Receives `count` messages of `size` bytes (at least one); returns when the first
    /// arrived.
    fn recv_many(&mut self, count: u64, size: usize) -> Result<Instant> {
        expect_size(self.recv()?, size)?;
        let first = Instant::now();
        for _ in 1..count {
            expect_size(self.recv()?, size)?;
        }
        Ok(first)
    }

    /// REQ: makes `count` round trips, sending `request` each time.
    fn ask_many(&mut self, request: &[u8], count: u64) -> Result<()> {
        for _ in 0..count {
            self.send(request)?;
            self.recv()?;
        }
        Ok(())
    }

    /// REP: answers `count` requests with `reply`.
    fn answer_many(&mut self, reply: &[u8], count: u64) -> Result<()> {
        for _ in 0..count {
            self.recv()?;
            self.send(reply)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implementation_names_round_trip() {
        for implementation in Implementation::EVERY {
            assert_eq!(
                Implementation::parse(implementation.name()),
                Some(implementation)
            );
        }
        assert_eq!(Implementation::parse("czmq"), None);
    }

    #[test]
    fn the_async_rows_parse_but_stay_out_of_the_main_tables() {
        assert_eq!(
            Implementation::parse("ferrozmq-async"),
            Some(Implementation::FerrozmqAsync)
        );
        assert!(!Implementation::ALL.contains(&Implementation::FerrozmqAsync));
    }

    #[test]
    fn zeromq_and_monocoque_lack_inproc() {
        assert!(Implementation::Ferrozmq.supports(Transport::Inproc));
        assert!(Implementation::Libzmq.supports(Transport::Inproc));
        assert!(Implementation::Omq.supports(Transport::Inproc));
        assert!(!Implementation::Zeromq.supports(Transport::Inproc));
        assert!(!Implementation::Monocoque.supports(Transport::Inproc));
        assert!(Implementation::Zeromq.supports(Transport::Ipc));
        assert!(Implementation::Monocoque.supports(Transport::Ipc));
    }

    #[test]
    fn peers_are_the_main_tables_without_ferrozmq() {
        assert!(!Implementation::PEERS.contains(&Implementation::Ferrozmq));
        assert_eq!(Implementation::PEERS.len() + 1, Implementation::ALL.len());
        assert!(Implementation::SCALED
            .iter()
            .all(|library| Implementation::ALL.contains(library)));
    }
}
