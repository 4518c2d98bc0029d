//! Byte-stream transports (tcp and ipc) behind one interface for the engine, and the udp
//! sockets of RADIO and DISH.

pub(crate) mod ipc_filters;
pub(crate) mod socks5;
pub(crate) mod tcp_accept_filters;
pub(crate) mod udp;
pub(crate) mod ws;

use crate::endpoint::{self, Endpoint};
use crate::error::{Error, Result};
use crate::options::{Options, Tuning};
use crate::sys;
use bytes::BytesMut;
use mio::event::Source;
use mio::{Interest, Registry, Token};
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::path::PathBuf;
use ws::{WsConfig, WsStream};

/// A connected (or connecting) byte stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
    /// A tcp connection speaking ZWS (`ws://`, or `wss://` inside TLS).
    Ws(Box<WsStream>),
}

impl Stream {
    /// Reads what is available, up to `limit` bytes, into the spare capacity of `buf`.
    #[inline]
    pub(crate) fn read_into(&self, buf: &mut BytesMut, limit: usize) -> io::Result<usize> {
        if let Stream::Ws(ws) = self {
            return ws.read_into(buf, limit);
        }
        sys::read_into(self.as_raw_fd(), buf, limit)
    }

    /// Reads what is available, up to `limit` bytes, into the spare capacity of `buf`.
    #[inline]
    pub(crate) fn read_into_vec(&self, buf: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
        if let Stream::Ws(ws) = self {
            return ws.read_into_vec(buf, limit);
        }
        sys::read_into_vec(self.as_raw_fd(), buf, limit)
    }

    /// How much one read may be asked for when the engine wants `asked`: all of it where a
    /// read is one system call; at most [`ws::MAX_READ`] over ws, whose reads loop.
    #[inline]
    pub(crate) fn read_limit(&self, asked: usize) -> usize {
        match self {
            Stream::Ws(_) => asked.min(ws::MAX_READ),
            Stream::Tcp(_) | Stream::Unix(_) => asked,
        }
    }

