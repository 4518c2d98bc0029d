//! monocoque (crate `monocoque-rs`) behind the benchmark's socket trait.
//!
//! monocoque has no I/O thread: a socket is a future-driven object on a single-threaded
//! runtime (compio on io_uring, the crate's default backend), so the socket's own thread
//! does every system call. Each benchmark socket owns such a runtime and runs each loop
//! of a scenario as one future on it, as an async application would.
//!
//! Its `bind` accepts one peer and makes a socket of that connection; to announce an
//! endpoint before the peer connects, the benchmark binds the listener itself and
//! accepts on the first send or receive, which is what `bind` does. It has no in-process
//! transport for these socket types (only PAIR has one), no PUB/SUB or ROUTER here (a
//! bound socket serves one peer), and its defaults are kept: eager sends (one write per
//! message; write coalescing is opt-in), TCP_NODELAY.

use super::{expect_size, BenchSocket, Implementation, Library, SocketKind};
use crate::error::{BenchError, Result};
use crate::transport::ipc_file;
use bytes::Bytes;
use monocoque::rt::{LocalRuntime, TcpListener, TcpStream, UnixStream};
use monocoque::zmq::{ipc, PullSocket, PushSocket, RepSocket, ReqSocket};
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

/// monocoque needs no shared context: every socket brings its own runtime.
pub struct MonocoqueLibrary;

fn failed(operation: &'static str) -> impl FnOnce(io::Error) -> BenchError {
    move |error| BenchError::Socket {
        library: Implementation::Monocoque,
        operation,
        detail: error.to_string(),
    }
}

fn unsupported(feature: &'static str) -> BenchError {
    BenchError::Unsupported {
        library: Implementation::Monocoque,
        feature,
    }
}

impl Library for MonocoqueLibrary {
    fn socket(&self, kind: SocketKind) -> Result<Box<dyn BenchSocket>> {
        match kind {
            SocketKind::Push | SocketKind::Pull | SocketKind::Req | SocketKind::Rep => {}
            SocketKind::Pub | SocketKind::Sub | SocketKind::Router => {
                return Err(unsupported("PUB, SUB and ROUTER with many peers"))
            }
        }
        let runtime = LocalRuntime::new().map_err(failed("starting the runtime"))?;
        Ok(Box::new(MonocoqueSocket {
            runtime,
            kind,
            state: Some(State::Fresh),
            received: Vec::new(),
        }))
    }
}

/// A socket over either stream type.
enum Connected {
    PushTcp(PushSocket<TcpStream>),
    PushIpc(PushSocket<UnixStream>),
    PullTcp(PullSocket<TcpStream>),
    PullIpc(PullSocket<UnixStream>),
    ReqTcp(ReqSocket<TcpStream>),
    ReqIpc(ReqSocket<UnixStream>),
    RepTcp(RepSocket<TcpStream>),
    RepIpc(RepSocket<UnixStream>),
}

/// A bound listener waiting for its one peer.
enum Listener {
    Tcp(TcpListener),
    Ipc(ipc::IpcListener),
}

enum State {
    /// Neither bound nor connected.
    Fresh,
    /// Bound; the peer is accepted on the first send or receive.
    Bound(Listener),
    /// Connected, or bound and accepted (the listener is closed: one peer is all a
    /// bound monocoque socket serves). Boxed: the socket's buffers are large, and the
    /// state changes only while the socket is set up.
    Ready(Box<Connected>),
}

struct MonocoqueSocket {
    runtime: LocalRuntime,
    kind: SocketKind,
    /// Taken out only by `Drop`, which drops it on the runtime.
    state: Option<State>,
    /// Reused by every receive, as the crate's allocation-free `recv_into` intends.
    received: Vec<Bytes>,
}

