//! A socket's readiness for foreign event loops: `ZMQ_EVENTS` ([`Socket::events`]) and
//! `ZMQ_FD` ([`Socket::fd`]), with libzmq's contract between them.

use super::events::PollEvents;
use crate::error::Result;
use crate::signal::{Observer, ObserverId};
use crate::socket::mailbox::SocketLink;
use crate::socket::Socket;
use crate::sys::eventfd;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The eventfd behind ZMQ_FD. It observes the socket's signal and becomes readable on the
/// first notify after the last [`rearm`](Self::rearm), so a busy socket costs one write
/// per `events` round, not one per message.
pub(crate) struct ReadinessFd {
    fd: OwnedFd,
    /// The eventfd has been written since the last rearm.
    signalled: AtomicBool,
}

impl ReadinessFd {
    /// A readable eventfd: whatever the socket holds already is news to an application
    /// that has not looked yet.
    pub(crate) fn new() -> std::io::Result<ReadinessFd> {
        let fd = eventfd::new()?;
        eventfd::signal(&fd);
        Ok(ReadinessFd {
            fd,
            signalled: AtomicBool::new(true),
        })
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Makes the descriptor unreadable until the next notify. Called before the socket's
    /// readiness is read, so that a notify is either seen by that read or writes again.
    pub(crate) fn rearm(&self) {
        if self.signalled.load(Ordering::Acquire) {
            // Drain first: a notify between the drain and the swap finds the flag still
            // set and does not write, and the swap (a read-modify-write after its own)
            // makes its news visible to the readiness read that follows.
            eventfd::drain(&self.fd);
            self.signalled.swap(false, Ordering::AcqRel);
        }
    }
}

/// A socket's ZMQ_FD, made on first request and closed with the socket. Only the socket's
/// owner reaches it, so it lives with the socket, not in the [`SocketLink`] the I/O threads
/// share; the link's signal only holds it as an observer.
#[derive(Default)]
pub(crate) struct ReadinessSlot(Option<(Arc<ReadinessFd>, ObserverId)>);

impl ReadinessSlot {
    /// The descriptor, made and set to observe `link`'s signal on first call.
    pub(crate) fn get(&mut self, link: &SocketLink) -> std::io::Result<Arc<ReadinessFd>> {
        if let Some((fd, _)) = &self.0 {
            return Ok(fd.clone());
        }
        let fd = Arc::new(ReadinessFd::new()?);
        let id = link.add_observer(fd.clone());
        self.0 = Some((fd.clone(), id));
        Ok(fd)
    }

    /// Clears the descriptor's readiness, if there is one, before the socket's readiness
    /// is looked at (`ZMQ_EVENTS`).
    pub(crate) fn rearm(&self) {
        if let Some((fd, _)) = &self.0 {
            fd.rearm();
        }
    }

    /// Stops the descriptor observing `link` and closes it: nothing writes to it once it is
    /// out of the observers.
    pub(crate) fn close(&mut self, link: &SocketLink) {
        if let Some((fd, id)) = self.0.take() {
            link.remove_observer(id);
            drop(fd);
        }
    }
}

impl Observer for ReadinessFd {
    fn notified(&self) {
        if !self.signalled.swap(true, Ordering::AcqRel) {
            eventfd::signal(&self.fd);
        }
    }
}

impl Socket {
    /// What the socket can do now without blocking (`ZMQ_EVENTS`): [`POLLIN`] when a
    /// message part can be received, [`POLLOUT`] when one can be sent.
    ///
    /// It also clears the descriptor from [`fd`](Self::fd); see there.
    ///
    /// ```
    /// use ferrozmq::{Context, PollItem, PULL, PUSH, POLLIN};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.bind("inproc://get-events").unwrap();
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.connect("inproc://get-events").unwrap();
    /// assert!(!pull.events().unwrap().contains(POLLIN));
    /// push.send("work").unwrap();
    /// assert!(pull.events().unwrap().contains(POLLIN));
    /// ```
    ///
    /// [`POLLIN`]: crate::POLLIN
    /// [`POLLOUT`]: crate::POLLOUT
    pub fn events(&self) -> Result<PollEvents> {
        self.readiness_fd.borrow().rearm();
        self.readiness()
    }

