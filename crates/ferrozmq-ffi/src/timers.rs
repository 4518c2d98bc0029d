//! `zmq_timers_*`: a set of repeating timers whose handlers the application runs with
//! `zmq_timers_execute`, typically around `zmq_poll` with `zmq_timers_timeout`.
//!
//! Ownership: `zmq_timers_new` returns a handle the caller owns; `zmq_timers_destroy`
//! takes the address of the caller's handle, closes it and sets it to NULL. A NULL,
//! destroyed or foreign handle fails with EFAULT.
//!
//! Handlers run on the thread calling `zmq_timers_execute`, without any lock held: a
//! handler may add, cancel or reset timers of the same set (a timer cancelled by an
//! earlier handler of the same round does not run).

use crate::call::guard;
use crate::errno::Errno;
use crate::registry::{Guard, Registry};
use crate::types::zmq_timer_fn;
use std::collections::BTreeMap;
use std::ffi::{c_int, c_long, c_void};
use std::time::{Duration, Instant};

const TIMERS_TAG: u32 = 0xC7C7_0006;
static TIMER_SETS: Registry<TimerSet> = Registry::new(TIMERS_TAG);

/// The timers of one `zmq_timers_new`.
#[derive(Default)]
pub struct TimerSet {
    last_id: c_int,
    timers: BTreeMap<c_int, Timer>,
}

struct Timer {
    interval: Duration,
    /// `None`: the interval is too long to fall due in this process's lifetime.
    due: Option<Instant>,
    handler: zmq_timer_fn,
    arg: *mut c_void,
}

// SAFETY: the argument is C's, handed back to its handler on the thread that runs the
// timers; the set itself is only reached under its slot's lock.
unsafe impl Send for TimerSet {}

fn due_after(now: Instant, interval: Duration) -> Option<Instant> {
    now.checked_add(interval)
}

fn interval(milliseconds: usize) -> Duration {
    Duration::from_millis(u64::try_from(milliseconds).unwrap_or(u64::MAX))
}

fn timer_set(timers: *mut c_void) -> Result<Guard<'static, TimerSet>, Errno> {
    TIMER_SETS.lock(timers).ok_or(Errno::EFAULT)
}

fn timer(set: &mut TimerSet, timer_id: c_int) -> Result<&mut Timer, Errno> {
    set.timers.get_mut(&timer_id).ok_or(Errno::EINVAL)
}

/// A new, empty set of timers.
///
/// # Safety
/// None.
#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    guard(|| TIMER_SETS.insert(TimerSet::default()))
}

/// Destroys the set `*timers_p` refers to and sets `*timers_p` to NULL.
///
/// # Safety
/// `timers_p` must be NULL or point to a handle variable.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    guard(|| {
        crate::call::usable(timers_p, Errno::EFAULT)?;
        TIMER_SETS.remove(*timers_p).ok_or(Errno::EFAULT)?;
        *timers_p = std::ptr::null_mut();
        Ok(0)
    })
}

/// Adds a timer calling `handler(id, arg)` every `interval` milliseconds; returns its id.
///
/// # Safety
/// `timers` must be NULL or a handle; `handler` must be safe to call with `arg` whenever
/// `zmq_timers_execute` runs.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_add(
    timers: *mut c_void,
    interval_ms: usize,
    handler: Option<zmq_timer_fn>,
    arg: *mut c_void,
) -> c_int {
    guard(|| {
        let mut set = timer_set(timers)?;
        let handler = handler.ok_or(Errno::EFAULT)?;
        let id = set.last_id.checked_add(1).ok_or(Errno::ENOMEM)?;
        set.last_id = id;
        let interval = interval(interval_ms);
        set.timers.insert(
            id,
            Timer {
                interval,
                due: due_after(Instant::now(), interval),
                handler,
                arg,
            },
        );
        Ok(id)
    })
}

/// Cancels a timer; EINVAL if there is no such timer (any more).
///
/// # Safety
/// `timers` must be NULL or a handle.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_cancel(timers: *mut c_void, timer_id: c_int) -> c_int {
    guard(|| {
        timer_set(timers)?
            .timers
            .remove(&timer_id)
            .ok_or(Errno::EINVAL)?;
        Ok(0)
    })
}

/// Gives a timer a new interval, counted from now.
///
/// # Safety
/// `timers` must be NULL or a handle.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_set_interval(
    timers: *mut c_void,
    timer_id: c_int,
    interval_ms: usize,
) -> c_int {
    guard(|| {
        let mut set = timer_set(timers)?;
        let timer = timer(&mut set, timer_id)?;
        timer.interval = interval(interval_ms);
        timer.due = due_after(Instant::now(), timer.interval);
        Ok(0)
    })
}

/// Restarts a timer's interval from now.
///
/// # Safety
/// `timers` must be NULL or a handle.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_reset(timers: *mut c_void, timer_id: c_int) -> c_int {
    guard(|| {
        let mut set = timer_set(timers)?;
        let timer = timer(&mut set, timer_id)?;
        timer.due = due_after(Instant::now(), timer.interval);
        Ok(0)
    })
}

