//! The bounded event queue every monitor sink reads from: the socket's threads push, one
//! reader takes, and nobody ever waits for the reader.

use crate::error::{Error, Result};
use crate::signal::Signal;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;

/// Events on their way from a socket's threads (the I/O threads, and the application's in
/// `bind` and `close`) to one reader: a typed [`Monitor`](super::Monitor), or the thread
/// that turns them into libzmq's wire frames.
///
/// Pushing never blocks: an event that finds the queue full is dropped and counted, as
/// libzmq's monitor socket drops what finds its pipe at the high-water mark. The queue
/// holds at most `capacity` events, plus the one [`end`](Self::end) adds.
///
/// ```text
/// push ──▶ [ e1 e2 … e_capacity ] ──▶ take / wait
///   full: dropped += 1        ended: take fails with Closed once empty
/// ```
pub(super) struct EventQueue<T> {
    capacity: usize,
    state: Mutex<State<T>>,
    signal: Signal,
}

struct State<T> {
    queued: VecDeque<T>,
    /// Events that found the queue full.
    dropped: u64,
    /// The socket closed: no event will come after those queued.
    ended: bool,
    /// The socket's context was shut down.
    terminated: bool,
}

impl<T> EventQueue<T> {
    pub(super) fn new(capacity: usize) -> EventQueue<T> {
        EventQueue {
            capacity,
            state: Mutex::new(State {
                queued: VecDeque::new(),
                dropped: 0,
                ended: false,
                terminated: false,
            }),
            signal: Signal::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event if there is room; false when it was dropped (the queue is full, or
    /// ended). Never blocks on the reader.
    pub(super) fn push(&self, event: T) -> bool {
        let mut state = self.lock();
        if state.ended {
            return false;
        }
        if state.queued.len() >= self.capacity {
            state.dropped += 1;
            return false;
        }
        state.queued.push_back(event);
        drop(state);
        self.signal.notify();
        true
    }

    /// No event comes after `last` (if any), which is queued whatever the room, so that a
    /// reader always learns that the feed stopped. Later calls do nothing.
    pub(super) fn end(&self, last: Option<T>) {
        let mut state = self.lock();
        if state.ended {
            return;
        }
        state.queued.extend(last);
        state.ended = true;
        drop(state);
        self.signal.notify();
    }

    /// The context was shut down: a reader that finds the queue empty must return.
    pub(super) fn terminate(&self) {
        self.lock().terminated = true;
        self.signal.notify();
    }

    /// The next event; [`Error::Again`] while none is queued, [`Error::Closed`] once the
    /// queue ended and is empty, [`Error::Terminated`] once the context is shut down and
    /// the queue is empty.
    pub(super) fn take(&self) -> Result<T> {
        let mut state = self.lock();
        match state.queued.pop_front() {
            Some(event) => Ok(event),
            None if state.ended => Err(Error::Closed),
            None if state.terminated => Err(Error::Terminated),
            None => Err(Error::Again),
        }
    }

    /// The next event, waiting until `deadline` (for ever with `None`) for one to come;
    /// fails as [`take`](Self::take) does, with [`Error::Again`] at the deadline.
    pub(super) fn take_until(&self, deadline: Option<Instant>) -> Result<T> {
        loop {
            match self.take() {
                Err(Error::Again) => {}
                done => return done,
            }
            if !self.signal.wait(deadline) {
                // One last look: an event may have come with the deadline.
                return self.take();
            }
        }
    }

    /// The async form of [`take_until`](Self::take_until) with no deadline: `None` once the
    /// queue ended or the context was shut down.
    pub(super) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        loop {
            match self.take() {
                Ok(event) => return Poll::Ready(Some(event)),
                Err(Error::Again) => {}
                Err(_) => return Poll::Ready(None),
            }
            if self.signal.poll_wait(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// How many events wait.
    pub(super) fn len(&self) -> usize {
        self.lock().queued.len()
    }

    /// How many events found the queue full and were dropped.
    pub(super) fn dropped(&self) -> u64 {
        self.lock().dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn events_come_out_in_the_order_they_went_in() {
        let queue = EventQueue::new(8);
        for i in 0..5 {
            assert!(queue.push(i));
        }
        let taken: Vec<i32> = std::iter::from_fn(|| queue.take().ok()).collect();
        assert_eq!(taken, [0, 1, 2, 3, 4]);
        assert_eq!(queue.take(), Err(Error::Again));
    }

    #[test]
    fn a_full_queue_drops_and_counts_what_comes_and_keeps_what_it_has() {
        let queue = EventQueue::new(3);
        let accepted: Vec<bool> = (0..5).map(|i| queue.push(i)).collect();
        assert_eq!(accepted, [true, true, true, false, false]);
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.dropped(), 2);
        // Room again: the next event is taken, after the old ones.
        assert_eq!(queue.take(), Ok(0));
        assert!(queue.push(9));
        let taken: Vec<i32> = std::iter::from_fn(|| queue.take().ok()).collect();
        assert_eq!(taken, [1, 2, 9]);
        assert_eq!(queue.dropped(), 2);
    }

    #[test]
    fn the_last_event_goes_in_even_when_full_and_then_the_queue_is_closed() {
        let queue = EventQueue::new(2);
        queue.push(1);
        queue.push(2);
        queue.end(Some(99));
        assert!(!queue.push(3), "nothing comes after the end");
        queue.end(Some(100));
        assert_eq!(queue.dropped(), 0, "events after the end are not drops");
        assert_eq!(queue.take(), Ok(1));
        assert_eq!(queue.take(), Ok(2));
        assert_eq!(queue.take(), Ok(99));
        assert_eq!(queue.take(), Err(Error::Closed));
    }

    #[test]
    fn termination_fails_a_reader_once_the_queued_events_are_read() {
        let queue = EventQueue::new(4);
        queue.push("a");
        queue.terminate();
        assert_eq!(queue.take(), Ok("a"));
        assert_eq!(queue.take(), Err(Error::Terminated));
        assert_eq!(queue.take_until(None), Err(Error::Terminated));
    }

    #[test]
    fn a_waiting_reader_wakes_for_an_event_from_another_thread() {
        let queue = Arc::new(EventQueue::new(4));
        let pusher = {
            let queue = queue.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                queue.push(7);
                queue.end(None);
            })
        };
        assert_eq!(queue.take_until(None), Ok(7));
        assert_eq!(queue.take_until(None), Err(Error::Closed));
        pusher.join().unwrap();
    }

    #[test]
    fn a_reader_with_a_deadline_gets_again_when_nothing_comes() {
        let queue: EventQueue<u8> = EventQueue::new(1);
        let deadline = Instant::now() + Duration::from_millis(10);
        assert_eq!(queue.take_until(Some(deadline)), Err(Error::Again));
        assert!(Instant::now() >= deadline);
    }
}
