//! A one-bit wake-up signal that a blocked thread or an async task can wait on.
//!
//! I/O threads and peer sockets call [`Signal::notify`]; the socket's owner waits with
//! [`Signal::wait`] (blocking) or [`Signal::poll_wait`] (async). Notifications coalesce:
//! many notifies before a wait cost one wake-up, and a notify with nobody waiting costs
//! one atomic swap and no system call.
//!
//! Besides its owner, a signal may have [`Observer`]s: pollers and the socket's ZMQ_FD,
//! which hear every notify whether or not the owner waits. They live beside the owner's
//! one-waiter protocol rather than inside it, so a socket can sit in any number of pollers
//! and still block in its own receive: each party keeps its own registration. A notify
//! with no observers costs one extra load of a flag.

use crate::poll::POLLIN;
use crate::sys::{eventfd, poll as os_poll};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
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
    /// Some observer is registered: read by every notify, so kept apart from the list.
    observed: AtomicBool,
    /// Some observer wants [`Observer::owner_acted`].
    owner_observed: AtomicBool,
    observers: Mutex<Observers>,
}

/// Someone other than the owner who hears about a [`Signal`].
///
/// Calls arrive with the signal's observer list locked, so that once
/// [`Signal::remove_observer`] returns no call is under way or will come; an observer must
/// therefore be quick and must not add or remove observers of the same signal.
pub(crate) trait Observer: Send + Sync {
    /// The signal was notified, from any thread.
    fn notified(&self);

    /// Whether [`owner_acted`](Self::owner_acted) should be called; asked once, when the
    /// observer is added.
    fn wants_owner_acts(&self) -> bool {
        false
    }

    /// The owner is about to change, by its own hand, the state the signal guards (a
    /// socket's send or receive can make it readable or writable with no peer involved).
    /// Nobody sleeps then, since the owner is busy; whatever the observer concluded about
    /// that state may be stale.
    fn owner_acted(&self) {}
}

/// Names an observer for [`Signal::remove_observer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ObserverId(u64);

