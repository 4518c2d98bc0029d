//! Socket monitoring: `zmq_socket_monitor` (libzmq's version 1 wire feed, from ferrozmq's
//! [`Socket::monitor_to`](ferrozmq::Socket::monitor_to)), the draft
//! `zmq_socket_monitor_versioned` (versions 1 and 2, on PAIR, PUB or PUSH:
//! [`Socket::monitor_versioned`](ferrozmq::Socket::monitor_versioned)),
//! and `zmq_socket_monitor_pipes_stats`
//! ([`Socket::monitor_pipes_stats`](ferrozmq::Socket::monitor_pipes_stats)).

use crate::call::guard;
use crate::errno::Errno;
use crate::socket::{c_str, lock};
use ferrozmq::{EventSet, FeedVersion, SocketType};
use std::ffi::{c_char, c_int, c_void};

const ZMQ_PAIR: c_int = 0;
const ZMQ_PUB: c_int = 1;
const ZMQ_PUSH: c_int = 8;

/// Starts (or, with a NULL endpoint, stops) libzmq's monitor feed: a PAIR socket of the
/// same context bound to `endpoint` (which must be `inproc://`, else EPROTONOSUPPORT)
/// receives the events in `events` (bits of `ZMQ_EVENT_*`; others: EINVAL) as two-part
/// messages: 16-bit event number and 32-bit value, then the endpoint.
///
/// # Safety
/// `socket` must be NULL or a value `zmq_socket` returned; `endpoint` must be NULL or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor(
    socket: *mut c_void,
    endpoint: *const c_char,
    events: c_int,
) -> c_int {
    guard(|| {
        monitor(
            socket,
            endpoint,
            u64::from(events as u32),
            FeedVersion::V1,
            SocketType::Pair,
        )
    })
}

unsafe fn monitor(
    socket: *mut c_void,
    endpoint: *const c_char,
    events: u64,
    version: FeedVersion,
    socket_type: SocketType,
) -> Result<c_int, Errno> {
    let entry = lock(socket)?;
    let events = match version {
        FeedVersion::V1 => u32::try_from(events).ok().and_then(EventSet::from_bits),
        FeedVersion::V2 => EventSet::from_bits_v2(events),
    }
    .ok_or(Errno::EINVAL)?;
    let endpoint = if endpoint.is_null() {
        None
    } else {
        Some(c_str(endpoint)?)
    };
    entry
        .socket()
        .monitor_versioned(endpoint, events, version, socket_type)?;
    Ok(0)
}

/// The draft, versioned form of [`zmq_socket_monitor`]: `version` 1 is its layout, 2 is
/// libzmq's version 2 layout (64-bit event number, value count, 64-bit values, local
/// endpoint, remote endpoint), which alone may carry `ZMQ_EVENT_PIPES_STATS`; the feed
/// goes out on a socket of `type_`: `ZMQ_PAIR`, `ZMQ_PUB` or `ZMQ_PUSH`. Another version or
/// type, or events the version does not have, fail with EINVAL.
///
/// # Safety
/// As [`zmq_socket_monitor`].
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_versioned(
    socket: *mut c_void,
    endpoint: *const c_char,
    events: u64,
    version: c_int,
    type_: c_int,
) -> c_int {
    guard(|| {
        lock(socket)?;
        let version = match version {
            1 => FeedVersion::V1,
            2 => FeedVersion::V2,
            _ => return Err(Errno::EINVAL),
        };
        let socket_type = match type_ {
            ZMQ_PAIR => SocketType::Pair,
            ZMQ_PUB => SocketType::Pub,
            ZMQ_PUSH => SocketType::Push,
            _ => return Err(Errno::EINVAL),
        };
        monitor(socket, endpoint, events, version, socket_type)
    })
}

/// Sends one `ZMQ_EVENT_PIPES_STATS` event per pipe of the socket to its version 2 feed
/// (draft): the messages queued towards the peer and from it. EINVAL when no feed asks for
/// pipe statistics; EAGAIN when the socket has no pipe yet.
///
/// # Safety
/// `socket` must be NULL or a value `zmq_socket` returned.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_pipes_stats(socket: *mut c_void) -> c_int {
    guard(|| {
        let entry = lock(socket)?;
        entry.socket().monitor_pipes_stats()?;
        Ok(0)
    })
}