    /// Writes as much of `bufs` as the kernel takes; a closed peer is `EPIPE`, never
    /// SIGPIPE (see [`sys::send_vectored`]).
    #[inline]
    pub(crate) fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if let Stream::Ws(ws) = self {
            return ws.write_vectored(bufs);
        }
        sys::send_vectored(self.as_raw_fd(), bufs)
    }

    /// Sends bytes the stream owes the wire on its own (a ws pong or close echo, TLS
    /// records); `Ok(false)` while the kernel takes no more. Plain streams owe nothing.
    #[inline]
    pub(crate) fn flush_pending(&mut self) -> io::Result<bool> {
        match self {
            Stream::Ws(ws) => ws.flush_pending(),
            Stream::Tcp(_) | Stream::Unix(_) => Ok(true),
        }
    }

    /// For a non-blocking connect: `Ok(true)` once connected, `Ok(false)` while still in
    /// progress, `Err` when it failed.
    pub(crate) fn finish_connect(&self) -> io::Result<bool> {
        let (error, connected) = match self {
            Stream::Tcp(s) => (s.take_error()?, s.peer_addr().map(|_| ())),
            Stream::Unix(s) => (s.take_error()?, s.peer_addr().map(|_| ())),
            Stream::Ws(s) => (s.tcp.take_error()?, s.tcp.peer_addr().map(|_| ())),
        };
        if let Some(e) = error {
            return Err(e);
        }
        match connected {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether a connect that started without error may still be under way: tcp connects
    /// finish in the background, unix-domain ones are complete when `connect` returns.
    pub(crate) fn connect_may_be_pending(&self) -> bool {
        matches!(self, Stream::Tcp(_) | Stream::Ws(_))
    }

    /// Applies the socket knobs to an accepted connection (a connecting one got them before
    /// it connected). A knob the system refuses is not worth losing the connection over.
    pub(crate) fn tune(&self, tuning: &Tuning) {
        if let Some(s) = self.tcp() {
            let ipv6 = s.local_addr().is_ok_and(|a| a.is_ipv6());
            let _ = sys::apply_tuning(s, tuning, true, ipv6);
        }
    }

    /// The peer's IP address as text (what ZAP requests and the `Peer-Address` property
    /// carry); empty for ipc, or when the system does not say.
    pub(crate) fn peer_ip(&self) -> String {
        self.tcp()
            .and_then(|s| s.peer_addr().ok())
            .map(|a| a.ip().to_canonical().to_string())
            .unwrap_or_default()
    }

    /// Turns off Nagle's algorithm on tcp: ZeroMQ batches by itself.
    pub(crate) fn set_nodelay(&self) {
        if let Some(s) = self.tcp() {
            // A failure only costs latency.
            let _ = s.set_nodelay(true);
        }
    }

    pub(crate) fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        self.register_watching(registry, token, true)
    }

    /// Registers the stream for readability, and for writability too when `writable`.
    pub(crate) fn register_watching(
        &mut self,
        registry: &Registry,
        token: Token,
        writable: bool,
    ) -> io::Result<()> {
        let interest = if writable {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        match self {
            Stream::Tcp(s) => s.register(registry, token, interest),
            Stream::Unix(s) => s.register(registry, token, interest),
            Stream::Ws(s) => s.tcp.register(registry, token, interest),
        }
    }

    /// Whether the poller reports this stream writable each time the peer reads from it,
    /// whether or not it was full: a unix-domain stream does (the kernel wakes its writers
    /// as each buffer it sent is consumed), tcp only when a full send buffer drains. Such a
    /// stream is best watched for writability only while a write is blocked; otherwise every
    /// message the peer reads wakes our I/O thread for nothing.
    pub(crate) fn writable_on_every_read(&self) -> bool {
        matches!(self, Stream::Unix(_))
    }

    /// Whether the bytes the kernel holds for this stream are all the bytes there are to
    /// read, so that waiting for its descriptor to be readable is waiting for input: true for
    /// tcp and unix streams, not for ws (a TLS layer may hold decrypted bytes).
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self, Stream::Tcp(_) | Stream::Unix(_))
    }

    /// Watches the stream for readability, and for writability too when `writable`
    /// (registered streams start watched for both).
    pub(crate) fn watch(
        &mut self,
        registry: &Registry,
        token: Token,
        writable: bool,
    ) -> io::Result<()> {
        let interest = if writable {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        match self {
            Stream::Tcp(s) => s.reregister(registry, token, interest),
            Stream::Unix(s) => s.reregister(registry, token, interest),
            Stream::Ws(s) => s.tcp.reregister(registry, token, interest),
        }
    }

    pub(crate) fn deregister(&mut self, registry: &Registry) {
        // Closing the descriptor removes it from epoll anyway.
        let _ = self.try_deregister(registry);
    }

    /// Takes the stream out of the poller, saying whether it was.
    pub(crate) fn try_deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(registry),
            Stream::Unix(s) => s.deregister(registry),
            Stream::Ws(s) => s.tcp.deregister(registry),
        }
    }

    /// The tcp connection under a tcp or ws stream.
    fn tcp(&self) -> Option<&mio::net::TcpStream> {
        match self {
            Stream::Tcp(s) => Some(s),
            Stream::Ws(s) => Some(&s.tcp),
            Stream::Unix(_) => None,
        }
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Ws(s) => s.tcp.as_raw_fd(),
        }
    }
}

/// Where a connecting socket connects to.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// Resolved addresses, tried in turn, and the local address to connect from
    /// (`source;host:port`).
    Tcp {
        addrs: Vec<SocketAddr>,
        source: Option<SocketAddr>,
    },
    /// A tcp endpoint reached through a SOCKS5 proxy (`ZMQ_SOCKS_PROXY`): the proxy's
    /// addresses, tried in turn, and what to ask of it once connected.
    Socks {
        proxy: Vec<SocketAddr>,
        /// The local address to connect to the proxy from (`src;host:port`).
        source: Option<SocketAddr>,
        destination: socks5::Destination,
        credentials: Option<socks5::Credentials>,
    },
    Ipc(UnixAddr),
    /// Resolved addresses, and what the upgrade request names.
    Ws {
        addrs: Vec<SocketAddr>,
        host: String,
        path: String,
        config: WsConfig,
    },
}

