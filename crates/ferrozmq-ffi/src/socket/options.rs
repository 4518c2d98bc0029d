//! `zmq_setsockopt` and `zmq_getsockopt`: libzmq's option numbers, value types, sizes and
//! errors, over ferrozmq's `ferrozmq::SocketOptions`.
//!
//! Value kinds, as libzmq has them:
//!
//! | kind | set: `optvallen` | get: `*optvallen` |
//! |---|---|---|
//! | `int` | exactly `sizeof (int)`, else EINVAL | exactly `sizeof (int)`, else EINVAL |
//! | `int` state (RCVMORE, EVENTS, FD, THREAD_SAFE) | — (read-only) | at least `sizeof (int)`; the rest of the buffer is zeroed, `*optvallen` becomes `sizeof (int)` |
//! | `int64_t` (MAXMSGSIZE) | exactly 8 | exactly 8 |
//! | binary (ROUTING_ID, SUBSCRIBE, ...) | the bytes, with each option's length limits | at least the length; rest zeroed; `*optvallen` becomes the length |
//! | string (LAST_ENDPOINT, ZAP_DOMAIN, PLAIN_*, BINDTODEVICE, SOCKS_*, WSS_HOSTNAME) | the bytes, no NUL needed | the text and a NUL, as binary |
//! | PEM text (WSS_CERT_PEM, WSS_KEY_PEM, WSS_TRUST_PEM) | the bytes (a final NUL is dropped); text holding no certificate, or no key, is EINVAL; empty clears | — (write-only) |
//! | CURVE key | 32 bytes, 40 characters of Z85, or 41 with a final NUL | 32 (bytes) or 41 (Z85 and NUL), nothing else; a key not set reads as 32 zeros |
//!
//! ROUTER_NOTIFY, HELLO_MSG, DISCONNECT_MSG and HICCUP_MSG are refused (EINVAL) by the
//! socket types they do not apply to (libzmq refuses ROUTER_NOTIFY so, and ignores the
//! other three there). AFFINITY (`uint64_t`) chooses I/O threads; RATE and RECOVERY_IVL
//! are kept and read back with no effect, as a libzmq without PGM and NORM does.
//! TCP_ACCEPT_FILTER is write-only, as in libzmq. The WSS_* PEM options are write-only
//! too; WSS_HOSTNAME and WSS_TRUST_SYSTEM read back (libzmq refuses to). Options ferrozmq
//! does not have (GSSAPI_*, VMCI_* as libzmq built without them) fail with EINVAL, as every
//! unknown option does. Writing a value of the wrong size or out of range fails with EINVAL and
//! changes nothing. A NULL `optval` where a value must be read or written, or a NULL
//! `optvallen`, fails with EFAULT (libzmq would crash).

use super::{lock, SocketEntry};
use crate::call::guard;
use crate::errno::Errno;
use ferrozmq::{Mechanism, ReconnectStop, RouterNotify, SocketOptions};
use std::ffi::{c_int, c_void};
use std::time::Duration;

