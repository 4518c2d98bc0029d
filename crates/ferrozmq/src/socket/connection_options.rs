//! Options about connections: liveness, reconnection, and the operating system's socket
//! knobs. Like libzmq's, they take effect for binds and connects made after they are set.

use super::Socket;
use crate::error::{Error, Result};

/// RECONNECT_STOP flag: stop reconnecting when the peer refuses the connection
/// (`ZMQ_RECONNECT_STOP_CONN_REFUSED`).
pub const RECONNECT_STOP_CONN_REFUSED: i32 = crate::options::RECONNECT_STOP_CONN_REFUSED;
/// RECONNECT_STOP flag: stop reconnecting when a handshake fails
/// (`ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED`).
pub const RECONNECT_STOP_HANDSHAKE_FAILED: i32 = crate::options::RECONNECT_STOP_HANDSHAKE_FAILED;
/// RECONNECT_STOP flag: stop reconnecting once an established connection is lost
/// (`ZMQ_RECONNECT_STOP_AFTER_DISCONNECT`).
pub const RECONNECT_STOP_AFTER_DISCONNECT: i32 = crate::options::RECONNECT_STOP_AFTER_DISCONNECT;

fn at_least(value: i32, min: i32, what: &'static str) -> Result<i32> {
    if value < min {
        Err(Error::InvalidArgument(what))
    } else {
        Ok(value)
    }
}

