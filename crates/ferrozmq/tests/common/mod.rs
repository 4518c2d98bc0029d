//! Helpers shared by the libzmq interop tests: one socket type that wraps either a ferrozmq
//! or a libzmq (`zmq` crate) socket so a scenario can be written once and run with the
//! libraries in either role, endpoints that never collide between parallel tests, and a raw
//! ZMTP peer for feeding exact bytes to a ferrozmq socket.
//!
//! Every blocking call is bounded: sockets get RCVTIMEO/SNDTIMEO of [`TIMEOUT_MS`] and
//! raw streams a read timeout, so a bug makes a test fail instead of hanging the suite.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Upper bound for any single wait in these tests.
pub const TIMEOUT_MS: i32 = 5000;
pub const TIMEOUT: Duration = Duration::from_millis(TIMEOUT_MS as u64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ipc,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

impl Transport {
    /// An endpoint for `bind`: an ephemeral TCP port or a fresh ipc path. Read the real
    /// endpoint back from the bound socket (see [`Peer::bind`]).
    pub fn bind_endpoint(self) -> String {
        match self {
            Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
            Transport::Ipc => fresh_ipc_endpoint(),
        }
    }

    /// An endpoint known before anyone binds it, for tests where the connecting side comes
    /// first or a peer re-binds the same address.
    pub fn fixed_endpoint(self) -> String {
        match self {
            Transport::Tcp => {
                // The kernel picks a free port; releasing it leaves a tiny window in which
                // another process could take it, acceptable for a test.
                let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe a free port");
                let port = probe.local_addr().expect("probe address").port();
                format!("tcp://127.0.0.1:{port}")
            }
            Transport::Ipc => fresh_ipc_endpoint(),
        }
    }
}

/// A unique unix socket path; short, because sun_path holds little more than 100 bytes.
fn fresh_ipc_endpoint() -> String {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("fzmq-it-{}-{n}.sock", std::process::id()));
    // A leftover from an earlier run of the same pid would make bind fail.
    let _ = std::fs::remove_file(&path);
    format!("ipc://{}", path.display())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    Ferro,
    Zmq,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Req,
    Rep,
    Pub,
    Sub,
    Push,
    Pull,
    Dealer,
    Router,
    Pair,
    XPub,
    XSub,
}

impl Kind {
    fn ferro(self) -> ferrozmq::SocketType {
        match self {
            Kind::Req => ferrozmq::REQ,
            Kind::Rep => ferrozmq::REP,
            Kind::Pub => ferrozmq::PUB,
            Kind::Sub => ferrozmq::SUB,
            Kind::Push => ferrozmq::PUSH,
            Kind::Pull => ferrozmq::PULL,
            Kind::Dealer => ferrozmq::DEALER,
            Kind::Router => ferrozmq::ROUTER,
            Kind::Pair => ferrozmq::PAIR,
            Kind::XPub => ferrozmq::XPUB,
            Kind::XSub => ferrozmq::XSUB,
        }
    }

    fn zmq(self) -> zmq::SocketType {
        match self {
            Kind::Req => zmq::REQ,
            Kind::Rep => zmq::REP,
            Kind::Pub => zmq::PUB,
            Kind::Sub => zmq::SUB,
            Kind::Push => zmq::PUSH,
            Kind::Pull => zmq::PULL,
            Kind::Dealer => zmq::DEALER,
            Kind::Router => zmq::ROUTER,
            Kind::Pair => zmq::PAIR,
            Kind::XPub => zmq::XPUB,
            Kind::XSub => zmq::XSUB,
        }
    }
}

/// One context of each library. Declare it before the sockets so that it drops after them.
pub struct Kit {
    pub ferro: ferrozmq::Context,
    pub zmq: zmq::Context,
}

impl Kit {
    pub fn new() -> Kit {
        Kit {
            ferro: ferrozmq::Context::new(),
            zmq: zmq::Context::new(),
        }
    }

