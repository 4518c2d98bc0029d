//! Endpoints as written on the command line: `@` binds, `>` connects, and a bare endpoint
//! takes the side its socket type usually takes (see [`usual_side`]), as CZMQ does.

use crate::error::CliError;
use crate::role::usual_side;
use ferrozmq::{Error, Socket, SocketType};

/// Whether a socket makes or accepts the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Accept connections (`@`).
    Bind,
    /// Make a connection (`>`).
    Connect,
}

/// One endpoint and the side to take on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Bind or connect.
    pub side: Side,
    /// The address proper, such as `tcp://127.0.0.1:5555`.
    pub address: String,
}

impl Endpoint {
    /// Reads `text` for a socket of type `socket_type`.
    pub fn parse(text: &str, socket_type: SocketType) -> Result<Endpoint, CliError> {
        let (side, address) = if let Some(address) = text.strip_prefix('@') {
            (Side::Bind, address)
        } else if let Some(address) = text.strip_prefix('>') {
            (Side::Connect, address)
        } else {
            (usual_side(socket_type), text)
        };
        if address.is_empty() {
            return Err(CliError::usage(format!(
                "endpoint '{text}' has no address after its '@' or '>'"
            )));
        }
        Ok(Endpoint {
            side,
            address: address.to_string(),
        })
    }

    /// Binds or connects `socket` to this endpoint.
    pub fn attach(&self, socket: &Socket) -> Result<(), CliError> {
        let result = match self.side {
            Side::Bind => socket.bind(&self.address).map(drop),
            Side::Connect => socket.connect(&self.address),
        };
        result.map_err(|e| self.attach_failed(e))
    }

    /// Binds or connects a PEER socket to this endpoint; a connection gives the routing id
    /// the peer at the other end will have, so that it can be spoken to first.
    pub fn attach_peer(&self, socket: &Socket) -> Result<Option<u32>, CliError> {
        let result = match self.side {
            Side::Bind => socket.bind(&self.address).map(|_| None),
            Side::Connect => socket.connect_peer(&self.address).map(Some),
        };
        result.map_err(|e| self.attach_failed(e))
    }

    fn attach_failed(&self, e: Error) -> CliError {
        match e {
            // A malformed endpoint is a mistake on the command line.
            Error::InvalidEndpoint(_) | Error::ProtocolNotSupported(_) => {
                CliError::usage(e.to_string())
            }
            _ => {
                let verb = match self.side {
                    Side::Bind => "bind to",
                    Side::Connect => "connect to",
                };
                CliError::failed(format!("cannot {verb} {}: {e}", self.address))
            }
        }
    }
}

/// Binds or connects `socket` to every endpoint, in order.
pub fn attach_all(socket: &Socket, endpoints: &[Endpoint]) -> Result<(), CliError> {
    endpoints
        .iter()
        .try_for_each(|endpoint| endpoint.attach(socket))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, socket_type: SocketType) -> Endpoint {
        match Endpoint::parse(text, socket_type) {
            Ok(endpoint) => endpoint,
            Err(e) => panic!("{text}: {e:?}"),
        }
    }

    #[test]
    fn prefixes_choose_the_side() {
        let bind = parse("@tcp://*:5555", SocketType::Req);
        assert_eq!(bind.side, Side::Bind);
        assert_eq!(bind.address, "tcp://*:5555");
        let connect = parse(">tcp://localhost:5555", SocketType::Rep);
        assert_eq!(connect.side, Side::Connect);
        assert_eq!(connect.address, "tcp://localhost:5555");
    }

    #[test]
    fn bare_endpoints_take_the_usual_side() {
        let binding = [
            SocketType::Rep,
            SocketType::Pub,
            SocketType::Pull,
            SocketType::Server,
            SocketType::Gather,
            SocketType::Dish,
        ];
        for t in binding {
            assert_eq!(parse("tcp://*:1", t).side, Side::Bind, "{t}");
        }
        let connecting = [
            SocketType::Req,
            SocketType::Sub,
            SocketType::Push,
            SocketType::Client,
            SocketType::Scatter,
            SocketType::Radio,
            SocketType::Peer,
            SocketType::Channel,
        ];
        for t in connecting {
            assert_eq!(parse("tcp://h:1", t).side, Side::Connect, "{t}");
        }
    }

    #[test]
    fn a_lone_prefix_is_a_usage_error() {
        for text in ["@", ">"] {
            assert!(matches!(
                Endpoint::parse(text, SocketType::Req),
                Err(CliError::Usage(_))
            ));
        }
    }
}
