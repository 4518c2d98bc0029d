//! Socket monitoring: what happens to a socket's listeners and connections, reported as
//! libzmq's `zmq_socket_monitor` reports it.
//!
//! [`Socket::monitor`] makes the socket send each event, as it happens, to a PAIR socket of
//! its own bound on an `inproc://` endpoint. The application connects a PAIR there and reads
//! two-part messages in libzmq's (version 1) layout, so code written for libzmq's monitor
//! reads them unchanged; [`MonitorEvent::parse`] decodes them.
//!
//! ```text
//! part 1, 6 bytes: | event number: u16 LE | value: u32 LE |
//! part 2:          | endpoint (UTF-8 text)                |
//! ```
//!
//! Events come from the I/O threads, which must never wait for the application: an event
//! the feed has no room for is dropped. The feed holds as many events as an inproc pipe
//! holds messages, the monitor PAIR's SNDHWM plus the reader's RCVHWM (2000 by default);
//! while no reader is connected, it holds none.

use crate::context::ContextShared;
use crate::endpoint::Endpoint;
use crate::engine::ZapError;
use crate::error::{Error, Result};
use crate::socket::{Socket, DONTWAIT};
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use zmtp::{MechanismError, Message, ProtocolError, SocketType};

/// What happened, numbered as libzmq numbers its `ZMQ_EVENT_*` constants.
///
/// The numbers are bits, so a set of kinds is a mask: pass
/// `EventKind::Accepted as i32 | EventKind::Disconnected as i32`, or [`EventKind::ALL`], to
/// [`Socket::monitor`].
///
/// ```
/// use ferrozmq::EventKind;
/// assert_eq!(EventKind::Accepted as u16, 0x0020);
/// assert_eq!(EventKind::Accepted.name(), "ACCEPTED");
/// assert_eq!(EventKind::from_number(0x0008), Some(EventKind::Listening));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u16)]
pub enum EventKind {
    /// A connect completed at the network level (before the ZMTP handshake); value: the
    /// connection's file descriptor.
    Connected = 0x0001,
    /// A connect is in progress; value: `EINPROGRESS`, as libzmq reports it.
    ConnectDelayed = 0x0002,
    /// A reconnection attempt is scheduled; value: the interval in milliseconds.
    ConnectRetried = 0x0004,
    /// A bind succeeded; value: the listening file descriptor.
    Listening = 0x0008,
    /// A bind failed; value: the `errno`.
    BindFailed = 0x0010,
    /// A listener accepted a connection; value: the connection's file descriptor.
    Accepted = 0x0020,
    /// A listener could not accept a connection; value: the `errno`.
    AcceptFailed = 0x0040,
    /// The socket closed a listener (unbind, close) or a connect attempt that failed;
    /// value: the file descriptor.
    Closed = 0x0080,
    /// Closing a descriptor failed; value: the `errno`. Part of libzmq's numbering; never
    /// reported by ferrozmq, which has no way to observe such a failure.
    CloseFailed = 0x0100,
    /// A connection was lost (the peer went away, or broke the protocol); value: the file
    /// descriptor it had.
    Disconnected = 0x0200,
    /// Monitoring ended: [`Socket::monitor`] was called again, or the socket closed. The
    /// last event of a feed; its endpoint is empty.
    MonitorStopped = 0x0400,
    /// The ZMTP handshake failed for a reason other than the protocol (the peer hung up,
    /// HANDSHAKE_IVL ran out: `ETIMEDOUT`, a server needed a ZAP handler and none is
    /// bound: `EFAULT`); value: the `errno`.
    HandshakeFailedNoDetail = 0x0800,
    /// The ZMTP handshake completed; value: 0.
    HandshakeSucceeded = 0x1000,
    /// The peer broke the protocol during the handshake; value: one of libzmq's
    /// `ZMQ_PROTOCOL_ERROR_*` codes, see [`protocol_error`](crate::protocol_error).
    HandshakeFailedProtocol = 0x2000,
    /// Authentication failed; value: the ZAP status code (300, 400 or 500). A server reports
    /// it when its ZAP handler refused the client, a client when the server's ERROR carried
    /// such a code.
    HandshakeFailedAuth = 0x4000,
}

