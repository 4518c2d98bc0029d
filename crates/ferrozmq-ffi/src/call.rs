//! How every export runs: one guard that turns a Rust result into libzmq's failure value
//! plus `errno`, and a caught panic into the same.
//!
//! ```text
//!  C caller ──► export (unsafe extern "C") ──► guard(|| -> Result<R, Errno>)
//!                                                 │ Ok(value)      → value
//!                                                 │ Err(errno)     → errno set, R::FAILED
//!                                                 │ panic (a bug)  → errno ENOTRECOVERABLE, R::FAILED
//! ```
//!
//! No panic unwinds into C: unwinding through a C frame is undefined behaviour, and even
//! where it is not, libzmq's callers cannot handle it.

use crate::errno::{set_errno, Errno};
use std::ffi::{c_int, c_void};
use std::panic::{self, AssertUnwindSafe};

/// The value an export returns to C when it fails, as libzmq's prototype defines it.
pub trait Failure {
    /// The failure value.
    const FAILED: Self;
}

impl Failure for c_int {
    const FAILED: Self = -1;
}

impl Failure for i64 {
    const FAILED: Self = -1;
}

impl Failure for u32 {
    const FAILED: Self = 0;
}

impl Failure for u64 {
    const FAILED: Self = 0;
}

impl Failure for usize {
    const FAILED: Self = 0;
}

impl Failure for () {
    const FAILED: Self = ();
}

impl<T> Failure for *mut T {
    const FAILED: Self = std::ptr::null_mut();
}

impl<T> Failure for *const T {
    const FAILED: Self = std::ptr::null();
}

/// Runs the body of an export: its result, or its failure value with `errno` set.
///
/// `errno` is only written on failure, so a successful call leaves the caller's `errno`
/// as it was.
pub fn guard<R: Failure>(body: impl FnOnce() -> Result<R, Errno>) -> R {
    // AssertUnwindSafe: after a panic nothing the body touched is used again by this call,
    // and shared state behind locks is recovered from poisoning where it is locked.
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(errno)) => {
            set_errno(errno.0);
            R::FAILED
        }
        Err(_) => {
            set_errno(Errno::INTERNAL.0);
            R::FAILED
        }
    }
}

/// Fails with `errno` unless `pointer` is non-NULL.
pub fn non_null<T>(pointer: *const T, errno: Errno) -> Result<(), Errno> {
    if pointer.is_null() {
        Err(errno)
    } else {
        Ok(())
    }
}

/// Fails with `errno` unless `pointer` is non-NULL and aligned for `T`: the checks that
/// can be made on a pointer C hands over before reading through it.
pub fn usable<T>(pointer: *const T, errno: Errno) -> Result<(), Errno> {
    non_null(pointer, errno)?;
    if pointer.cast::<c_void>() as usize % std::mem::align_of::<T>() != 0 {
        return Err(errno);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::errno;

    #[test]
    fn a_panic_becomes_the_failure_value_and_errno() {
        let result: c_int = guard(|| panic!("a bug, on purpose"));
        assert_eq!(result, -1);
        assert_eq!(errno(), libc::ENOTRECOVERABLE);

        let result: *mut u8 = guard(|| panic!("a bug, on purpose"));
        assert!(result.is_null());
    }

    #[test]
    fn success_leaves_errno_alone() {
        crate::errno::set_errno(0);
        let result: c_int = guard(|| Ok(7));
        assert_eq!((result, errno()), (7, 0));
        let result: c_int = guard(|| Err(Errno::EINVAL));
        assert_eq!((result, errno()), (-1, libc::EINVAL));
    }

    #[test]
    fn misaligned_and_null_pointers_are_refused() {
        let word = 0u64;
        let base = &word as *const u64;
        assert!(usable(base, Errno::EFAULT).is_ok());
        let odd = base.cast::<u8>().wrapping_add(1).cast::<u64>();
        assert_eq!(usable(odd, Errno::EFAULT), Err(Errno::EFAULT));
        assert_eq!(
            usable(std::ptr::null::<u64>(), Errno::ENOTSOCK),
            Err(Errno::ENOTSOCK)
        );
    }
}
