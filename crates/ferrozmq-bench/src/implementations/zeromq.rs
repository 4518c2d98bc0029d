//! The `zeromq` crate (zmq.rs) behind the benchmark's socket trait.
//!
//! zmq.rs is async only. Each worker owns one multi-threaded tokio runtime (a worker per
//! core, tokio's default) and runs each loop of a scenario as one future on it, as an
//! async application would (set-up calls block on the runtime one at a time). The crate
//! has no in-process transport and no high-water-mark options.

use super::{expect_size, BenchSocket, Implementation, Library, SocketKind};
use crate::error::{BenchError, Result};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Runtime;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

/// A tokio runtime on which every socket of the worker runs.
pub struct ZeromqLibrary {
    runtime: Arc<Runtime>,
}

impl ZeromqLibrary {
    /// A fresh runtime.
    pub fn new() -> Result<ZeromqLibrary> {
        let runtime = Runtime::new().map_err(BenchError::io("starting the tokio runtime"))?;
        Ok(ZeromqLibrary {
            runtime: Arc::new(runtime),
        })
    }
}

fn failed(operation: &'static str) -> impl FnOnce(zeromq::ZmqError) -> BenchError {
    move |error| BenchError::Socket {
        library: Implementation::Zeromq,
        operation,
        detail: error.to_string(),
    }
}

fn unsupported(feature: &'static str) -> BenchError {
    BenchError::Unsupported {
        library: Implementation::Zeromq,
        feature,
    }
}

impl Library for ZeromqLibrary {
    fn socket(&self, kind: SocketKind) -> Result<Box<dyn BenchSocket>> {
        // Sockets start background tasks when they bind or connect, and look for the
        // runtime when they are made.
        let _inside = self.runtime.enter();
        let socket = match kind {
            SocketKind::Push => AnySocket::Push(zeromq::PushSocket::new()),
            SocketKind::Pull => AnySocket::Pull(zeromq::PullSocket::new()),
            SocketKind::Req => AnySocket::Req(zeromq::ReqSocket::new()),
            SocketKind::Rep => AnySocket::Rep(zeromq::RepSocket::new()),
            SocketKind::Pub => AnySocket::Pub(zeromq::PubSocket::new()),
            SocketKind::Sub => AnySocket::Sub(zeromq::SubSocket::new()),
            SocketKind::Router => AnySocket::Router(zeromq::RouterSocket::new()),
        };
        Ok(Box::new(ZeromqSocket {
            runtime: Arc::clone(&self.runtime),
            socket: Some(socket),
        }))
    }
}

/// zmq.rs has one type per socket kind and no common object-safe trait over them.
enum AnySocket {
    Push(zeromq::PushSocket),
    Pull(zeromq::PullSocket),
    Req(zeromq::ReqSocket),
    Rep(zeromq::RepSocket),
    Pub(zeromq::PubSocket),
    Sub(zeromq::SubSocket),
    Router(zeromq::RouterSocket),
}

struct ZeromqSocket {
    runtime: Arc<Runtime>,
    /// Taken out only by `Drop`, which must drop it inside the runtime.
    socket: Option<AnySocket>,
}

impl ZeromqSocket {
    fn socket(&mut self) -> &mut AnySocket {
        self.socket
            .as_mut()
            .expect("the socket is only taken out when dropped")
    }
}

impl Drop for ZeromqSocket {
    fn drop(&mut self) {
        let _inside = self.runtime.enter();
        self.socket.take();
    }
}

async fn bind<S: Socket>(socket: &mut S, endpoint: &str) -> zeromq::ZmqResult<String> {
    Ok(socket.bind(endpoint).await?.to_string())
}

async fn connect<S: Socket>(socket: &mut S, endpoint: &str) -> zeromq::ZmqResult<()> {
    socket.connect(endpoint).await
}

async fn send<S: SocketSend>(socket: &mut S, payload: &[u8]) -> zeromq::ZmqResult<()> {
    socket
        .send(ZmqMessage::from(Bytes::copy_from_slice(payload)))
        .await
}

async fn recv<S: SocketRecv>(socket: &mut S) -> zeromq::ZmqResult<usize> {
    let message = socket.recv().await?;
    Ok(message.iter().last().map_or(0, Bytes::len))
}

async fn send_many<S: SocketSend>(
    socket: &mut S,
    payload: &[u8],
    count: u64,
) -> zeromq::ZmqResult<()> {
    for _ in 0..count {
        send(socket, payload).await?;
    }
    Ok(())
}

/// Receives `count` messages (at least one) of `size` bytes; when the first arrived.
async fn recv_many<S: SocketRecv>(socket: &mut S, count: u64, size: usize) -> Result<Instant> {
    expect_size(recv(socket).await.map_err(failed("recv"))?, size)?;
    let first = Instant::now();
    for _ in 1..count {
        expect_size(recv(socket).await.map_err(failed("recv"))?, size)?;
    }
    Ok(first)
}

async fn ask_many<S: SocketSend + SocketRecv>(
    socket: &mut S,
    request: &[u8],
    count: u64,
) -> zeromq::ZmqResult<()> {
    for _ in 0..count {
        send(socket, request).await?;
        recv(socket).await?;
    }
    Ok(())
}

async fn answer_many<S: SocketSend + SocketRecv>(
    socket: &mut S,
    reply: &[u8],
    count: u64,
) -> zeromq::ZmqResult<()> {
    for _ in 0..count {
        recv(socket).await?;
        send(socket, reply).await?;
    }
    Ok(())
}

