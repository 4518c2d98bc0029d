//! `zmq_poll`: one call that waits on a list of sockets and descriptors (items shaped as
//! the `zmq` crate's, with a typed timeout).

use super::events::{PollEvents, POLLERR, POLLIN, POLLOUT};
use super::wake::{self, WakeFd};
use crate::error::{Error, Result};
use crate::signal::{Observer, ObserverId, Signal};
use crate::socket::mailbox::SocketLink;
use crate::socket::Socket;
use crate::sys::poll::{self as os, PollFd};
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

/// A socket or a file descriptor to [`poll`], with the events to wait for and, after the
/// call, the events that occurred.
///
/// ```
/// use ferrozmq::{Context, PollItem, PULL, POLLIN};
/// let ctx = Context::new();
/// let pull = ctx.socket(PULL).unwrap();
/// let mut items = [pull.as_poll_item(POLLIN), PollItem::from_fd(0, POLLIN)];
/// assert!(items[0].has_socket(&pull));
/// assert!(items[1].has_fd(0));
/// ```
#[derive(Debug)]
pub struct PollItem<'a> {
    socket: Option<&'a Socket>,
    fd: RawFd,
    events: PollEvents,
    revents: PollEvents,
}

impl<'a> PollItem<'a> {
    /// An item for a descriptor that is not a ferrozmq socket (a tcp stream, a pipe, stdin).
    /// Descriptors also report [`POLLERR`] (error or hang-up) without asking.
    pub fn from_fd(fd: RawFd, events: PollEvents) -> PollItem<'a> {
        PollItem {
            socket: None,
            fd,
            events,
            revents: PollEvents::empty(),
        }
    }

    pub(crate) fn from_socket(socket: &'a Socket, events: PollEvents) -> PollItem<'a> {
        PollItem {
            socket: Some(socket),
            fd: -1,
            events,
            revents: PollEvents::empty(),
        }
    }

    /// Changes the events to wait for.
    pub fn set_events(&mut self, events: PollEvents) {
        self.events = events;
    }

    /// The events to wait for.
    pub fn events(&self) -> PollEvents {
        self.events
    }

    /// The events that occurred at the last [`poll`].
    ///
    /// ```
    /// use ferrozmq::{Context, PUSH, PULL, POLLIN, POLLOUT};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.bind("inproc://revents").unwrap();
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.connect("inproc://revents").unwrap();
    /// let mut items = [push.as_poll_item(POLLIN | POLLOUT)];
    /// ferrozmq::poll(&mut items, Some(Duration::from_secs(5))).unwrap();
    /// assert_eq!(items[0].revents(), POLLOUT);
    /// assert!(items[0].is_writable() && !items[0].is_readable() && !items[0].is_error());
    /// ```
    pub fn revents(&self) -> PollEvents {
        self.revents
    }

    /// Whether a message can be received (or data read) now.
    pub fn is_readable(&self) -> bool {
        self.revents.contains(POLLIN)
    }

    /// Whether a message can be sent (or data written) now.
    pub fn is_writable(&self) -> bool {
        self.revents.contains(POLLOUT)
    }

    /// Whether the descriptor reported an error or hang-up.
    pub fn is_error(&self) -> bool {
        self.revents.contains(POLLERR)
    }

    /// Whether this item is for `socket`.
    pub fn has_socket(&self, socket: &Socket) -> bool {
        self.socket.is_some_and(|s| std::ptr::eq(s, socket))
    }

    /// Whether this item is for the descriptor `fd`.
    pub fn has_fd(&self, fd: RawFd) -> bool {
        self.socket.is_none() && self.fd == fd
    }
}

impl Socket {
    /// An item for [`poll`] that waits for `events` on this socket.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, POLLIN};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// let mut items = [pull.as_poll_item(POLLIN)];
    /// assert_eq!(ferrozmq::poll(&mut items, Some(Duration::ZERO)).unwrap(), 0);
    /// assert!(!items[0].is_readable());
    /// ```
    pub fn as_poll_item(&self, events: PollEvents) -> PollItem<'_> {
        PollItem::from_socket(self, events)
    }

    /// [`poll`] with this socket alone: which of `events` are ready within `timeout`
    /// (`None`: however long it takes); empty when none is.
    ///
    /// ```
    /// use ferrozmq::{Context, PUSH, POLLOUT};
    /// use std::time::Duration;
    /// let ctx = Context::new();
    /// let push = ctx.socket(PUSH).unwrap();
    /// // No peer yet: nowhere to send.
    /// assert!(push.poll(POLLOUT, Some(Duration::ZERO)).unwrap().is_empty());
    /// ```
    pub fn poll(&self, events: PollEvents, timeout: Option<Duration>) -> Result<PollEvents> {
        let mut items = [self.as_poll_item(events)];
        poll(&mut items, timeout)?;
        Ok(items[0].revents)
    }
}