    /// A socket with bounded timeouts and no linger, so failures surface fast and contexts
    /// close promptly.
    pub fn socket(&self, lib: Lib, kind: Kind) -> Peer {
        match lib {
            Lib::Ferro => {
                let s = self.ferro.socket(kind.ferro()).expect("ferrozmq socket");
                s.options()
                    .set_rcvtimeo(Some(TIMEOUT))
                    .expect("ferrozmq RCVTIMEO");
                s.options()
                    .set_sndtimeo(Some(TIMEOUT))
                    .expect("ferrozmq SNDTIMEO");
                s.options()
                    .set_linger(Some(Duration::ZERO))
                    .expect("ferrozmq LINGER");
                Peer::Ferro(Box::new(s))
            }
            Lib::Zmq => {
                let s = self.zmq.socket(kind.zmq()).expect("libzmq socket");
                s.set_rcvtimeo(TIMEOUT_MS).expect("libzmq RCVTIMEO");
                s.set_sndtimeo(TIMEOUT_MS).expect("libzmq SNDTIMEO");
                s.set_linger(0).expect("libzmq LINGER");
                Peer::Zmq(s)
            }
        }
    }
}

impl Default for Kit {
    fn default() -> Self {
        Kit::new()
    }
}

/// A socket of either library, so one scenario covers both role assignments.
pub enum Peer {
    Ferro(Box<ferrozmq::Socket>),
    Zmq(zmq::Socket),
}

impl Peer {
    pub fn lib(&self) -> &'static str {
        match self {
            Peer::Ferro(_) => "ferrozmq",
            Peer::Zmq(_) => "libzmq",
        }
    }

    pub fn ferro(&self) -> &ferrozmq::Socket {
        match self {
            Peer::Ferro(s) => s,
            Peer::Zmq(_) => panic!("expected a ferrozmq socket"),
        }
    }

    pub fn zmq(&self) -> &zmq::Socket {
        match self {
            Peer::Zmq(s) => s,
            Peer::Ferro(_) => panic!("expected a libzmq socket"),
        }
    }

    /// Binds and returns the endpoint peers should connect to (ephemeral port resolved).
    pub fn bind(&self, endpoint: &str) -> String {
        self.try_bind(endpoint)
            .unwrap_or_else(|e| panic!("{} bind {endpoint}: {e}", self.lib()))
    }

    pub fn try_bind(&self, endpoint: &str) -> Result<String, String> {
        match self {
            Peer::Ferro(s) => s.bind(endpoint).map_err(|e| e.to_string()),
            Peer::Zmq(s) => {
                s.bind(endpoint).map_err(|e| e.to_string())?;
                let last = s.get_last_endpoint().map_err(|e| e.to_string())?;
                Ok(last.expect("libzmq last endpoint is UTF-8"))
            }
        }
    }

    pub fn connect(&self, endpoint: &str) {
        let result = match self {
            Peer::Ferro(s) => s.connect(endpoint).map_err(|e| e.to_string()),
            Peer::Zmq(s) => s.connect(endpoint).map_err(|e| e.to_string()),
        };
        result.unwrap_or_else(|e| panic!("{} connect {endpoint}: {e}", self.lib()));
    }

    pub fn subscribe(&self, prefix: &[u8]) {
        let result = match self {
            Peer::Ferro(s) => s.subscribe(prefix).map_err(|e| e.to_string()),
            Peer::Zmq(s) => s.set_subscribe(prefix).map_err(|e| e.to_string()),
        };
        result.unwrap_or_else(|e| panic!("{} subscribe: {e}", self.lib()));
    }

    pub fn set_rcvtimeo(&self, ms: i32) {
        let result = match self {
            Peer::Ferro(s) => {
                let timeout = u64::try_from(ms).ok().map(Duration::from_millis);
                s.options().set_rcvtimeo(timeout).map_err(|e| e.to_string())
            }
            Peer::Zmq(s) => s.set_rcvtimeo(ms).map_err(|e| e.to_string()),
        };
        result.unwrap_or_else(|e| panic!("{} RCVTIMEO: {e}", self.lib()));
    }

    /// Sends a whole message; an empty slice of parts is not a message.
    pub fn try_send_parts<P: AsRef<[u8]>>(
        &self,
        parts: &[P],
        dontwait: bool,
    ) -> Result<(), String> {
        assert!(!parts.is_empty(), "a message has at least one part");
        match self {
            Peer::Ferro(s) => {
                let parts = parts.iter().map(|p| p.as_ref());
                let sent = if dontwait {
                    s.try_send_multipart(parts)
                } else {
                    s.send_multipart(parts)
                };
                sent.map_err(|e| format!("{e:?}"))
            }
            Peer::Zmq(s) => {
                let flags = if dontwait { zmq::DONTWAIT } else { 0 };
                s.send_multipart(parts.iter().map(|p| p.as_ref()), flags)
                    .map_err(|e| format!("{e:?}"))
            }
        }
    }

    pub fn send_parts<P: AsRef<[u8]>>(&self, parts: &[P]) {
        self.try_send_parts(parts, false)
            .unwrap_or_else(|e| panic!("{} send: {e}", self.lib()));
    }

    pub fn send(&self, body: &[u8]) {
        self.send_parts(&[body]);
    }

    /// The next whole message, or `None` when none arrives within the receive timeout.
    pub fn try_recv_parts(&self) -> Option<Vec<Vec<u8>>> {
        match self {
            Peer::Ferro(s) => match s.recv_multipart() {
                Ok(parts) => Some(parts.into_iter().map(|p| p.to_vec()).collect()),
                Err(ferrozmq::Error::Again) => None,
                Err(e) => panic!("ferrozmq recv: {e:?}"),
            },
            Peer::Zmq(s) => match s.recv_multipart(0) {
                Ok(parts) => Some(parts),
                Err(zmq::Error::EAGAIN) => None,
                Err(e) => panic!("libzmq recv: {e:?}"),
            },
        }
    }

    pub fn recv_parts(&self) -> Vec<Vec<u8>> {
        self.try_recv_parts()
            .unwrap_or_else(|| panic!("{}: no message within the receive timeout", self.lib()))
    }

    /// The next message, which must have exactly one part.
    pub fn recv(&self) -> Vec<u8> {
        let mut parts = self.recv_parts();
        assert_eq!(
            parts.len(),
            1,
            "{}: expected a single-part message",
            self.lib()
        );
        parts.pop().expect("one part")
    }
}

