//! `zmq_poll`: waiting on several sockets and descriptors at once.

use crate::socket::Socket;
use crate::Result;
use std::os::unix::io::RawFd;
use std::time::Duration;

bitflags::bitflags! {
    /// Events to wait for, or that occurred, on a socket or descriptor.
    pub struct PollEvents: i16 {
        /// A message can be received (data can be read).
        const POLLIN = 1;
        /// A message can be sent (data can be written).
        const POLLOUT = 2;
        /// The descriptor reports an error (descriptors only).
        const POLLERR = 4;
    }
}

/// A message can be received (data can be read).
pub const POLLIN: PollEvents = PollEvents::POLLIN;

/// A message can be sent (data can be written).
pub const POLLOUT: PollEvents = PollEvents::POLLOUT;

/// The descriptor reports an error (descriptors only).
pub const POLLERR: PollEvents = PollEvents::POLLERR;

fn native(events: PollEvents) -> ferrozmq::PollEvents {
    ferrozmq::PollEvents::from_bits_truncate(events.bits())
}

/// A socket or file descriptor for [`poll`], with the events to wait for and, after the
/// call, those that occurred. It borrows its socket, so cannot outlive it.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let ctx = zmq::Context::new();
/// let pull = ctx.socket(zmq::PULL).unwrap();
/// pull.bind("inproc://poll-item").unwrap();
/// let push = ctx.socket(zmq::PUSH).unwrap();
/// push.connect("inproc://poll-item").unwrap();
/// push.send("ready", 0).unwrap();
///
/// let mut items = [pull.as_poll_item(zmq::POLLIN)];
/// assert_eq!(zmq::poll(&mut items, 1000), Ok(1));
/// assert!(items[0].is_readable() && items[0].has_socket(&pull));
/// ```
#[repr(transparent)]
pub struct PollItem<'a>(ferrozmq::PollItem<'a>);

impl<'a> PollItem<'a> {
    /// An item for a descriptor that is not a socket of this library (a pipe, a tcp
    /// stream, stdin).
    pub fn from_fd(fd: RawFd, events: PollEvents) -> PollItem<'a> {
        PollItem(ferrozmq::PollItem::from_fd(fd, native(events)))
    }

    /// Changes the events to wait for.
    pub fn set_events(&mut self, events: PollEvents) {
        self.0.set_events(native(events));
    }

    /// The events that occurred at the last [`poll`].
    pub fn get_revents(&self) -> PollEvents {
        PollEvents::from_bits_truncate(self.0.revents().bits())
    }

    /// Whether a message can be received (data read) now.
    pub fn is_readable(&self) -> bool {
        self.0.is_readable()
    }

    /// Whether a message can be sent (data written) now.
    pub fn is_writable(&self) -> bool {
        self.0.is_writable()
    }

    /// Whether the descriptor reported an error.
    pub fn is_error(&self) -> bool {
        self.0.is_error()
    }

    /// Whether the item is for `socket`.
    pub fn has_socket(&self, socket: &Socket) -> bool {
        self.0.has_socket(socket.native())
    }

    /// Whether the item is for the descriptor `fd`.
    pub fn has_fd(&self, fd: RawFd) -> bool {
        self.0.has_fd(fd)
    }
}

/// Waits until an event asked for occurs on one of `items`, for at most `timeout`
/// milliseconds (0: just look; -1, or any negative number: for ever); returns how many
/// items have events, which each item's [`get_revents`](PollItem::get_revents) tells.
pub fn poll(items: &mut [PollItem], timeout: i64) -> Result<i32> {
    let timeout = u64::try_from(timeout).ok().map(Duration::from_millis);
    // SAFETY: `PollItem` is `repr(transparent)` over `ferrozmq::PollItem` with the same
    // lifetime, so the two slices have the same layout and the same validity.
    let native_items =
        unsafe { &mut *(items as *mut [PollItem<'_>] as *mut [ferrozmq::PollItem<'_>]) };
    let ready = ferrozmq::poll(native_items, timeout)?;
    Ok(i32::try_from(ready).unwrap_or(i32::MAX))
}

impl Socket {
    /// An item for [`poll`] that waits for `events` on this socket.
    pub fn as_poll_item(&self, events: PollEvents) -> PollItem<'_> {
        PollItem(self.native().as_poll_item(native(events)))
    }

    /// [`poll`] on this socket alone: 1 if one of `events` occurred within `timeout_ms`,
    /// else 0.
    pub fn poll(&self, events: PollEvents, timeout_ms: i64) -> Result<i32> {
        poll(&mut [self.as_poll_item(events)], timeout_ms)
    }
}
