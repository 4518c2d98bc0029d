//! The `ws://` and `wss://` transports: ZWS 2.0 (RFC 45) over a tcp connection, for
//! `wss://` inside TLS.
//!
//! [`WsStream`] looks to the engine like any other byte stream, so the ZMTP session runs
//! over it unchanged: it carries ZMTP bytes, which [`codec::Zws`] turns into WebSocket
//! frames on the way out and back on the way in (see there). Under `wss://` a rustls
//! session sits between those frames and the tcp connection:
//!
//! ```text
//! session ⇄ ZMTP bytes ⇄ Zws ⇄ WebSocket frames ⇄ [rustls ⇄ TLS records] ⇄ tcp
//! ```

pub(crate) mod codec;
mod handshake;
pub(crate) mod tls;

use bytes::BytesMut;
use codec::{Mechanism, Side, Zws};
use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use tls::{TlsRole, WssOptions};

/// Raw bytes one read takes from the kernel.
const RAW_READ: usize = 64 * 1024;
/// The most session bytes one read call is asked for. A ws read decodes frame after frame
/// until it has what was asked (or the kernel has no more), where a tcp read is one system
/// call: unbounded, a long message streaming in would be read whole in one call, and the
/// I/O thread's other connections would wait for all of it instead of the turn's budget.
pub(crate) const MAX_READ: usize = 4 * RAW_READ;
/// Session bytes translated per write call, so one call's output stays bounded.
const WRITE_CHUNK: usize = 256 * 1024;

/// What a ws endpoint's connections need to know: who they are and what they speak.
#[derive(Debug, Clone)]
pub(crate) struct WsConfig {
    pub(crate) mechanism: Mechanism,
    /// The socket's type (a peer without a mechanism is taken for one it talks to).
    pub(crate) socket_type: zmtp::SocketType,
    /// The largest message body (MAXMSGSIZE, or unlimited).
    pub(crate) max_message: u64,
    /// The `ZMQ_WSS_*` settings, for a `wss://` endpoint.
    pub(crate) wss: Box<WssOptions>,
    /// For `wss://`: the TLS end each connection is.
    pub(crate) tls: Option<Box<TlsRole>>,
}

/// A tcp connection speaking ZWS, carrying the session's ZMTP bytes.
pub(crate) struct WsStream {
    pub(crate) tcp: mio::net::TcpStream,
    state: RefCell<State>,
}

struct State {
    zws: Zws,
    /// ZMTP bytes for the session, from `taken` on.
    to_session: Vec<u8>,
    taken: usize,
    /// Bytes for the wire, from `sent` on.
    to_wire: Vec<u8>,
    sent: usize,
    /// Session bytes already translated (into `to_wire`) but not yet reported written:
    /// one, whenever the wire is behind, so that the session keeps waiting for the
    /// connection to become writable instead of believing all went.
    held: usize,
    eof: bool,
    raw: Vec<u8>,
    /// For `wss://`: the TLS session between the WebSocket frames and the tcp connection.
    tls: Option<Box<rustls::Connection>>,
    /// WebSocket bytes out of TLS, before the codec takes them.
    plain: Vec<u8>,
}

impl std::fmt::Debug for WsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsStream").field("tcp", &self.tcp).finish()
    }
}

fn seed() -> [u8; 24] {
    let mut seed = [0u8; 24];
    // Without the system's entropy the masks are merely predictable, which ZWS between
    // ZeroMQ peers does not rely on.
    let _ = getrandom::fill(&mut seed);
    seed
}

impl WsConfig {
    /// What the socket's type and options ask of its ws connections.
    pub(crate) fn for_options(
        options: &crate::options::Options,
        socket_type: zmtp::SocketType,
    ) -> WsConfig {
        use crate::security::Choice;
        use zmtp::greeting::MechanismName;
        let name = match options.security.choice {
            Choice::Null => MechanismName::NULL,
            Choice::Plain => MechanismName::PLAIN,
            Choice::Curve => MechanismName::CURVE,
        };
        WsConfig {
            mechanism: Mechanism {
                name,
                as_server: options.security.as_server,
            },
            socket_type,
            max_message: u64::try_from(options.maxmsgsize).unwrap_or(u64::MAX),
            wss: Box::new(options.wss.clone()),
            tls: None,
        }
    }
}

impl WsStream {
    /// A connection we made to `host`/`path`.
    pub(crate) fn client(
        tcp: mio::net::TcpStream,
        host: String,
        path: String,
        config: &WsConfig,
    ) -> io::Result<WsStream> {
        WsStream::new(tcp, Side::Client { host, path }, config)
    }

    /// A connection a listener accepted.
    pub(crate) fn server(tcp: mio::net::TcpStream, config: &WsConfig) -> io::Result<WsStream> {
        WsStream::new(tcp, Side::Server, config)
    }

