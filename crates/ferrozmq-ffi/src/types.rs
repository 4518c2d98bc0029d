//! The C types of `zmq.h` whose layout C code sees, with their layouts asserted at compile
//! time against libzmq's (the header test compares them with a C compiler's view too).

#![allow(non_camel_case_types)]

use std::ffi::{c_int, c_short, c_void};
use std::mem::{align_of, offset_of, size_of};

/// A message part as C holds it: 64 opaque bytes, pointer-aligned, as in libzmq. What
/// the bytes mean is private to [`crate::message`].
#[repr(C)]
pub struct zmq_msg_t {
    /// The storage; never read or written by C.
    pub bytes: [u8; 64],
    _pointer_aligned: [*const c_void; 0],
}

/// A file descriptor as `zmq.h` declares it on POSIX systems.
pub type zmq_fd_t = c_int;

/// The function `zmq_msg_init_data` calls when the library no longer needs the buffer.
pub type zmq_free_fn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// A timer's handler (`zmq_timers_add`).
pub type zmq_timer_fn = unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void);

/// The function `zmq_threadstart` runs on its new thread.
pub type zmq_thread_fn = unsafe extern "C" fn(arg: *mut c_void);

/// One entry of `zmq_poll`'s array.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct zmq_pollitem_t {
    /// The socket to poll, or NULL to poll `fd`.
    pub socket: *mut c_void,
    /// The file descriptor to poll when `socket` is NULL.
    pub fd: zmq_fd_t,
    /// What to wait for: `ZMQ_POLLIN`, `ZMQ_POLLOUT`, `ZMQ_POLLERR`, `ZMQ_POLLPRI`.
    pub events: c_short,
    /// What happened, filled in by `zmq_poll`.
    pub revents: c_short,
}

/// One event `zmq_poller_wait` reports (draft API).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct zmq_poller_event_t {
    /// The socket the event is on, or NULL for a file descriptor.
    pub socket: *mut c_void,
    /// The file descriptor the event is on, when `socket` is NULL.
    pub fd: zmq_fd_t,
    /// What was registered with the socket or descriptor.
    pub user_data: *mut c_void,
    /// What happened.
    pub events: c_short,
}

const POINTER: usize = size_of::<*const c_void>();

// libzmq: `unsigned char _[64] __attribute__ ((aligned (sizeof (void *))))`.
const _: () = assert!(size_of::<zmq_msg_t>() == 64);
const _: () = assert!(align_of::<zmq_msg_t>() == POINTER);

// libzmq: { void *socket; int fd; short events; short revents; } on POSIX.
const _: () = assert!(offset_of!(zmq_pollitem_t, socket) == 0);
const _: () = assert!(offset_of!(zmq_pollitem_t, fd) == POINTER);
const _: () = assert!(offset_of!(zmq_pollitem_t, events) == POINTER + 4);
const _: () = assert!(offset_of!(zmq_pollitem_t, revents) == POINTER + 6);
const _: () = assert!(size_of::<zmq_pollitem_t>() == POINTER + 8);

// libzmq: { void *socket; int fd; void *user_data; short events; } on POSIX.
const _: () = assert!(offset_of!(zmq_poller_event_t, socket) == 0);
const _: () = assert!(offset_of!(zmq_poller_event_t, fd) == POINTER);
const _: () = assert!(offset_of!(zmq_poller_event_t, user_data) == 2 * POINTER);
const _: () = assert!(offset_of!(zmq_poller_event_t, events) == 3 * POINTER);
const _: () = assert!(size_of::<zmq_poller_event_t>() == 4 * POINTER);
