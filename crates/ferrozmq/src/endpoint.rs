//! Endpoint strings: `tcp://host:port`, `ipc://path`, `inproc://name`, `udp://host:port`,
//! `ws://host:port/path`, `wss://host:port/path`;
//! a tcp connect may name the local address it connects from, `tcp://source;host:port`.

use crate::error::{Error, Result};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// A parsed endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `tcp://host:port`; `host` may be `*` (every interface) and `port` `*` or `0`
    /// (ephemeral), when binding.
    Tcp {
        /// Host name, address literal (IPv6 without brackets) or `*`.
        host: String,
        /// `None` for `*` or `0`.
        port: Option<u16>,
        /// The `source;` of a connect as written (`host:port`, the host an address, a name
        /// or an interface, the port `*` or `0` for any): the local address the connection
        /// comes from. A bind takes none.
        source: Option<String>,
    },
    /// `ipc://path`, `ipc://@abstract-name` or `ipc://*` (a fresh path, when binding).
    Ipc(String),
    /// `inproc://name`.
    Inproc(String),
    /// `ws://host:port/path` (ZWS 2.0 over tcp), or `wss://` (over TLS over tcp); host
    /// and port as for [`Endpoint::Tcp`], the path `/` when none is given.
    Ws {
        /// `wss://`: TLS under the WebSocket.
        secure: bool,
        /// Host name, address literal (IPv6 without brackets) or `*`.
        host: String,
        /// `None` for `*` or `0`.
        port: Option<u16>,
        /// The request target the client sends.
        path: String,
    },
    /// `udp://host:port`, for RADIO and DISH; the host may be a multicast group. Host and
    /// port as for [`Endpoint::Tcp`].
    Udp {
        /// Host name, address literal (IPv6 without brackets) or `*`.
        host: String,
        /// `None` for `*` or `0`.
        port: Option<u16>,
    },
}

impl Endpoint {
    /// Parses an endpoint string.
    pub(crate) fn parse(text: &str) -> Result<Endpoint> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| Error::InvalidEndpoint(text.to_string()))?;
        match scheme {
            "tcp" => {
                let (source, rest) = match rest.split_once(';') {
                    Some((source, destination)) => {
                        host_and_port(source, text)?;
                        (Some(source.to_string()), destination)
                    }
                    None => (None, rest),
                };
                let (host, port) = host_and_port(rest, text)?;
                Ok(Endpoint::Tcp { host, port, source })
            }
            "udp" => {
                let (host, port) = host_and_port(rest, text)?;
                Ok(Endpoint::Udp { host, port })
            }
            "ws" | "wss" => {
                let (address, path) = match rest.find('/') {
                    Some(at) => rest.split_at(at),
                    None => (rest, "/"),
                };
                let (host, port) = host_and_port(address, text)?;
                let path = path.to_string();
                Ok(Endpoint::Ws {
                    secure: scheme == "wss",
                    host,
                    port,
                    path,
                })
            }
            "ipc" if !rest.is_empty() => Ok(Endpoint::Ipc(rest.to_string())),
            "inproc" if !rest.is_empty() => Ok(Endpoint::Inproc(rest.to_string())),
            "ipc" | "inproc" => Err(Error::InvalidEndpoint(text.to_string())),
            _ => Err(Error::ProtocolNotSupported(text.to_string())),
        }
    }

    /// The addresses to listen on for a tcp or udp bind.
    pub(crate) fn bind_addr(host: &str, port: Option<u16>, ipv6: bool) -> Result<SocketAddr> {
        let port = port.unwrap_or(0);
        if host == "*" {
            let ip = if ipv6 {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            } else {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            };
            return Ok(SocketAddr::new(ip, port));
        }
        resolve(host, port, ipv6)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::AddrNotAvailable(host.to_string()))
    }

    /// The addresses to try, in order, for a tcp connect (a udp sender takes the first).
    pub(crate) fn connect_addrs(&self, ipv6: bool) -> Result<Vec<SocketAddr>> {
        let (Endpoint::Tcp { host, port, .. } | Endpoint::Udp { host, port }) = self else {
            return Err(Error::InvalidEndpoint(self.to_string()));
        };
        // A connect needs a definite host and port.
        let port = port.ok_or_else(|| Error::InvalidEndpoint(self.to_string()))?;
        if host == "*" {
            return Err(Error::InvalidEndpoint(self.to_string()));
        }
        let addrs = resolve(host, port, ipv6)?;
        if addrs.is_empty() {
            return Err(Error::AddrNotAvailable(host.to_string()));
        }
        Ok(addrs)
    }

    /// The local address a tcp connect comes from, when the endpoint names one: an
    /// address, a host name, or a network interface's first address (`lo`, `eth0`).
    pub(crate) fn source_addr(&self, ipv6: bool) -> Result<Option<SocketAddr>> {
        let Endpoint::Tcp {
            source: Some(source),
            ..
        } = self
        else {
            return Ok(None);
        };
        let (host, port) = host_and_port(source, &self.to_string())?;
        if let Some(ip) = crate::sys::interface_address(&host, ipv6) {
            return Ok(Some(SocketAddr::new(ip, port.unwrap_or(0))));
        }
        Endpoint::bind_addr(&host, port, ipv6).map(Some)
    }
}