impl Target {
    /// Resolves a tcp, ipc or ws endpoint for connecting, with the socket's type and options:
    /// a tcp one goes through the SOCKS5 proxy when `ZMQ_SOCKS_PROXY` names one.
    pub(crate) fn resolve(
        endpoint: &Endpoint,
        options: &Options,
        socket_type: zmtp::SocketType,
    ) -> Result<Target> {
        let ipv6 = options.ipv6;
        match endpoint {
            Endpoint::Ws {
                secure,
                host,
                port,
                path,
            } => {
                let mut config = WsConfig::for_options(options, socket_type);
                if *secure {
                    config.tls = Some(Box::new(options.wss.client(host)?));
                }
                let tcp = Endpoint::Tcp {
                    host: host.clone(),
                    port: *port,
                    source: None,
                };
                let host = match port {
                    Some(port) if host.contains(':') => format!("[{host}]:{port}"),
                    Some(port) => format!("{host}:{port}"),
                    None => host.clone(),
                };
                Ok(Target::Ws {
                    addrs: tcp.connect_addrs(ipv6)?,
                    host,
                    path: path.clone(),
                    config,
                })
            }
            Endpoint::Tcp { host, port, .. } => match &options.socks_proxy {
                Some(proxy) => {
                    let invalid = || Error::InvalidEndpoint(endpoint.to_string());
                    let port = port.ok_or_else(invalid)?;
                    if host == "*" {
                        return Err(invalid());
                    }
                    // The destination is not resolved here: the proxy resolves names.
                    let destination = socks5::Destination::new(host, port).ok_or_else(invalid)?;
                    // As libzmq takes it: `host:port`, or `source;host:port` to connect
                    // to the proxy from a given local address (port 0: any).
                    let bad_proxy = || Error::InvalidEndpoint(proxy.clone());
                    let (source, proxy_address) = match proxy.split_once(';') {
                        Some((source, address)) => (Some(source), address),
                        None => (None, proxy.as_str()),
                    };
                    let source = source
                        .map(|text| match Endpoint::parse(&format!("tcp://{text}")) {
                            Ok(Endpoint::Tcp { host, port, .. }) => {
                                Endpoint::bind_addr(&host, port, ipv6)
                            }
                            _ => Err(bad_proxy()),
                        })
                        .transpose()?;
                    let proxy = Endpoint::parse(&format!("tcp://{proxy_address}"))
                        .map_err(|_| bad_proxy())?;
                    Ok(Target::Socks {
                        proxy: proxy.connect_addrs(ipv6)?,
                        // The proxy option's own `source;` first, else the endpoint's.
                        source: match source {
                            Some(source) => Some(source),
                            None => endpoint.source_addr(ipv6)?,
                        },
                        destination,
                        credentials: socks5::Credentials::new(
                            &options.socks_username,
                            &options.socks_password,
                        ),
                    })
                }
                None => Ok(Target::Tcp {
                    addrs: endpoint.connect_addrs(ipv6)?,
                    source: endpoint.source_addr(ipv6)?,
                }),
            },
            Endpoint::Ipc(path) if path == "*" => Err(Error::InvalidEndpoint(endpoint.to_string())),
            Endpoint::Ipc(path) => Ok(Target::Ipc(unix_addr(path)?)),
            Endpoint::Inproc(_) | Endpoint::Udp { .. } => {
                Err(Error::InvalidEndpoint(endpoint.to_string()))
            }
        }
    }

    /// Starts a non-blocking connect to the `attempt`-th address (they are tried in turn).
    pub(crate) fn connect(&self, attempt: usize, tuning: &Tuning) -> io::Result<Stream> {
        match self {
            Target::Tcp { addrs, source } => {
                let addr = addrs[attempt % addrs.len()];
                let stream = sys::tcp_connect(&addr, source.as_ref(), tuning)?;
                Ok(Stream::Tcp(mio::net::TcpStream::from_std(stream)))
            }
            Target::Socks { proxy, source, .. } => {
                let addr = proxy[attempt % proxy.len()];
                let stream = sys::tcp_connect(&addr, source.as_ref(), tuning)?;
                Ok(Stream::Tcp(mio::net::TcpStream::from_std(stream)))
            }
            Target::Ipc(addr) => mio::net::UnixStream::connect_addr(addr).map(Stream::Unix),
            Target::Ws {
                addrs,
                host,
                path,
                config,
            } => {
                let addr = addrs[attempt % addrs.len()];
                let stream = mio::net::TcpStream::from_std(sys::tcp_connect(&addr, None, tuning)?);
                let ws = WsStream::client(stream, host.clone(), path.clone(), config)?;
                Ok(Stream::Ws(Box::new(ws)))
            }
        }
    }

    /// The SOCKS5 handshake a fresh connection to the proxy runs before ZMTP, if any.
    pub(crate) fn socks_handshake(&self) -> Option<socks5::SocksConnect> {
        match self {
            Target::Socks {
                destination,
                credentials,
                ..
            } => Some(socks5::SocksConnect::new(socks5::Handshake::new(
                destination.clone(),
                credentials.clone(),
            ))),
            Target::Tcp { .. } | Target::Ipc(_) | Target::Ws { .. } => None,
        }
    }
}

