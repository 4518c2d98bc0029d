//! Errors as C sees them: libzmq's errno values, the calling thread's `errno`,
//! `zmq_errno` and `zmq_strerror`.
//!
//! Every export reports failure the way libzmq does: a failure value (`-1`, `NULL`) and
//! `errno` set. It is the C library's own thread-local `errno` that is set, not a copy, so
//! programs that read `errno` directly after a call (most do) see it, and a successful call
//! leaves it as it was (libzmq's tests set `errno = 0`, call, and check it is still 0).

use std::ffi::{c_char, c_int, CStr};

/// Base of the error numbers libzmq defines itself (`ZMQ_HAUSNUMERO`).
pub const HAUSNUMERO: c_int = 156_384_712;
/// The operation is not valid in the socket's current state (`EFSM`).
pub const EFSM: c_int = HAUSNUMERO + 51;
/// The protocol is not compatible with the socket type (`ENOCOMPATPROTO`).
pub const ENOCOMPATPROTO: c_int = HAUSNUMERO + 52;
/// The context was terminated (`ETERM`).
pub const ETERM: c_int = HAUSNUMERO + 53;
/// No I/O thread is available for the operation (`EMTHREAD`).
pub const EMTHREAD: c_int = HAUSNUMERO + 54;

/// An error number to hand to C through `errno`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub c_int);

impl Errno {
    /// A pointer argument is NULL or does not point to a live object of the right kind
    /// (contexts, messages).
    pub const EFAULT: Errno = Errno(libc::EFAULT);
    /// An argument is out of range, or an option is unknown.
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    /// A socket argument is NULL, closed, or not a socket.
    pub const ENOTSOCK: Errno = Errno(libc::ENOTSOCK);
    /// An allocation failed.
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    /// The library does not have the feature asked for.
    pub const ENOTSUP: Errno = Errno(libc::ENOTSUP);
    /// The operation would block (non-blocking call, or timeout).
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
    /// A Rust panic was caught at the boundary: a bug in this library. The call failed
    /// without effect that C can observe beyond this error; the panic message went to
    /// stderr.
    pub const INTERNAL: Errno = Errno(libc::ENOTRECOVERABLE);
    /// The context was terminated.
    pub const ETERM: Errno = Errno(ETERM);
}

impl From<ferrozmq::Error> for Errno {
    fn from(error: ferrozmq::Error) -> Self {
        Errno(error.errno())
    }
}

/// Sets the calling thread's `errno`.
pub fn set_errno(value: c_int) {
    // SAFETY: the C library's errno location is valid, thread-local storage for the
    // calling thread for as long as the thread lives.
    unsafe { *errno_location() = value }
}

/// The calling thread's `errno`.
pub fn errno() -> c_int {
    // SAFETY: as in `set_errno`.
    unsafe { *errno_location() }
}

#[cfg(any(target_os = "linux", target_os = "emscripten", target_os = "redox"))]
unsafe fn errno_location() -> *mut c_int {
    libc::__errno_location()
}

#[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
unsafe fn errno_location() -> *mut c_int {
    libc::__errno()
}

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
unsafe fn errno_location() -> *mut c_int {
    libc::__error()
}

/// The error number of the last failed call on this thread, as libzmq reports it:
/// the C library's `errno` itself.
///
/// # Safety
/// None: callable from any thread at any time.
#[no_mangle]
pub extern "C" fn zmq_errno() -> c_int {
    errno()
}

/// A text for an error number: libzmq's own numbers get their meaning here, the
/// system's numbers get the C library's `strerror` text. The text is static (or, for
/// numbers the system does not know, owned by the C library) and must not be freed.
///
/// # Safety
/// None: any number is accepted.
#[no_mangle]
pub extern "C" fn zmq_strerror(errnum: c_int) -> *const c_char {
    match own_text(errnum) {
        Some(text) => text.as_ptr(),
        // SAFETY: strerror accepts any number and returns a NUL-terminated string (or
        // NULL on a few C libraries, which C callers of libzmq already face).
        None => unsafe { libc::strerror(errnum) },
    }
}

fn own_text(errnum: c_int) -> Option<&'static CStr> {
    Some(match errnum {
        EFSM => c"Operation not valid in the socket's current state",
        ENOCOMPATPROTO => c"Protocol not compatible with the socket type",
        ETERM => c"Context was terminated",
        EMTHREAD => c"No I/O thread available",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(errnum: c_int) -> String {
        // SAFETY: zmq_strerror returns a NUL-terminated string.
        unsafe { CStr::from_ptr(zmq_strerror(errnum)) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn libzmq_numbers_have_their_own_texts() {
        assert_eq!(text(ETERM), "Context was terminated");
        assert_eq!(
            text(EFSM),
            "Operation not valid in the socket's current state"
        );
    }

    #[test]
    // Miri cannot call the C library's strerror.
    #[cfg_attr(miri, ignore)]
    fn system_numbers_have_the_system_s_texts() {
        let system = unsafe { CStr::from_ptr(libc::strerror(libc::EAGAIN)) };
        assert_eq!(text(libc::EAGAIN), system.to_string_lossy());
    }

    #[test]
    fn errno_is_the_c_library_s_own() {
        set_errno(libc::EHOSTUNREACH);
        assert_eq!(zmq_errno(), libc::EHOSTUNREACH);
        assert_eq!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::EHOSTUNREACH)
        );
    }
}
