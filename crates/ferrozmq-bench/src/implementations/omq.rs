//! omq (crate `omq-tokio`) behind the benchmark's socket trait.
//!
//! omq's blocking API, as its own blocking benchmark peer uses it: a `Context` owns one
//! I/O thread (a current-thread tokio runtime, libzmq's default shape), and `send` and
//! `recv` block the application thread. Options are given when a socket is made, so a
//! socket is made on its first bind or connect, after the high-water marks were set.

use super::{BenchSocket, Implementation, Library, SocketKind};
use crate::error::{BenchError, Result};
use omq_tokio::{blocking, Message, Options, SocketType};

/// An omq context with its default single I/O thread.
pub struct OmqLibrary {
    context: omq_tokio::Context,
}

impl OmqLibrary {
    /// A fresh context.
    pub fn new() -> OmqLibrary {
        OmqLibrary {
            context: omq_tokio::Context::new(),
        }
    }
}

fn failed(operation: &'static str) -> impl FnOnce(omq_tokio::Error) -> BenchError {
    move |error| BenchError::Socket {
        library: Implementation::Omq,
        operation,
        detail: error.to_string(),
    }
}

impl Library for OmqLibrary {
    fn socket(&self, kind: SocketKind) -> Result<Box<dyn BenchSocket>> {
        let socket_type = match kind {
            SocketKind::Push => SocketType::Push,
            SocketKind::Pull => SocketType::Pull,
            SocketKind::Req => SocketType::Req,
            SocketKind::Rep => SocketType::Rep,
            SocketKind::Pub => SocketType::Pub,
            SocketKind::Sub => SocketType::Sub,
            SocketKind::Router => SocketType::Router,
        };
        Ok(Box::new(OmqSocket {
            context: self.context.clone(),
            socket_type,
            // omq's defaults, linger 0 among them.
            options: Options::default(),
            socket: None,
            subscribe_all: false,
        }))
    }
}

struct OmqSocket {
    context: omq_tokio::Context,
    socket_type: SocketType,
    options: Options,
    /// Made by the first bind or connect.
    socket: Option<blocking::Socket>,
    /// A subscription asked for before the socket was made.
    subscribe_all: bool,
}

impl OmqSocket {
    /// The socket, made now with the options set so far if it does not exist yet.
    fn made(&mut self) -> Result<&blocking::Socket> {
        if self.socket.is_none() {
            let socket = self
                .context
                .blocking_socket(self.socket_type, self.options.clone());
            if self.subscribe_all {
                socket.subscribe(&b""[..]).map_err(failed("subscribe"))?;
            }
            self.socket = Some(socket);
        }
        self.socket.as_ref().ok_or(BenchError::Unsupported {
            library: Implementation::Omq,
            feature: "a socket that could not be made",
        })
    }

    fn ready(&self) -> Result<&blocking::Socket> {
        self.socket.as_ref().ok_or(BenchError::Unsupported {
            library: Implementation::Omq,
            feature: "sending or receiving before bind or connect",
        })
    }
}

impl BenchSocket for OmqSocket {
    fn bind(&mut self, endpoint: &str) -> Result<String> {
        let bound = self.made()?.bind(endpoint).map_err(failed("bind"))?;
        Ok(bound.to_string())
    }

    fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.made()?.connect(endpoint).map_err(failed("connect"))
    }

    fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.ready()?
            .send(Message::from_slice(payload))
            .map_err(failed("send"))
    }

    fn recv(&mut self) -> Result<usize> {
        let message = self.ready()?.recv().map_err(failed("recv"))?;
        let last = message.len().saturating_sub(1);
        Ok(message.part_slice(last).map_or(0, <[u8]>::len))
    }

    fn set_high_water_marks(&mut self, messages: i32) -> Result<()> {
        // omq has no "no limit": 0 gives a queue of one, and queues are allocated whole.
        let messages = u32::try_from(messages)
            .ok()
            .filter(|&messages| messages > 0)
            .ok_or(BenchError::Unsupported {
                library: Implementation::Omq,
                feature: "SNDHWM and RCVHWM of 0 (no limit)",
            })?;
        self.options = self.options.clone().send_hwm(messages).recv_hwm(messages);
        Ok(())
    }

    fn subscribe_all(&mut self) -> Result<()> {
        match &self.socket {
            Some(socket) => socket.subscribe(&b""[..]).map_err(failed("subscribe")),
            None => {
                self.subscribe_all = true;
                Ok(())
            }
        }
    }
}