// Socket option numbers (zmq.h).
const ZMQ_AFFINITY: c_int = 4;
const ZMQ_ROUTING_ID: c_int = 5;
const ZMQ_SUBSCRIBE: c_int = 6;
const ZMQ_UNSUBSCRIBE: c_int = 7;
const ZMQ_RATE: c_int = 8;
const ZMQ_RECOVERY_IVL: c_int = 9;
const ZMQ_SNDBUF: c_int = 11;
const ZMQ_RCVBUF: c_int = 12;
const ZMQ_RCVMORE: c_int = 13;
const ZMQ_FD: c_int = 14;
const ZMQ_EVENTS: c_int = 15;
const ZMQ_TYPE: c_int = 16;
const ZMQ_LINGER: c_int = 17;
const ZMQ_RECONNECT_IVL: c_int = 18;
const ZMQ_BACKLOG: c_int = 19;
const ZMQ_RECONNECT_IVL_MAX: c_int = 21;
const ZMQ_MAXMSGSIZE: c_int = 22;
const ZMQ_SNDHWM: c_int = 23;
const ZMQ_RCVHWM: c_int = 24;
const ZMQ_MULTICAST_HOPS: c_int = 25;
const ZMQ_RCVTIMEO: c_int = 27;
const ZMQ_SNDTIMEO: c_int = 28;
const ZMQ_IPV4ONLY: c_int = 31;
const ZMQ_LAST_ENDPOINT: c_int = 32;
const ZMQ_ROUTER_MANDATORY: c_int = 33;
const ZMQ_TCP_KEEPALIVE: c_int = 34;
const ZMQ_TCP_KEEPALIVE_CNT: c_int = 35;
const ZMQ_TCP_KEEPALIVE_IDLE: c_int = 36;
const ZMQ_TCP_KEEPALIVE_INTVL: c_int = 37;
const ZMQ_TCP_ACCEPT_FILTER: c_int = 38;
const ZMQ_IMMEDIATE: c_int = 39;
const ZMQ_XPUB_VERBOSE: c_int = 40;
const ZMQ_IPV6: c_int = 42;
const ZMQ_MECHANISM: c_int = 43;
const ZMQ_PLAIN_SERVER: c_int = 44;
const ZMQ_PLAIN_USERNAME: c_int = 45;
const ZMQ_PLAIN_PASSWORD: c_int = 46;
const ZMQ_CURVE_SERVER: c_int = 47;
const ZMQ_CURVE_PUBLICKEY: c_int = 48;
const ZMQ_CURVE_SECRETKEY: c_int = 49;
const ZMQ_CURVE_SERVERKEY: c_int = 50;
const ZMQ_PROBE_ROUTER: c_int = 51;
const ZMQ_REQ_CORRELATE: c_int = 52;
const ZMQ_REQ_RELAXED: c_int = 53;
const ZMQ_CONFLATE: c_int = 54;
const ZMQ_ZAP_DOMAIN: c_int = 55;
const ZMQ_ROUTER_HANDOVER: c_int = 56;
const ZMQ_TOS: c_int = 57;
const ZMQ_IPC_FILTER_PID: c_int = 58;
const ZMQ_IPC_FILTER_UID: c_int = 59;
const ZMQ_IPC_FILTER_GID: c_int = 60;
const ZMQ_CONNECT_ROUTING_ID: c_int = 61;
const ZMQ_HANDSHAKE_IVL: c_int = 66;
const ZMQ_SOCKS_PROXY: c_int = 68;
const ZMQ_XPUB_NODROP: c_int = 69;
const ZMQ_XPUB_MANUAL: c_int = 71;
const ZMQ_XPUB_WELCOME_MSG: c_int = 72;
const ZMQ_STREAM_NOTIFY: c_int = 73;
const ZMQ_INVERT_MATCHING: c_int = 74;
const ZMQ_HEARTBEAT_IVL: c_int = 75;
const ZMQ_HEARTBEAT_TTL: c_int = 76;
const ZMQ_HEARTBEAT_TIMEOUT: c_int = 77;
const ZMQ_XPUB_VERBOSER: c_int = 78;
const ZMQ_CONNECT_TIMEOUT: c_int = 79;
const ZMQ_TCP_MAXRT: c_int = 80;
const ZMQ_THREAD_SAFE: c_int = 81;
const ZMQ_USE_FD: c_int = 89;
const ZMQ_BINDTODEVICE: c_int = 92;
const ZMQ_ZAP_ENFORCE_DOMAIN: c_int = 93;
const ZMQ_METADATA: c_int = 95;
const ZMQ_MULTICAST_LOOP: c_int = 96;
const ZMQ_ROUTER_NOTIFY: c_int = 97;
const ZMQ_XPUB_MANUAL_LAST_VALUE: c_int = 98;
const ZMQ_SOCKS_USERNAME: c_int = 99;
const ZMQ_SOCKS_PASSWORD: c_int = 100;
const ZMQ_WSS_KEY_PEM: c_int = 103;
const ZMQ_WSS_CERT_PEM: c_int = 104;
const ZMQ_WSS_TRUST_PEM: c_int = 105;
const ZMQ_WSS_HOSTNAME: c_int = 106;
const ZMQ_WSS_TRUST_SYSTEM: c_int = 107;
const ZMQ_ONLY_FIRST_SUBSCRIBE: c_int = 108;
const ZMQ_RECONNECT_STOP: c_int = 109;
const ZMQ_HELLO_MSG: c_int = 110;
const ZMQ_DISCONNECT_MSG: c_int = 111;
const ZMQ_PRIORITY: c_int = 112;
const ZMQ_HICCUP_MSG: c_int = 114;
const ZMQ_TOPICS_COUNT: c_int = 116;

/// Longest routing id, PLAIN credential and ZAP domain: lengths travel in one octet.
const SHORT_MAX: usize = 255;
/// Longest interface name for BINDTODEVICE (IFNAMSIZ).
const DEVICE_MAX: usize = 16;
/// HEARTBEAT_TTL travels in deciseconds, in 16 bits.
const TTL_UNIT_MS: c_int = 100;

