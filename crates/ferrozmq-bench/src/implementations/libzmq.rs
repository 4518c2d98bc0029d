//! libzmq, through the `zmq` crate, behind the benchmark's socket trait.

use super::{BenchSocket, Implementation, Library, SocketKind};
use crate::error::{BenchError, Result};

/// A libzmq context with its default single I/O thread.
pub struct LibzmqLibrary {
    context: zmq::Context,
}

impl LibzmqLibrary {
    /// A fresh context.
    pub fn new() -> LibzmqLibrary {
        LibzmqLibrary {
            context: zmq::Context::new(),
        }
    }
}

fn failed(operation: &'static str) -> impl FnOnce(zmq::Error) -> BenchError {
    move |error| BenchError::Socket {
        library: Implementation::Libzmq,
        operation,
        detail: error.to_string(),
    }
}

impl Library for LibzmqLibrary {
    fn socket(&self, kind: SocketKind) -> Result<Box<dyn BenchSocket>> {
        let socket_type = match kind {
            SocketKind::Push => zmq::PUSH,
            SocketKind::Pull => zmq::PULL,
            SocketKind::Req => zmq::REQ,
            SocketKind::Rep => zmq::REP,
            SocketKind::Pub => zmq::PUB,
            SocketKind::Sub => zmq::SUB,
            SocketKind::Router => zmq::ROUTER,
        };
        let socket = self.context.socket(socket_type).map_err(failed("socket"))?;
        socket.set_linger(0).map_err(failed("set linger"))?;
        Ok(Box::new(LibzmqSocket {
            socket,
            received: zmq::Message::new(),
        }))
    }
}

struct LibzmqSocket {
    socket: zmq::Socket,
    /// Reused for every receive, as libzmq's own tools do, so that a receive costs no
    /// allocation of the binding's making.
    received: zmq::Message,
}

impl BenchSocket for LibzmqSocket {
    fn bind(&mut self, endpoint: &str) -> Result<String> {
        self.socket.bind(endpoint).map_err(failed("bind"))?;
        match self
            .socket
            .get_last_endpoint()
            .map_err(failed("last endpoint"))?
        {
            Ok(bound) => Ok(bound),
            Err(_) => Ok(endpoint.to_string()),
        }
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.socket.connect(endpoint).map_err(failed("connect"))
    }

    fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.socket.send(payload, 0).map_err(failed("send"))
    }

    fn recv(&mut self) -> Result<usize> {
        loop {
            self.socket
                .recv(&mut self.received, 0)
                .map_err(failed("recv"))?;
            if !self.received.get_more() {
                return Ok(self.received.len());
            }
        }
    }

    fn set_high_water_marks(&mut self, messages: i32) -> Result<()> {
        self.socket
            .set_sndhwm(messages)
            .map_err(failed("set SNDHWM"))?;
        self.socket
            .set_rcvhwm(messages)
            .map_err(failed("set RCVHWM"))
    }

    fn subscribe_all(&mut self) -> Result<()> {
        self.socket.set_subscribe(b"").map_err(failed("subscribe"))
    }
}