/// Splits the `host:port` of a tcp or udp endpoint (`text` is the whole endpoint, for errors).
fn host_and_port(rest: &str, text: &str) -> Result<(String, Option<u16>)> {
    let invalid = || Error::InvalidEndpoint(text.to_string());
    let (host, port) = rest.rsplit_once(':').ok_or_else(invalid)?;
    if host.contains(';') {
        // One `source;` at most.
        return Err(invalid());
    }
    let host = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.strip_suffix(']').ok_or_else(invalid)?,
        None => host,
    };
    if host.is_empty() || host.contains(['[', ']']) {
        return Err(invalid());
    }
    let port = match port {
        "*" | "0" => None,
        p => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(invalid)?,
        ),
    };
    Ok((host.to_string(), port))
}

/// Resolves a host: literals as they are, names through the system resolver. IPv6 results
/// of a name are used only with the IPv6 option (as in libzmq), and come after IPv4 ones.
fn resolve(host: &str, port: u16, ipv6: bool) -> Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let mut addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| Error::AddrNotAvailable(host.to_string()))?
        .filter(|a| ipv6 || a.is_ipv4())
        .collect();
    addrs.sort_by_key(|a| a.is_ipv6());
    addrs.dedup();
    Ok(addrs)
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp {
                host,
                port,
                source: None,
            } => write_host_and_port(f, "tcp", host, *port),
            Endpoint::Tcp {
                host,
                port,
                source: Some(source),
            } => {
                write!(f, "tcp://{source};")?;
                let text = Endpoint::Tcp {
                    host: host.clone(),
                    port: *port,
                    source: None,
                }
                .to_string();
                f.write_str(&text["tcp://".len()..])
            }
            Endpoint::Udp { host, port } => write_host_and_port(f, "udp", host, *port),
            Endpoint::Ipc(path) => write!(f, "ipc://{path}"),
            Endpoint::Inproc(name) => write!(f, "inproc://{name}"),
            Endpoint::Ws {
                secure,
                host,
                port,
                path,
            } => {
                write_host_and_port(f, if *secure { "wss" } else { "ws" }, host, *port)?;
                f.write_str(path)
            }
        }
    }
}

fn write_host_and_port(
    f: &mut fmt::Formatter<'_>,
    scheme: &str,
    host: &str,
    port: Option<u16>,
) -> fmt::Result {
    let port = port.map_or_else(|| "*".to_string(), |p| p.to_string());
    if host.contains(':') {
        write!(f, "{scheme}://[{host}]:{port}")
    } else {
        write!(f, "{scheme}://{host}:{port}")
    }
}

/// The text of a bound or connected tcp address, as LAST_ENDPOINT reports it.
pub(crate) fn tcp_text(addr: &SocketAddr) -> String {
    address_text("tcp", addr)
}

/// The text of a bound udp address, as LAST_ENDPOINT reports it.
pub(crate) fn udp_text(addr: &SocketAddr) -> String {
    address_text("udp", addr)
}

fn address_text(scheme: &str, addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("{scheme}://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("{scheme}://[{}]:{}", a.ip(), a.port()),
    }
}