impl EventKind {
    /// The mask of every kind (`ZMQ_EVENT_ALL`).
    pub const ALL: i32 = 0xFFFF;

    /// The event number on the wire (`ZMQ_EVENT_*`).
    ///
    /// ```
    /// assert_eq!(ferrozmq::EventKind::HandshakeSucceeded.number(), 0x1000);
    /// ```
    pub fn number(self) -> u16 {
        self as u16
    }

    /// The kind an event number stands for, if it is one of libzmq's version 1 events.
    ///
    /// ```
    /// use ferrozmq::EventKind;
    /// assert_eq!(EventKind::from_number(0x0200), Some(EventKind::Disconnected));
    /// assert_eq!(EventKind::from_number(0x0003), None);
    /// ```
    pub fn from_number(number: u16) -> Option<EventKind> {
        Some(match number {
            0x0001 => EventKind::Connected,
            0x0002 => EventKind::ConnectDelayed,
            0x0004 => EventKind::ConnectRetried,
            0x0008 => EventKind::Listening,
            0x0010 => EventKind::BindFailed,
            0x0020 => EventKind::Accepted,
            0x0040 => EventKind::AcceptFailed,
            0x0080 => EventKind::Closed,
            0x0100 => EventKind::CloseFailed,
            0x0200 => EventKind::Disconnected,
            0x0400 => EventKind::MonitorStopped,
            0x0800 => EventKind::HandshakeFailedNoDetail,
            0x1000 => EventKind::HandshakeSucceeded,
            0x2000 => EventKind::HandshakeFailedProtocol,
            0x4000 => EventKind::HandshakeFailedAuth,
            _ => return None,
        })
    }

    /// The name libzmq gives the event, without its `ZMQ_EVENT_` prefix.
    ///
    /// ```
    /// assert_eq!(ferrozmq::EventKind::ConnectRetried.name(), "CONNECT_RETRIED");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Connected => "CONNECTED",
            EventKind::ConnectDelayed => "CONNECT_DELAYED",
            EventKind::ConnectRetried => "CONNECT_RETRIED",
            EventKind::Listening => "LISTENING",
            EventKind::BindFailed => "BIND_FAILED",
            EventKind::Accepted => "ACCEPTED",
            EventKind::AcceptFailed => "ACCEPT_FAILED",
            EventKind::Closed => "CLOSED",
            EventKind::CloseFailed => "CLOSE_FAILED",
            EventKind::Disconnected => "DISCONNECTED",
            EventKind::MonitorStopped => "MONITOR_STOPPED",
            EventKind::HandshakeFailedNoDetail => "HANDSHAKE_FAILED_NO_DETAIL",
            EventKind::HandshakeSucceeded => "HANDSHAKE_SUCCEEDED",
            EventKind::HandshakeFailedProtocol => "HANDSHAKE_FAILED_PROTOCOL",
            EventKind::HandshakeFailedAuth => "HANDSHAKE_FAILED_AUTH",
        }
    }

    fn bit(self) -> u32 {
        u32::from(self.number())
    }
}

