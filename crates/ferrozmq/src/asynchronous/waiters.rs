//! The tasks waiting on one async socket.
//!
//! A socket's signal keeps a single waker. An [`AsyncSocket`](super::AsyncSocket) usually
//! belongs to one task, but split into its stream and sink halves (`StreamExt::split`) it
//! may have a task waiting for messages and another waiting for room, polling it in turn. The signal is given this fan-out instead of either task's waker, so
//! that whatever happens to the socket wakes every task waiting on it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Wake, Waker};

#[derive(Default)]
pub(super) struct Waiters {
    wakers: Mutex<Vec<Waker>>,
}

impl Waiters {
    fn lock(&self) -> MutexGuard<'_, Vec<Waker>> {
        self.wakers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a task to wake, unless it is there already.
    pub(super) fn add(&self, waker: &Waker) {
        let mut wakers = self.lock();
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }

    /// Wakes every task but `current`, and forgets them all: each registers again if it
    /// still has to wait.
    pub(super) fn wake_others(&self, current: &Waker) {
        let wakers = std::mem::take(&mut *self.lock());
        for waker in wakers {
            if !waker.will_wake(current) {
                waker.wake();
            }
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Woken outside the lock: a waker may run code that registers again.
        let wakers = std::mem::take(&mut *self.lock());
        for waker in wakers {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counted() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn every_waiting_task_is_woken_once() {
        let waiters = Arc::new(Waiters::default());
        let (reader, reader_waker) = counted();
        let (writer, writer_waker) = counted();
        waiters.add(&reader_waker);
        waiters.add(&reader_waker);
        waiters.add(&writer_waker);
        Waker::from(waiters.clone()).wake_by_ref();
        Waker::from(waiters).wake_by_ref();
        assert_eq!(reader.0.load(Ordering::SeqCst), 1);
        assert_eq!(writer.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_task_that_saw_the_news_wakes_only_the_others() {
        let waiters = Waiters::default();
        let (reader, reader_waker) = counted();
        let (writer, writer_waker) = counted();
        waiters.add(&reader_waker);
        waiters.add(&writer_waker);
        waiters.wake_others(&reader_waker);
        assert_eq!(reader.0.load(Ordering::SeqCst), 0);
        assert_eq!(writer.0.load(Ordering::SeqCst), 1);
        assert!(waiters.lock().is_empty());
    }
}