/// The bytes `zmq_setsockopt` was given: `None` for a NULL pointer.
struct Input<'a>(Option<&'a [u8]>);

impl Input<'_> {
    /// An `int` of exactly `sizeof (int)` bytes.
    fn int(&self) -> Result<c_int, Errno> {
        match self.0 {
            Some(bytes) if bytes.len() == size_of::<c_int>() => Ok(c_int::from_ne_bytes(
                bytes.try_into().expect("sizeof (int)"),
            )),
            _ => Err(Errno::EINVAL),
        }
    }

    fn int_at_least(&self, min: c_int) -> Result<c_int, Errno> {
        let value = self.int()?;
        if value < min {
            return Err(Errno::EINVAL);
        }
        Ok(value)
    }

    /// 0 or 1, nothing else (libzmq's strict booleans).
    fn strict_bool(&self) -> Result<bool, Errno> {
        match self.int()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Any `int`; non-zero is true.
    fn relaxed_bool(&self) -> Result<bool, Errno> {
        Ok(self.int()? != 0)
    }

    /// A non-negative `int`; non-zero is true (the socket types' own switches).
    fn switch(&self) -> Result<bool, Errno> {
        Ok(self.int_at_least(0)? != 0)
    }

    fn u64(&self) -> Result<u64, Errno> {
        match self.0 {
            Some(bytes) if bytes.len() == size_of::<u64>() => Ok(u64::from_ne_bytes(
                bytes.try_into().expect("sizeof (uint64_t)"),
            )),
            _ => Err(Errno::EINVAL),
        }
    }

    fn i64(&self) -> Result<i64, Errno> {
        match self.0 {
            Some(bytes) if bytes.len() == size_of::<i64>() => Ok(i64::from_ne_bytes(
                bytes.try_into().expect("sizeof (int64_t)"),
            )),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The bytes; NULL with a length is refused before this (EFAULT).
    fn bytes(&self) -> &[u8] {
        self.0.unwrap_or_default()
    }

    fn text(&self) -> Result<&str, Errno> {
        std::str::from_utf8(self.bytes()).map_err(|_| Errno::EINVAL)
    }

    fn is_null_and_empty(&self) -> bool {
        self.0.is_none()
    }
}

fn millis(value: c_int) -> Duration {
    Duration::from_millis(value.max(0) as u64)
}

/// -1 is `None`.
fn optional_millis(value: c_int) -> Option<Duration> {
    (value >= 0).then(|| millis(value))
}

fn to_c_int(value: u128) -> c_int {
    c_int::try_from(value).unwrap_or(c_int::MAX)
}

fn ms_of(time: Duration) -> c_int {
    to_c_int(time.as_millis())
}

fn optional_ms_of(time: Option<Duration>) -> c_int {
    time.map_or(-1, ms_of)
}

fn secs_of(time: Option<Duration>) -> c_int {
    time.map_or(-1, |t| to_c_int(u128::from(t.as_secs())))
}

/// A CURVE key as `zmq_setsockopt` takes it: 32 bytes, 40 characters of Z85, or those and
/// a NUL.
fn curve_key(input: &Input) -> Result<Vec<u8>, Errno> {
    let bytes = input.bytes();
    match bytes.len() {
        32 | 40 => Ok(bytes.to_vec()),
        41 if bytes[40] == 0 => Ok(bytes[..40].to_vec()),
        _ => Err(Errno::EINVAL),
    }
}

fn set(entry: &mut SocketEntry, option: c_int, input: &Input) -> Result<(), Errno> {
    let socket = entry.socket();
    let o: SocketOptions<'_> = socket.options();
    match option {
        ZMQ_SNDHWM => o.set_sndhwm(input.int_at_least(0)? as u32)?,
        ZMQ_RCVHWM => o.set_rcvhwm(input.int_at_least(0)? as u32)?,
        ZMQ_LINGER => o.set_linger(optional_millis(input.int_at_least(-1)?))?,
        ZMQ_RCVTIMEO => o.set_rcvtimeo(optional_millis(input.int_at_least(-1)?))?,
        ZMQ_SNDTIMEO => o.set_sndtimeo(optional_millis(input.int_at_least(-1)?))?,
        ZMQ_RECONNECT_IVL => o.set_reconnect_ivl(optional_millis(input.int_at_least(-1)?))?,
        ZMQ_RECONNECT_IVL_MAX => o.set_reconnect_ivl_max(millis(input.int_at_least(0)?))?,
        ZMQ_RECONNECT_STOP => {
            let bits = u32::try_from(input.int()?).map_err(|_| Errno::EINVAL)?;
            o.set_reconnect_stop(ReconnectStop::from_bits(bits).ok_or(Errno::EINVAL)?)?
        }
        ZMQ_HANDSHAKE_IVL => o.set_handshake_ivl(millis(input.int_at_least(0)?))?,
        ZMQ_CONNECT_TIMEOUT => o.set_connect_timeout(millis(input.int_at_least(0)?))?,
        ZMQ_TCP_MAXRT => o.set_tcp_maxrt(millis(input.int_at_least(0)?))?,
        ZMQ_HEARTBEAT_IVL => o.set_heartbeat_ivl(millis(input.int_at_least(0)?))?,
        ZMQ_HEARTBEAT_TTL => {
            // libzmq keeps deciseconds: 1234 ms reads back as 1200.
            let deciseconds = input.int()? / TTL_UNIT_MS;
            if !(0..=c_int::from(u16::MAX)).contains(&deciseconds) {
                return Err(Errno::EINVAL);
            }
            o.set_heartbeat_ttl(millis(deciseconds * TTL_UNIT_MS))?
        }
        ZMQ_HEARTBEAT_TIMEOUT => o.set_heartbeat_timeout(Some(millis(input.int_at_least(0)?)))?,
        ZMQ_BACKLOG => o.set_backlog(input.int_at_least(0)? as u32)?,
        ZMQ_SNDBUF => o.set_sndbuf(optional_size(input.int_at_least(-1)?))?,
        ZMQ_RCVBUF => o.set_rcvbuf(optional_size(input.int_at_least(-1)?))?,
        ZMQ_MAXMSGSIZE => o.set_maxmsgsize(u64::try_from(input.i64()?).ok())?,
        ZMQ_TOS => o.set_tos(u8::try_from(input.int_at_least(0)?).map_err(|_| Errno::EINVAL)?)?,
        ZMQ_MULTICAST_HOPS => {
            let hops = u8::try_from(input.int_at_least(1)?).map_err(|_| Errno::EINVAL)?;
            o.set_multicast_hops(hops)?
        }
        ZMQ_MULTICAST_LOOP => o.set_multicast_loop(input.strict_bool()?)?,
        ZMQ_IMMEDIATE => o.set_immediate(input.strict_bool()?)?,
        ZMQ_CONFLATE => o.set_conflate(input.strict_bool()?)?,
        ZMQ_IPV6 => o.set_ipv6(input.strict_bool()?)?,
        ZMQ_IPV4ONLY => o.set_ipv6(!input.strict_bool()?)?,
        ZMQ_TCP_KEEPALIVE => o.set_tcp_keepalive(match input.int()? {
            -1 => None,
            0 => Some(false),
            1 => Some(true),
            _ => return Err(Errno::EINVAL),
        })?,
        ZMQ_TCP_KEEPALIVE_CNT => {
            let count = input.int_at_least(-1)?;
            o.set_tcp_keepalive_cnt((count >= 0).then_some(count as u32))?
        }
        ZMQ_TCP_KEEPALIVE_IDLE => {
            o.set_tcp_keepalive_idle(optional_secs(input.int_at_least(-1)?))?
        }
        ZMQ_TCP_KEEPALIVE_INTVL => {
            o.set_tcp_keepalive_intvl(optional_secs(input.int_at_least(-1)?))?
        }
        ZMQ_INVERT_MATCHING => o.set_invert_matching(input.relaxed_bool()?)?,
        ZMQ_ZAP_ENFORCE_DOMAIN => o.set_zap_enforce_domain(input.relaxed_bool()?)?,
        ZMQ_ROUTER_MANDATORY => o.set_router_mandatory(input.switch()?)?,
        ZMQ_ROUTER_HANDOVER => o.set_router_handover(input.switch()?)?,
        ZMQ_STREAM_NOTIFY => o.set_stream_notify(input.strict_bool()?)?,
        ZMQ_PROBE_ROUTER => o.set_probe_router(input.switch()?)?,
        ZMQ_XPUB_VERBOSE => o.set_xpub_verbose(input.switch()?)?,
        ZMQ_XPUB_VERBOSER => o.set_xpub_verboser(input.switch()?)?,
        ZMQ_XPUB_MANUAL => o.set_xpub_manual(input.switch()?)?,
        ZMQ_XPUB_NODROP => o.set_xpub_nodrop(input.switch()?)?,
        ZMQ_XPUB_MANUAL_LAST_VALUE => o.set_xpub_manual_last_value(input.switch()?)?,
        ZMQ_ONLY_FIRST_SUBSCRIBE => o.set_only_first_subscribe(input.switch()?)?,
        ZMQ_REQ_CORRELATE => o.set_req_correlate(input.switch()?)?,
        ZMQ_REQ_RELAXED => o.set_req_relaxed(input.switch()?)?,
        ZMQ_ROUTER_NOTIFY => {
            let bits = u32::try_from(input.int()?).map_err(|_| Errno::EINVAL)?;
            o.set_router_notify(RouterNotify::from_bits(bits).ok_or(Errno::EINVAL)?)?
        }
        ZMQ_METADATA => {
            // "X-name:value", neither side empty.
            let text = input.text()?;
            let (name, value) = text.split_once(':').ok_or(Errno::EINVAL)?;
            if value.is_empty() {
                return Err(Errno::EINVAL);
            }
            o.set_metadata(name, value)?
        }
        ZMQ_HELLO_MSG => o.set_hello_msg(Some(input.bytes()))?,
        ZMQ_DISCONNECT_MSG => o.set_disconnect_msg(Some(input.bytes()))?,
        ZMQ_HICCUP_MSG => o.set_hiccup_msg(Some(input.bytes()))?,
        ZMQ_XPUB_WELCOME_MSG => {
            let welcome = input.bytes();
            o.set_xpub_welcome_msg((!welcome.is_empty()).then_some(welcome))?
        }
        ZMQ_ROUTING_ID => {
            let id = input.bytes();
            if id.is_empty() || id.len() > SHORT_MAX {
                return Err(Errno::EINVAL);
            }
            o.set_routing_id(id)?
        }
        ZMQ_CONNECT_ROUTING_ID => {
            if input.bytes().is_empty() {
                return Err(Errno::EINVAL);
            }
            o.set_connect_routing_id(input.bytes())?
        }
        ZMQ_SUBSCRIBE => socket.subscribe(input.bytes())?,
        ZMQ_UNSUBSCRIBE => socket.unsubscribe(input.bytes())?,
        ZMQ_PLAIN_SERVER => o.set_plain_server(input.strict_bool()?)?,
        ZMQ_PLAIN_USERNAME => o.set_plain_username(credential(input)?)?,
        ZMQ_PLAIN_PASSWORD => o.set_plain_password(credential(input)?)?,
        ZMQ_ZAP_DOMAIN => {
            let domain = input.text()?;
            if domain.is_empty() || domain.len() > SHORT_MAX {
                return Err(Errno::EINVAL);
            }
            o.set_zap_domain(domain)?
        }
        ZMQ_BINDTODEVICE => {
            let device = input.text()?;
            if device.len() > DEVICE_MAX || (device.is_empty() && !input.is_null_and_empty()) {
                return Err(Errno::EINVAL);
            }
            o.set_bindtodevice(device)?
        }
        ZMQ_CURVE_SERVER => o.set_curve_server(input.strict_bool()?)?,
        ZMQ_AFFINITY => o.set_affinity(input.u64()?)?,
        ZMQ_RATE => o.set_rate(input.int_at_least(1)? as u32)?,
        ZMQ_RECOVERY_IVL => o.set_recovery_ivl(millis(input.int_at_least(0)?))?,
        // NULL with length 0 clears a filter list; a value adds to it.
        // NULL with length 0 clears; anything else is one more network (libzmq refuses
        // lengths of 255 and more).
        ZMQ_TCP_ACCEPT_FILTER => match input.0 {
            None => o.clear_tcp_accept_filters()?,
            Some(bytes) if bytes.len() >= 255 => return Err(Errno::EINVAL),
            Some(_) => o.add_tcp_accept_filter(input.text()?)?,
        },
        ZMQ_IPC_FILTER_PID => match input.0 {
            None => o.clear_ipc_filter_pid()?,
            Some(_) => o.add_ipc_filter_pid(input.int()?)?,
        },
        ZMQ_IPC_FILTER_UID => match input.0 {
            None => o.clear_ipc_filter_uid()?,
            Some(_) => o.add_ipc_filter_uid(input.int()? as u32)?,
        },
        ZMQ_IPC_FILTER_GID => match input.0 {
            None => o.clear_ipc_filter_gid()?,
            Some(_) => o.add_ipc_filter_gid(input.int()? as u32)?,
        },
        ZMQ_PRIORITY => o.set_priority(input.int_at_least(0)? as u32)?,
        ZMQ_USE_FD => {
            let fd = input.int_at_least(-1)?;
            o.set_use_fd((fd >= 0).then_some(fd))?
        }
        // NULL clears the proxy; an empty address is refused.
        ZMQ_SOCKS_PROXY => match input.0 {
            None => o.set_socks_proxy(None)?,
            Some(_) => o.set_socks_proxy(Some(input.text()?))?,
        },
        // NULL and "" both mean none: no authentication, an empty password.
        ZMQ_SOCKS_USERNAME => o.set_socks_username(socks_credential(input)?)?,
        ZMQ_SOCKS_PASSWORD => o.set_socks_password(socks_credential(input)?)?,
        ZMQ_WSS_CERT_PEM => o.set_wss_cert_pem(pem(input))?,
        ZMQ_WSS_KEY_PEM => o.set_wss_key_pem(pem(input))?,
        ZMQ_WSS_TRUST_PEM => o.set_wss_trust_pem(pem(input))?,
        ZMQ_WSS_HOSTNAME => o.set_wss_hostname(input.text()?.trim_end_matches('\0'))?,
        ZMQ_WSS_TRUST_SYSTEM => o.set_wss_trust_system(input.strict_bool()?)?,
        ZMQ_CURVE_PUBLICKEY => o.set_curve_publickey(curve_key(input)?)?,
        ZMQ_CURVE_SECRETKEY => o.set_curve_secretkey(curve_key(input)?)?,
        ZMQ_CURVE_SERVERKEY => o.set_curve_serverkey(curve_key(input)?)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// -1 is the system's default.
fn optional_size(value: c_int) -> Option<u64> {
    (value >= 0).then_some(value as u64)
}

fn optional_secs(value: c_int) -> Option<Duration> {
    (value >= 0).then(|| Duration::from_secs(value as u64))
}

/// A PLAIN username or password: NULL with length 0 clears it (the socket falls back to
/// NULL security); otherwise 1 to 255 bytes.
fn credential<'a>(input: &'a Input) -> Result<Option<&'a str>, Errno> {
    if input.is_null_and_empty() {
        return Ok(None);
    }
    let text = input.text()?;
    if text.is_empty() || text.len() > SHORT_MAX {
        return Err(Errno::EINVAL);
    }
    Ok(Some(text))
}

/// A SOCKS username or password: 0 to 255 bytes, NULL being empty.
/// PEM text as C passes it: a terminating NUL, if counted in the length, is not text.
fn pem<'a>(input: &'a Input) -> &'a [u8] {
    let bytes = input.bytes();
    bytes.strip_suffix(b"\0").unwrap_or(bytes)
}