/// The values of [`EventKind::HandshakeFailedProtocol`]: libzmq's
/// `ZMQ_PROTOCOL_ERROR_ZMTP_*` and `ZMQ_PROTOCOL_ERROR_ZAP_*` codes, for the errors ferrozmq
/// tells apart.
///
/// ```
/// assert_eq!(ferrozmq::protocol_error::ZMTP_INVALID_METADATA, 0x1000_0018);
/// ```
pub mod protocol_error {
    /// Any other breach of the protocol: no greeting, an unsupported version, a bad frame.
    pub const ZMTP_UNSPECIFIED: u32 = 0x1000_0000;
    /// A command or message arrived where the handshake expects another.
    pub const ZMTP_UNEXPECTED_COMMAND: u32 = 0x1000_0001;
    /// A command did not parse.
    pub const ZMTP_MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    /// The peer's metadata did not parse, or named a socket type ours cannot talk to.
    pub const ZMTP_INVALID_METADATA: u32 = 0x1000_0018;
    /// The peer uses another security mechanism.
    pub const ZMTP_MECHANISM_MISMATCH: u32 = 0x1100_0002;
    /// A command came out of order: a replayed or reordered CURVE command or message.
    pub const ZMTP_INVALID_SEQUENCE: u32 = 0x1000_0002;
    /// The CURVE key exchange failed (our side could not make keys or seal).
    pub const ZMTP_KEY_EXCHANGE: u32 = 0x1000_0003;
    /// A MESSAGE did not parse (CURVE traffic: too short, bad flags).
    pub const ZMTP_MALFORMED_COMMAND_MESSAGE: u32 = 0x1000_0012;
    /// A HELLO did not parse (or announced an unknown CurveZMQ version).
    pub const ZMTP_MALFORMED_COMMAND_HELLO: u32 = 0x1000_0013;
    /// An INITIATE did not parse.
    pub const ZMTP_MALFORMED_COMMAND_INITIATE: u32 = 0x1000_0014;
    /// An ERROR did not parse.
    pub const ZMTP_MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
    /// A READY did not parse.
    pub const ZMTP_MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
    /// A WELCOME did not parse.
    pub const ZMTP_MALFORMED_COMMAND_WELCOME: u32 = 0x1000_0017;
    /// A cryptographic box did not open, or held what it must not: a client with the wrong
    /// server key, an altered or truncated command or message.
    pub const ZMTP_CRYPTOGRAPHIC: u32 = 0x1100_0001;
    /// The ZAP handler failed in another way (it closed before answering).
    pub const ZAP_UNSPECIFIED: u32 = 0x2000_0000;
    /// The ZAP reply is not seven frames starting with an empty delimiter.
    pub const ZAP_MALFORMED_REPLY: u32 = 0x2000_0001;
    /// The ZAP reply answers another request.
    pub const ZAP_BAD_REQUEST_ID: u32 = 0x2000_0002;
    /// The ZAP reply is not version 1.0.
    pub const ZAP_BAD_VERSION: u32 = 0x2000_0003;
    /// The ZAP reply's status code is not 200, 300, 400 or 500.
    pub const ZAP_INVALID_STATUS_CODE: u32 = 0x2000_0004;
    /// The ZAP reply's metadata does not parse.
    pub const ZAP_INVALID_METADATA: u32 = 0x2000_0005;
}

/// The `ZMQ_PROTOCOL_ERROR_*` code closest to a ZMTP error.
pub(crate) fn protocol_error_code(error: &ProtocolError) -> u32 {
    use protocol_error::*;
    match error {
        ProtocolError::MechanismMismatch { .. } => ZMTP_MECHANISM_MISMATCH,
        ProtocolError::UnexpectedFrame { .. } => ZMTP_UNEXPECTED_COMMAND,
        ProtocolError::MalformedCommand | ProtocolError::CommandWithMore => {
            ZMTP_MALFORMED_COMMAND_UNSPECIFIED
        }
        // libzmq files a socket type it cannot talk to under metadata, where it is announced.
        ProtocolError::MalformedMetadata
        | ProtocolError::UnknownSocketType
        | ProtocolError::IncompatibleSocketType { .. } => ZMTP_INVALID_METADATA,
        ProtocolError::Mechanism(e) => mechanism_error_code(e),
        _ => ZMTP_UNSPECIFIED,
    }
}

