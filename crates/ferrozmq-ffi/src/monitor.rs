//! Socket monitoring: `zmq_socket_monitor` (libzmq's version 1 wire feed, from ferrozmq's
//! [`Socket::monitor_to`](ferrozmq::Socket::monitor_to)), the draft
//! `zmq_socket_monitor_versioned`, `zmq_socket_monitor_pipes_stats` and
//! `zmq_socket_get_peer_state`.
//!
//! ferrozmq has the version 1 feed on a PAIR socket only. The version 2 feed (64-bit values,
//! both endpoints, pipe statistics), feeds on PUB or PUSH sockets and the ROUTER peer state
//! are not in ferrozmq yet (issue 17): asking for them fails with ENOTSUP after the
//! arguments are checked as libzmq checks them.

use crate::call::guard;
use crate::errno::Errno;
use crate::socket::{c_str, lock};
use ferrozmq::EventSet;
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
    guard(|| monitor(socket, endpoint, u64::from(events as u32)))
}

unsafe fn monitor(
    socket: *mut c_void,
    endpoint: *const c_char,
    events: u64,
) -> Result<c_int, Errno> {
    let mut entry = lock(socket)?;
    let events = u32::try_from(events)
        .ok()
        .and_then(EventSet::from_bits)
        .ok_or(Errno::EINVAL)?;
    let endpoint = if endpoint.is_null() {
        None
    } else {
        Some(c_str(endpoint)?)
    };
    entry.socket().monitor_to(endpoint, events)?;
    entry.set_monitored(endpoint.is_some());
    Ok(0)
}

/// The draft form of [`zmq_socket_monitor`]: feed `version` 1 on a `ZMQ_PAIR` socket is
/// [`zmq_socket_monitor`]; version 2 and PUB or PUSH feeds fail with ENOTSUP (not in
/// ferrozmq yet); other versions and types with EINVAL.
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
        if !matches!(version, 1 | 2) || !matches!(type_, ZMQ_PAIR | ZMQ_PUB | ZMQ_PUSH) {
            return Err(Errno::EINVAL);
        }
        if version != 1 || type_ != ZMQ_PAIR {
            return Err(Errno::ENOTSUP);
        }
        monitor(socket, endpoint, events)
    })
}

/// Asks for a pipe statistics event on the monitor feed (draft): EINVAL without a monitor;
/// ENOTSUP with one (statistics events belong to the version 2 feed, not in ferrozmq yet).
///
/// # Safety
/// `socket` must be NULL or a value `zmq_socket` returned.
#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_pipes_stats(socket: *mut c_void) -> c_int {
    guard(|| {
        let entry = lock(socket)?;
        if !entry.monitored() {
            return Err(Errno::EINVAL);
        }
        Err::<c_int, _>(Errno::ENOTSUP)
    })
}