fn socks_credential<'a>(input: &'a Input) -> Result<&'a str, Errno> {
    let text = input.text()?;
    if text.len() > SHORT_MAX {
        return Err(Errno::EINVAL);
    }
    Ok(text)
}

/// Where `zmq_getsockopt` writes: `*len` bytes at `value`.
struct Output {
    value: *mut c_void,
    len: *mut usize,
}

impl Output {
    fn capacity(&self) -> usize {
        // SAFETY: checked non-NULL on entry; C promised it is readable.
        unsafe { *self.len }
    }

    /// An `int` into a buffer of exactly `sizeof (int)`.
    fn int(&self, value: c_int) -> Result<(), Errno> {
        if self.capacity() != size_of::<c_int>() {
            return Err(Errno::EINVAL);
        }
        self.bytes(&value.to_ne_bytes())
    }

    fn u64(&self, value: u64) -> Result<(), Errno> {
        if self.capacity() != size_of::<u64>() {
            return Err(Errno::EINVAL);
        }
        self.bytes(&value.to_ne_bytes())
    }

    fn i64(&self, value: i64) -> Result<(), Errno> {
        if self.capacity() != size_of::<i64>() {
            return Err(Errno::EINVAL);
        }
        self.bytes(&value.to_ne_bytes())
    }