/// The `ZMQ_PROTOCOL_ERROR_*` code for a security mechanism's failure.
fn mechanism_error_code(error: &MechanismError) -> u32 {
    use protocol_error::*;
    match error {
        MechanismError::MalformedCommand { command }
        | MechanismError::MalformedMetadata { command } => match *command {
            "HELLO" => ZMTP_MALFORMED_COMMAND_HELLO,
            "WELCOME" => ZMTP_MALFORMED_COMMAND_WELCOME,
            "INITIATE" => ZMTP_MALFORMED_COMMAND_INITIATE,
            "READY" => ZMTP_MALFORMED_COMMAND_READY,
            "ERROR" => ZMTP_MALFORMED_COMMAND_ERROR,
            "MESSAGE" => ZMTP_MALFORMED_COMMAND_MESSAGE,
            _ => ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
        },
        MechanismError::UnsupportedCurveVersion { .. } => ZMTP_MALFORMED_COMMAND_HELLO,
        MechanismError::BadMessageFlags(_) => ZMTP_MALFORMED_COMMAND_MESSAGE,
        MechanismError::Unexpected { .. } | MechanismError::NotReady => ZMTP_UNEXPECTED_COMMAND,
        MechanismError::BoxNotOpened { .. } | MechanismError::BadBoxContents { .. } => {
            ZMTP_CRYPTOGRAPHIC
        }
        MechanismError::NonceNotIncreasing { .. } => ZMTP_INVALID_SEQUENCE,
        MechanismError::NonceExhausted
        | MechanismError::SealFailed
        | MechanismError::Entropy(_) => ZMTP_KEY_EXCHANGE,
        _ => ZMTP_UNSPECIFIED,
    }
}

/// The ZAP status code when a handshake failed on authentication: our ZAP handler refused
/// the peer, or the server's ERROR refused us. Such failures are
/// [`EventKind::HandshakeFailedAuth`], not protocol errors.
pub(crate) fn auth_failure_status(error: &ProtocolError) -> Option<u32> {
    match error {
        ProtocolError::Mechanism(
            MechanismError::Refused { status_code, .. }
            | MechanismError::RefusedByPeer { status_code },
        ) => Some(u32::from(*status_code)),
        _ => None,
    }
}

/// The `ZMQ_PROTOCOL_ERROR_ZAP_*` code for a ZAP handler that broke RFC 27.
pub(crate) fn zap_error_code(error: ZapError) -> u32 {
    use protocol_error::*;
    match error {
        ZapError::MalformedReply => ZAP_MALFORMED_REPLY,
        ZapError::BadRequestId => ZAP_BAD_REQUEST_ID,
        ZapError::BadVersion => ZAP_BAD_VERSION,
        ZapError::InvalidStatusCode => ZAP_INVALID_STATUS_CODE,
        ZapError::InvalidMetadata => ZAP_INVALID_METADATA,
        ZapError::HandlerGone => ZAP_UNSPECIFIED,
    }
}

/// The `errno` to report for an I/O failure; errors that did not come from the kernel get
/// the one libzmq would have seen (a peer hanging up reads as `EPIPE`).
pub(crate) fn errno_of(error: &io::Error) -> u32 {
    let errno = error.raw_os_error().unwrap_or(match error.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::WriteZero => libc::EPIPE,
        io::ErrorKind::TimedOut => libc::ETIMEDOUT,
        io::ErrorKind::NotConnected => libc::ENOTCONN,
        _ => libc::EIO,
    });
    errno.unsigned_abs()
}

/// One event read from a monitor feed.
///
/// ```
/// use ferrozmq::{Context, EventKind, MonitorEvent, PAIR, PULL};
/// let ctx = Context::new();
/// let socket = ctx.socket(PULL).unwrap();
/// socket.monitor("inproc://pull-events", EventKind::Listening as i32).unwrap();
/// let events = ctx.socket(PAIR).unwrap();
/// events.connect("inproc://pull-events").unwrap();
///
/// socket.bind("tcp://127.0.0.1:*").unwrap();
/// events.set_rcvtimeo(5000).unwrap();
/// let event = MonitorEvent::recv(&events, 0).unwrap();
/// assert_eq!(event.kind, EventKind::Listening);
/// assert_eq!(event.endpoint, socket.get_last_endpoint().unwrap().unwrap());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorEvent {
    /// What happened.
    pub kind: EventKind,
    /// A file descriptor, `errno`, interval or code, as [`EventKind`] documents per kind.
    pub value: u32,
    /// The endpoint it happened on: as bound (ephemeral port resolved) for listeners and the
    /// connections they accept, as given to connect for connections made. Empty for
    /// [`EventKind::MonitorStopped`].
    pub endpoint: String,
}