/// Waits until at least one item is ready for one of its events, or `timeout` passes
/// (`zmq_poll`). `None` waits for ever, zero looks once and returns. Returns how many items
/// have events; each item's [`revents`](PollItem::revents) says which.
///
/// Readiness is level-triggered: a socket with a message still queued is reported at every
/// call until the message is received, and the call returns at once when something is
/// ready already. Each call looks at every item; for a long-lived set of sockets that
/// should cost only what is ready, use [`Poller`](crate::Poller).
///
/// ```
/// use ferrozmq::{Context, PULL, PUSH, POLLIN};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let pull = ctx.socket(PULL).unwrap();
/// pull.bind("inproc://poll-doc").unwrap();
/// let push = ctx.socket(PUSH).unwrap();
/// push.connect("inproc://poll-doc").unwrap();
/// push.send("hello").unwrap();
///
/// let mut items = [pull.as_poll_item(POLLIN)];
/// assert_eq!(ferrozmq::poll(&mut items, Some(Duration::from_secs(5))).unwrap(), 1);
/// assert!(items[0].is_readable());
/// ```
pub fn poll(items: &mut [PollItem<'_>], timeout: Option<Duration>) -> Result<usize> {
    let deadline = wake::deadline(timeout);
    if items.is_empty() {
        let Some(deadline) = deadline else {
            return Err(Error::InvalidArgument(
                "polling no items without a timeout never returns",
            ));
        };
        std::thread::sleep(deadline.saturating_duration_since(std::time::Instant::now()));
        return Ok(0);
    }
    let mut fds: Vec<PollFd> = items
        .iter()
        .filter(|item| item.socket.is_none())
        .map(|item| PollFd::new(item.fd, item.events))
        .collect();
    let fd_count = fds.len();

    // Most calls end with this first look, without registering anything.
    let ready = check_sockets(items)? + check_fds(items, &mut fds, 0)?;
    if ready > 0 || wake::expired(deadline) {
        return Ok(ready);
    }

    if fd_count == items.len() {
        // Descriptors only: poll(2) alone can sleep on them.
        loop {
            let timeout = os::timeout_ms(wake::remaining(deadline));
            let ready = check_fds(items, &mut fds, timeout)?;
            if ready > 0 || wake::expired(deadline) {
                return Ok(ready);
            }
        }
    }

    let sleep = Sleep::new(items, fd_count > 0)?;
    if let Some(wake_fd) = &sleep.wake_fd {
        fds.push(PollFd::new(wake_fd.raw_fd(), POLLIN));
    }
    loop {
        // Registered: what happened before is visible to this look, what happens after rings.
        let ready = check_sockets(items)?;
        let must_return = ready > 0 || wake::expired(deadline);
        let Some(wake_fd) = &sleep.wake_fd else {
            if must_return {
                return Ok(ready);
            }
            sleep.signal.wait(deadline);
            continue;
        };
        let slept = !must_return && !wake_fd.arm(&sleep.signal);
        let timeout = if slept {
            os::timeout_ms(wake::remaining(deadline))
        } else {
            0
        };
        let ready_fds = check_fds(items, &mut fds, timeout)?;
        if fds[fd_count].is_ready() {
            wake_fd.drain();
        }
        if must_return || ready_fds > 0 {
            // Sockets may have become ready while the descriptors woke us.
            let ready = if slept { check_sockets(items)? } else { ready };
            return Ok(ready + ready_fds);
        }
    }
}

/// Sets every socket item's `revents` from its readiness; returns how many have some.
fn check_sockets(items: &mut [PollItem<'_>]) -> Result<usize> {
    let mut ready = 0;
    for item in items.iter_mut() {
        if let Some(socket) = item.socket {
            item.revents = socket.readiness()? & item.events;
            if !item.revents.is_empty() {
                ready += 1;
            }
        }
    }
    Ok(ready)
}

/// Runs poll(2) over `fds` (the items' descriptors, then possibly the wake descriptor) and
/// sets every descriptor item's `revents`; returns how many have some.
fn check_fds(items: &mut [PollItem<'_>], fds: &mut [PollFd], timeout_ms: i32) -> Result<usize> {
    if fds.is_empty() {
        return Ok(0);
    }
    os::poll(fds, timeout_ms)?;
    let mut ready = 0;
    let fd_items = items.iter_mut().filter(|item| item.socket.is_none());
    for (item, fd) in fd_items.zip(fds.iter()) {
        item.revents = fd.readiness() & (item.events | POLLERR);
        if !item.revents.is_empty() {
            ready += 1;
        }
    }
    Ok(ready)
}

/// Rings a poll's signal when one of its sockets is notified.
struct Ring(Arc<Signal>);

impl Observer for Ring {
    fn notified(&self) {
        self.0.notify();
    }
}

/// What a sleeping [`poll`] registered; dropping it unregisters.
struct Sleep {
    signal: Arc<Signal>,
    wake_fd: Option<WakeFd>,
    registrations: Vec<(Arc<SocketLink>, ObserverId)>,
}

impl Sleep {
    fn new(items: &[PollItem<'_>], with_fds: bool) -> Result<Sleep> {
        let signal = Arc::new(Signal::new());
        let ring: Arc<dyn Observer> = Arc::new(Ring(signal.clone()));
        let wake_fd = if with_fds { Some(WakeFd::new()?) } else { None };
        let registrations = items
            .iter()
            .filter_map(|item| item.socket)
            .map(|socket| {
                let link = socket.link();
                let id = link.add_observer(ring.clone());
                (link, id)
            })
            .collect();
        Ok(Sleep {
            signal,
            wake_fd,
            registrations,
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        for (link, id) in &self.registrations {
            link.remove_observer(*id);
        }
    }
}
