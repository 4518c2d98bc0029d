//! The draft poller API: `zmq_poller_new`, `_destroy`, `_size`, `_add`, `_modify`,
//! `_remove`, `_add_fd`, `_modify_fd`, `_remove_fd`, `_wait`, `_wait_all`, `_fd`.
//!
//! A poller is a list of registrations (sockets and file descriptors, each with the events
//! wanted and C's `user_data`) behind a handle; a wait looks at them as `zmq_poll` does
//! (see [`crate::poll`]), without holding the poller or any socket locked while it sleeps.
//!
//! Ownership, per function:
//!
//! | function | what it takes | what it leaves |
//! |---|---|---|
//! | `zmq_poller_new` | — | a poller handle, the caller's to destroy |
//! | `zmq_poller_destroy` | the address of a handle | the handle closed and `*poller_p` NULL; registered sockets and descriptors are untouched |
//! | `_add`, `_add_fd` | a socket handle or descriptor, and `user_data` | both stay C's: the poller only remembers them (a socket closed while registered makes waits fail with ENOTSOCK) |
//! | `zmq_poller_fd` | — | a descriptor owned by the poller (closed by `zmq_poller_destroy`) |
//!
//! Errors as libzmq's: EFAULT for a NULL or closed poller, ENOTSOCK for a socket that is
//! not one, EBADF for descriptor -1, EINVAL for events beyond POLLIN, POLLOUT, POLLERR and
//! POLLPRI, for a socket or descriptor added twice or not registered; a wait fails with
//! EAGAIN when nothing is ready by its timeout, and with EFAULT when it could never return
//! (nothing registered with events, and no timeout).

use crate::call::guard;
use crate::errno::Errno;
use crate::poll::{wait, ZMQ_POLLERR, ZMQ_POLLIN, ZMQ_POLLOUT, ZMQ_POLLPRI};
use crate::registry::{Guard, Registry};
use crate::socket::lock;
use crate::socket::wait::{last_errno, WakeFd};
use crate::types::{zmq_fd_t, zmq_poller_event_t, zmq_pollitem_t};
use std::ffi::{c_int, c_long, c_short, c_void};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

const POLLER_TAG: u32 = 0xC7C7_0007;

/// Every poller C holds a handle to.
static POLLERS: Registry<PollerEntry> = Registry::new(POLLER_TAG);

/// The descriptor libzmq calls "retired": none.
const RETIRED_FD: zmq_fd_t = -1;

/// One socket or descriptor a poller watches. Handles and `user_data` are kept as numbers:
/// the poller never dereferences them.
#[derive(Clone, Copy)]
struct Registration {
    /// The socket handle, or 0 for a descriptor.
    socket: usize,
    fd: zmq_fd_t,
    user_data: usize,
    events: c_short,
}

/// A poller's registrations, in the order they were added.
#[derive(Default)]
pub struct PollerEntry {
    registrations: Vec<Registration>,
    /// `zmq_poller_fd`: an epoll descriptor over the thread-safe sockets' wake descriptors,
    /// which it keeps open; made on request, dropped when the registrations change.
    signal: Option<(OwnedFd, Vec<Arc<WakeFd>>)>,
}

impl PollerEntry {
    fn position_of_socket(&self, socket: *mut c_void) -> Option<usize> {
        self.registrations
            .iter()
            .position(|r| r.socket != 0 && r.socket == socket as usize)
    }

    fn position_of_fd(&self, fd: zmq_fd_t) -> Option<usize> {
        self.registrations
            .iter()
            .position(|r| r.socket == 0 && r.fd == fd)
    }

    fn changed(&mut self) {
        self.signal = None;
    }
}

fn poller(handle: *mut c_void) -> Result<Guard<'static, PollerEntry>, Errno> {
    POLLERS.lock(handle).ok_or(Errno::EFAULT)
}

fn check_events(events: c_short) -> Result<(), Errno> {
    if events & !(ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

fn check_socket(socket: *mut c_void) -> Result<(), Errno> {
    lock(socket).map(drop)
}

fn check_fd(fd: zmq_fd_t) -> Result<(), Errno> {
    if fd == RETIRED_FD {
        return Err(Errno(libc::EBADF));
    }
    Ok(())
}

/// A new, empty poller.
///
/// # Safety
/// None.
#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    guard(|| POLLERS.insert(PollerEntry::default()))
}

/// Destroys the poller `*poller_p` names and sets `*poller_p` to NULL.
///
/// # Safety
/// `poller_p` must be NULL or point to a readable and writable `void *`, which must be NULL
/// or a value `zmq_poller_new` returned.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    guard(|| {
        crate::call::usable(poller_p, Errno::EFAULT)?;
        let entry = POLLERS.remove(*poller_p).ok_or(Errno::EFAULT)?;
        drop(entry);
        *poller_p = std::ptr::null_mut();
        Ok(0)
    })
}