#[derive(Default)]
struct Observers {
    next_id: u64,
    list: Vec<(ObserverId, Arc<dyn Observer>, bool)>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

/// A waker that makes an eventfd readable: how a thread waiting in poll(2) on another
/// descriptor hears a notify.
struct FdWaker(OwnedFd);

impl Wake for FdWaker {
    fn wake(self: Arc<Self>) {
        eventfd::signal(&self.0);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        eventfd::signal(&self.0);
    }
}

thread_local! {
    /// This thread's eventfd waker, made on first use (`None` if the system refused one).
    static FD_WAKER: Option<(Arc<FdWaker>, Waker)> = eventfd::new().ok().map(|fd| {
        let waker = Arc::new(FdWaker(fd));
        (waker.clone(), Waker::from(waker))
    });
}

/// How [`Signal::wait_or_readable`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// The signal was notified.
    Notified,
    /// The descriptor is readable (or failed, or hung up); the signal was not notified.
    Readable,
    /// The deadline passed.
    TimedOut,
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal {
            state: AtomicU8::new(IDLE),
            waiter: Mutex::new(None),
            observed: AtomicBool::new(false),
            owner_observed: AtomicBool::new(false),
            observers: Mutex::new(Observers::default()),
        }
    }

    /// Wakes the waiter, or makes the next wait return at once, and tells the observers.
    #[inline]
    pub(crate) fn notify(&self) {
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == WAITING {
            // Woken outside the lock: the waiter runs at once and takes the lock itself to
            // wait again, and would otherwise block on it (two more system calls on each
            // side of every wake-up). A waiter that registers another waker meanwhile finds
            // the state NOTIFIED and does not sleep, so nothing is lost.
            let waker = self
                .waiter
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        // An observer added before the swap above is seen here: see `add_observer`.
        if self.observed.load(Ordering::Acquire) {
            self.notify_observers();
        }
    }

    #[inline(never)]
    fn notify_observers(&self) {
        for (_, observer, _) in &lock(&self.observers).list {
            observer.notified();
        }
    }

    /// Adds an observer. Once this returns, every notify either reaches the observer or
    /// happened before whatever the caller reads next, so a caller that adds an observer
    /// and then looks at the guarded state (a socket's mailbox) misses nothing.
    pub(crate) fn add_observer(&self, observer: Arc<dyn Observer>) -> ObserverId {
        let wants_owner_acts = observer.wants_owner_acts();
        let mut observers = lock(&self.observers);
        let id = ObserverId(observers.next_id);
        observers.next_id += 1;
        observers.list.push((id, observer, wants_owner_acts));
        self.observed.store(true, Ordering::Relaxed);
        if wants_owner_acts {
            self.owner_observed.store(true, Ordering::Relaxed);
        }
        drop(observers);
        // A notify stores its news, swaps `state`, then reads `observed`; we store
        // `observed`, then read the news. Two stores each followed by a load of the other's
        // location may miss each other, so we also touch `state` with a read-modify-write:
        // ordered after the notify's swap, it acquires the news; ordered before, its release
        // makes `observed` visible to the notify. (Between the two, only the owner writes
        // `state` without a read-modify-write, and the owner is the thread calling this.)
        self.state.fetch_or(0, Ordering::AcqRel);
        id
    }

    /// Removes an observer; no call reaches it once this returns.
    pub(crate) fn remove_observer(&self, id: ObserverId) {
        let mut observers = lock(&self.observers);
        observers.list.retain(|(other, _, _)| *other != id);
        let owner_observed = observers.list.iter().any(|(_, _, wants)| *wants);
        self.observed
            .store(!observers.list.is_empty(), Ordering::Relaxed);
        self.owner_observed.store(owner_observed, Ordering::Relaxed);
    }

    /// Tells the observers that want to know that the owner is changing the guarded state
    /// itself. Costs one load when none does.
    #[inline]
    pub(crate) fn owner_acted(&self) {
        // Observers that want this are added by the owner's own thread: no ordering needed.
        if self.owner_observed.load(Ordering::Relaxed) {
            self.notify_owner_observers();
        }
    }

    #[inline(never)]
    fn notify_owner_observers(&self) {
        for (_, observer, wants) in &lock(&self.observers).list {
            if *wants {
                observer.owner_acted();
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
                        return !self.stop_waiting();
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

    /// [`wait`](Self::wait), but also ends when `fd` is readable: the waiter sleeps in
    /// poll(2) on `fd` and a per-thread eventfd that a notify writes. The one-waiter protocol
    /// is `wait`'s, so a notify is never lost, whether it comes before the wait, during it or
    /// as it ends. `None` when the thread has no eventfd, or poll(2) fails (the caller waits
    /// as usual).
    pub(crate) fn wait_or_readable(&self, deadline: Option<Instant>, fd: RawFd) -> Option<Woken> {
        // `try_with`: a thread-local destructor's receive finds no waker and waits as usual.
        FD_WAKER
            .try_with(|waker| {
                let (eventfd, waker) = waker.as_ref()?;
                self.wait_in_poll(deadline, fd, &eventfd.0, waker)
            })
            .ok()
            .flatten()
    }

    /// Whether this thread can wait in [`wait_or_readable`](Self::wait_or_readable): it has
    /// its eventfd (made here on first use).
    pub(crate) fn can_wait_on_fd() -> bool {
        FD_WAKER.try_with(|waker| waker.is_some()).unwrap_or(false)
    }

    fn wait_in_poll(
        &self,
        deadline: Option<Instant>,
        fd: RawFd,
        eventfd: &OwnedFd,
        waker: &Waker,
    ) -> Option<Woken> {
        if self.state.swap(IDLE, Ordering::AcqRel) == NOTIFIED {
            return Some(Woken::Notified);
        }
        self.register(waker);
        if self
            .state
            .compare_exchange(IDLE, WAITING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.state.store(IDLE, Ordering::Release);
            return Some(Woken::Notified);
        }
        let mut fds = [
            os_poll::PollFd::new(eventfd.as_raw_fd(), POLLIN),
            os_poll::PollFd::new(fd, POLLIN),
        ];
        loop {
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let timed_out = timeout.is_some_and(|t| t.is_zero());
            if !timed_out {
                if os_poll::poll(&mut fds, os_poll::timeout_ms(timeout)).is_err() {
                    // A failing poll(2) (ENOMEM, say) would fail again: stop waiting here
                    // rather than spin, unless a notify came meanwhile.
                    return if self.stop_waiting() {
                        None
                    } else {
                        Some(Woken::Notified)
                    };
                }
                if fds[0].is_ready() {
                    // A notify's write, or one left over from an earlier wait that ended
                    // otherwise: the state below says which.
                    eventfd::drain(eventfd);
                }
            }
            let readable = fds[1].is_ready();
            if self.state.load(Ordering::Acquire) == NOTIFIED {
                self.state.store(IDLE, Ordering::Release);
                return Some(Woken::Notified);
            }
            if !readable && !timed_out {
                continue;
            }
            // Stop waiting, unless a notify comes first: then it is the news.
            return Some(if !self.stop_waiting() {
                Woken::Notified
            } else if readable {
                Woken::Readable
            } else {
                Woken::TimedOut
            });
        }
    }

    /// Leaves the waiting state: true, or false when a notify came first (it is taken).
    fn stop_waiting(&self) -> bool {
        match self
            .state
            .compare_exchange(WAITING, IDLE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(_) => {
                self.state.store(IDLE, Ordering::Release);
                false
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

    /// Counts what it hears.
    #[derive(Default)]
    struct Counter {
        notified: std::sync::atomic::AtomicUsize,
        owner_acts: std::sync::atomic::AtomicUsize,
        wants_owner_acts: bool,
    }

    impl Observer for Counter {
        fn notified(&self) {
            self.notified.fetch_add(1, Ordering::SeqCst);
        }
        fn wants_owner_acts(&self) -> bool {
            self.wants_owner_acts
        }
        fn owner_acted(&self) {
            self.owner_acts.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl Counter {
        fn heard(&self) -> usize {
            self.notified.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn observer_hears_every_notify_and_the_owner_still_gets_one_wake() {
        let s = Signal::new();
        let counter = Arc::new(Counter::default());
        s.add_observer(counter.clone());
        s.notify();
        s.notify();
        assert_eq!(counter.heard(), 2);
        assert!(s.wait(Some(Instant::now())));
        assert!(!s.wait(Some(Instant::now())));
    }

    #[test]
    fn notify_racing_with_add_observer_is_heard_or_already_visible() {
        for _ in 0..2000 {
            let s = Arc::new(Signal::new());
            let news = Arc::new(AtomicBool::new(false));
            let counter = Arc::new(Counter::default());
            let notifier = {
                let (s, news) = (s.clone(), news.clone());
                thread::spawn(move || {
                    news.store(true, Ordering::Release);
                    s.notify();
                })
            };
            s.add_observer(counter.clone());
            let seen = news.load(Ordering::Acquire);
            notifier.join().unwrap();
            assert!(seen || counter.heard() == 1, "a notify was lost");
        }
    }

    #[test]
    fn notify_wakes_a_waiting_owner_and_the_observers() {
        let s = Arc::new(Signal::new());
        let counter = Arc::new(Counter::default());
        s.add_observer(counter.clone());
        let owner = {
            let s = s.clone();
            thread::spawn(move || s.wait(Some(Instant::now() + Duration::from_secs(10))))
        };
        // Whether the owner is already asleep or not, it must return true.
        thread::sleep(Duration::from_millis(20));
        s.notify();
        assert!(owner.join().unwrap());
        assert_eq!(counter.heard(), 1);
    }

    #[test]
    fn removed_observer_hears_nothing_more() {
        let s = Signal::new();
        let kept = Arc::new(Counter::default());
        let removed = Arc::new(Counter::default());
        s.add_observer(kept.clone());
        let id = s.add_observer(removed.clone());
        s.notify();
        s.remove_observer(id);
        s.notify();
        assert_eq!(kept.heard(), 2);
        assert_eq!(removed.heard(), 1);
        // The signal holds no reference to what it no longer calls.
        assert_eq!(Arc::strong_count(&removed), 1);
    }

    #[test]
    fn owner_acts_reach_only_observers_that_asked_and_wake_nobody() {
        let s = Signal::new();
        let plain = Arc::new(Counter::default());
        let interested = Arc::new(Counter {
            wants_owner_acts: true,
            ..Counter::default()
        });
        s.add_observer(plain.clone());
        let id = s.add_observer(interested.clone());
        s.owner_acted();
        assert_eq!(interested.owner_acts.load(Ordering::SeqCst), 1);
        assert_eq!(plain.owner_acts.load(Ordering::SeqCst), 0);
        assert_eq!(interested.heard() + plain.heard(), 0);
        assert!(!s.wait(Some(Instant::now())));
        s.remove_observer(id);
        s.owner_acted();
        assert_eq!(interested.owner_acts.load(Ordering::SeqCst), 1);
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