    fn new(tcp: mio::net::TcpStream, side: Side, config: &WsConfig) -> io::Result<WsStream> {
        let tls = match &config.tls {
            Some(role) => Some(Box::new(role.start()?)),
            None => None,
        };
        let mut zws = Zws::new(
            side,
            config.mechanism,
            config.socket_type,
            config.max_message,
            seed(),
        );
        let mut to_wire = Vec::new();
        zws.start(&mut to_wire);
        Ok(WsStream {
            tcp,
            state: RefCell::new(State {
                zws,
                to_session: Vec::new(),
                taken: 0,
                to_wire,
                sent: 0,
                held: 0,
                eof: false,
                raw: Vec::new(),
                tls,
                plain: Vec::new(),
            }),
        })
    }

    /// Reads ZMTP bytes into the spare capacity of `buf`, at most `limit`.
    pub(crate) fn read_into(&self, buf: &mut BytesMut, limit: usize) -> io::Result<usize> {
        let asked = limit.min(buf.capacity() - buf.len());
        let mut state = self.state.borrow_mut();
        let n = state.fill(self.tcp.as_raw_fd(), asked)?;
        buf.extend_from_slice(&state.to_session[state.taken..state.taken + n]);
        state.consume(n);
        Ok(n)
    }

    /// [`WsStream::read_into`] for a plain vector.
    pub(crate) fn read_into_vec(&self, buf: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
        let asked = limit.min(buf.capacity() - buf.len());
        let mut state = self.state.borrow_mut();
        let n = state.fill(self.tcp.as_raw_fd(), asked)?;
        buf.extend_from_slice(&state.to_session[state.taken..state.taken + n]);
        state.consume(n);
        Ok(n)
    }

    /// Sends what the connection owes the wire on its own (a pong, a close echo, TLS
    /// records) and what an earlier write left: `Ok(true)` once all of it went, `Ok(false)`
    /// while the kernel takes no more. The engine calls it when it has nothing to write, so
    /// such bytes go out as soon as the wire has room, with no message to carry them.
    pub(crate) fn flush_pending(&mut self) -> io::Result<bool> {
        let fd = self.tcp.as_raw_fd();
        self.state.get_mut().flush_owed(fd)
    }