/// Declares a getter and a setter for an `i32` option stored at `$($field).+`, accepting
/// values from `$min` up.
macro_rules! int_option {
    ($(#[$doc:meta])* $set:ident, $get:ident, $min:expr, $($field:ident).+) => {
        $(#[$doc])*
        pub fn $set(&self, value: i32) -> Result<()> {
            let value = at_least(
                value,
                $min,
                concat!(stringify!($set), ": value out of range"),
            )?;
            self.core().options.$($field).+ = value;
            Ok(())
        }

        #[doc = concat!("See [`", stringify!($set), "`](Self::", stringify!($set), ").")]
        pub fn $get(&self) -> Result<i32> {
            Ok(self.core().options.$($field).+)
        }
    };
}

impl Socket {
    int_option!(
        /// Milliseconds between ZMTP PINGs on each connection; 0 sends none
        /// (`ZMQ_HEARTBEAT_IVL`). A peer silent for HEARTBEAT_TIMEOUT after a PING is
        /// dropped, and reconnected if this side connected.
        set_heartbeat_ivl, get_heartbeat_ivl, 0, heartbeat_ivl
    );
    int_option!(
        /// Milliseconds the peer is asked, in each PING, to wait for traffic before it
        /// gives up on this side; rounded down to tenths of a second, at most 6553.5 s
        /// (`ZMQ_HEARTBEAT_TTL`).
        set_heartbeat_ttl, get_heartbeat_ttl, 0, heartbeat_ttl
    );
    int_option!(
        /// Milliseconds without any traffic after a PING before the connection is declared
        /// dead; -1 means HEARTBEAT_IVL (`ZMQ_HEARTBEAT_TIMEOUT`).
        set_heartbeat_timeout, get_heartbeat_timeout, -1, heartbeat_timeout
    );
    int_option!(
        /// Milliseconds a tcp connect may take before it is abandoned and retried; 0 leaves
        /// it to the system (`ZMQ_CONNECT_TIMEOUT`).
        set_connect_timeout, get_connect_timeout, 0, connect_timeout
    );
    int_option!(
        /// When to stop reconnecting: a combination of the `RECONNECT_STOP_*` flags, 0 never
        /// (`ZMQ_RECONNECT_STOP`).
        set_reconnect_stop, get_reconnect_stop, 0, reconnect_stop
    );
    int_option!(
        /// SO_KEEPALIVE on tcp connections: -1 leaves the system default, 0 off, 1 on
        /// (`ZMQ_TCP_KEEPALIVE`).
        set_tcp_keepalive, get_tcp_keepalive, -1, tuning.tcp_keepalive
    );
    int_option!(
        /// Seconds of idleness before the first keepalive probe; -1 leaves the system default
        /// (`ZMQ_TCP_KEEPALIVE_IDLE`).
        set_tcp_keepalive_idle, get_tcp_keepalive_idle, -1, tuning.tcp_keepalive_idle
    );
    int_option!(
        /// Unanswered keepalive probes before the connection is dropped; -1 leaves the
        /// system default (`ZMQ_TCP_KEEPALIVE_CNT`).
        set_tcp_keepalive_cnt, get_tcp_keepalive_cnt, -1, tuning.tcp_keepalive_cnt
    );
    int_option!(
        /// Seconds between keepalive probes; -1 leaves the system default
        /// (`ZMQ_TCP_KEEPALIVE_INTVL`).
        set_tcp_keepalive_intvl, get_tcp_keepalive_intvl, -1, tuning.tcp_keepalive_intvl
    );
    int_option!(
        /// Kernel send buffer size in bytes; -1 leaves the system default (`ZMQ_SNDBUF`).
        set_sndbuf, get_sndbuf, -1, tuning.sndbuf
    );
    int_option!(
        /// Kernel receive buffer size in bytes; -1 leaves the system default (`ZMQ_RCVBUF`).
        set_rcvbuf, get_rcvbuf, -1, tuning.rcvbuf
    );
    int_option!(
        /// IP type-of-service (DSCP/ECN byte) of outgoing packets; 0 leaves the system
        /// default (`ZMQ_TOS`).
        set_tos, get_tos, 0, tuning.tos
    );
    int_option!(
        /// Milliseconds unacknowledged data may wait before the system drops the connection
        /// (TCP_USER_TIMEOUT); 0 leaves the system default (`ZMQ_TCP_MAXRT`).
        set_tcp_maxrt, get_tcp_maxrt, 0, tuning.tcp_maxrt
    );

    /// Binds connections to a network interface (SO_BINDTODEVICE, usually needs
    /// privileges); empty removes the binding (`ZMQ_BINDTODEVICE`).
    pub fn set_bindtodevice(&self, interface: &str) -> Result<()> {
        if interface.len() >= libc::IFNAMSIZ || interface.contains('\0') {
            return Err(Error::InvalidArgument("interface name too long"));
        }
        self.core().options.tuning.bind_to_device = interface.to_string();
        Ok(())
    }

    /// See [`set_bindtodevice`](Self::set_bindtodevice).
    pub fn get_bindtodevice(&self) -> Result<String> {
        Ok(self.core().options.tuning.bind_to_device.clone())
    }

    /// Keep only the newest message in each queue: a receiver gets the latest message and
    /// the ones it did not read in time are dropped (`ZMQ_CONFLATE`). Multipart messages
    /// are not supported with it, as in libzmq.
    pub fn set_conflate(&self, on: bool) -> Result<()> {
        self.core().options.conflate = on;
        Ok(())
    }

    /// See [`set_conflate`](Self::set_conflate).
    pub fn get_conflate(&self) -> Result<bool> {
        Ok(self.core().options.conflate)
    }

    /// See [`set_reconnect_ivl_max`](Self::set_reconnect_ivl_max).
    pub fn get_reconnect_ivl_max(&self) -> Result<i32> {
        Ok(self.core().options.reconnect_ivl_max)
    }

    /// See [`set_handshake_ivl`](Self::set_handshake_ivl).
    pub fn get_handshake_ivl(&self) -> Result<i32> {
        Ok(self.core().options.handshake_ivl)
    }

    /// See [`set_maxmsgsize`](Self::set_maxmsgsize).
    pub fn get_maxmsgsize(&self) -> Result<i64> {
        Ok(self.core().options.maxmsgsize)
    }

    /// See [`set_immediate`](Self::set_immediate).
    pub fn get_immediate(&self) -> Result<bool> {
        Ok(self.core().options.immediate)
    }

    /// See [`set_ipv6`](Self::set_ipv6).
    pub fn get_ipv6(&self) -> Result<bool> {
        Ok(self.core().options.ipv6)
    }

    /// See [`set_backlog`](Self::set_backlog).
    pub fn get_backlog(&self) -> Result<i32> {
        Ok(self.core().options.backlog)
    }
}
