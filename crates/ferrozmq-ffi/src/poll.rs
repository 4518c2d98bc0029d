//! `zmq_poll`: waiting on sockets and file descriptors at once; also the wait behind the
//! draft poller ([`crate::poller`]).
//!
//! Level-triggered, as libzmq's: an item is reported while its socket can receive
//! (`ZMQ_POLLIN`) or send (`ZMQ_POLLOUT`), or while its descriptor is readable, writable,
//! has priority data (`ZMQ_POLLPRI`) or an error or hang-up (`ZMQ_POLLERR`). No socket
//! lock is held while waiting: each socket is looked at under its lock, then the thread
//! sleeps in poll(2) on the sockets' wake descriptors and the raw descriptors together (see
//! [`crate::socket::wait`]).
//!
//! Ownership: the `zmq_pollitem_t` array stays the caller's; only `revents` is written.

use crate::call::guard;
use crate::errno::Errno;
use crate::socket::lock;
use crate::socket::wait::{self, last_errno, WakeFd};
use crate::types::zmq_pollitem_t;
use ferrozmq::PollEvents;
use std::ffi::{c_int, c_long, c_short};
use std::sync::Arc;
use std::time::Duration;

/// `zmq_poll`: the item's socket can receive, or its descriptor is readable.
pub const ZMQ_POLLIN: c_short = 1;
/// The item's socket can send, or its descriptor is writable.
pub const ZMQ_POLLOUT: c_short = 2;
/// The item's descriptor has an error or was hung up (never reported for sockets).
pub const ZMQ_POLLERR: c_short = 4;
/// The item's descriptor has priority data.
pub const ZMQ_POLLPRI: c_short = 8;

/// What a socket is asked to be watched for, as ferrozmq names it.
fn socket_interest(events: c_short) -> PollEvents {
    PollEvents::from_bits_truncate(events & (ZMQ_POLLIN | ZMQ_POLLOUT))
}

/// What poll(2) watches a raw descriptor for.
fn fd_interest(events: c_short) -> c_short {
    let mut interest = 0;
    if events & ZMQ_POLLIN != 0 {
        interest |= libc::POLLIN;
    }
    if events & ZMQ_POLLOUT != 0 {
        interest |= libc::POLLOUT;
    }
    if events & ZMQ_POLLPRI != 0 {
        interest |= libc::POLLPRI;
    }
    interest
}

/// What poll(2) reported for a raw descriptor, as libzmq reports it.
fn fd_revents(revents: c_short) -> c_short {
    let mut reported = 0;
    if revents & libc::POLLIN != 0 {
        reported |= ZMQ_POLLIN;
    }
    if revents & libc::POLLOUT != 0 {
        reported |= ZMQ_POLLOUT;
    }
    if revents & libc::POLLPRI != 0 {
        reported |= ZMQ_POLLPRI;
    }
    if revents & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 {
        reported |= ZMQ_POLLERR;
    }
    reported
}

/// A socket this wait counts itself as a sleeper of, to be uncounted before it returns.
struct Sleeping {
    item: usize,
    socket_id: u64,
    events: PollEvents,
}

fn leave(items: &[zmq_pollitem_t], sleeping: &mut Vec<Sleeping>) {
    for registration in sleeping.drain(..) {
        if let Ok(mut entry) = lock(items[registration.item].socket) {
            if entry.id() == registration.socket_id {
                entry.waiters.leave(registration.events);
            }
        }
    }
}

/// Fills in every item's `revents` and returns how many items have any, waiting up to
/// `timeout` (`None`: for ever) for the first. ENOTSOCK for an item whose socket is not
/// one; ETERM once a socket's context is shut down; EINTR when a signal interrupts the
/// wait.
pub fn wait(items: &mut [zmq_pollitem_t], timeout: Option<Duration>) -> Result<usize, Errno> {
    let mut sleeping = Vec::new();
    let result = wait_registered(items, timeout, &mut sleeping);
    leave(items, &mut sleeping);
    result
}

fn wait_registered(
    items: &mut [zmq_pollitem_t],
    timeout: Option<Duration>,
    sleeping: &mut Vec<Sleeping>,
) -> Result<usize, Errno> {
    let deadline = wait::deadline(timeout);
    let mut fds: Vec<libc::pollfd> = Vec::with_capacity(items.len());
    let mut wakes: Vec<Arc<WakeFd>> = Vec::new();
    loop {
        fds.clear();
        wakes.clear();
        let mut ready = 0;
        for (index, item) in items.iter_mut().enumerate() {
            item.revents = 0;
            if item.socket.is_null() {
                fds.push(libc::pollfd {
                    fd: item.fd,
                    events: fd_interest(item.events),
                    revents: 0,
                });
                continue;
            }
            let mut entry = lock(item.socket)?;
            if let Some(position) = sleeping.iter().position(|s| s.item == index) {
                let registration = sleeping.swap_remove(position);
                entry.waiters.leave(registration.events);
            }
            let (wake, events) = entry.arm()?;
            let wanted = socket_interest(item.events);
            item.revents = events.bits() & wanted.bits();
            if item.revents != 0 {
                ready += 1;
            } else if ready == 0 && !wanted.is_empty() {
                entry.waiters.enter(wanted);
                sleeping.push(Sleeping {
                    item: index,
                    socket_id: entry.id(),
                    events: wanted,
                });
            }
            fds.push(libc::pollfd {
                fd: wake.raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
            wakes.push(wake);
            drop(entry);
        }
        let sleep = if ready > 0 {
            Some(Duration::ZERO)
        } else {
            wait::remaining(deadline)
        };
        // SAFETY: `fds` is a live, exclusively borrowed array of `fds.len()` pollfd.
        let n = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                wait::timeout_ms(sleep),
            )
        };
        if n < 0 {
            return Err(last_errno());
        }
        for (item, fd) in items.iter_mut().zip(&fds) {
            if item.socket.is_null() {
                item.revents = fd_revents(fd.revents);
                if item.revents != 0 {
                    ready += 1;
                }
            }
        }
        if ready > 0 || wait::expired(deadline) || sleep == Some(Duration::ZERO) {
            return Ok(ready);
        }
    }
}

/// Waits for any of `count` items to be ready, as level-triggered events (see the module
/// documentation): `timeout` in milliseconds, -1 for ever, 0 to look without waiting.
/// Returns how many items have `revents` set, 0 on timeout.
///
/// # Safety
/// `items` must point to `count` `zmq_pollitem_t`s, readable and writable (it may be NULL
/// when `count` is 0); their sockets must be NULL or values `zmq_socket` returned.
#[no_mangle]
pub unsafe extern "C" fn zmq_poll(
    items: *mut zmq_pollitem_t,
    count: c_int,
    timeout: c_long,
) -> c_int {
    guard(|| {
        let timeout = (timeout >= 0).then(|| Duration::from_millis(timeout as u64));
        if count < 0 {
            return Err(Errno::EINVAL);
        }
        if count == 0 {
            // Nothing to wait for: libzmq sleeps for the timeout (and returns at once for
            // -1, which would sleep for ever).
            if let Some(timeout) = timeout {
                std::thread::sleep(timeout);
            }
            return Ok(0);
        }
        if items.is_null() {
            return Err(Errno::EFAULT);
        }
        let items = std::slice::from_raw_parts_mut(items, count as usize);
        Ok(wait(items, timeout)? as c_int)
    })
}