/// Deterministic, non-repeating-looking content, so a shifted or truncated copy never
/// compares equal by accident.
pub fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_left(seed as u32 % 32) as u8
                ^ seed
        })
        .collect()
}

/// Compares messages without printing megabytes when they differ.
pub fn assert_same_message(got: &[Vec<u8>], want: &[Vec<u8>], what: &str) {
    let sizes = |m: &[Vec<u8>]| m.iter().map(Vec::len).collect::<Vec<_>>();
    assert_eq!(sizes(got), sizes(want), "{what}: part sizes differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g != w {
            let at = g.iter().zip(w).position(|(a, b)| a != b).unwrap_or(0);
            panic!("{what}: part {i} differs first at byte {at}");
        }
    }
}

/// Publishes every message of `probes` in turn until `sub` receives something, bounded by
/// [`TIMEOUT`], to get past the slow-joiner window (a subscription takes a moment to reach
/// the publisher). Returns everything the SUB received meanwhile, for the caller to check.
pub fn sync_pub_sub(
    publisher: &Peer,
    sub: &Peer,
    probes: &[&[u8]],
    what: &str,
) -> Vec<Vec<Vec<u8>>> {
    sub.set_rcvtimeo(20);
    let deadline = Instant::now() + TIMEOUT;
    let mut received = Vec::new();
    loop {
        for probe in probes {
            publisher.send_parts(&[probe]);
        }
        if let Some(m) = sub.try_recv_parts() {
            received.push(m);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {} SUB got nothing from {} PUB within {TIMEOUT:?}",
            sub.lib(),
            publisher.lib()
        );
    }
    // Probes sent while the last receive was waiting may still be on their way.
    while let Some(m) = sub.try_recv_parts() {
        received.push(m);
    }
    sub.set_rcvtimeo(TIMEOUT_MS);
    received
}

// ---------------------------------------------------------------------------------------
// Raw ZMTP peer
// ---------------------------------------------------------------------------------------

pub const GREETING_LEN: usize = 64;
pub const FLAG_MORE: u8 = 0x01;
pub const FLAG_LONG: u8 = 0x02;
pub const FLAG_COMMAND: u8 = 0x04;

/// A ZMTP 3.x greeting with the NULL mechanism, as a client (as-server 0).
pub fn greeting(minor: u8) -> [u8; GREETING_LEN] {
    let mut g = [0u8; GREETING_LEN];
    g[0] = 0xFF;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = minor;
    g[12..16].copy_from_slice(b"NULL");
    g
}

