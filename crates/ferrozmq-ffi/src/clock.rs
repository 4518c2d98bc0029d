//! Time helpers libzmq's perf tools use: `zmq_stopwatch_*` and `zmq_sleep`.
//!
//! Ownership: `zmq_stopwatch_start` returns a handle the caller owns until
//! `zmq_stopwatch_stop` closes it. A NULL or stopped handle gives 0.

use crate::call::guard;
use crate::errno::Errno;
use crate::registry::Registry;
use std::ffi::{c_int, c_ulong, c_void};
use std::time::{Duration, Instant};

const STOPWATCH_TAG: u32 = 0xC7C7_0004;
static STOPWATCHES: Registry<Instant> = Registry::new(STOPWATCH_TAG);

fn microseconds_since(start: Instant) -> c_ulong {
    c_ulong::try_from(start.elapsed().as_micros()).unwrap_or(c_ulong::MAX)
}

/// Starts a stopwatch.
///
/// # Safety
/// None.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    guard(|| STOPWATCHES.insert(Instant::now()))
}

/// Microseconds since the stopwatch started; it keeps running.
///
/// # Safety
/// `watch` must be NULL or a handle from `zmq_stopwatch_start`.
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> c_ulong {
    guard(|| {
        let start = *STOPWATCHES.lock(watch).ok_or(Errno::EFAULT)?;
        Ok(microseconds_since(start))
    })
}

/// Microseconds since the stopwatch started; the handle is closed.
///
/// # Safety
/// As [`zmq_stopwatch_intermediate`].
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> c_ulong {
    guard(|| {
        let start = STOPWATCHES.remove(watch).ok_or(Errno::EFAULT)?;
        Ok(microseconds_since(start))
    })
}

/// Sleeps for `seconds` seconds (none if negative).
///
/// # Safety
/// None.
#[no_mangle]
pub extern "C" fn zmq_sleep(seconds: c_int) {
    guard(|| {
        std::thread::sleep(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopwatch_measures_until_it_is_stopped() {
        let watch = zmq_stopwatch_start();
        std::thread::sleep(Duration::from_millis(20));
        let lap = unsafe { zmq_stopwatch_intermediate(watch) };
        assert!(lap >= 20_000, "{lap} µs");
        let total = unsafe { zmq_stopwatch_stop(watch) };
        assert!(total >= lap);
        assert_eq!(unsafe { zmq_stopwatch_stop(watch) }, 0, "stopped already");
    }
}
