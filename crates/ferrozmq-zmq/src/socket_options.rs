//! Socket options by the `zmq` crate's names and integer encodings (`-1` for "for ever",
//! "never" or "the system's default", times in milliseconds), over ferrozmq's typed
//! [`SocketOptions`](ferrozmq::SocketOptions).
//!
//! libzmq checks values, and so do these: what it refuses (a negative high-water mark, a
//! LINGER below -1, ...) fails with [`Error::EINVAL`]. Options libzmq can only set have
//! getters that fail with [`Error::EINVAL`] too, as libzmq's `zmq_getsockopt` does.

use crate::error::Error;
use crate::poll::PollEvents;
use crate::socket::{Mechanism, Socket};
use crate::Result;
use std::os::unix::io::RawFd;
use std::time::Duration;

type Text = std::result::Result<String, Vec<u8>>;

/// Milliseconds that must not be negative.
fn millis(ms: i32) -> Result<Duration> {
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| Error::EINVAL)
}

/// Milliseconds where -1 means none.
fn millis_or_none(ms: i32) -> Result<Option<Duration>> {
    match ms {
        -1 => Ok(None),
        ms => millis(ms).map(Some),
    }
}

/// Whole seconds where -1 means none.
fn seconds_or_none(seconds: i32) -> Result<Option<Duration>> {
    match seconds {
        -1 => Ok(None),
        s => u64::try_from(s)
            .map(|s| Some(Duration::from_secs(s)))
            .map_err(|_| Error::EINVAL),
    }
}

/// A value that must not be negative.
fn count<T: TryFrom<i32>>(value: i32) -> Result<T> {
    T::try_from(value).map_err(|_| Error::EINVAL)
}

/// A value where -1 means none.
fn count_or_none<T: TryFrom<i32>>(value: i32) -> Result<Option<T>> {
    match value {
        -1 => Ok(None),
        value => count(value).map(Some),
    }
}

fn to_int(value: impl TryInto<i32>) -> i32 {
    value.try_into().unwrap_or(i32::MAX)
}

fn to_millis(time: Duration) -> i32 {
    to_int(time.as_millis())
}

fn to_millis_or_minus_one(time: Option<Duration>) -> i32 {
    time.map_or(-1, to_millis)
}

fn to_seconds_or_minus_one(time: Option<Duration>) -> i32 {
    time.map_or(-1, |t| to_int(t.as_secs()))
}

/// A libzmq key option's value: its 32 bytes, zeros when unset.
fn key_bytes(key: Option<&[u8; 32]>) -> Vec<u8> {
    key.map_or_else(|| vec![0; 32], |k| k.to_vec())
}

/// Answer of the options of features this library does not have.
fn unavailable<T>() -> Result<T> {
    Err(Error::EINVAL)
}