/// Length of an event's first part: the number (u16) and the value (u32).
const HEADER_LEN: usize = 6;

impl MonitorEvent {
    /// Decodes the two parts of a monitor message (libzmq's version 1 layout).
    ///
    /// ```
    /// use ferrozmq::{EventKind, Message, MonitorEvent};
    /// let parts = [
    ///     Message::from(vec![0x20, 0x00, 0x07, 0x00, 0x00, 0x00]),
    ///     Message::from("tcp://127.0.0.1:5555"),
    /// ];
    /// let event = MonitorEvent::parse(&parts).unwrap();
    /// assert_eq!(event.kind, EventKind::Accepted);
    /// assert_eq!(event.value, 7);
    /// assert_eq!(event.endpoint, "tcp://127.0.0.1:5555");
    /// ```
    pub fn parse(parts: &[Message]) -> Result<MonitorEvent> {
        let [header, endpoint] = parts else {
            return Err(Error::InvalidArgument(
                "a monitor event has two parts: event and value, then the endpoint",
            ));
        };
        let header: [u8; HEADER_LEN] = header[..]
            .try_into()
            .map_err(|_| Error::InvalidArgument("a monitor event's first part is 6 bytes long"))?;
        let [n0, n1, v0, v1, v2, v3] = header;
        let kind = EventKind::from_number(u16::from_le_bytes([n0, n1]))
            .ok_or(Error::InvalidArgument("unknown monitor event number"))?;
        let endpoint = std::str::from_utf8(endpoint)
            .map_err(|_| Error::InvalidArgument("a monitor event's endpoint is not UTF-8"))?;
        Ok(MonitorEvent {
            kind,
            value: u32::from_le_bytes([v0, v1, v2, v3]),
            endpoint: endpoint.to_string(),
        })
    }

    /// Receives and decodes the next event from a PAIR connected to a monitor endpoint.
    /// `flags` and RCVTIMEO apply as to [`Socket::recv_multipart`].
    ///
    /// See [`MonitorEvent`] for an example.
    pub fn recv(monitor: &Socket, flags: i32) -> Result<MonitorEvent> {
        MonitorEvent::parse(&monitor.recv_multipart(flags)?)
    }
}

/// The two parts of an event on the wire.
fn encode(kind: EventKind, value: u32, endpoint: &str) -> [Message; 2] {
    let mut header = [0u8; HEADER_LEN];
    header[..2].copy_from_slice(&kind.number().to_le_bytes());
    header[2..].copy_from_slice(&value.to_le_bytes());
    [Message::from(&header), Message::from(endpoint)]
}

/// Where a socket's events go: nowhere (an unmonitored socket pays one atomic load per
/// event), or to the PAIR socket [`Socket::monitor`] bound.
#[derive(Default)]
pub(crate) struct Monitor {
    /// The kinds asked for, 0 while not monitoring; read without the lock.
    mask: AtomicU32,
    feed: Mutex<Option<Feed>>,
}

struct Feed {
    socket: Socket,
    mask: u32,
}

impl Monitor {
    fn lock(&self) -> MutexGuard<'_, Option<Feed>> {
        self.feed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reports an event, if it was asked for. Never blocks on the reader.
    #[inline]
    pub(crate) fn emit(&self, kind: EventKind, value: u32, endpoint: &str) {
        if self.mask.load(Ordering::Relaxed) & kind.bit() != 0 {
            self.send(kind, value, endpoint);
        }
    }

    #[cold]
    fn send(&self, kind: EventKind, value: u32, endpoint: &str) {
        // The mask may have changed since the unlocked look: the feed's own is the truth.
        if let Some(feed) = self.lock().as_ref().filter(|f| f.mask & kind.bit() != 0) {
            // A reader that is behind or absent loses the event (see the module docs).
            let _ = feed
                .socket
                .send_multipart(encode(kind, value, endpoint), DONTWAIT);
        }
    }