    /// A file descriptor that tells a foreign event loop (a reactor, a GUI main loop) when to
    /// look at this socket (`ZMQ_FD`).
    ///
    /// The contract is libzmq's:
    ///
    /// * Wait on it for **readability** only, never read, write or close it. (Reading it is
    ///   tolerated: ferrozmq clears it itself.)
    /// * It becomes readable when the socket's readiness **may** have changed from outside:
    ///   a message arrived, a full peer made room, a peer came or went, the context shut
    ///   down. Readable is a hint, not a promise: look with [`events`](Self::events).
    /// * It is edge-like. [`events`](Self::events) clears it, and it becomes
    ///   readable again only for what happens after that call. So after it fires, call
    ///   `events` and keep receiving (and sending) with [`try_recv`](Self::try_recv)
    ///   (and [`try_send`](Self::try_send))
    ///   for as long as `events` reports what you want; go back to waiting only once it
    ///   does not. A message that was already queued at that `events` never makes the
    ///   descriptor readable.
    /// * The socket's own operations (`send`, `recv`, `connect`, ...) never make it
    ///   readable, though they can change the readiness (a REP that replied may have its
    ///   next request waiting): call `events` after them before waiting again.
    /// * It starts out readable. It stays valid until the socket is dropped, which closes
    ///   it: take it out of the event loop first.
    ///
    /// A busy socket writes the descriptor at most once between two `events` calls.
    ///
    /// ```
    /// use ferrozmq::{Context, PollItem, PULL, PUSH, POLLIN};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.bind("inproc://get-fd").unwrap();
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.connect("inproc://get-fd").unwrap();
    /// push.send("work").unwrap();
    ///
    /// let fd = pull.fd().unwrap();
    /// let mut received = 0;
    /// while received == 0 {
    ///     // What a foreign event loop does (here zmq_poll on the bare descriptor): sleep
    ///     // until the descriptor is readable...
    ///     let mut item = [PollItem::from_fd(fd, POLLIN)];
    ///     ferrozmq::poll(&mut item, Some(Duration::from_secs(5))).unwrap();
    ///     // ...then work while the socket says there is work.
    ///     while pull.events().unwrap().contains(POLLIN) {
    ///         pull.try_recv().unwrap();
    ///         received += 1;
    ///     }
    /// }
    /// ```
    pub fn fd(&self) -> Result<RawFd> {
        let fd = self.readiness_fd.borrow_mut().get(&self.link())?;
        Ok(fd.raw_fd())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sys::poll::{poll, PollFd};

    fn readable(fd: RawFd) -> bool {
        let mut item = PollFd::new(fd, crate::poll::POLLIN);
        poll(std::slice::from_mut(&mut item), 0).expect("poll") == 1
    }

    #[test]
    fn starts_readable_and_rearm_clears_it() {
        let fd = ReadinessFd::new().unwrap();
        assert!(readable(fd.raw_fd()));
        fd.rearm();
        assert!(!readable(fd.raw_fd()));
    }

    #[test]
    fn many_notifies_between_rearms_write_once() {
        let fd = ReadinessFd::new().unwrap();
        fd.rearm();
        for _ in 0..10 {
            fd.notified();
        }
        assert_eq!(eventfd::take(&fd.fd), Some(1));
    }

    #[test]
    fn closing_the_socket_closes_the_descriptor() {
        let link = SocketLink::new(zmtp::SocketType::Pull, 0);
        let mut slot = ReadinessSlot::default();
        let fd = slot.get(&link).unwrap();
        assert!(Arc::ptr_eq(&fd, &slot.get(&link).unwrap()));
        let watch = Arc::downgrade(&fd);
        drop(fd);
        slot.close(&link);
        assert!(watch.upgrade().is_none(), "the eventfd outlived its socket");
    }

    #[test]
    fn an_application_reading_the_descriptor_is_tolerated() {
        let fd = ReadinessFd::new().unwrap();
        eventfd::drain(&fd.fd);
        fd.rearm();
        fd.notified();
        assert!(readable(fd.raw_fd()));
    }
}