    /// `value` into a buffer at least as long; the rest is zeroed and `*len` becomes
    /// `value`'s length.
    fn bytes(&self, value: &[u8]) -> Result<(), Errno> {
        let capacity = self.capacity();
        if capacity < value.len() {
            return Err(Errno::EINVAL);
        }
        if capacity > 0 && self.value.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: C promised `capacity` writable bytes at `value` (non-NULL when any).
        unsafe {
            let out = self.value.cast::<u8>();
            std::ptr::copy_nonoverlapping(value.as_ptr(), out, value.len());
            std::ptr::write_bytes(out.add(value.len()), 0, capacity - value.len());
            *self.len = value.len();
        }
        Ok(())
    }

    /// Text and a NUL.
    fn string(&self, text: &str) -> Result<(), Errno> {
        let mut with_nul = Vec::with_capacity(text.len() + 1);
        with_nul.extend_from_slice(text.as_bytes());
        with_nul.push(0);
        self.bytes(&with_nul)
    }

    /// A CURVE key: 32 bytes into a 32-byte buffer, Z85 and a NUL into a 41-byte one;
    /// `*len` stays.
    fn curve_key(&self, key: Option<&[u8; 32]>) -> Result<(), Errno> {
        let zeros = [0; 32];
        let key = key.unwrap_or(&zeros);
        let encoded;
        let value: &[u8] = match self.capacity() {
            32 => key,
            41 => {
                encoded = format!(
                    "{}\0",
                    ferrozmq::z85::encode(key).map_err(|_| Errno::EINVAL)?
                );
                encoded.as_bytes()
            }
            _ => return Err(Errno::EINVAL),
        };
        if self.value.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: C promised `*len` (= value.len()) writable bytes at `value`.
        unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), self.value.cast(), value.len()) };
        Ok(())
    }
}