    /// Starts (or restarts, or with an empty endpoint stops) monitoring, as
    /// [`Socket::monitor`] documents.
    pub(crate) fn open(&self, ctx: &Arc<ContextShared>, endpoint: &str, events: i32) -> Result<()> {
        if endpoint.is_empty() {
            self.stop();
            return Ok(());
        }
        // Version 1 events fill 16 bits; libzmq refuses masks beyond them.
        let mask = u32::try_from(events)
            .ok()
            .filter(|m| *m <= EventKind::ALL as u32)
            .ok_or(Error::InvalidArgument(
                "monitor events must be a mask of 16 bits",
            ))?;
        if !matches!(Endpoint::parse(endpoint)?, Endpoint::Inproc(_)) {
            return Err(Error::ProtocolNotSupported(endpoint.to_string()));
        }
        if ctx.is_terminated() {
            return Err(Error::Terminated);
        }
        // The old feed goes first, so that its endpoint can be bound again.
        self.stop();
        let socket = Socket::new(ctx.clone(), SocketType::Pair)?;
        socket.set_linger(0)?;
        socket.bind(endpoint)?;
        *self.lock() = Some(Feed { socket, mask });
        self.mask.store(mask, Ordering::Relaxed);
        Ok(())
    }

    /// Ends monitoring with a MONITOR_STOPPED event, if one was asked for.
    pub(crate) fn stop(&self) {
        let mut feed = self.lock();
        self.mask.store(0, Ordering::Relaxed);
        let Some(old) = feed.take() else {
            return;
        };
        drop(feed);
        if old.mask & EventKind::MonitorStopped.bit() != 0 {
            let stopped = encode(EventKind::MonitorStopped, 0, "");
            let _ = old.socket.send_multipart(stopped, DONTWAIT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_names_the_kind_it_came_from() {
        for bit in 0..16 {
            let number = 1u16 << bit;
            match EventKind::from_number(number) {
                Some(kind) => assert_eq!(kind.number(), number, "{}", kind.name()),
                None => assert_eq!(number, 0x8000, "only the top bit is unassigned"),
            }
        }
    }

    #[test]
    fn encoded_events_parse_back() {
        let parts = encode(EventKind::ConnectRetried, 0x0102_0304, "tcp://[::1]:5");
        assert_eq!(&parts[0][..], &[0x04, 0x00, 0x04, 0x03, 0x02, 0x01]);
        let event = MonitorEvent::parse(&parts).unwrap();
        assert_eq!(
            event,
            MonitorEvent {
                kind: EventKind::ConnectRetried,
                value: 0x0102_0304,
                endpoint: "tcp://[::1]:5".to_string(),
            }
        );
    }

    #[test]
    fn malformed_feeds_are_refused() {
        let endpoint = Message::from("tcp://127.0.0.1:1");
        let short = Message::from(vec![0x01, 0x00, 0x00]);
        let unknown = Message::from(vec![0x03, 0x00, 0, 0, 0, 0]);
        let good = Message::from(vec![0x01, 0x00, 0, 0, 0, 0]);
        assert!(MonitorEvent::parse(std::slice::from_ref(&good)).is_err());
        assert!(MonitorEvent::parse(&[short, endpoint.clone()]).is_err());
        assert!(MonitorEvent::parse(&[unknown, endpoint]).is_err());
        assert!(MonitorEvent::parse(&[good, Message::from(vec![0xFF])]).is_err());
    }

    #[test]
    fn protocol_errors_map_to_libzmq_codes() {
        let peer_type = ProtocolError::IncompatibleSocketType {
            ours: SocketType::Req,
            theirs: SocketType::Pub,
        };
        assert_eq!(protocol_error_code(&peer_type), 0x1000_0018);
        assert_eq!(
            protocol_error_code(&ProtocolError::BadSignature),
            0x1000_0000
        );
        let unexpected = ProtocolError::UnexpectedFrame { expected: "READY" };
        assert_eq!(protocol_error_code(&unexpected), 0x1000_0001);
    }

    #[test]
    fn io_errors_report_errno() {
        let reset = io::Error::from_raw_os_error(libc::ECONNRESET);
        assert_eq!(errno_of(&reset), libc::ECONNRESET as u32);
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(errno_of(&eof), libc::EPIPE as u32);
    }
}