    /// Takes ZMTP bytes from the session; returns how many it may consider written.
    pub(crate) fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let fd = self.tcp.as_raw_fd();
        let state = self.state.get_mut();
        if !state.flush(fd)? {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        state.zws.write_owed(&mut state.to_wire);
        // The byte held back last time was translated then: it starts this input.
        let mut skip = std::mem::take(&mut state.held);
        let mut taken = 0;
        for buf in bufs {
            if taken >= WRITE_CHUNK {
                break;
            }
            let from = skip.min(buf.len());
            skip -= from;
            let slice = &buf[from..];
            let slice = &slice[..slice.len().min(WRITE_CHUNK - taken)];
            state.zws.handle_output(slice, &mut state.to_wire);
            taken += from + slice.len();
        }
        // A pong or close echo that waited for a frame to end goes with this write, not the
        // next one (which may never come).
        state.zws.write_owed(&mut state.to_wire);
        if state.flush(fd)? {
            return Ok(taken);
        }
        state.held = taken.min(1);
        match taken.saturating_sub(1) {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

impl State {
    /// Makes at least `asked` session bytes ready, or as many as the kernel has: returns
    /// how many to hand out now. A short count means the connection is drained.
    fn fill(&mut self, fd: i32, asked: usize) -> io::Result<usize> {
        loop {
            self.flush_owed(fd)?;
            let ready = self.to_session.len() - self.taken;
            if ready >= asked || (ready > 0 && self.eof) {
                return Ok(ready.min(asked));
            }
            if self.eof || self.zws.is_closed() {
                return Ok(ready.min(asked));
            }
            self.raw.clear();
            match crate::sys::read_into_vec(fd, reserve(&mut self.raw), RAW_READ) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && ready > 0 => return Ok(ready),
                Err(e) => return Err(e),
            }
            let raw = std::mem::take(&mut self.raw);
            if self.taken > 0 {
                self.to_session.drain(..self.taken);
                self.taken = 0;
            }
            let result = match self.tls.as_deref_mut() {
                None => self
                    .zws
                    .handle_input(&raw, &mut self.to_session, &mut self.to_wire),
                Some(tls) => {
                    let opened = open_records(tls, &raw, &mut self.plain, &mut self.eof);
                    if let Err(e) = opened {
                        // The alert rustls queued tells the peer why, best effort.
                        self.raw = raw;
                        let _ = self.flush(fd);
                        return Err(e);
                    }
                    let result =
                        self.zws
                            .handle_input(&self.plain, &mut self.to_session, &mut self.to_wire);
                    self.plain.clear();
                    result
                }
            };
            self.raw = raw;
            if let Err(e) = result {
                // What the peer is owed (a 400 answer, a close) goes out, best effort.
                let _ = self.flush(fd);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }

    /// Writes what the wire is owed and then the control frame owed to the peer, if the
    /// codec may send it now; `Ok(true)` once the wire took all of it. A pong or close echo
    /// joins the wire only once it took all before: a peer that pings and does not read
    /// costs one pending pong, not a growing buffer.
    fn flush_owed(&mut self, fd: i32) -> io::Result<bool> {
        if !self.flush(fd)? {
            return Ok(false);
        }
        self.zws.write_owed(&mut self.to_wire);
        self.flush(fd)
    }

    fn consume(&mut self, n: usize) {
        self.taken += n;
        if self.taken == self.to_session.len() {
            self.to_session.clear();
            self.taken = 0;
        }
    }

    /// Writes what the wire is owed; `Ok(true)` once all of it went (under TLS: once
    /// rustls took it all and sent every record it could make; before the handshake ends
    /// it keeps what it took, to send then).
    fn flush(&mut self, fd: i32) -> io::Result<bool> {
        if let Some(tls) = self.tls.as_deref_mut() {
            if self.sent < self.to_wire.len() {
                // No buffer limit is set: rustls takes everything.
                io::Write::write_all(&mut tls.writer(), &self.to_wire[self.sent..])?;
            }
            self.to_wire.clear();
            self.sent = 0;
            while tls.wants_write() {
                match tls.write_tls(&mut FdWriter(fd)) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(true);
        }
        while self.sent < self.to_wire.len() {
            match crate::sys::send_vectored(fd, &[IoSlice::new(&self.to_wire[self.sent..])]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.to_wire.clear();
        self.sent = 0;
        Ok(true)
    }
}

/// Feeds bytes read from the tcp connection to the TLS session and appends what they
/// decrypt to `plain`; sets `eof` when the peer closed the TLS session (or, with `raw`
/// empty, the tcp connection).
fn open_records(
    tls: &mut rustls::Connection,
    mut raw: &[u8],
    plain: &mut Vec<u8>,
    eof: &mut bool,
) -> io::Result<()> {
    let tls_error = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
    loop {
        let mut refused = false;
        if !raw.is_empty() || *eof {
            // From a slice a read cannot fail; rustls takes at most what it has room for,
            // and nothing once the peer's close_notify is in: what follows it is dropped
            // (feeding it again would never end).
            let before = raw.len();
            tls.read_tls(&mut raw)?;
            refused = before > 0 && raw.len() == before;
        }
        tls.process_new_packets().map_err(tls_error)?;
        loop {
            let at = plain.len();
            plain.resize(at + RAW_READ, 0);
            let read = io::Read::read(&mut tls.reader(), &mut plain[at..]);
            plain.truncate(at + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => {
                    *eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // The tcp connection closed without TLS's close_notify: an end all the same.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    *eof = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if refused {
            *eof = true;
            return Ok(());
        }
        if raw.is_empty() {
            return Ok(());
        }
    }
}

/// Writes TLS records straight to a non-blocking socket (`EPIPE`, never SIGPIPE).
struct FdWriter(i32);

impl io::Write for FdWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        crate::sys::send_vectored(self.0, &[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        crate::sys::send_vectored(self.0, bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The raw buffer with room for one read.
fn reserve(raw: &mut Vec<u8>) -> &mut Vec<u8> {
    raw.reserve(RAW_READ);
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server and a client session through their handshake, in memory.
    fn handshaken() -> (rustls::Connection, rustls::Connection) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .pem();
        let server = WssOptions {
            cert_pem: cert.clone().into_bytes(),
            key_pem: key.serialize_pem().into_bytes(),
            ..WssOptions::default()
        };
        let client = WssOptions {
            trust_pem: cert.into_bytes(),
            ..WssOptions::default()
        };
        let mut server = server.server().unwrap().start().unwrap();
        let mut client = client.client("localhost").unwrap().start().unwrap();
        for _ in 0..10 {
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            let (mut plain, mut eof) = (Vec::new(), false);
            open_records(&mut server, &wire, &mut plain, &mut eof).unwrap();
            let mut wire = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut wire).unwrap();
            }
            open_records(&mut client, &wire, &mut plain, &mut eof).unwrap();
        }
        assert!(!server.is_handshaking() && !client.is_handshaking());
        (server, client)
    }

    #[test]
    fn bytes_after_close_notify_end_the_session_instead_of_spinning() {
        let (mut server, mut client) = handshaken();
        io::Write::write_all(&mut client.writer(), b"last words").unwrap();
        client.send_close_notify();
        let mut wire = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut wire).unwrap();
        }
        // Far more than rustls takes in one read: before the fix this never returned.
        wire.extend(std::iter::repeat_n(0x17, 64 * 1024));
        let (mut plain, mut eof) = (Vec::new(), false);
        open_records(&mut server, &wire, &mut plain, &mut eof).unwrap();
        assert_eq!(plain, b"last words");
        assert!(eof);
    }
}
