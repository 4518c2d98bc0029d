//! Monitor events as typed values.

use super::{protocol_error, EventKind};
use std::fmt;
use std::os::fd::RawFd;
use std::time::Duration;

/// Something that happened to a socket's listeners or connections, as a [`Monitor`]
/// reports it. Each variant carries the endpoint it happened on (as bound, ephemeral port
/// resolved, for listeners and the connections they accept; as given to connect for
/// connections made) and what libzmq reports with it, typed.
///
/// [`kind`](Self::kind), [`endpoint`](Self::endpoint) and [`value`](Self::value) give the
/// event as libzmq's wire feed carries it.
///
/// ```
/// use ferrozmq::{Context, EventKind, MonitorEvent, PULL};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let socket = ctx.socket(PULL).unwrap();
/// let mut monitor = socket.monitor(EventKind::Listening.into()).unwrap();
/// let endpoint = socket.bind("tcp://127.0.0.1:*").unwrap();
/// match monitor.recv_timeout(Duration::from_secs(5)).unwrap() {
///     MonitorEvent::Listening { endpoint: listening, .. } => assert_eq!(listening, endpoint),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
///
/// [`Monitor`]: crate::Monitor
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MonitorEvent {
    /// A connect completed at the network level, before the ZMTP handshake.
    Connected {
        /// Where.
        endpoint: String,
        /// The connection's file descriptor.
        fd: RawFd,
    },
    /// A connect is in progress (it did not complete at once).
    ConnectDelayed {
        /// Where.
        endpoint: String,
    },
    /// A reconnection attempt is scheduled.
    ConnectRetried {
        /// Where.
        endpoint: String,
        /// When, from now: RECONNECT_IVL, backed off towards RECONNECT_IVL_MAX.
        interval: Duration,
    },
    /// A bind succeeded.
    Listening {
        /// The endpoint as bound.
        endpoint: String,
        /// The listening file descriptor.
        fd: RawFd,
    },
    /// A bind failed.
    BindFailed {
        /// The endpoint as given.
        endpoint: String,
        /// Why, as an `errno`.
        errno: i32,
    },
    /// A listener accepted a connection.
    Accepted {
        /// The listener's endpoint.
        endpoint: String,
        /// The connection's file descriptor.
        fd: RawFd,
    },
    /// A listener could not accept a connection.
    AcceptFailed {
        /// The listener's endpoint.
        endpoint: String,
        /// Why, as an `errno`.
        errno: i32,
    },
    /// The socket closed a listener (unbind, close) or a connect attempt that failed.
    Closed {
        /// Where.
        endpoint: String,
        /// The descriptor closed.
        fd: RawFd,
    },
    /// A connection was lost.
    Disconnected {
        /// Where.
        endpoint: String,
        /// The descriptor it had.
        fd: RawFd,
        /// Why.
        reason: DisconnectReason,
    },
    /// The ZMTP handshake failed for a reason other than the protocol: the peer hung up
    /// (`EPIPE`, `ECONNRESET`), HANDSHAKE_IVL ran out (`ETIMEDOUT`), a server needed a ZAP
    /// handler and none is bound (`EFAULT`).
    HandshakeFailedNoDetail {
        /// Where.
        endpoint: String,
        /// Why, as an `errno`.
        errno: i32,
    },
    /// The ZMTP handshake completed: messages flow.
    HandshakeSucceeded {
        /// Where.
        endpoint: String,
        /// The connection's file descriptor, as [`Accepted`](Self::Accepted) or
        /// [`Connected`](Self::Connected) gave it and [`Disconnected`](Self::Disconnected)
        /// will: it tells which connection completed, so that a count of live connections
        /// can be kept. (libzmq's wire feed carries 0 for this event: so does
        /// [`value`](Self::value).)
        fd: RawFd,
    },
    /// The peer broke the protocol during the handshake.
    HandshakeFailedProtocol {
        /// Where.
        endpoint: String,
        /// libzmq's `ZMQ_PROTOCOL_ERROR_*` code, see [`protocol_error`].
        code: u32,
    },
    /// Authentication failed: this server's ZAP handler refused the client, or the server
    /// refused this client.
    HandshakeFailedAuth {
        /// Where.
        endpoint: String,
        /// The ZAP status code: 300, 400 or 500.
        status_code: u16,
    },
    /// Monitoring ended: the socket closed. The last event of a monitor.
    MonitorStopped,
}