fn unix_addr(path: &str) -> Result<UnixAddr> {
    let invalid = || Error::InvalidEndpoint(format!("ipc://{path}"));
    // sun_path holds 108 bytes, a pathname's NUL or an abstract name's leading one among
    // them. Longer is ENAMETOOLONG, as libzmq reports it.
    if path.len() > 107 {
        return Err(Error::Io(io::Error::from_raw_os_error(
            crate::sys::errno::ENAMETOOLONG,
        )));
    }
    match path.strip_prefix('@') {
        // An empty abstract name would ask the kernel to make one up (autobind), which
        // nobody could connect to: libzmq refuses it.
        Some("") => Err(invalid()),
        Some(name) => UnixAddr::from_abstract_name(name.as_bytes()).map_err(|_| invalid()),
        None => UnixAddr::from_pathname(path).map_err(|_| invalid()),
    }
}

/// A listening socket.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(mio::net::TcpListener),
    /// With the file to remove when the listener closes (none for abstract names).
    Unix(mio::net::UnixListener, Option<PathBuf>),
    /// A tcp listener whose connections speak ZWS (inside TLS for `wss://`).
    Ws(mio::net::TcpListener, WsConfig),
}

impl Listener {
    /// Binds a tcp or ipc endpoint; returns the listener and the endpoint as actually bound
    /// (ephemeral port and `ipc://*` resolved), which LAST_ENDPOINT reports.
    pub(crate) fn bind(
        endpoint: &Endpoint,
        ipv6: bool,
        backlog: i32,
        tuning: &Tuning,
        mut ws: WsConfig,
    ) -> Result<(Listener, String)> {
        match endpoint {
            Endpoint::Ws {
                secure,
                host,
                port,
                path,
            } => {
                let scheme = if *secure {
                    ws.tls = Some(Box::new(ws.wss.server()?));
                    "wss"
                } else {
                    "ws"
                };
                let addr = Endpoint::bind_addr(host, *port, ipv6)?;
                let listener =
                    sys::tcp_listen(&addr, backlog, tuning).map_err(|e| bind_error(e, endpoint))?;
                let bound = endpoint::tcp_text(&listener.local_addr()?);
                Ok((
                    Listener::Ws(mio::net::TcpListener::from_std(listener), ws),
                    format!("{scheme}{}{path}", &bound["tcp".len()..]),
                ))
            }
            Endpoint::Tcp {
                source: Some(_), ..
            } => Err(Error::InvalidEndpoint(endpoint.to_string())),
            Endpoint::Tcp { host, port, .. } => {
                let addr = Endpoint::bind_addr(host, *port, ipv6)?;
                let listener =
                    sys::tcp_listen(&addr, backlog, tuning).map_err(|e| bind_error(e, endpoint))?;
                let bound = listener.local_addr()?;
                Ok((
                    Listener::Tcp(mio::net::TcpListener::from_std(listener)),
                    endpoint::tcp_text(&bound),
                ))
            }
            Endpoint::Ipc(path) => {
                let path = if path == "*" {
                    endpoint::unique_ipc_path().to_string_lossy().into_owned()
                } else {
                    path.clone()
                };
                let addr = unix_addr(&path)?;
                let file = addr.as_pathname().map(PathBuf::from);
                if let Some(file) = &file {
                    take_over_stale_socket(file, endpoint)?;
                }
                let listener = std::os::unix::net::UnixListener::bind_addr(&addr)
                    .map_err(|e| bind_error(e, endpoint))?;
                listener.set_nonblocking(true)?;
                Ok((
                    Listener::Unix(mio::net::UnixListener::from_std(listener), file),
                    format!("ipc://{path}"),
                ))
            }
            Endpoint::Inproc(_) | Endpoint::Udp { .. } => {
                Err(Error::InvalidEndpoint(endpoint.to_string()))
            }
        }
    }