impl BenchSocket for ZeromqSocket {
    fn bind(&mut self, endpoint: &str) -> Result<String> {
        let runtime = Arc::clone(&self.runtime);
        let bound = match self.socket() {
            AnySocket::Push(s) => runtime.block_on(bind(s, endpoint)),
            AnySocket::Pull(s) => runtime.block_on(bind(s, endpoint)),
            AnySocket::Req(s) => runtime.block_on(bind(s, endpoint)),
            AnySocket::Rep(s) => runtime.block_on(bind(s, endpoint)),
            AnySocket::Pub(s) => runtime.block_on(bind(s, endpoint)),
            AnySocket::Sub(s) => runtime.block_on(bind(s, endpoint)),
            AnySocket::Router(s) => runtime.block_on(bind(s, endpoint)),
        };
        bound.map_err(failed("bind"))
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        let runtime = Arc::clone(&self.runtime);
        let connected = match self.socket() {
            AnySocket::Push(s) => runtime.block_on(connect(s, endpoint)),
            AnySocket::Pull(s) => runtime.block_on(connect(s, endpoint)),
            AnySocket::Req(s) => runtime.block_on(connect(s, endpoint)),
            AnySocket::Rep(s) => runtime.block_on(connect(s, endpoint)),
            AnySocket::Pub(s) => runtime.block_on(connect(s, endpoint)),
            AnySocket::Sub(s) => runtime.block_on(connect(s, endpoint)),
            AnySocket::Router(s) => runtime.block_on(connect(s, endpoint)),
        };
        connected.map_err(failed("connect"))
    }

    fn send(&mut self, payload: &[u8]) -> Result<()> {
        let runtime = Arc::clone(&self.runtime);
        let sent = match self.socket() {
            AnySocket::Push(s) => runtime.block_on(send(s, payload)),
            AnySocket::Req(s) => runtime.block_on(send(s, payload)),
            AnySocket::Rep(s) => runtime.block_on(send(s, payload)),
            AnySocket::Pub(s) => runtime.block_on(send(s, payload)),
            AnySocket::Router(s) => runtime.block_on(send(s, payload)),
            AnySocket::Pull(_) | AnySocket::Sub(_) => {
                return Err(unsupported("sending on this socket type"))
            }
        };
        sent.map_err(failed("send"))
    }

    fn recv(&mut self) -> Result<usize> {
        let runtime = Arc::clone(&self.runtime);
        let received = match self.socket() {
            AnySocket::Pull(s) => runtime.block_on(recv(s)),
            AnySocket::Req(s) => runtime.block_on(recv(s)),
            AnySocket::Rep(s) => runtime.block_on(recv(s)),
            AnySocket::Sub(s) => runtime.block_on(recv(s)),
            AnySocket::Router(s) => runtime.block_on(recv(s)),
            AnySocket::Push(_) | AnySocket::Pub(_) => {
                return Err(unsupported("receiving on this socket type"))
            }
        };
        received.map_err(failed("recv"))
    }

    fn set_high_water_marks(&mut self, _messages: i32) -> Result<()> {
        Err(unsupported("SNDHWM and RCVHWM"))
    }

    fn subscribe_all(&mut self) -> Result<()> {
        let runtime = Arc::clone(&self.runtime);
        match self.socket() {
            AnySocket::Sub(s) => runtime
                .block_on(s.subscribe(""))
                .map_err(failed("subscribe")),
            _ => Err(unsupported("subscribing on this socket type")),
        }
    }

    fn send_many(&mut self, payload: &[u8], count: u64) -> Result<()> {
        let runtime = Arc::clone(&self.runtime);
        let sent = match self.socket() {
            AnySocket::Push(s) => runtime.block_on(send_many(s, payload, count)),
            AnySocket::Pub(s) => runtime.block_on(send_many(s, payload, count)),
            AnySocket::Router(s) => runtime.block_on(send_many(s, payload, count)),
            _ => return Err(unsupported("bulk sending on this socket type")),
        };
        sent.map_err(failed("send"))
    }

    fn recv_many(&mut self, count: u64, size: usize) -> Result<Instant> {
        let runtime = Arc::clone(&self.runtime);
        match self.socket() {
            AnySocket::Pull(s) => runtime.block_on(recv_many(s, count, size)),
            AnySocket::Sub(s) => runtime.block_on(recv_many(s, count, size)),
            AnySocket::Router(s) => runtime.block_on(recv_many(s, count, size)),
            _ => Err(unsupported("bulk receiving on this socket type")),
        }
    }

    fn ask_many(&mut self, request: &[u8], count: u64) -> Result<()> {
        let runtime = Arc::clone(&self.runtime);
        match self.socket() {
            AnySocket::Req(s) => runtime
                .block_on(ask_many(s, request, count))
                .map_err(failed("round trip")),
            _ => Err(unsupported("requests on this socket type")),
        }
    }

    fn answer_many(&mut self, reply: &[u8], count: u64) -> Result<()> {
        let runtime = Arc::clone(&self.runtime);
        match self.socket() {
            AnySocket::Rep(s) => runtime
                .block_on(answer_many(s, reply, count))
                .map_err(failed("reply")),
            _ => Err(unsupported("replies on this socket type")),
        }
    }
}