/// How many sockets and descriptors the poller watches.
///
/// # Safety
/// `poller` must be NULL or a value `zmq_poller_new` returned (destroyed or not).
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_size(poller_handle: *mut c_void) -> c_int {
    guard(|| Ok(poller(poller_handle)?.registrations.len() as c_int))
}

/// Watches a socket for `events`; `user_data` comes back with its events.
///
/// # Safety
/// `poller` as in [`zmq_poller_size`]; `socket` must be NULL or a value `zmq_socket`
/// returned.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_add(
    poller_handle: *mut c_void,
    socket: *mut c_void,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    guard(|| {
        let mut entry = poller(poller_handle)?;
        check_socket(socket)?;
        check_events(events)?;
        if entry.position_of_socket(socket).is_some() {
            return Err(Errno::EINVAL);
        }
        entry.registrations.push(Registration {
            socket: socket as usize,
            fd: RETIRED_FD,
            user_data: user_data as usize,
            events,
        });
        entry.changed();
        Ok(0)
    })
}

/// Changes the events a watched socket is watched for (0: none, for now).
///
/// # Safety
/// As [`zmq_poller_add`].
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_modify(
    poller_handle: *mut c_void,
    socket: *mut c_void,
    events: c_short,
) -> c_int {
    guard(|| {
        let mut entry = poller(poller_handle)?;
        check_socket(socket)?;
        check_events(events)?;
        let index = entry.position_of_socket(socket).ok_or(Errno::EINVAL)?;
        entry.registrations[index].events = events;
        Ok(0)
    })
}

/// Stops watching a socket.
///
/// # Safety
/// As [`zmq_poller_add`].
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_remove(
    poller_handle: *mut c_void,
    socket: *mut c_void,
) -> c_int {
    guard(|| {
        let mut entry = poller(poller_handle)?;
        check_socket(socket)?;
        let index = entry.position_of_socket(socket).ok_or(Errno::EINVAL)?;
        entry.registrations.remove(index);
        entry.changed();
        Ok(0)
    })
}

/// Watches a file descriptor for `events`.
///
/// # Safety
/// `poller` as in [`zmq_poller_size`].
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_add_fd(
    poller_handle: *mut c_void,
    fd: zmq_fd_t,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    guard(|| {
        let mut entry = poller(poller_handle)?;
        check_fd(fd)?;
        check_events(events)?;
        if entry.position_of_fd(fd).is_some() {
            return Err(Errno::EINVAL);
        }
        entry.registrations.push(Registration {
            socket: 0,
            fd,
            user_data: user_data as usize,
            events,
        });
        entry.changed();
        Ok(0)
    })
}

/// Changes the events a watched descriptor is watched for.
///
/// # Safety
/// As [`zmq_poller_add_fd`].
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_modify_fd(
    poller_handle: *mut c_void,
    fd: zmq_fd_t,
    events: c_short,
) -> c_int {
    guard(|| {
        let mut entry = poller(poller_handle)?;
        check_fd(fd)?;
        check_events(events)?;
        let index = entry.position_of_fd(fd).ok_or(Errno::EINVAL)?;
        entry.registrations[index].events = events;
        Ok(0)
    })
}

/// Stops watching a descriptor.
///
/// # Safety
/// As [`zmq_poller_add_fd`].
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_remove_fd(poller_handle: *mut c_void, fd: zmq_fd_t) -> c_int {
    guard(|| {
        let mut entry = poller(poller_handle)?;
        check_fd(fd)?;
        let index = entry.position_of_fd(fd).ok_or(Errno::EINVAL)?;
        entry.registrations.remove(index);
        entry.changed();
        Ok(0)
    })
}

