//! `zmq_threadstart` and `zmq_threadclose`: a thread running a C function.
//!
//! Ownership: `zmq_threadstart` returns a handle the caller owns; `zmq_threadclose` waits
//! for the thread to finish and closes the handle. A NULL or closed handle is ignored.

use crate::call::guard;
use crate::errno::Errno;
use crate::registry::Registry;
use crate::types::zmq_thread_fn;
use std::ffi::c_void;
use std::thread::JoinHandle;

const THREAD_TAG: u32 = 0xC7C7_0005;
static THREADS: Registry<JoinHandle<()>> = Registry::new(THREAD_TAG);

/// The function and argument C hands to the new thread.
struct Start {
    function: zmq_thread_fn,
    arg: *mut c_void,
}

// SAFETY: C hands the argument to the thread it asks for; what it points to is C's to
// synchronise, as with libzmq.
unsafe impl Send for Start {}

/// Starts a thread running `function(arg)`; NULL (with errno) if it cannot start.
///
/// # Safety
/// `function` must be safe to call with `arg` on another thread.
#[no_mangle]
pub unsafe extern "C" fn zmq_threadstart(
    function: Option<zmq_thread_fn>,
    arg: *mut c_void,
) -> *mut c_void {
    guard(|| {
        let start = Start {
            function: function.ok_or(Errno::EINVAL)?,
            arg,
        };
        let thread = std::thread::Builder::new()
            .name("ZMQapp".into())
            .spawn(move || {
                let start = start;
                // SAFETY: the caller's promise.
                unsafe { (start.function)(start.arg) }
            })
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EAGAIN)))?;
        THREADS.insert(thread)
    })
}

/// Waits for the thread to finish, and closes its handle.
///
/// # Safety
/// `thread` must be NULL or a handle from `zmq_threadstart`.
#[no_mangle]
pub unsafe extern "C" fn zmq_threadclose(thread: *mut c_void) {
    guard(|| {
        let thread = THREADS.remove(thread).ok_or(Errno::EFAULT)?;
        // The thread runs only C code, which cannot panic.
        let _ = thread.join();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    unsafe extern "C" fn add_one(arg: *mut c_void) {
        (*arg.cast::<AtomicUsize>()).fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_started_thread_has_run_once_closed() {
        let runs = AtomicUsize::new(0);
        let arg = std::ptr::from_ref(&runs).cast_mut().cast();
        let thread = unsafe { zmq_threadstart(Some(add_one), arg) };
        assert!(!thread.is_null());
        unsafe { zmq_threadclose(thread) };
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        unsafe { zmq_threadclose(thread) };
        unsafe { zmq_threadclose(std::ptr::null_mut()) };
    }
}