/// One frame, short or long form as its size demands.
pub fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    if body.len() <= 255 {
        out.push(flags);
        out.push(body.len() as u8);
    } else {
        out.push(flags | FLAG_LONG);
        out.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// A READY command announcing `socket_type`.
pub fn ready(socket_type: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.push(5);
    body.extend_from_slice(b"READY");
    let name = b"Socket-Type";
    body.push(name.len() as u8);
    body.extend_from_slice(name);
    body.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    body.extend_from_slice(socket_type.as_bytes());
    frame(FLAG_COMMAND, &body)
}

/// The `host:port` of a `tcp://` endpoint.
pub fn tcp_address(endpoint: &str) -> &str {
    endpoint
        .strip_prefix("tcp://")
        .unwrap_or_else(|| panic!("not a tcp endpoint: {endpoint}"))
}

/// A hand-driven ZMTP peer over TCP. Bytes read but not consumed yet wait in `pending`,
/// so a short poll never loses half a frame.
pub struct RawPeer {
    pub stream: TcpStream,
    pending: Vec<u8>,
}

/// A frame as read from the wire.
#[derive(Debug, PartialEq, Eq)]
pub struct RawFrame {
    pub flags: u8,
    pub body: Vec<u8>,
}

impl RawFrame {
    pub fn is_command(&self) -> bool {
        self.flags & FLAG_COMMAND != 0
    }
    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }
}

/// Splits the first complete frame off `bytes`.
pub fn split_frame(bytes: &mut Vec<u8>) -> Option<RawFrame> {
    let (&flags, rest) = bytes.split_first()?;
    let (header, len) = if flags & FLAG_LONG != 0 {
        let size: [u8; 8] = rest.get(..8)?.try_into().expect("8 bytes");
        (9, usize::try_from(u64::from_be_bytes(size)).ok()?)
    } else {
        (2, usize::from(*rest.first()?))
    };
    if bytes.len() < header + len {
        return None;
    }
    let body = bytes[header..header + len].to_vec();
    bytes.drain(..header + len);
    Some(RawFrame { flags, body })
}

impl RawPeer {
    pub fn connect(endpoint: &str) -> RawPeer {
        let stream = TcpStream::connect(tcp_address(endpoint)).expect("raw TCP connect");
        RawPeer::from_stream(stream)
    }

    pub fn from_stream(stream: TcpStream) -> RawPeer {
        stream
            .set_read_timeout(Some(TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(TIMEOUT))
            .expect("write timeout");
        stream.set_nodelay(true).expect("nodelay");
        RawPeer {
            stream,
            pending: Vec::new(),
        }
    }

    pub fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("raw write");
    }

    /// Writes to a peer that may already have dropped the connection: a write that meets
    /// a reset or a broken pipe is that drop, not a failure.
    pub fn write_unless_dropped(&mut self, bytes: &[u8]) {
        match self.stream.write_all(bytes) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                ) => {}
            Err(e) => panic!("raw write: {e}"),
        }
    }

    /// One read of whatever is there, waiting at most `wait`. Ok(0) is end of stream.
    fn fill(&mut self, wait: Duration) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(wait))?;
        let mut buf = [0u8; 64 * 1024];
        let result = self.stream.read(&mut buf);
        self.stream.set_read_timeout(Some(TIMEOUT))?;
        let n = result?;
        self.pending.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + TIMEOUT;
        while self.pending.len() < n {
            assert!(
                Instant::now() < deadline,
                "raw read: {n} bytes did not arrive within {TIMEOUT:?}"
            );
            match self.fill(TIMEOUT) {
                Ok(0) => panic!("raw read of {n} bytes: connection closed"),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("raw read of {n} bytes: {e}"),
            }
        }
        self.pending.drain(..n).collect()
    }

    /// Reads the peer's greeting and returns it.
    pub fn read_greeting(&mut self) -> Vec<u8> {
        let g = self.read_exact(GREETING_LEN);
        assert_eq!(g[0], 0xFF, "greeting signature start");
        assert_eq!(g[9], 0x7F, "greeting signature end");
        assert_eq!(&g[12..16], b"NULL", "greeting mechanism");
        g
    }

    pub fn read_frame(&mut self) -> RawFrame {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(frame) = split_frame(&mut self.pending) {
                return frame;
            }
            assert!(
                Instant::now() < deadline,
                "raw read: no complete frame within {TIMEOUT:?}"
            );
            match self.fill(TIMEOUT) {
                Ok(0) => panic!("raw read of a frame: connection closed"),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("raw read of a frame: {e}"),
            }
        }
    }

    /// The next frame if one is complete within `wait`.
    pub fn poll_frame(&mut self, wait: Duration) -> Option<RawFrame> {
        if let Some(frame) = split_frame(&mut self.pending) {
            return Some(frame);
        }
        match self.fill(wait) {
            Ok(0) => panic!("raw poll: connection closed"),
            Ok(_) => split_frame(&mut self.pending),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                None
            }
            Err(e) => panic!("raw poll: {e}"),
        }
    }

    /// Greeting plus READY: the NULL handshake, as `socket_type` speaking ZMTP 3.`minor`.
    /// Returns the other side's greeting and READY body.
    pub fn handshake(&mut self, socket_type: &str, minor: u8) -> (Vec<u8>, Vec<u8>) {
        self.write(&greeting(minor));
        self.write(&ready(socket_type));
        let greeting = self.read_greeting();
        let ready = self.read_frame();
        assert!(
            ready.is_command(),
            "first frame after the greeting is a command"
        );
        assert!(
            ready.body.starts_with(b"\x05READY"),
            "first command is READY, got {:?}",
            String::from_utf8_lossy(&ready.body)
        );
        (greeting, ready.body)
    }

    /// Reads until the other side closes the connection. Returns everything read after what
    /// was already consumed, or an error when the connection is still open after
    /// [`TIMEOUT`].
    pub fn read_until_closed(&mut self) -> Result<Vec<u8>, String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.fill(left) {
                Ok(0) => return Ok(std::mem::take(&mut self.pending)),
                Ok(_) => {}
                // A reset is as good as a close: the peer dropped us.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                    return Ok(std::mem::take(&mut self.pending))
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("unexpected read error: {e}")),
            }
        }
        Err(format!(
            "connection still open after {TIMEOUT:?} ({} bytes received)",
            self.pending.len()
        ))
    }
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Binds whichever of `a` and `b` belongs to `binder` and connects the other to it.
pub fn link(a: &Peer, b: &Peer, transport: Transport, binder: Lib) {
    let (bound, connecting) = if lib_of(a) == binder { (a, b) } else { (b, a) };
    assert_eq!(
        lib_of(bound),
        binder,
        "one side must be from the binding library"
    );
    let endpoint = bound.bind(&transport.bind_endpoint());
    connecting.connect(&endpoint);
}