impl Socket {
    fn options(&self) -> ferrozmq::SocketOptions<'_> {
        self.native().options()
    }

    /// `ZMQ_IPV6`: whether host names and wildcards use IPv6 too.
    pub fn is_ipv6(&self) -> Result<bool> {
        Ok(self.options().ipv6())
    }

    /// See [`is_ipv6`](Self::is_ipv6).
    pub fn set_ipv6(&self, value: bool) -> Result<()> {
        Ok(self.options().set_ipv6(value)?)
    }

    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    pub fn is_immediate(&self) -> Result<bool> {
        Ok(self.options().immediate())
    }

    /// See [`is_immediate`](Self::is_immediate).
    pub fn set_immediate(&self, value: bool) -> Result<()> {
        Ok(self.options().set_immediate(value)?)
    }

    /// `ZMQ_PLAIN_SERVER`: act as a PLAIN server.
    pub fn is_plain_server(&self) -> Result<bool> {
        Ok(self.options().plain_server())
    }

    /// See [`is_plain_server`](Self::is_plain_server).
    pub fn set_plain_server(&self, value: bool) -> Result<()> {
        Ok(self.options().set_plain_server(value)?)
    }

    /// `ZMQ_CONFLATE`: keep only the newest message in each queue.
    pub fn is_conflate(&self) -> Result<bool> {
        Ok(self.options().conflate())
    }

    /// See [`is_conflate`](Self::is_conflate).
    pub fn set_conflate(&self, value: bool) -> Result<()> {
        Ok(self.options().set_conflate(value)?)
    }

    /// `ZMQ_PROBE_ROUTER` can only be set: [`Error::EINVAL`], as from libzmq.
    pub fn is_probe_router(&self) -> Result<bool> {
        unavailable()
    }

    /// `ZMQ_PROBE_ROUTER`: a ROUTER, DEALER or REQ sends an empty message to each peer it
    /// connects to.
    pub fn set_probe_router(&self, value: bool) -> Result<()> {
        Ok(self.options().set_probe_router(value)?)
    }

    /// `ZMQ_ROUTER_MANDATORY` can only be set: [`Error::EINVAL`], as from libzmq.
    pub fn is_router_mandatory(&self) -> Result<bool> {
        unavailable()
    }

    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER fails with [`Error::EHOSTUNREACH`] to send to an
    /// unknown peer, rather than drop the message.
    pub fn set_router_mandatory(&self, value: bool) -> Result<()> {
        Ok(self.options().set_router_mandatory(value)?)
    }

    /// `ZMQ_ROUTER_HANDOVER` can only be set: [`Error::EINVAL`], as from libzmq.
    pub fn is_router_handover(&self) -> Result<bool> {
        unavailable()
    }

    /// `ZMQ_ROUTER_HANDOVER`: a ROUTER gives a routing id in use to the newest peer that
    /// claims it.
    pub fn set_router_handover(&self, value: bool) -> Result<()> {
        Ok(self.options().set_router_handover(value)?)
    }

    /// `ZMQ_CURVE_SERVER`: act as a CURVE server.
    pub fn is_curve_server(&self) -> Result<bool> {
        Ok(self.options().curve_server())
    }

    /// See [`is_curve_server`](Self::is_curve_server).
    pub fn set_curve_server(&self, value: bool) -> Result<()> {
        Ok(self.options().set_curve_server(value)?)
    }

    /// `ZMQ_GSSAPI_SERVER`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn is_gssapi_server(&self) -> Result<bool> {
        unavailable()
    }

    /// `ZMQ_GSSAPI_SERVER`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn set_gssapi_server(&self, _value: bool) -> Result<()> {
        unavailable()
    }

    /// `ZMQ_GSSAPI_PLAINTEXT`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn is_gssapi_plaintext(&self) -> Result<bool> {
        unavailable()
    }

    /// `ZMQ_GSSAPI_PLAINTEXT`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn set_gssapi_plaintext(&self, _value: bool) -> Result<()> {
        unavailable()
    }

    /// `ZMQ_REQ_RELAXED`: a REQ may send a new request without waiting for the reply.
    pub fn set_req_relaxed(&self, value: bool) -> Result<()> {
        Ok(self.options().set_req_relaxed(value)?)
    }

    /// `ZMQ_REQ_CORRELATE`: a REQ matches replies to requests by an id it adds.
    pub fn set_req_correlate(&self, value: bool) -> Result<()> {
        Ok(self.options().set_req_correlate(value)?)
    }

    /// `ZMQ_MAXMSGSIZE`: the largest part accepted from peers, in bytes; -1 (the default)
    /// for no limit.
    pub fn get_maxmsgsize(&self) -> Result<i64> {
        Ok(self
            .options()
            .maxmsgsize()
            .map_or(-1, |max| i64::try_from(max).unwrap_or(i64::MAX)))
    }

    /// See [`get_maxmsgsize`](Self::get_maxmsgsize); any negative value is no limit.
    pub fn set_maxmsgsize(&self, value: i64) -> Result<()> {
        Ok(self.options().set_maxmsgsize(u64::try_from(value).ok())?)
    }

    /// `ZMQ_SNDHWM`: messages queued per peer for sending; 0 for no limit.
    pub fn get_sndhwm(&self) -> Result<i32> {
        Ok(to_int(self.options().sndhwm()))
    }

    /// See [`get_sndhwm`](Self::get_sndhwm).
    pub fn set_sndhwm(&self, value: i32) -> Result<()> {
        Ok(self.options().set_sndhwm(count(value)?)?)
    }

    /// `ZMQ_RCVHWM`: messages queued per peer for receiving; 0 for no limit.
    pub fn get_rcvhwm(&self) -> Result<i32> {
        Ok(to_int(self.options().rcvhwm()))
    }

    /// See [`get_rcvhwm`](Self::get_rcvhwm).
    pub fn set_rcvhwm(&self, value: i32) -> Result<()> {
        Ok(self.options().set_rcvhwm(count(value)?)?)
    }

    /// `ZMQ_AFFINITY`: the I/O threads that may serve the socket's connections, bit `i`
    /// for thread `i`; 0 (the default) for any.
    pub fn get_affinity(&self) -> Result<u64> {
        Ok(self.options().affinity())
    }

    /// See [`get_affinity`](Self::get_affinity).
    pub fn set_affinity(&self, value: u64) -> Result<()> {
        Ok(self.options().set_affinity(value)?)
    }

    /// `ZMQ_RATE`, in kilobits per second (default 100). Only multicast transports (PGM,
    /// NORM) use it, and there are none here: the value is kept and read back, as libzmq
    /// built without them does.
    pub fn get_rate(&self) -> Result<i32> {
        Ok(i32::try_from(self.options().rate()).unwrap_or(i32::MAX))
    }

    /// See [`get_rate`](Self::get_rate); it must be positive.
    pub fn set_rate(&self, value: i32) -> Result<()> {
        if value <= 0 {
            return Err(Error::EINVAL);
        }
        Ok(self.options().set_rate(value as u32)?)
    }

    /// `ZMQ_RECOVERY_IVL`, in milliseconds (default 10 000). Like
    /// [`get_rate`](Self::get_rate), kept and read back, with no effect.
    pub fn get_recovery_ivl(&self) -> Result<i32> {
        Ok(to_millis(self.options().recovery_ivl()))
    }

    /// See [`get_recovery_ivl`](Self::get_recovery_ivl); it must not be negative.
    pub fn set_recovery_ivl(&self, value: i32) -> Result<()> {
        Ok(self.options().set_recovery_ivl(millis(value)?)?)
    }

    /// `ZMQ_SNDBUF`: the kernel's send buffer of each connection, in bytes; -1 (the
    /// default) for the system's.
    pub fn get_sndbuf(&self) -> Result<i32> {
        Ok(self.options().sndbuf().map_or(-1, to_int))
    }

    /// See [`get_sndbuf`](Self::get_sndbuf).
    pub fn set_sndbuf(&self, value: i32) -> Result<()> {
        Ok(self.options().set_sndbuf(count_or_none(value)?)?)
    }

    /// `ZMQ_RCVBUF`: the kernel's receive buffer of each connection, in bytes; -1 (the
    /// default) for the system's.
    pub fn get_rcvbuf(&self) -> Result<i32> {
        Ok(self.options().rcvbuf().map_or(-1, to_int))
    }

    /// See [`get_rcvbuf`](Self::get_rcvbuf).
    pub fn set_rcvbuf(&self, value: i32) -> Result<()> {
        Ok(self.options().set_rcvbuf(count_or_none(value)?)?)
    }

    /// `ZMQ_TOS`: the IP type-of-service of connections, 0 to 255.
    pub fn get_tos(&self) -> Result<i32> {
        Ok(i32::from(self.options().tos()))
    }

    /// See [`get_tos`](Self::get_tos).
    pub fn set_tos(&self, value: i32) -> Result<()> {
        Ok(self.options().set_tos(count(value)?)?)
    }

    /// `ZMQ_LINGER`: how long, in milliseconds, messages queued at close may take to go
    /// out; -1 (the default) for as long as it takes.
    pub fn get_linger(&self) -> Result<i32> {
        Ok(to_millis_or_minus_one(self.options().linger()))
    }

    /// See [`get_linger`](Self::get_linger).
    pub fn set_linger(&self, value: i32) -> Result<()> {
        Ok(self.options().set_linger(millis_or_none(value)?)?)
    }

    /// `ZMQ_RECONNECT_IVL`: milliseconds between reconnection attempts (default 100); -1
    /// never reconnects.
    pub fn get_reconnect_ivl(&self) -> Result<i32> {
        Ok(to_millis_or_minus_one(self.options().reconnect_ivl()))
    }

    /// See [`get_reconnect_ivl`](Self::get_reconnect_ivl).
    pub fn set_reconnect_ivl(&self, value: i32) -> Result<()> {
        Ok(self.options().set_reconnect_ivl(millis_or_none(value)?)?)
    }

    /// `ZMQ_RECONNECT_IVL_MAX`: the bound, in milliseconds, of the doubling reconnection
    /// interval; 0 (the default) keeps it fixed.
    pub fn get_reconnect_ivl_max(&self) -> Result<i32> {
        Ok(to_millis(self.options().reconnect_ivl_max()))
    }

    /// See [`get_reconnect_ivl_max`](Self::get_reconnect_ivl_max).
    pub fn set_reconnect_ivl_max(&self, value: i32) -> Result<()> {
        Ok(self.options().set_reconnect_ivl_max(millis(value)?)?)
    }

    /// `ZMQ_BACKLOG`: connections the kernel holds for later binds until they are
    /// accepted (default 100).
    pub fn get_backlog(&self) -> Result<i32> {
        Ok(to_int(self.options().backlog()))
    }

    /// See [`get_backlog`](Self::get_backlog).
    pub fn set_backlog(&self, value: i32) -> Result<()> {
        Ok(self.options().set_backlog(count(value)?)?)
    }

    /// `ZMQ_FD`: a descriptor that becomes readable when the socket's
    /// [`get_events`](Self::get_events) may have changed, for an external event loop. It
    /// stays the same for the socket's life.
    pub fn get_fd(&self) -> Result<RawFd> {
        Ok(self.native().fd()?)
    }

    /// `ZMQ_EVENTS`: whether a message can be received ([`POLLIN`](crate::POLLIN)) or sent
    /// ([`POLLOUT`](crate::POLLOUT)) now.
    pub fn get_events(&self) -> Result<PollEvents> {
        let events = self.native().events()?;
        Ok(PollEvents::from_bits_truncate(events.bits()))
    }

    /// `ZMQ_MULTICAST_HOPS`: how many routers the multicast datagrams may cross, 1 to 255
    /// (default 1).
    pub fn get_multicast_hops(&self) -> Result<i32> {
        Ok(i32::from(self.options().multicast_hops()))
    }

    /// See [`get_multicast_hops`](Self::get_multicast_hops).
    pub fn set_multicast_hops(&self, value: i32) -> Result<()> {
        Ok(self.options().set_multicast_hops(count(value)?)?)
    }

    /// `ZMQ_RCVTIMEO`: how long, in milliseconds, a receive waits before it fails with
    /// [`Error::EAGAIN`]; -1 (the default) for ever.
    pub fn get_rcvtimeo(&self) -> Result<i32> {
        Ok(to_millis_or_minus_one(self.options().rcvtimeo()))
    }

    /// See [`get_rcvtimeo`](Self::get_rcvtimeo).
    pub fn set_rcvtimeo(&self, value: i32) -> Result<()> {
        Ok(self.options().set_rcvtimeo(millis_or_none(value)?)?)
    }

    /// `ZMQ_SNDTIMEO`: how long, in milliseconds, a send waits before it fails with
    /// [`Error::EAGAIN`]; -1 (the default) for ever.
    pub fn get_sndtimeo(&self) -> Result<i32> {
        Ok(to_millis_or_minus_one(self.options().sndtimeo()))
    }

    /// See [`get_sndtimeo`](Self::get_sndtimeo).
    pub fn set_sndtimeo(&self, value: i32) -> Result<()> {
        Ok(self.options().set_sndtimeo(millis_or_none(value)?)?)
    }

    /// `ZMQ_TCP_KEEPALIVE`: SO_KEEPALIVE on tcp connections, 1 on, 0 off, -1 (the default)
    /// the system's.
    pub fn get_tcp_keepalive(&self) -> Result<i32> {
        Ok(self.options().tcp_keepalive().map_or(-1, i32::from))
    }

    /// See [`get_tcp_keepalive`](Self::get_tcp_keepalive).
    pub fn set_tcp_keepalive(&self, value: i32) -> Result<()> {
        let on = match value {
            -1 => None,
            0 => Some(false),
            1 => Some(true),
            _ => return Err(Error::EINVAL),
        };
        Ok(self.options().set_tcp_keepalive(on)?)
    }

    /// `ZMQ_TCP_KEEPALIVE_CNT`: unanswered keepalive probes before a connection is
    /// dropped; -1 (the default) for the system's.
    pub fn get_tcp_keepalive_cnt(&self) -> Result<i32> {
        Ok(self.options().tcp_keepalive_cnt().map_or(-1, to_int))
    }

    /// See [`get_tcp_keepalive_cnt`](Self::get_tcp_keepalive_cnt).
    pub fn set_tcp_keepalive_cnt(&self, value: i32) -> Result<()> {
        Ok(self
            .options()
            .set_tcp_keepalive_cnt(count_or_none(value)?)?)
    }

    /// `ZMQ_TCP_KEEPALIVE_IDLE`: seconds of idleness before the first keepalive probe; -1
    /// (the default) for the system's.
    pub fn get_tcp_keepalive_idle(&self) -> Result<i32> {
        Ok(to_seconds_or_minus_one(self.options().tcp_keepalive_idle()))
    }

    /// See [`get_tcp_keepalive_idle`](Self::get_tcp_keepalive_idle).
    pub fn set_tcp_keepalive_idle(&self, value: i32) -> Result<()> {
        Ok(self
            .options()
            .set_tcp_keepalive_idle(seconds_or_none(value)?)?)
    }

    /// `ZMQ_TCP_KEEPALIVE_INTVL`: seconds between keepalive probes; -1 (the default) for
    /// the system's.
    pub fn get_tcp_keepalive_intvl(&self) -> Result<i32> {
        Ok(to_seconds_or_minus_one(
            self.options().tcp_keepalive_intvl(),
        ))
    }

    /// See [`get_tcp_keepalive_intvl`](Self::get_tcp_keepalive_intvl).
    pub fn set_tcp_keepalive_intvl(&self, value: i32) -> Result<()> {
        Ok(self
            .options()
            .set_tcp_keepalive_intvl(seconds_or_none(value)?)?)
    }

    /// `ZMQ_HANDSHAKE_IVL`: milliseconds a new connection has for its handshake (default
    /// 30 000); 0 for no limit.
    pub fn get_handshake_ivl(&self) -> Result<i32> {
        Ok(to_millis(self.options().handshake_ivl()))
    }

    /// See [`get_handshake_ivl`](Self::get_handshake_ivl).
    pub fn set_handshake_ivl(&self, value: i32) -> Result<()> {
        Ok(self.options().set_handshake_ivl(millis(value)?)?)
    }

    /// `ZMQ_ROUTING_ID` (formerly `ZMQ_IDENTITY`): the id this socket gives ROUTER peers,
    /// 1 to 255 bytes.
    pub fn set_identity(&self, value: &[u8]) -> Result<()> {
        Ok(self.options().set_routing_id(value)?)
    }

    /// See [`set_identity`](Self::set_identity); empty when none was set.
    pub fn get_identity(&self) -> Result<Vec<u8>> {
        Ok(self.options().routing_id())
    }

    /// `ZMQ_SUBSCRIBE`: a SUB receives the messages starting with `value` (empty: all).
    pub fn set_subscribe(&self, value: &[u8]) -> Result<()> {
        Ok(self.native().subscribe(value)?)
    }

    /// `ZMQ_UNSUBSCRIBE`: cancels one [`set_subscribe`](Self::set_subscribe) of `value`.
    pub fn set_unsubscribe(&self, value: &[u8]) -> Result<()> {
        Ok(self.native().unsubscribe(value)?)
    }

    /// `ZMQ_HEARTBEAT_IVL`: milliseconds between ZMTP PINGs; 0 (the default) sends none.
    pub fn get_heartbeat_ivl(&self) -> Result<i32> {
        Ok(to_millis(self.options().heartbeat_ivl()))
    }

    /// See [`get_heartbeat_ivl`](Self::get_heartbeat_ivl).
    pub fn set_heartbeat_ivl(&self, value: i32) -> Result<()> {
        Ok(self.options().set_heartbeat_ivl(millis(value)?)?)
    }

    /// `ZMQ_HEARTBEAT_TTL`: milliseconds the peer is asked, in each PING, to wait for
    /// traffic; 0 (the default) asks nothing.
    pub fn get_heartbeat_ttl(&self) -> Result<i32> {
        Ok(to_millis(self.options().heartbeat_ttl()))
    }

    /// See [`get_heartbeat_ttl`](Self::get_heartbeat_ttl).
    pub fn set_heartbeat_ttl(&self, value: i32) -> Result<()> {
        Ok(self.options().set_heartbeat_ttl(millis(value)?)?)
    }

    /// `ZMQ_HEARTBEAT_TIMEOUT`: milliseconds without traffic after a PING before the
    /// connection is dropped; -1 (the default) for HEARTBEAT_IVL.
    pub fn get_heartbeat_timeout(&self) -> Result<i32> {
        Ok(to_millis_or_minus_one(self.options().heartbeat_timeout()))
    }

    /// See [`get_heartbeat_timeout`](Self::get_heartbeat_timeout).
    pub fn set_heartbeat_timeout(&self, value: i32) -> Result<()> {
        Ok(self
            .options()
            .set_heartbeat_timeout(millis_or_none(value)?)?)
    }

    /// `ZMQ_CONNECT_TIMEOUT`: milliseconds a tcp connect may take; 0 (the default) for the
    /// system's limit.
    pub fn get_connect_timeout(&self) -> Result<i32> {
        Ok(to_millis(self.options().connect_timeout()))
    }

    /// See [`get_connect_timeout`](Self::get_connect_timeout).
    pub fn set_connect_timeout(&self, value: i32) -> Result<()> {
        Ok(self.options().set_connect_timeout(millis(value)?)?)
    }

    /// `ZMQ_SOCKS_PROXY`: the SOCKS5 proxy (`host:port`) tcp connects go through; empty
    /// when none.
    pub fn get_socks_proxy(&self) -> Result<Text> {
        Ok(Ok(self.options().socks_proxy().unwrap_or_default()))
    }

    /// See [`get_socks_proxy`](Self::get_socks_proxy); `None` connects directly, an empty
    /// address is [`Error::EINVAL`].
    pub fn set_socks_proxy(&self, value: Option<&str>) -> Result<()> {
        Ok(self.options().set_socks_proxy(value)?)
    }

    /// `ZMQ_MECHANISM`: the security mechanism the options chose.
    pub fn get_mechanism(&self) -> Result<Mechanism> {
        match self.options().mechanism() {
            ferrozmq::Mechanism::Null => Ok(Mechanism::ZMQ_NULL),
            ferrozmq::Mechanism::Plain => Ok(Mechanism::ZMQ_PLAIN),
            ferrozmq::Mechanism::Curve => Ok(Mechanism::ZMQ_CURVE),
            // A mechanism ferrozmq may gain, which the zmq crate has no name for.
            _ => Err(Error::EINVAL),
        }
    }

    /// `ZMQ_PLAIN_USERNAME`: the PLAIN client's username; empty when unset.
    pub fn get_plain_username(&self) -> Result<Text> {
        Ok(Ok(self.options().plain_username()))
    }

    /// `ZMQ_PLAIN_USERNAME`: act as a PLAIN client with this username; `None` returns the
    /// socket to NULL security.
    pub fn set_plain_username(&self, value: Option<&str>) -> Result<()> {
        Ok(self.options().set_plain_username(value)?)
    }

    /// `ZMQ_PLAIN_PASSWORD`: the PLAIN client's password; empty when unset.
    pub fn get_plain_password(&self) -> Result<Text> {
        Ok(Ok(self.options().plain_password()))
    }

    /// `ZMQ_PLAIN_PASSWORD`: act as a PLAIN client with this password; `None` returns the
    /// socket to NULL security.
    pub fn set_plain_password(&self, value: Option<&str>) -> Result<()> {
        Ok(self.options().set_plain_password(value)?)
    }

    /// `ZMQ_ZAP_DOMAIN`: the domain a server gives its ZAP handler.
    pub fn get_zap_domain(&self) -> Result<Text> {
        Ok(Ok(self.options().zap_domain()))
    }

    /// See [`get_zap_domain`](Self::get_zap_domain).
    pub fn set_zap_domain(&self, value: &str) -> Result<()> {
        Ok(self.options().set_zap_domain(value)?)
    }

    /// `ZMQ_LAST_ENDPOINT`: the endpoint last bound or connected, with the port chosen for
    /// a `*` port; empty before the first.
    pub fn get_last_endpoint(&self) -> Result<Text> {
        Ok(Ok(self.native().last_endpoint().unwrap_or_default()))
    }

    /// `ZMQ_CURVE_PUBLICKEY`: this side's public key, 32 bytes (zeros when unset); see
    /// [`z85_encode`](crate::z85_encode) for its text form.
    pub fn get_curve_publickey(&self) -> Result<Vec<u8>> {
        Ok(key_bytes(
            self.options()
                .curve_publickey()
                .as_ref()
                .map(|k| k.as_bytes()),
        ))
    }

    /// `ZMQ_CURVE_PUBLICKEY`: 32 bytes, or their 40 Z85 characters.
    pub fn set_curve_publickey(&self, value: &[u8]) -> Result<()> {
        Ok(self.options().set_curve_publickey(value)?)
    }

    /// `ZMQ_CURVE_SECRETKEY`: this side's secret key, 32 bytes (zeros when unset).
    pub fn get_curve_secretkey(&self) -> Result<Vec<u8>> {
        Ok(key_bytes(
            self.options()
                .curve_secretkey()
                .as_ref()
                .map(|k| k.as_bytes()),
        ))
    }

    /// `ZMQ_CURVE_SECRETKEY`: 32 bytes, or their 40 Z85 characters.
    pub fn set_curve_secretkey(&self, value: &[u8]) -> Result<()> {
        Ok(self.options().set_curve_secretkey(value)?)
    }

    /// `ZMQ_CURVE_SERVERKEY`: the server's public key a client expects, 32 bytes (zeros
    /// when unset).
    pub fn get_curve_serverkey(&self) -> Result<Vec<u8>> {
        Ok(key_bytes(
            self.options()
                .curve_serverkey()
                .as_ref()
                .map(|k| k.as_bytes()),
        ))
    }

    /// `ZMQ_CURVE_SERVERKEY`: 32 bytes, or their 40 Z85 characters; makes the socket a
    /// CURVE client.
    pub fn set_curve_serverkey(&self, value: &[u8]) -> Result<()> {
        Ok(self.options().set_curve_serverkey(value)?)
    }

    /// `ZMQ_GSSAPI_PRINCIPAL`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn get_gssapi_principal(&self) -> Result<Text> {
        unavailable()
    }

    /// `ZMQ_GSSAPI_PRINCIPAL`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn set_gssapi_principal(&self, _value: &str) -> Result<()> {
        unavailable()
    }

    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn get_gssapi_service_principal(&self) -> Result<Text> {
        unavailable()
    }

    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: GSSAPI is not available, [`Error::EINVAL`].
    pub fn set_gssapi_service_principal(&self, _value: &str) -> Result<()> {
        unavailable()
    }

    /// `ZMQ_XPUB_WELCOME_MSG`: the message an XPUB sends each new subscriber; `None` for
    /// none.
    pub fn set_xpub_welcome_msg(&self, value: Option<&str>) -> Result<()> {
        Ok(self
            .options()
            .set_xpub_welcome_msg(value.map(str::as_bytes))?)
    }

    /// `ZMQ_XPUB_VERBOSE`: an XPUB passes on every subscription, not only new ones.
    pub fn set_xpub_verbose(&self, value: bool) -> Result<()> {
        Ok(self.options().set_xpub_verbose(value)?)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Context, Error, Mechanism, REQ, ROUTER};

    #[test]
    fn values_libzmq_refuses_are_invalid() {
        let socket = Context::new().socket(REQ).unwrap();
        assert_eq!(socket.set_sndhwm(-1), Err(Error::EINVAL));
        assert_eq!(socket.set_linger(-2), Err(Error::EINVAL));
        assert_eq!(socket.set_rcvtimeo(-5), Err(Error::EINVAL));
        assert_eq!(socket.set_tcp_keepalive(2), Err(Error::EINVAL));
        assert_eq!(socket.set_reconnect_ivl_max(-1), Err(Error::EINVAL));
        assert_eq!(socket.set_rate(0), Err(Error::EINVAL));
        assert_eq!(socket.set_tos(256), Err(Error::EINVAL));
    }

    #[test]
    fn minus_one_means_none_both_ways() {
        let socket = Context::new().socket(REQ).unwrap();
        assert_eq!(socket.get_linger(), Ok(-1));
        socket.set_linger(0).unwrap();
        assert_eq!(socket.native().options().linger(), Some(Default::default()));
        socket.set_linger(-1).unwrap();
        assert_eq!(socket.native().options().linger(), None);
        assert_eq!(socket.get_maxmsgsize(), Ok(-1));
        assert_eq!(socket.get_sndbuf(), Ok(-1));
        assert_eq!(socket.get_heartbeat_timeout(), Ok(-1));
        assert_eq!(socket.get_reconnect_ivl(), Ok(100));
        assert_eq!(socket.get_handshake_ivl(), Ok(30_000));
    }

    #[test]
    fn write_only_options_cannot_be_read_as_in_libzmq() {
        let router = Context::new().socket(ROUTER).unwrap();
        router.set_router_mandatory(true).unwrap();
        assert_eq!(router.is_router_mandatory(), Err(Error::EINVAL));
        assert_eq!(router.is_router_handover(), Err(Error::EINVAL));
        assert_eq!(router.is_probe_router(), Err(Error::EINVAL));
    }

    #[test]
    fn unset_keys_read_as_zeros_and_curve_is_the_mechanism_once_set() {
        let socket = Context::new().socket(REQ).unwrap();
        assert_eq!(socket.get_curve_serverkey(), Ok(vec![0; 32]));
        let keys = crate::CurveKeyPair::new().unwrap();
        socket.set_curve_serverkey(&keys.public_key).unwrap();
        assert_eq!(socket.get_curve_serverkey(), Ok(keys.public_key.to_vec()));
        assert_eq!(socket.get_mechanism(), Ok(Mechanism::ZMQ_CURVE));
    }

    #[test]
    fn unavailable_features_answer_einval() {
        let socket = Context::new().socket(REQ).unwrap();
        assert_eq!(socket.set_gssapi_server(true), Err(Error::EINVAL));
        assert_eq!(socket.get_gssapi_principal(), Err(Error::EINVAL));
    }
}