impl MonitorEvent {
    /// An event from what the engine reports: libzmq's kind, value and endpoint, and for a
    /// lost connection why. For a completed handshake `value` is the connection's
    /// descriptor (the wire feed carries 0). `None` for kinds ferrozmq never reports.
    pub(crate) fn new(
        kind: EventKind,
        value: u32,
        endpoint: &str,
        reason: Option<DisconnectReason>,
    ) -> Option<MonitorEvent> {
        let endpoint = endpoint.to_string();
        let fd = value as RawFd;
        let errno = value as i32;
        Some(match kind {
            EventKind::Connected => MonitorEvent::Connected { endpoint, fd },
            EventKind::ConnectDelayed => MonitorEvent::ConnectDelayed { endpoint },
            EventKind::ConnectRetried => MonitorEvent::ConnectRetried {
                endpoint,
                interval: Duration::from_millis(u64::from(value)),
            },
            EventKind::Listening => MonitorEvent::Listening { endpoint, fd },
            EventKind::BindFailed => MonitorEvent::BindFailed { endpoint, errno },
            EventKind::Accepted => MonitorEvent::Accepted { endpoint, fd },
            EventKind::AcceptFailed => MonitorEvent::AcceptFailed { endpoint, errno },
            EventKind::Closed => MonitorEvent::Closed { endpoint, fd },
            EventKind::CloseFailed => return None,
            EventKind::Disconnected => MonitorEvent::Disconnected {
                endpoint,
                fd,
                reason: reason?,
            },
            EventKind::MonitorStopped => MonitorEvent::MonitorStopped,
            EventKind::HandshakeFailedNoDetail => {
                MonitorEvent::HandshakeFailedNoDetail { endpoint, errno }
            }
            EventKind::HandshakeSucceeded => MonitorEvent::HandshakeSucceeded { endpoint, fd },
            EventKind::HandshakeFailedProtocol => MonitorEvent::HandshakeFailedProtocol {
                endpoint,
                code: value,
            },
            EventKind::HandshakeFailedAuth => MonitorEvent::HandshakeFailedAuth {
                endpoint,
                status_code: value as u16,
            },
        })
    }

    /// The kind of event, as libzmq numbers it.
    ///
    /// ```
    /// use ferrozmq::{EventKind, MonitorEvent};
    /// assert_eq!(MonitorEvent::MonitorStopped.kind(), EventKind::MonitorStopped);
    /// ```
    pub fn kind(&self) -> EventKind {
        match self {
            MonitorEvent::Connected { .. } => EventKind::Connected,
            MonitorEvent::ConnectDelayed { .. } => EventKind::ConnectDelayed,
            MonitorEvent::ConnectRetried { .. } => EventKind::ConnectRetried,
            MonitorEvent::Listening { .. } => EventKind::Listening,
            MonitorEvent::BindFailed { .. } => EventKind::BindFailed,
            MonitorEvent::Accepted { .. } => EventKind::Accepted,
            MonitorEvent::AcceptFailed { .. } => EventKind::AcceptFailed,
            MonitorEvent::Closed { .. } => EventKind::Closed,
            MonitorEvent::Disconnected { .. } => EventKind::Disconnected,
            MonitorEvent::HandshakeFailedNoDetail { .. } => EventKind::HandshakeFailedNoDetail,
            MonitorEvent::HandshakeSucceeded { .. } => EventKind::HandshakeSucceeded,
            MonitorEvent::HandshakeFailedProtocol { .. } => EventKind::HandshakeFailedProtocol,
            MonitorEvent::HandshakeFailedAuth { .. } => EventKind::HandshakeFailedAuth,
            MonitorEvent::MonitorStopped => EventKind::MonitorStopped,
        }
    }

    /// The endpoint the event happened on; empty for
    /// [`MonitorStopped`](Self::MonitorStopped).
    pub fn endpoint(&self) -> &str {
        match self {
            MonitorEvent::Connected { endpoint, .. }
            | MonitorEvent::ConnectDelayed { endpoint }
            | MonitorEvent::ConnectRetried { endpoint, .. }
            | MonitorEvent::Listening { endpoint, .. }
            | MonitorEvent::BindFailed { endpoint, .. }
            | MonitorEvent::Accepted { endpoint, .. }
            | MonitorEvent::AcceptFailed { endpoint, .. }
            | MonitorEvent::Closed { endpoint, .. }
            | MonitorEvent::Disconnected { endpoint, .. }
            | MonitorEvent::HandshakeFailedNoDetail { endpoint, .. }
            | MonitorEvent::HandshakeSucceeded { endpoint, .. }
            | MonitorEvent::HandshakeFailedProtocol { endpoint, .. }
            | MonitorEvent::HandshakeFailedAuth { endpoint, .. } => endpoint,
            MonitorEvent::MonitorStopped => "",
        }
    }