pub fn lib_of(p: &Peer) -> Lib {
    match p {
        Peer::Ferro(_) => Lib::Ferro,
        Peer::Zmq(_) => Lib::Zmq,
    }
}

/// Generates one test per transport and binding side for `scenario(transport, binder)`.
#[macro_export]
macro_rules! both_ways_on_both_transports {
    ($name:ident, $scenario:path) => {
        mod $name {
            use super::*;
            #[test]
            fn over_tcp_when_ferrozmq_binds() {
                $scenario(Transport::Tcp, Lib::Ferro)
            }
            #[test]
            fn over_tcp_when_libzmq_binds() {
                $scenario(Transport::Tcp, Lib::Zmq)
            }
            #[test]
            fn over_ipc_when_ferrozmq_binds() {
                $scenario(Transport::Ipc, Lib::Ferro)
            }
            #[test]
            fn over_ipc_when_libzmq_binds() {
                $scenario(Transport::Ipc, Lib::Zmq)
            }
        }
    };
}

/// A listener for a raw peer to accept a ferrozmq connection on, and its endpoint.
pub fn raw_listener() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("raw listener");
    let port = listener.local_addr().expect("listener address").port();
    (listener, format!("tcp://127.0.0.1:{port}"))
}

/// Accepts one connection, failing the test after [`TIMEOUT`] instead of blocking for ever.
pub fn accept_within(listener: &std::net::TcpListener) -> RawPeer {
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking stream");
                return RawPeer::from_stream(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "no connection within {TIMEOUT:?}"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// Sends `count` two-part messages from `push` (on a thread of its own) to `pull`: the
/// index, then a body of `sizes[i % sizes.len()]` bytes of `i as u8`; checks each arrives
/// whole and in order. Gives `push` back so it closes only after everything was read.
pub fn stream_sized_parts(
    push: ferrozmq::Socket,
    pull: &ferrozmq::Socket,
    sizes: &'static [usize],
    count: usize,
) -> ferrozmq::Socket {
    let sender = std::thread::spawn(move || {
        for i in 0..count {
            let body = vec![i as u8; sizes[i % sizes.len()]];
            push.send_multipart([&i.to_be_bytes()[..], &body[..]])
                .unwrap();
        }
        push
    });
    for i in 0..count {
        let parts = pull.recv_multipart().unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(&parts[0][..], &i.to_be_bytes()[..]);
        assert_eq!(parts[1].len(), sizes[i % sizes.len()], "message {i}");
        assert!(parts[1].iter().all(|&b| b == i as u8));
    }
    sender.join().unwrap()
}
