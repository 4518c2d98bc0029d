//! ferrozmq behind the benchmark's socket trait.

use super::{BenchSocket, Implementation, Library, SocketKind};
use crate::error::{BenchError, Result};

/// A ferrozmq context with its default single I/O thread, as libzmq's.
pub struct FerrozmqLibrary {
    context: ferrozmq::Context,
}

impl FerrozmqLibrary {
    /// A fresh context.
    pub fn new() -> FerrozmqLibrary {
        FerrozmqLibrary {
            context: ferrozmq::Context::new(),
        }
    }
}

fn failed(operation: &'static str) -> impl FnOnce(ferrozmq::Error) -> BenchError {
    move |error| BenchError::Socket {
        library: Implementation::Ferrozmq,
        operation,
        detail: error.to_string(),
    }
}

impl Library for FerrozmqLibrary {
    fn socket(&self, kind: SocketKind) -> Result<Box<dyn BenchSocket>> {
        let socket = open(&self.context, kind).map_err(failed("socket"))?;
        Ok(Box::new(FerrozmqSocket { socket }))
    }
}

/// A socket of `kind` with linger 0; the async rows share it.
pub(super) fn open(
    context: &ferrozmq::Context,
    kind: SocketKind,
) -> ferrozmq::Result<ferrozmq::Socket> {
    let socket_type = match kind {
        SocketKind::Push => ferrozmq::PUSH,
        SocketKind::Pull => ferrozmq::PULL,
        SocketKind::Req => ferrozmq::REQ,
        SocketKind::Rep => ferrozmq::REP,
        SocketKind::Pub => ferrozmq::PUB,
        SocketKind::Sub => ferrozmq::SUB,
        SocketKind::Router => ferrozmq::ROUTER,
    };
    let socket = context.socket(socket_type)?;
    socket
        .options()
        .set_linger(Some(std::time::Duration::ZERO))?;
    Ok(socket)
}

/// Binds and returns the endpoint bound (the ephemeral port filled in).
pub(super) fn bind(socket: &ferrozmq::Socket, endpoint: &str) -> ferrozmq::Result<String> {
    socket.bind(endpoint)
}

/// Sets SNDHWM and RCVHWM.
pub(super) fn set_high_water_marks(
    socket: &ferrozmq::Socket,
    messages: i32,
) -> ferrozmq::Result<()> {
    let messages = u32::try_from(messages)
        .map_err(|_| ferrozmq::Error::InvalidArgument("a high-water mark is 0 or more"))?;
    socket.options().set_sndhwm(messages)?;
    socket.options().set_rcvhwm(messages)
}

struct FerrozmqSocket {
    socket: ferrozmq::Socket,
}

impl BenchSocket for FerrozmqSocket {
    fn bind(&mut self, endpoint: &str) -> Result<String> {
        bind(&self.socket, endpoint).map_err(failed("bind"))
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.socket.connect(endpoint).map_err(failed("connect"))
    }

    fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.socket.send(payload).map_err(failed("send"))
    }

    fn recv(&mut self) -> Result<usize> {
        loop {
            let part = self.socket.recv().map_err(failed("recv"))?;
            if !part.more() {
                return Ok(part.len());
            }
        }
    }

    fn set_high_water_marks(&mut self, messages: i32) -> Result<()> {
        set_high_water_marks(&self.socket, messages).map_err(failed("set high-water marks"))
    }

    fn subscribe_all(&mut self) -> Result<()> {
        self.socket.subscribe(b"").map_err(failed("subscribe"))
    }
}