fn get(entry: &mut SocketEntry, option: c_int, out: &Output) -> Result<(), Errno> {
    if option == ZMQ_EVENTS {
        // Clears ZMQ_FD too, as the contract between them says.
        let (_, events) = entry.arm()?;
        return out.bytes(&c_int::from(events.bits()).to_ne_bytes());
    }
    let o = entry.socket().options();
    match option {
        ZMQ_RCVMORE => out.bytes(&c_int::from(entry.socket().rcvmore()).to_ne_bytes()),
        ZMQ_FD => {
            // libzmq gives thread-safe sockets no descriptor.
            if o.thread_safe() {
                return Err(Errno::EINVAL);
            }
            out.bytes(&entry.socket().fd()?.to_ne_bytes())
        }
        ZMQ_THREAD_SAFE => out.bytes(&c_int::from(o.thread_safe()).to_ne_bytes()),
        ZMQ_TYPE => out.int(entry.c_type()),
        ZMQ_LAST_ENDPOINT => out.string(&entry.socket().last_endpoint().unwrap_or_default()),
        ZMQ_SNDHWM => out.int(to_c_int(u128::from(o.sndhwm()))),
        ZMQ_RCVHWM => out.int(to_c_int(u128::from(o.rcvhwm()))),
        ZMQ_LINGER => out.int(optional_ms_of(o.linger())),
        ZMQ_RCVTIMEO => out.int(optional_ms_of(o.rcvtimeo())),
        ZMQ_SNDTIMEO => out.int(optional_ms_of(o.sndtimeo())),
        ZMQ_RECONNECT_IVL => out.int(optional_ms_of(o.reconnect_ivl())),
        ZMQ_RECONNECT_IVL_MAX => out.int(ms_of(o.reconnect_ivl_max())),
        ZMQ_RECONNECT_STOP => out.int(to_c_int(u128::from(o.reconnect_stop().bits()))),
        ZMQ_HANDSHAKE_IVL => out.int(ms_of(o.handshake_ivl())),
        ZMQ_CONNECT_TIMEOUT => out.int(ms_of(o.connect_timeout())),
        ZMQ_TCP_MAXRT => out.int(ms_of(o.tcp_maxrt())),
        ZMQ_HEARTBEAT_IVL => out.int(ms_of(o.heartbeat_ivl())),
        ZMQ_HEARTBEAT_TTL => out.int(ms_of(o.heartbeat_ttl())),
        ZMQ_HEARTBEAT_TIMEOUT => out.int(optional_ms_of(o.heartbeat_timeout())),
        ZMQ_BACKLOG => out.int(to_c_int(u128::from(o.backlog()))),
        ZMQ_SNDBUF => out.int(o.sndbuf().map_or(-1, |n| to_c_int(u128::from(n)))),
        ZMQ_RCVBUF => out.int(o.rcvbuf().map_or(-1, |n| to_c_int(u128::from(n)))),
        ZMQ_MAXMSGSIZE => out.i64(
            o.maxmsgsize()
                .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        ),
        ZMQ_TOS => out.int(c_int::from(o.tos())),
        ZMQ_MULTICAST_HOPS => out.int(c_int::from(o.multicast_hops())),
        ZMQ_IMMEDIATE => out.int(c_int::from(o.immediate())),
        ZMQ_MULTICAST_LOOP => out.int(c_int::from(o.multicast_loop())),
        ZMQ_CONFLATE => out.int(c_int::from(o.conflate())),
        ZMQ_IPV6 => out.int(c_int::from(o.ipv6())),
        ZMQ_IPV4ONLY => out.int(c_int::from(!o.ipv6())),
        ZMQ_TCP_KEEPALIVE => out.int(o.tcp_keepalive().map_or(-1, c_int::from)),
        ZMQ_TCP_KEEPALIVE_CNT => out.int(
            o.tcp_keepalive_cnt()
                .map_or(-1, |n| to_c_int(u128::from(n))),
        ),
        ZMQ_TCP_KEEPALIVE_IDLE => out.int(secs_of(o.tcp_keepalive_idle())),
        ZMQ_TCP_KEEPALIVE_INTVL => out.int(secs_of(o.tcp_keepalive_intvl())),
        ZMQ_INVERT_MATCHING => out.int(c_int::from(o.invert_matching())),
        ZMQ_ZAP_ENFORCE_DOMAIN => out.int(c_int::from(o.zap_enforce_domain())),
        ZMQ_TOPICS_COUNT => out.int(to_c_int(o.topics_count()? as u128)),
        ZMQ_ROUTER_NOTIFY => out.int(to_c_int(u128::from(o.router_notify().bits()))),
        ZMQ_ROUTING_ID => out.bytes(&o.routing_id()),
        ZMQ_MECHANISM => out.int(match o.mechanism() {
            Mechanism::Plain => 1,
            Mechanism::Curve => 2,
            _ => 0,
        }),
        ZMQ_PLAIN_SERVER => out.int(c_int::from(
            o.plain_server() && o.mechanism() == Mechanism::Plain,
        )),
        ZMQ_PLAIN_USERNAME => out.string(&o.plain_username()),
        ZMQ_PLAIN_PASSWORD => out.string(&o.plain_password()),
        ZMQ_ZAP_DOMAIN => out.string(&o.zap_domain()),
        ZMQ_BINDTODEVICE => out.string(&o.bindtodevice()),
        ZMQ_AFFINITY => out.u64(o.affinity()),
        ZMQ_RATE => out.int(to_c_int(u128::from(o.rate()))),
        ZMQ_RECOVERY_IVL => out.int(ms_of(o.recovery_ivl())),
        ZMQ_PRIORITY => out.int(to_c_int(u128::from(o.priority()))),
        ZMQ_USE_FD => out.int(o.use_fd().unwrap_or(-1)),
        ZMQ_SOCKS_PROXY => out.string(&o.socks_proxy().unwrap_or_default()),
        ZMQ_SOCKS_USERNAME => out.string(&o.socks_username()),
        ZMQ_SOCKS_PASSWORD => out.string(&o.socks_password()),
        ZMQ_WSS_HOSTNAME => out.string(&o.wss_hostname()),
        ZMQ_WSS_TRUST_SYSTEM => out.int(c_int::from(o.wss_trust_system())),
        ZMQ_CURVE_SERVER => out.int(c_int::from(
            o.curve_server() && o.mechanism() == Mechanism::Curve,
        )),
        ZMQ_CURVE_PUBLICKEY => out.curve_key(o.curve_publickey().as_ref().map(|k| k.as_bytes())),
        ZMQ_CURVE_SECRETKEY => out.curve_key(o.curve_secretkey().as_ref().map(|k| k.as_bytes())),
        ZMQ_CURVE_SERVERKEY => out.curve_key(o.curve_serverkey().as_ref().map(|k| k.as_bytes())),
        _ => Err(Errno::EINVAL),
    }
}