    /// The value libzmq's wire feed carries with the event (a descriptor, an `errno`, an
    /// interval in milliseconds, a code), as [`EventKind`] documents per kind.
    ///
    /// ```
    /// use ferrozmq::MonitorEvent;
    /// use std::time::Duration;
    /// let retry = MonitorEvent::ConnectRetried {
    ///     endpoint: "tcp://127.0.0.1:5555".into(),
    ///     interval: Duration::from_millis(200),
    /// };
    /// assert_eq!(retry.value(), 200);
    /// ```
    pub fn value(&self) -> u32 {
        match self {
            MonitorEvent::Connected { fd, .. }
            | MonitorEvent::Listening { fd, .. }
            | MonitorEvent::Accepted { fd, .. }
            | MonitorEvent::Closed { fd, .. }
            | MonitorEvent::Disconnected { fd, .. } => *fd as u32,
            MonitorEvent::BindFailed { errno, .. }
            | MonitorEvent::AcceptFailed { errno, .. }
            | MonitorEvent::HandshakeFailedNoDetail { errno, .. } => *errno as u32,
            MonitorEvent::ConnectDelayed { .. } => crate::sys::errno::EINPROGRESS as u32,
            MonitorEvent::ConnectRetried { interval, .. } => {
                u32::try_from(interval.as_millis()).unwrap_or(u32::MAX)
            }
            MonitorEvent::HandshakeFailedProtocol { code, .. } => *code,
            MonitorEvent::HandshakeFailedAuth { status_code, .. } => u32::from(*status_code),
            MonitorEvent::HandshakeSucceeded { .. } | MonitorEvent::MonitorStopped => 0,
        }
    }
}

/// Why a connection was lost ([`MonitorEvent::Disconnected`]).
///
/// ```
/// use ferrozmq::DisconnectReason;
/// assert_eq!(DisconnectReason::PeerClosed.to_string(), "the peer closed the connection");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The peer closed the connection, or reset it (`ECONNRESET`, `EPIPE`: it closed with
    /// data unread, or its process ended).
    PeerClosed,
    /// The handshake did not complete within HANDSHAKE_IVL (or, for a connect, within
    /// CONNECT_TIMEOUT).
    HandshakeTimeout,
    /// No traffic came from the peer within HEARTBEAT_TIMEOUT after a PING.
    HeartbeatTimeout,
    /// The peer broke the protocol (or a ZAP handler broke RFC 27): libzmq's
    /// `ZMQ_PROTOCOL_ERROR_*` code, see [`protocol_error`].
    Protocol {
        /// The code.
        code: u32,
    },
    /// Authentication failed: this server's ZAP handler refused the client, or the server
    /// refused this client.
    AuthenticationFailed {
        /// The ZAP status code: 300, 400 or 500.
        status_code: u16,
    },
    /// The connection failed in the operating system (`EHOSTUNREACH`, `ETIMEDOUT` from the
    /// kernel's own timers, ...), or the handshake could not be done (`EFAULT`: a server
    /// needed a ZAP handler and none is bound).
    Io {
        /// The `errno`.
        errno: i32,
    },
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::PeerClosed => f.write_str("the peer closed the connection"),
            DisconnectReason::HandshakeTimeout => f.write_str("the handshake timed out"),
            DisconnectReason::HeartbeatTimeout => {
                f.write_str("the peer was silent after a heartbeat")
            }
            DisconnectReason::Protocol { code } => {
                write!(f, "protocol error {code:#010x}")?;
                if *code & 0xF000_0000 == protocol_error::ZAP_UNSPECIFIED {
                    f.write_str(" (ZAP handler)")?;
                }
                Ok(())
            }
            DisconnectReason::AuthenticationFailed { status_code } => {
                write!(f, "authentication failed (ZAP status {status_code})")
            }
            DisconnectReason::Io { errno } => {
                write!(f, "{}", std::io::Error::from_raw_os_error(*errno))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_events_give_back_the_wire_values() {
        for kind in EventKind::ALL {
            let reason = Some(DisconnectReason::PeerClosed);
            let value = match kind {
                EventKind::ConnectDelayed => crate::sys::errno::EINPROGRESS as u32,
                EventKind::MonitorStopped => 0,
                _ => 0x1234,
            };
            // A completed handshake carries its descriptor typed, and 0 on the wire.
            let wire_value = match kind {
                EventKind::HandshakeSucceeded => 0,
                _ => value,
            };
            let endpoint = if kind == EventKind::MonitorStopped {
                ""
            } else {
                "tcp://127.0.0.1:1"
            };
            let Some(event) = MonitorEvent::new(kind, value, endpoint, reason) else {
                assert_eq!(kind, EventKind::CloseFailed);
                continue;
            };
            assert_eq!(event.kind(), kind);
            assert_eq!(event.value(), wire_value, "{kind}");
            assert_eq!(event.endpoint(), endpoint);
        }
    }
}