/// Makes a socket of `kind` over a TCP stream.
async fn over_tcp(kind: SocketKind, stream: TcpStream) -> io::Result<Connected> {
    Ok(match kind {
        SocketKind::Push => Connected::PushTcp(PushSocket::from_tcp(stream).await?),
        SocketKind::Pull => Connected::PullTcp(PullSocket::from_tcp(stream).await?),
        SocketKind::Req => Connected::ReqTcp(ReqSocket::from_tcp(stream).await?),
        _ => Connected::RepTcp(RepSocket::from_tcp(stream).await?),
    })
}

/// Makes a socket of `kind` over a unix stream.
async fn over_unix(kind: SocketKind, stream: UnixStream) -> io::Result<Connected> {
    Ok(match kind {
        SocketKind::Push => Connected::PushIpc(PushSocket::from_unix_stream(stream).await?),
        SocketKind::Pull => Connected::PullIpc(PullSocket::from_unix_stream(stream).await?),
        SocketKind::Req => Connected::ReqIpc(ReqSocket::from_unix_stream(stream).await?),
        _ => Connected::RepIpc(RepSocket::from_unix_stream(stream).await?),
    })
}

fn tcp_address(endpoint: &str) -> Result<SocketAddr> {
    endpoint
        .strip_prefix("tcp://")
        .and_then(|address| address.parse().ok())
        .ok_or_else(|| BenchError::Usage(format!("not a tcp or ipc endpoint: {endpoint}")))
}

impl Connected {
    async fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        let frame = Bytes::copy_from_slice(payload);
        match self {
            Connected::PushTcp(s) => s.send_one(frame).await,
            Connected::PushIpc(s) => s.send_one(frame).await,
            Connected::ReqTcp(s) => s.send_one(frame).await,
            Connected::ReqIpc(s) => s.send_one(frame).await,
            Connected::RepTcp(s) => s.send(vec![frame]).await,
            Connected::RepIpc(s) => s.send(vec![frame]).await,
            Connected::PullTcp(_) | Connected::PullIpc(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a PULL socket does not send",
            )),
        }
    }

    /// Receives one message into `out`; the size of its last part.
    async fn recv(&mut self, out: &mut Vec<Bytes>) -> io::Result<usize> {
        let received = match self {
            Connected::PullTcp(s) => s.recv_into(out).await?,
            Connected::PullIpc(s) => s.recv_into(out).await?,
            Connected::ReqTcp(s) => s.recv_into(out).await?,
            Connected::ReqIpc(s) => s.recv_into(out).await?,
            Connected::RepTcp(s) => s.recv_into(out).await?,
            Connected::RepIpc(s) => s.recv_into(out).await?,
            Connected::PushTcp(_) | Connected::PushIpc(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "a PUSH socket does not receive",
                ))
            }
        };
        if !received {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the connection",
            ));
        }
        Ok(out.last().map_or(0, Bytes::len))
    }
}

impl MonocoqueSocket {
    /// The connected socket, accepting the bound listener's peer first if need be.
    async fn connected(kind: SocketKind, state: &mut Option<State>) -> Result<&mut Connected> {
        if let Some(State::Bound(_)) = state {
            let Some(State::Bound(listener)) = state.take() else {
                unreachable!("the state was just seen bound");
            };
            let connected = match &listener {
                Listener::Tcp(tcp) => {
                    let (stream, _) = tcp.accept().await.map_err(failed("accept"))?;
                    over_tcp(kind, stream).await
                }
                Listener::Ipc(unix) => {
                    let stream = ipc::accept(unix.listener())
                        .await
                        .map_err(failed("accept"))?;
                    over_unix(kind, stream).await
                }
            }
            .map_err(failed("handshake"))?;
            *state = Some(State::Ready(Box::new(connected)));
        }
        match state {
            Some(State::Ready(connected)) => Ok(connected),
            _ => Err(unsupported("sending or receiving before bind or connect")),
        }
    }
}

