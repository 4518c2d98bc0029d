//! `zmq_atomic_counter_*`: a 32-bit counter threads share.
//!
//! Ownership: `zmq_atomic_counter_new` returns a handle the caller owns;
//! `zmq_atomic_counter_destroy` takes the address of the caller's handle, closes it and
//! sets it to NULL. With a NULL or destroyed handle the other functions do nothing and
//! return -1 with errno EFAULT, where libzmq would touch freed memory.

use crate::call::guard;
use crate::errno::Errno;
use crate::registry::Registry;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicI32, Ordering};

const COUNTER_TAG: u32 = 0xC7C7_0003;
static COUNTERS: Registry<AtomicI32> = Registry::new(COUNTER_TAG);

fn with_counter<R>(counter: *mut c_void, f: impl FnOnce(&AtomicI32) -> R) -> Result<R, Errno> {
    let counter = COUNTERS.lock(counter).ok_or(Errno::EFAULT)?;
    Ok(f(&counter))
}

/// A new counter, at 0.
///
/// # Safety
/// None.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    guard(|| COUNTERS.insert(AtomicI32::new(0)))
}

/// Sets the counter.
///
/// # Safety
/// `counter` must be NULL or a handle from `zmq_atomic_counter_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_set(counter: *mut c_void, value: c_int) {
    guard(|| with_counter(counter, |c| c.store(value, Ordering::SeqCst)))
}

/// Adds 1; returns the value before.
///
/// # Safety
/// As [`zmq_atomic_counter_set`].
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_inc(counter: *mut c_void) -> c_int {
    guard(|| with_counter(counter, |c| c.fetch_add(1, Ordering::SeqCst)))
}

/// Subtracts 1; returns 1 if the counter is still above 0, else 0.
///
/// # Safety
/// As [`zmq_atomic_counter_set`].
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_dec(counter: *mut c_void) -> c_int {
    guard(|| {
        with_counter(counter, |c| {
            c_int::from(c.fetch_sub(1, Ordering::SeqCst) - 1 > 0)
        })
    })
}

/// The counter's value.
///
/// # Safety
/// As [`zmq_atomic_counter_set`].
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_value(counter: *mut c_void) -> c_int {
    guard(|| with_counter(counter, |c| c.load(Ordering::SeqCst)))
}

/// Destroys the counter `*counter_p` refers to and sets `*counter_p` to NULL.
///
/// # Safety
/// `counter_p` must be NULL or point to a handle variable.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    guard(|| {
        crate::call::usable(counter_p, Errno::EFAULT)?;
        COUNTERS.remove(*counter_p).ok_or(Errno::EFAULT)?;
        *counter_p = std::ptr::null_mut();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_as_libzmq_documents() {
        let mut counter = zmq_atomic_counter_new();
        unsafe {
            assert_eq!(zmq_atomic_counter_inc(counter), 0);
            assert_eq!(zmq_atomic_counter_inc(counter), 1);
            assert_eq!(zmq_atomic_counter_value(counter), 2);
            assert_eq!(zmq_atomic_counter_dec(counter), 1);
            assert_eq!(zmq_atomic_counter_dec(counter), 0);
            zmq_atomic_counter_set(counter, 5);
            assert_eq!(zmq_atomic_counter_value(counter), 5);
            let stale = counter;
            zmq_atomic_counter_destroy(&mut counter);
            assert!(counter.is_null());
            assert_eq!(zmq_atomic_counter_inc(stale), -1);
            assert_eq!(crate::errno::errno(), libc::EFAULT);
            zmq_atomic_counter_destroy(&mut counter);
        }
    }

    #[test]
    fn threads_sharing_a_counter_lose_no_increment() {
        let counter = zmq_atomic_counter_new() as usize;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        unsafe { zmq_atomic_counter_inc(counter as *mut c_void) };
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(
            unsafe { zmq_atomic_counter_value(counter as *mut c_void) },
            4000
        );
        let mut handle = counter as *mut c_void;
        unsafe { zmq_atomic_counter_destroy(&mut handle) };
    }
}