/// A fresh path for `ipc://*`.
pub(crate) fn unique_ipc_path() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("ferrozmq-{}-{n}.ipc", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: Option<u16>) -> Endpoint {
        Endpoint::Tcp {
            host: host.into(),
            port,
            source: None,
        }
    }

    #[test]
    fn a_connect_may_name_its_source() {
        let text = "tcp://127.0.0.1:5564;localhost:1234";
        let endpoint = Endpoint::parse(text).unwrap();
        assert_eq!(
            endpoint,
            Endpoint::Tcp {
                host: "localhost".into(),
                port: Some(1234),
                source: Some("127.0.0.1:5564".into()),
            }
        );
        assert_eq!(endpoint.to_string(), text);
        assert_eq!(
            endpoint.source_addr(false).unwrap(),
            Some("127.0.0.1:5564".parse().unwrap())
        );
        let any_port = Endpoint::parse("tcp://[::1]:0;[::1]:80").unwrap();
        assert_eq!(any_port.to_string(), "tcp://[::1]:0;[::1]:80");
        assert_eq!(
            any_port.source_addr(true).unwrap(),
            Some("[::1]:0".parse().unwrap())
        );
        let interface = Endpoint::parse("tcp://lo:*;127.0.0.1:80").unwrap();
        assert_eq!(
            interface.source_addr(false).unwrap(),
            Some("127.0.0.1:0".parse().unwrap())
        );
        assert_eq!(tcp("h", Some(1)).source_addr(false).unwrap(), None);
        for bad in [
            "tcp://;h:1",
            "tcp://a;b;h:1",
            "tcp://src;h:1",
            "tcp://:1;h:1",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_the_seed_endpoints() {
        assert_eq!(
            Endpoint::parse("tcp://*:5555").unwrap(),
            tcp("*", Some(5555))
        );
        assert_eq!(
            Endpoint::parse("tcp://localhost:5555").unwrap(),
            tcp("localhost", Some(5555))
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:*").unwrap(),
            tcp("127.0.0.1", None)
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:7").unwrap(),
            tcp("::1", Some(7))
        );
        assert_eq!(
            Endpoint::parse("ipc:///tmp/x.ipc").unwrap(),
            Endpoint::Ipc("/tmp/x.ipc".into())
        );
        assert_eq!(
            Endpoint::parse("inproc://a").unwrap(),
            Endpoint::Inproc("a".into())
        );
    }

    #[test]
    fn rejects_malformed_endpoints() {
        for bad in [
            "tcp://",
            "tcp://host",
            "tcp://:5",
            "tcp://h:99999",
            "tcp://h:x",
            "tcp://[::1",
            "ipc://",
            "nonsense",
            "inproc://",
        ] {
            assert!(
                matches!(Endpoint::parse(bad), Err(Error::InvalidEndpoint(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Endpoint::parse("pgm://eth0;239.192.1.1:5555"),
            Err(Error::ProtocolNotSupported(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "tcp://*:5555",
            "tcp://[::1]:7",
            "ipc://@abs",
            "inproc://x",
            "tcp://h:*",
            "udp://239.1.2.3:5555",
            "udp://[ff02::1]:7",
            "udp://*:*",
        ] {
            assert_eq!(Endpoint::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn localhost_resolves_for_connect_and_wildcard_does_not() {
        let addrs = tcp("localhost", Some(1)).connect_addrs(false).unwrap();
        assert!(addrs.iter().all(|a| a.is_ipv4()));
        assert!(tcp("*", Some(1)).connect_addrs(false).is_err());
        assert!(tcp("localhost", None).connect_addrs(false).is_err());
    }

    #[test]
    fn parses_udp_endpoints_as_tcp_ones() {
        assert_eq!(
            Endpoint::parse("udp://239.0.0.1:5555").unwrap(),
            Endpoint::Udp {
                host: "239.0.0.1".into(),
                port: Some(5555)
            }
        );
        for bad in ["udp://", "udp://h", "udp://h:x", "udp://[::1:5"] {
            assert!(
                matches!(Endpoint::parse(bad), Err(Error::InvalidEndpoint(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn unbalanced_brackets_are_malformed() {
        for bad in ["tcp://[::1:5", "tcp://::1]:5", "tcp://[[::1]]:5"] {
            assert!(
                matches!(Endpoint::parse(bad), Err(Error::InvalidEndpoint(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn wildcard_binds_every_interface() {
        assert_eq!(
            Endpoint::bind_addr("*", Some(5), false).unwrap(),
            "0.0.0.0:5".parse().unwrap()
        );
        assert_eq!(
            Endpoint::bind_addr("*", None, true).unwrap(),
            "[::]:0".parse().unwrap()
        );
    }
}