impl Drop for MonocoqueSocket {
    fn drop(&mut self) {
        // Closing a stream goes through the runtime that owns it.
        let state = self.state.take();
        self.runtime.block_on(async move { drop(state) });
    }
}

impl BenchSocket for MonocoqueSocket {
    fn bind(&mut self, endpoint: &str) -> Result<String> {
        let (listener, bound) = self.runtime.block_on(async {
            if let Some(path) = ipc_file(endpoint) {
                let listener = ipc::bind(path).await.map_err(failed("bind"))?;
                Ok::<_, BenchError>((Listener::Ipc(listener), endpoint.to_string()))
            } else {
                let listener = TcpListener::bind(tcp_address(endpoint)?)
                    .await
                    .map_err(failed("bind"))?;
                let address = listener.local_addr().map_err(failed("bind"))?;
                Ok((Listener::Tcp(listener), format!("tcp://{address}")))
            }
        })?;
        self.state = Some(State::Bound(listener));
        Ok(bound)
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        let kind = self.kind;
        let connected = self.runtime.block_on(async {
            if let Some(path) = ipc_file(endpoint) {
                let stream = ipc::connect(path).await.map_err(failed("connect"))?;
                over_unix(kind, stream).await.map_err(failed("handshake"))
            } else {
                let stream = TcpStream::connect(tcp_address(endpoint)?)
                    .await
                    .map_err(failed("connect"))?;
                over_tcp(kind, stream).await.map_err(failed("handshake"))
            }
        })?;
        self.state = Some(State::Ready(Box::new(connected)));
        Ok(())
    }

    fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.send_many(payload, 1)
    }

    fn recv(&mut self) -> Result<usize> {
        let (kind, state, received) = (self.kind, &mut self.state, &mut self.received);
        self.runtime.block_on(async {
            let socket = Self::connected(kind, state).await?;
            socket.recv(received).await.map_err(failed("recv"))
        })
    }

    fn set_high_water_marks(&mut self, _messages: i32) -> Result<()> {
        Err(unsupported("SNDHWM and RCVHWM in this benchmark"))
    }

    fn subscribe_all(&mut self) -> Result<()> {
        Err(unsupported("subscribing on this socket type"))
    }

    fn send_many(&mut self, payload: &[u8], count: u64) -> Result<()> {
        let (kind, state) = (self.kind, &mut self.state);
        self.runtime.block_on(async {
            let socket = Self::connected(kind, state).await?;
            for _ in 0..count {
                socket.send(payload).await.map_err(failed("send"))?;
            }
            Ok(())
        })
    }

    fn recv_many(&mut self, count: u64, size: usize) -> Result<Instant> {
        let (kind, state, received) = (self.kind, &mut self.state, &mut self.received);
        self.runtime.block_on(async {
            let socket = Self::connected(kind, state).await?;
            expect_size(socket.recv(received).await.map_err(failed("recv"))?, size)?;
            let first = Instant::now();
            for _ in 1..count {
                expect_size(socket.recv(received).await.map_err(failed("recv"))?, size)?;
            }
            Ok(first)
        })
    }

    fn ask_many(&mut self, request: &[u8], count: u64) -> Result<()> {
        let (kind, state, received) = (self.kind, &mut self.state, &mut self.received);
        self.runtime.block_on(async {
            let socket = Self::connected(kind, state).await?;
            for _ in 0..count {
                socket.send(request).await.map_err(failed("send"))?;
                socket.recv(received).await.map_err(failed("recv"))?;
            }
            Ok(())
        })
    }

    fn answer_many(&mut self, reply: &[u8], count: u64) -> Result<()> {
        let (kind, state, received) = (self.kind, &mut self.state, &mut self.received);
        self.runtime.block_on(async {
            let socket = Self::connected(kind, state).await?;
            for _ in 0..count {
                socket.recv(received).await.map_err(failed("recv"))?;
                socket.send(reply).await.map_err(failed("send"))?;
            }
            Ok(())
        })
    }
}
