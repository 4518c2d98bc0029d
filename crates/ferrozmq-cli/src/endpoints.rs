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

    /// Why binding or connecting failed, in words that name the endpoint once and say
    /// what to change.
    fn attach_failed(&self, e: Error) -> CliError {
        let address = &self.address;
        let (verb, bind) = match self.side {
            Side::Bind => ("bind to", true),
            Side::Connect => ("connect to", false),
        };
        match e {
            // A malformed endpoint is a mistake on the command line.
            Error::InvalidEndpoint(_) => CliError::usage(format!(
                "invalid endpoint '{address}': {}",
                malformed(address, bind)
            )),
            Error::ProtocolNotSupported(_) => CliError::usage(format!(
                "cannot {verb} '{address}': {}",
                unsupported_transport(address)
            )),
            Error::AddrInUse(_) => CliError::failed(format!(
                "cannot bind to {address}: the address is already in use (by another \
                 program, or another socket)"
            )),
            Error::AddrNotAvailable(_) => {
                let host = host_of(address).unwrap_or_default();
                let why = if host.parse::<std::net::IpAddr>().is_err() {
                    format!("the host name '{host}' does not resolve")
                } else if bind {
                    format!("{host} is not an address of this machine")
                } else {
                    format!("the address {host} is not available")
                };
                CliError::failed(format!("cannot {verb} {address}: {why}"))
            }
            e => CliError::failed(format!("cannot {verb} {address}: {e}")),
        }
    }
}

/// The host of a tcp or udp address, without brackets.
fn host_of(address: &str) -> Option<&str> {
    let (_, rest) = address.split_once("://")?;
    let (host, _) = rest.rsplit_once(':')?;
    Some(host.trim_start_matches('[').trim_end_matches(']'))
}

/// What is wrong with an endpoint the library found malformed.
fn malformed(address: &str, bind: bool) -> String {
    let Some((transport, rest)) = address.split_once("://") else {
        return "an endpoint is TRANSPORT://ADDRESS, such as tcp://127.0.0.1:5555 or \
                ipc:///tmp/feed"
            .to_owned();
    };
    if !matches!(transport, "tcp" | "udp") {
        return format!("{transport}:// needs a name after it, such as {transport}://feed");
    }
    let Some((host, port)) = rest.rsplit_once(':') else {
        return format!("no port: write {transport}://HOST:PORT, such as {transport}://*:5555");
    };
    if host.is_empty() {
        return "no host: use * (every interface) to bind, or a name or an address".to_owned();
    }
    if host.contains(';') {
        return "a source address (SOURCE;HOST:PORT) is not supported".to_owned();
    }
    if host.starts_with('[') != host.ends_with(']') {
        return "an IPv6 address goes in brackets, such as [::1]:5555".to_owned();
    }
    if host == "*" && !bind {
        return "a connect needs a host name or address (* is for binding)".to_owned();
    }
    match port {
        "*" | "0" if !bind => "a connect needs a port number (* and 0 are for binding)".to_owned(),
        "" => "no port after the ':'".to_owned(),
        port if port.bytes().all(|b| b.is_ascii_digit()) => {
            format!("port {port} is out of range: 1 to 65535, or * for any free port")
        }
        port if port != "*" => format!("the port '{port}' is not a number (1 to 65535, or *)"),
        _ => "it is not an address this socket can use".to_owned(),
    }
}

/// Why a transport was refused.
fn unsupported_transport(address: &str) -> String {
    match address.split_once("://") {
        Some(("udp", _)) => "udp is only for a radio to connect and a dish to bind".to_owned(),
        Some((transport, _)) => {
            format!("unknown transport '{transport}' (tcp, ipc, inproc; udp for radio and dish)")
        }
        None => "an endpoint is TRANSPORT://ADDRESS, such as tcp://127.0.0.1:5555".to_owned(),
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

    #[test]
    fn malformed_endpoints_say_what_is_wrong() {
        let cases = [
            ("tcp://*:99999", true, "port 99999 is out of range"),
            ("tcp://127.0.0.1:notaport", false, "not a number"),
            ("tcp://127.0.0.1", false, "no port"),
            ("tcp://127.0.0.1:", false, "no port after"),
            ("tcp://*:5555", false, "* is for binding"),
            ("tcp://localhost:*", false, "needs a port number"),
            ("tcp://:5555", true, "no host"),
            ("nothing", true, "TRANSPORT://ADDRESS"),
            ("ipc://", true, "needs a name"),
        ];
        for (address, bind, why) in cases {
            let said = malformed(address, bind);
            assert!(said.contains(why), "{address}: {said}");
        }
    }
}