/// Milliseconds until the next timer falls due (0 if one is due); -1 with EINVAL when
/// there is no timer.
///
/// # Safety
/// `timers` must be NULL or a handle.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_timeout(timers: *mut c_void) -> c_long {
    guard(|| {
        let set = timer_set(timers)?;
        if set.timers.is_empty() {
            return Err(Errno::EINVAL);
        }
        let now = Instant::now();
        let next = set.timers.values().filter_map(|t| t.due).min();
        Ok(match next {
            // Rounded up: sleeping the value returned must reach the due time.
            Some(due) => c_long::try_from(
                due.saturating_duration_since(now)
                    .as_micros()
                    .div_ceil(1000),
            )
            .unwrap_or(c_long::MAX),
            None => c_long::MAX,
        })
    })
}

/// Runs the handler of every timer that is due, and schedules each again an interval
/// from now.
///
/// # Safety
/// `timers` must be NULL or a handle.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_execute(timers: *mut c_void) -> c_int {
    guard(|| {
        let due: Vec<c_int> = {
            let mut set = timer_set(timers)?;
            let now = Instant::now();
            set.timers
                .iter_mut()
                .filter(|(_, t)| t.due.is_some_and(|due| due <= now))
                .map(|(&id, t)| {
                    t.due = due_after(now, t.interval);
                    id
                })
                .collect()
        };
        for id in due {
            // Looked up again: an earlier handler may have cancelled it, or destroyed the set.
            let Some((handler, arg)) = timer_set(timers)
                .ok()
                .and_then(|set| set.timers.get(&id).map(|t| (t.handler, t.arg)))
            else {
                continue;
            };
            handler(id, arg);
        }
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::errno;
    use std::sync::atomic::{AtomicUsize, Ordering};

    unsafe extern "C" fn count(_id: c_int, arg: *mut c_void) {
        (*arg.cast::<AtomicUsize>()).fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_timer_runs_when_due_and_again_an_interval_later() {
        let runs = AtomicUsize::new(0);
        let arg = std::ptr::from_ref(&runs).cast_mut().cast();
        let mut timers = zmq_timers_new();
        unsafe {
            assert_eq!(zmq_timers_timeout(timers), -1);
            assert_eq!(errno(), libc::EINVAL);
            let id = zmq_timers_add(timers, 30, Some(count), arg);
            assert_eq!(id, 1);
            assert_eq!(zmq_timers_execute(timers), 0);
            assert_eq!(runs.load(Ordering::SeqCst), 0);
            let timeout = zmq_timers_timeout(timers);
            assert!((1..=30).contains(&timeout), "{timeout}");
            std::thread::sleep(Duration::from_millis(timeout as u64));
            assert_eq!(zmq_timers_execute(timers), 0);
            assert_eq!(runs.load(Ordering::SeqCst), 1);
            assert!(zmq_timers_timeout(timers) > 0, "scheduled again");
            assert_eq!(zmq_timers_cancel(timers, id), 0);
            assert_eq!(zmq_timers_cancel(timers, id), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_timers_reset(timers, id), -1);
            assert_eq!(zmq_timers_destroy(&mut timers), 0);
            assert!(timers.is_null());
            assert_eq!(zmq_timers_destroy(&mut timers), -1);
            assert_eq!(errno(), libc::EFAULT);
        }
    }

    #[test]
    fn an_interval_beyond_any_clock_never_falls_due() {
        let timers = zmq_timers_new();
        unsafe {
            let id = zmq_timers_add(timers, usize::MAX, Some(count), std::ptr::null_mut());
            assert!(id > 0);
            assert_eq!(zmq_timers_timeout(timers), c_long::MAX);
            assert_eq!(zmq_timers_execute(timers), 0);
            assert_eq!(zmq_timers_add(timers, 1, None, std::ptr::null_mut()), -1);
            assert_eq!(errno(), libc::EFAULT);
            let mut handle = timers;
            zmq_timers_destroy(&mut handle);
        }
    }

    /// A handler that cancels its own timer and adds another must not deadlock.
    unsafe extern "C" fn replace_self(id: c_int, arg: *mut c_void) {
        let timers = *arg.cast::<*mut c_void>();
        assert_eq!(zmq_timers_cancel(timers, id), 0);
        assert!(zmq_timers_add(timers, 1000, Some(count), std::ptr::null_mut()) > id);
    }

    #[test]
    fn handlers_may_change_their_own_timer_set() {
        let mut timers = zmq_timers_new();
        let arg = std::ptr::from_mut(&mut timers).cast::<c_void>();
        unsafe {
            let id = zmq_timers_add(timers, 0, Some(replace_self), arg);
            assert_eq!(zmq_timers_execute(timers), 0);
            assert_eq!(zmq_timers_cancel(timers, id), -1, "it cancelled itself");
            assert!(zmq_timers_timeout(timers) > 900);
            zmq_timers_destroy(&mut timers);
        }
    }
}