    /// Listens on a duplicate of `fd`, a socket the application bound and made listen
    /// itself (`ZMQ_USE_FD`); the endpoint only says which transport it is, the bound
    /// address comes from the socket. The application keeps its own descriptor.
    pub(crate) fn adopt(
        endpoint: &Endpoint,
        fd: RawFd,
        mut ws: WsConfig,
    ) -> Result<(Listener, String)> {
        use std::os::fd::OwnedFd;
        let owned = sys::socket::duplicate(fd)?;
        let not_listening = || {
            Error::InvalidArgument("USE_FD is not a listening socket of the endpoint's transport")
        };
        let listening = sys::socket::is_listening(&owned).map_err(|_| not_listening())?;
        if !listening {
            return Err(not_listening());
        }
        let tcp_listener = |owned: OwnedFd| {
            let listener = std::net::TcpListener::from(owned);
            let bound = listener.local_addr().map_err(|_| not_listening())?;
            if !bound.is_ipv4() && !bound.is_ipv6() {
                return Err(not_listening());
            }
            listener.set_nonblocking(true)?;
            Ok((mio::net::TcpListener::from_std(listener), bound))
        };
        match endpoint {
            Endpoint::Ws { secure, path, .. } => {
                let scheme = if *secure {
                    ws.tls = Some(Box::new(ws.wss.server()?));
                    "wss"
                } else {
                    "ws"
                };
                let (listener, bound) = tcp_listener(owned)?;
                let bound = endpoint::tcp_text(&bound);
                Ok((
                    Listener::Ws(listener, ws),
                    format!("{scheme}{}{path}", &bound["tcp".len()..]),
                ))
            }
            Endpoint::Tcp { .. } => {
                let (listener, bound) = tcp_listener(owned)?;
                Ok((Listener::Tcp(listener), endpoint::tcp_text(&bound)))
            }
            Endpoint::Ipc(_) => {
                let listener = std::os::unix::net::UnixListener::from(owned);
                let bound = listener.local_addr().map_err(|_| not_listening())?;
                let name = match (bound.as_pathname(), bound.as_abstract_name()) {
                    (Some(path), _) => path.to_string_lossy().into_owned(),
                    (None, Some(name)) => format!("@{}", String::from_utf8_lossy(name)),
                    (None, None) => return Err(not_listening()),
                };
                listener.set_nonblocking(true)?;
                // The file is the application's: it is left in place.
                Ok((
                    Listener::Unix(mio::net::UnixListener::from_std(listener), None),
                    format!("ipc://{name}"),
                ))
            }
            Endpoint::Inproc(_) | Endpoint::Udp { .. } => {
                Err(Error::InvalidEndpoint(endpoint.to_string()))
            }
        }
    }

    /// Accepts one pending connection.
    pub(crate) fn accept(&self) -> io::Result<Stream> {
        match self {
            Listener::Tcp(l) => l.accept().map(|(s, _)| Stream::Tcp(s)),
            Listener::Unix(l, _) => l.accept().map(|(s, _)| Stream::Unix(s)),
            Listener::Ws(l, config) => {
                let (tcp, _) = l.accept()?;
                Ok(Stream::Ws(Box::new(WsStream::server(tcp, config)?)))
            }
        }
    }

    pub(crate) fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.register(registry, token, Interest::READABLE),
            Listener::Unix(l, _) => l.register(registry, token, Interest::READABLE),
            Listener::Ws(l, _) => l.register(registry, token, Interest::READABLE),
        }
    }

    pub(crate) fn deregister(&mut self, registry: &Registry) {
        let _ = match self {
            Listener::Tcp(l) => l.deregister(registry),
            Listener::Unix(l, _) => l.deregister(registry),
            Listener::Ws(l, _) => l.deregister(registry),
        };
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l, _) => l.as_raw_fd(),
            Listener::Ws(l, _) => l.as_raw_fd(),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, Some(file)) = self {
            let _ = std::fs::remove_file(file);
        }
    }
}

fn bind_error(e: io::Error, endpoint: &Endpoint) -> Error {
    match e.kind() {
        io::ErrorKind::AddrInUse => Error::AddrInUse(endpoint.to_string()),
        io::ErrorKind::AddrNotAvailable => Error::AddrNotAvailable(endpoint.to_string()),
        _ => Error::Io(e),
    }
}

/// An ipc path left behind by a process that died is reused, as libzmq does; one that a live
/// process is listening on is refused.
fn take_over_stale_socket(file: &PathBuf, endpoint: &Endpoint) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(file) else {
        return Ok(());
    };
    // Never delete something that is not a socket, nor a socket somebody listens on.
    if !meta.file_type().is_socket() || std::os::unix::net::UnixStream::connect(file).is_ok() {
        return Err(Error::AddrInUse(endpoint.to_string()));
    }
    std::fs::remove_file(file)?;
    Ok(())
}