/// Waits up to `timeout` milliseconds (-1: for ever) and fills up to `capacity` events;
/// returns how many, or fails with EAGAIN when none came.
unsafe fn wait_events(
    poller_handle: *mut c_void,
    events: *mut zmq_poller_event_t,
    capacity: usize,
    timeout: c_long,
) -> Result<c_int, Errno> {
    let registrations = poller(poller_handle)?.registrations.clone();
    if capacity > 0 {
        crate::call::usable(events, Errno::EFAULT)?;
    }
    let timeout = (timeout >= 0).then(|| Duration::from_millis(timeout as u64));
    let mut items: Vec<zmq_pollitem_t> = registrations
        .iter()
        .filter(|r| r.events != 0)
        .map(|r| zmq_pollitem_t {
            socket: r.socket as *mut c_void,
            fd: r.fd,
            events: r.events,
            revents: 0,
        })
        .collect();
    if items.is_empty() {
        // Nothing could ever be reported: libzmq refuses to wait for ever on nothing.
        let Some(timeout) = timeout else {
            return Err(Errno::EFAULT);
        };
        std::thread::sleep(timeout);
        return Err(Errno::EAGAIN);
    }
    if capacity == 0 {
        return Err(Errno::EAGAIN);
    }
    wait(&mut items, timeout)?;
    let active = registrations.iter().filter(|r| r.events != 0);
    let mut filled = 0;
    for (item, registration) in items.iter().zip(active) {
        if item.revents == 0 || filled == capacity {
            continue;
        }
        events.add(filled).write(zmq_poller_event_t {
            socket: item.socket,
            fd: if item.socket.is_null() {
                item.fd
            } else {
                RETIRED_FD
            },
            user_data: registration.user_data as *mut c_void,
            events: item.revents,
        });
        filled += 1;
    }
    if filled == 0 {
        return Err(Errno::EAGAIN);
    }
    Ok(filled as c_int)
}

/// Waits up to `timeout` milliseconds (-1: for ever, 0: look only) for one event, written to
/// `*event`; EAGAIN when none came.
///
/// # Safety
/// `poller` as in [`zmq_poller_size`]; `event` must be NULL or point to a writable
/// `zmq_poller_event_t`. The registered sockets must still be sockets.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait(
    poller_handle: *mut c_void,
    event: *mut zmq_poller_event_t,
    timeout: c_long,
) -> c_int {
    guard(|| {
        poller(poller_handle)?;
        crate::call::usable(event, Errno::EFAULT)?;
        wait_events(poller_handle, event, 1, timeout).map(|_| 0)
    })
}

/// Waits up to `timeout` milliseconds for events, writes up to `n_events` of them to
/// `events`, and returns how many; EAGAIN when none came.
///
/// # Safety
/// As [`zmq_poller_wait`]; `events` must point to `n_events` writable events.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait_all(
    poller_handle: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    guard(|| {
        poller(poller_handle)?;
        if n_events < 0 {
            return Err(Errno::EINVAL);
        }
        wait_events(poller_handle, events, n_events as usize, timeout)
    })
}

/// A descriptor that becomes readable when a thread-safe socket of the poller may be
/// ready, for an outer event loop (then wait on the poller with timeout 0); EINVAL when the
/// poller watches no thread-safe socket (libzmq's pollers signal only those).
///
/// # Safety
/// `poller` as in [`zmq_poller_size`]; `fd` must be NULL or point to a writable
/// `zmq_fd_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_fd(poller_handle: *mut c_void, fd: *mut zmq_fd_t) -> c_int {
    guard(|| {
        let mut entry = poller(poller_handle)?;
        crate::call::usable(fd, Errno::EFAULT)?;
        if entry.signal.is_none() {
            entry.signal = Some(signal_of(&entry.registrations)?);
        }
        let (epoll, _) = entry.signal.as_ref().expect("made above");
        *fd = epoll.as_raw_fd();
        Ok(0)
    })
}

/// An epoll descriptor watching the wake descriptors of the thread-safe sockets among
/// `registrations`, and those descriptors.
fn signal_of(registrations: &[Registration]) -> Result<(OwnedFd, Vec<Arc<WakeFd>>), Errno> {
    let mut wakes = Vec::new();
    for registration in registrations.iter().filter(|r| r.socket != 0) {
        let mut socket = lock(registration.socket as *mut c_void)?;
        if socket.socket().options().thread_safe() {
            wakes.push(socket.wake_fd()?);
        }
    }
    if wakes.is_empty() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: plain descriptor creation; ownership goes to OwnedFd at once.
    let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if raw < 0 {
        return Err(last_errno());
    }
    // SAFETY: a fresh descriptor nobody else owns.
    let epoll = unsafe { OwnedFd::from_raw_fd(raw) };
    for wake in &wakes {
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 0,
        };
        // SAFETY: both descriptors are open (the Arcs and `epoll` keep them); `event` is a
        // live epoll_event.
        if unsafe { libc::epoll_ctl(raw, libc::EPOLL_CTL_ADD, wake.raw_fd(), &mut event) } < 0 {
            return Err(last_errno());
        }
    }
    Ok((epoll, wakes))
}