/// Sets a socket option: `optvallen` bytes at `optval`, read as the option's kind (see the
/// module documentation).
///
/// # Safety
/// `socket` must be NULL or a value `zmq_socket` returned (closed or not); `optval` must be
/// NULL or valid for reads of `optvallen` bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_setsockopt(
    socket: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    guard(|| {
        let mut entry = lock(socket)?;
        let input = if optval.is_null() {
            if optvallen != 0 {
                return Err(Errno::EFAULT);
            }
            Input(None)
        } else {
            Input(Some(std::slice::from_raw_parts(
                optval.cast::<u8>(),
                optvallen,
            )))
        };
        set(&mut entry, option, &input)?;
        Ok(0)
    })
}

/// Reads a socket option into `*optvallen` bytes at `optval`, as the option's kind has it
/// (see the module documentation); `*optvallen` is updated for the kinds whose length
/// varies.
///
/// # Safety
/// `socket` as in [`zmq_setsockopt`]; `optvallen` must be NULL or point to a readable and
/// writable `size_t`; `optval` must be NULL or valid for writes of `*optvallen` bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_getsockopt(
    socket: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    guard(|| {
        let mut entry = lock(socket)?;
        if optvallen.is_null() {
            return Err(Errno::EFAULT);
        }
        let out = Output {
            value: optval,
            len: optvallen,
        };
        get(&mut entry, option, &out)?;
        Ok(0)
    })
}
