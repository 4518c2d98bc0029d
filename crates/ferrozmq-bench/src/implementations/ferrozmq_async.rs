//! ferrozmq's async API (`AsyncSocket`) behind the benchmark's socket trait: the async rows.
//!
//! The worker owns a multi-threaded tokio runtime, as the zeromq crate's worker does, and
//! runs each loop of a scenario as one future on it. ferrozmq needs no runtime of its own:
//! its I/O thread wakes the futures through their wakers.

use super::{expect_size, BenchSocket, Implementation, Library, SocketKind};
use crate::error::{BenchError, Result};
use ferrozmq::AsyncSocket;
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Runtime;

/// A ferrozmq context and the tokio runtime its async sockets are awaited on.
pub struct FerrozmqAsyncLibrary {
    context: ferrozmq::Context,
    runtime: Arc<Runtime>,
}

impl FerrozmqAsyncLibrary {
    /// A fresh context and runtime.
    pub fn new() -> Result<FerrozmqAsyncLibrary> {
        let runtime = Runtime::new().map_err(BenchError::io("starting the tokio runtime"))?;
        Ok(FerrozmqAsyncLibrary {
            context: ferrozmq::Context::new(),
            runtime: Arc::new(runtime),
        })
    }
}

fn failed(operation: &'static str) -> impl FnOnce(ferrozmq::Error) -> BenchError {
    move |error| BenchError::Socket {
        library: Implementation::FerrozmqAsync,
        operation,
        detail: error.to_string(),
    }
}

impl Library for FerrozmqAsyncLibrary {
    fn socket(&self, kind: SocketKind) -> Result<Box<dyn BenchSocket>> {
        let socket = super::ferrozmq::open(&self.context, kind).map_err(failed("socket"))?;
        Ok(Box::new(FerrozmqAsyncSocket {
            socket: socket.into_async(),
            runtime: Arc::clone(&self.runtime),
        }))
    }
}

struct FerrozmqAsyncSocket {
    socket: AsyncSocket,
    runtime: Arc<Runtime>,
}

/// Receives one whole message; the size of its last part.
async fn recv_whole(socket: &mut AsyncSocket) -> ferrozmq::Result<usize> {
    loop {
        let part = socket.recv().await?;
        if !part.more() {
            return Ok(part.len());
        }
    }
}

impl BenchSocket for FerrozmqAsyncSocket {
    fn bind(&mut self, endpoint: &str) -> Result<String> {
        super::ferrozmq::bind(&self.socket, endpoint).map_err(failed("bind"))
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.socket.connect(endpoint).map_err(failed("connect"))
    }

    fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.runtime
            .block_on(self.socket.send(payload))
            .map_err(failed("send"))
    }

    fn recv(&mut self) -> Result<usize> {
        self.runtime
            .block_on(recv_whole(&mut self.socket))
            .map_err(failed("recv"))
    }

    fn set_high_water_marks(&mut self, messages: i32) -> Result<()> {
        super::ferrozmq::set_high_water_marks(&self.socket, messages)
            .map_err(failed("set high-water marks"))
    }

    fn subscribe_all(&mut self) -> Result<()> {
        self.socket.subscribe(b"").map_err(failed("subscribe"))
    }

    fn send_many(&mut self, payload: &[u8], count: u64) -> Result<()> {
        let socket = &mut self.socket;
        self.runtime.block_on(async {
            for _ in 0..count {
                socket.send(payload).await.map_err(failed("send"))?;
            }
            Ok(())
        })
    }

    fn recv_many(&mut self, count: u64, size: usize) -> Result<Instant> {
        let socket = &mut self.socket;
        self.runtime.block_on(async {
            expect_size(recv_whole(socket).await.map_err(failed("recv"))?, size)?;
            let first = Instant::now();
            for _ in 1..count {
                expect_size(recv_whole(socket).await.map_err(failed("recv"))?, size)?;
            }
            Ok(first)
        })
    }

    fn ask_many(&mut self, request: &[u8], count: u64) -> Result<()> {
        let socket = &mut self.socket;
        self.runtime.block_on(async {
            for _ in 0..count {
                socket.send(request).await.map_err(failed("send"))?;
                recv_whole(socket).await.map_err(failed("recv"))?;
            }
            Ok(())
        })
    }

    fn answer_many(&mut self, reply: &[u8], count: u64) -> Result<()> {
        let socket = &mut self.socket;
        self.runtime.block_on(async {
            for _ in 0..count {
                recv_whole(socket).await.map_err(failed("recv"))?;
                socket.send(reply).await.map_err(failed("send"))?;
            }
            Ok(())
        })
    }
}
