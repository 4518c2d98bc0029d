//! A one-bit wake-up signal that a blocked thread or an async task can wait on.
//!
//! I/O threads and peer sockets call [`Signal::notify`]; the socket's owner waits with
//! [`Signal::wait`] (blocking) or [`Signal::poll_wait`] (async). Notifications coalesce:
//! many notifies before a wait cost one wake-up, and a notify with nobody waiting costs
//! one atomic swap and no system call.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

const IDLE: u8 = 0;
const WAITING: u8 = 1;
const NOTIFIED: u8 = 2;

/// See the module documentation.
pub(crate) struct Signal {
    state: AtomicU8,
    waiter: Mutex<Option<Waker>>,
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    static THREAD_WAKER: Waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
}

/// A waker that unparks the calling thread.
pub(crate) fn thread_waker() -> Waker {
    THREAD_WAKER.with(Waker::clone)
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal {
            state: AtomicU8::new(IDLE),
            waiter: Mutex::new(None),
        }
    }

    /// Wakes the waiter, or makes the next wait return at once.
    #[inline]
    pub(crate) fn notify(&self) {
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == WAITING {
            let waiter = self.waiter.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(waker) = waiter.as_ref() {
                waker.wake_by_ref();
            }
        }
    }

    fn register(&self, waker: &Waker) {
        let mut waiter = self.waiter.lock().unwrap_or_else(|e| e.into_inner());
        match waiter.as_ref() {
            Some(current) if current.will_wake(waker) => {}
            _ => *waiter = Some(waker.clone()),
        }
    }

    /// Blocks until notified or until `deadline`. Returns false on timeout.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        if self.state.swap(IDLE, Ordering::AcqRel) == NOTIFIED {
            return true;
        }
        THREAD_WAKER.with(|w| self.register(w));
        if self
            .state
            .compare_exchange(IDLE, WAITING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.state.store(IDLE, Ordering::Release);
            return true;
        }
        loop {
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return match self.state.compare_exchange(
                            WAITING,
                            IDLE,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => false,
                            Err(_) => {
                                self.state.store(IDLE, Ordering::Release);
                                true
                            }
                        };
                    }
                    thread::park_timeout(deadline - now);
                }
            }
            if self.state.load(Ordering::Acquire) == NOTIFIED {
                self.state.store(IDLE, Ordering::Release);
                return true;
            }
        }
    }

    /// The async form of [`wait`](Self::wait), without a deadline.
    pub(crate) fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.state.swap(IDLE, Ordering::AcqRel) == NOTIFIED {
            return Poll::Ready(());
        }
        self.register(cx.waker());
        match self
            .state
            .compare_exchange(IDLE, WAITING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Poll::Pending,
            Err(_) => {
                self.state.store(IDLE, Ordering::Release);
                Poll::Ready(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn notify_before_wait_is_not_lost() {
        let s = Signal::new();
        s.notify();
        assert!(s.wait(Some(Instant::now())));
        assert!(!s.wait(Some(Instant::now() + Duration::from_millis(10))));
    }

    #[test]
    fn wait_times_out_without_notify() {
        let s = Signal::new();
        let start = Instant::now();
        assert!(!s.wait(Some(start + Duration::from_millis(30))));
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn notify_from_another_thread_wakes_the_waiter() {
        let s = Arc::new(Signal::new());
        let t = {
            let s = s.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                s.notify();
            })
        };
        assert!(s.wait(Some(Instant::now() + Duration::from_secs(10))));
        t.join().unwrap();
    }

    #[test]
    fn many_notifies_coalesce_into_one_wake() {
        let s = Signal::new();
        for _ in 0..5 {
            s.notify();
        }
        assert!(s.wait(None));
        assert!(!s.wait(Some(Instant::now() + Duration::from_millis(5))));
    }
}
