//! `zmq_proxy`, `zmq_proxy_steerable` and the legacy `zmq_device`: ferrozmq's proxy between
//! two sockets.
//!
//! The proxy holds the locks of its sockets (frontend, backend, capture, control) for as
//! long as it runs: other calls on those sockets wait until it returns, which it does when
//! the context is shut down (-1, ETERM) or, steered, on `TERMINATE` (0). The sockets stay
//! the caller's; a socket may be both frontend and backend.

use crate::call::guard;
use crate::errno::Errno;
use crate::registry::Guard;
use crate::socket::{lock, SocketEntry};
use ferrozmq::Socket;
use std::ffi::{c_int, c_void};

/// The sockets of one proxy, each locked once however many roles it has.
struct Locked {
    handles: Vec<*mut c_void>,
    guards: Vec<Guard<'static, SocketEntry>>,
}

impl Locked {
    /// Locks each distinct socket, in address order (two proxies sharing sockets cannot
    /// deadlock on each other's locks).
    fn new(roles: &[*mut c_void]) -> Result<Locked, Errno> {
        let mut handles: Vec<*mut c_void> = roles.to_vec();
        handles.sort();
        handles.dedup();
        let guards = handles
            .iter()
            .map(|&handle| lock(handle))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Locked { handles, guards })
    }

    fn socket(&self, handle: *mut c_void) -> &Socket {
        let index = self
            .handles
            .binary_search(&handle)
            .expect("every role's socket is locked");
        self.guards[index].socket()
    }
}

unsafe fn run(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> Result<c_int, Errno> {
    if frontend.is_null() || backend.is_null() {
        return Err(Errno::EFAULT);
    }
    let mut roles = vec![frontend, backend];
    roles.extend([capture, control].into_iter().filter(|h| !h.is_null()));
    let locked = Locked::new(&roles)?;
    let front = locked.socket(frontend);
    let back = locked.socket(backend);
    let capture = (!capture.is_null()).then(|| locked.socket(capture));
    if control.is_null() {
        ferrozmq::proxy_with_capture(front, back, capture)?;
    } else {
        ferrozmq::proxy_steerable(front, back, capture, locked.socket(control))?;
    }
    Ok(0)
}

/// Forwards messages between `frontend` and `backend`, both ways, copying each to
/// `capture` (if not NULL), until the context is shut down: then -1 with ETERM.
///
/// # Safety
/// Each handle must be NULL (`capture` only) or a value `zmq_socket` returned.
#[no_mangle]
pub unsafe extern "C" fn zmq_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
) -> c_int {
    guard(|| run(frontend, backend, capture, std::ptr::null_mut()))
}

/// [`zmq_proxy`], steered by messages on `control`: `PAUSE`, `RESUME`, `TERMINATE` (the
/// proxy returns 0), `STATISTICS` (answered with eight 64-bit counts).
///
/// # Safety
/// As [`zmq_proxy`]; `control` must be NULL or a socket.
#[no_mangle]
pub unsafe extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> c_int {
    guard(|| run(frontend, backend, capture, control))
}

/// [`zmq_proxy`] without capture (legacy API; the device type is not looked at, as in
/// libzmq).
///
/// # Safety
/// As [`zmq_proxy`].
#[no_mangle]
pub unsafe extern "C" fn zmq_device(
    _device_type: c_int,
    frontend: *mut c_void,
    backend: *mut c_void,
) -> c_int {
    guard(|| {
        run(
            frontend,
            backend,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    })
}
