//! How a polling thread sleeps and is woken: a [`Signal`] that socket notifications ring,
//! and, when raw descriptors are watched too, an eventfd that turns a ring into descriptor
//! readiness so that one poll(2) or epoll_wait sleeps on both.

use crate::signal::Signal;
use crate::sys::eventfd;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

/// An eventfd that a signal's waker writes to: the waiting thread sleeps in the kernel,
/// watching it beside the application's descriptors.
pub(crate) struct WakeFd {
    /// Shared with the waker, which a signal may keep after this value is gone: the
    /// descriptor closes when both are.
    eventfd: Arc<EventFd>,
    waker: Waker,
}

struct EventFd(OwnedFd);

impl Wake for EventFd {
    fn wake(self: Arc<Self>) {
        eventfd::signal(&self.0);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        eventfd::signal(&self.0);
    }
}

impl WakeFd {
    pub(crate) fn new() -> std::io::Result<WakeFd> {
        let eventfd = Arc::new(EventFd(eventfd::new()?));
        Ok(WakeFd {
            waker: Waker::from(eventfd.clone()),
            eventfd,
        })
    }

    /// The descriptor to watch for readability.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.eventfd.0.as_raw_fd()
    }

    /// Makes `signal` write to the eventfd on its next notify. Returns true when a notify is
    /// already pending: then the caller must not sleep.
    pub(crate) fn arm(&self, signal: &Signal) -> bool {
        signal
            .poll_wait(&mut Context::from_waker(&self.waker))
            .is_ready()
    }

    /// Clears the eventfd after it woke a sleep.
    pub(crate) fn drain(&self) {
        eventfd::drain(&self.eventfd.0);
    }
}

/// When a wait of `timeout` ends: `None` is never (libzmq's -1), zero is now. A timeout too
/// long to add to the clock is never too.
pub(crate) fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// Time left before `deadline`; `None` is for ever.
pub(crate) fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

/// Whether `deadline` has passed.
pub(crate) fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}
