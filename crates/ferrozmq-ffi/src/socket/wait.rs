//! How a call on a socket waits without holding the socket's lock: the threading policy of
//! the C API.
//!
//! Every call on a socket holds the socket's slot lock (see [`crate::registry`]) for one
//! non-blocking ferrozmq operation, so calls on one socket are serialised and ferrozmq's
//! `Socket`, which is used by one thread at a time, never is by two. A call that must wait
//! (a blocking send or receive, `zmq_poll`, a poller) lets go of the lock while it sleeps,
//! on the socket's readiness descriptor — the eventfd behind `ZMQ_FD`:
//!
//! ```text
//!  lock ─► try the operation ─► done? ─► unlock, return
//!                 │ EAGAIN
//!                 ▼
//!  arm: drain our own kicks, ZMQ_EVENTS (clears ZMQ_FD, then reads the readiness),
//!       kick the sleepers if the readiness is what they sleep for
//!                 ▼
//!  try again ─► done? ─► unlock, return
//!                 │ EAGAIN
//!                 ▼
//!  count ourselves as a sleeper, unlock, poll(2) the descriptor until readable or the
//!  deadline (SNDTIMEO/RCVTIMEO), lock, uncount, loop
//! ```
//!
//! - A notification that comes after the arm makes the descriptor readable (ZMQ_FD's
//!   contract), so the sleep after a failed second try never misses one.
//! - The descriptor is one per socket, and clearing it (every arm does) takes its news away
//!   from whoever else sleeps on it. So sleepers are counted, by what they wait for, and a
//!   thread that arms the socket and finds it ready for what a sleeper waits for makes the
//!   descriptor readable again itself (a *kick*): every sleeper wakes and tries again. Kicks
//!   are drained by the next arm, before the readiness is read.
//! - Sleepers poll a duplicate of the descriptor that lives as long as any of them: closing
//!   the socket (from any thread) closes ferrozmq's descriptor, and a sleeper must never poll
//!   a number the system has meanwhile given to another file. `zmq_close` kicks it, and the
//!   woken call finds the socket gone (ENOTSOCK). Shutting the context down makes ferrozmq
//!   notify every socket: the woken call's next try fails with ETERM.

use crate::errno::Errno;
use ferrozmq::{PollEvents, Socket, POLLIN, POLLOUT};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A duplicate of a socket's readiness descriptor (an eventfd), for sleeping on without
/// holding the socket.
pub struct WakeFd(OwnedFd);

impl WakeFd {
    fn duplicate(fd: RawFd) -> Result<WakeFd, Errno> {
        // SAFETY: F_DUPFD_CLOEXEC on a descriptor the socket owns and keeps open meanwhile
        // (the caller holds the socket); the new descriptor is ours alone.
        let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if copy < 0 {
            return Err(last_errno());
        }
        // SAFETY: `copy` is a fresh descriptor nobody else owns.
        Ok(WakeFd(unsafe { OwnedFd::from_raw_fd(copy) }))
    }

    /// The descriptor to poll for readability.
    pub fn raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// Makes the descriptor readable: every sleeper wakes.
    pub fn kick(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our descriptor. The only failure, a
        // counter about to overflow, leaves it readable, which is what a kick wants.
        unsafe { libc::write(self.raw_fd(), std::ptr::from_ref(&one).cast(), 8) };
    }

    /// Takes our kicks back (the eventfd is non-blocking: nothing to read is fine).
    fn drain(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64.
        unsafe { libc::read(self.raw_fd(), std::ptr::from_mut(&mut count).cast(), 8) };
    }

    /// Sleeps until the descriptor is readable or `timeout` passes (`None`: for ever).
    /// A signal interrupting the sleep is EINTR, as libzmq's blocking calls report it
    /// (pyzmq relies on it to run Python's signal handlers).
    pub fn sleep(&self, timeout: Option<Duration>) -> Result<(), Errno> {
        let mut item = libc::pollfd {
            fd: self.raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live, exclusively borrowed pollfd.
        let n = unsafe { libc::poll(&mut item, 1, timeout_ms(timeout)) };
        if n < 0 {
            return Err(last_errno());
        }
        Ok(())
    }
}

/// What a sleeper waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// A part to receive (POLLIN).
    Recv,
    /// Room to send (POLLOUT).
    Send,
}

impl Interest {
    fn events(self) -> PollEvents {
        match self {
            Interest::Recv => POLLIN,
            Interest::Send => POLLOUT,
        }
    }
}

/// A socket's sleepers and its wake descriptor. Lives in the socket's slot, so every field
/// is read and written under the socket's lock.
#[derive(Default)]
pub struct Waiters {
    wake: Option<Arc<WakeFd>>,
    receivers: usize,
    senders: usize,
    /// We made the descriptor readable ourselves since the last arm.
    kicked: bool,
}

impl Waiters {
    /// Prepares a sleep on `socket`: clears the descriptor and reads the readiness, which
    /// from now on the descriptor reports changes of; wakes the sleepers if the readiness
    /// is what they wait for. Returns the descriptor to sleep on and the readiness.
    pub fn arm(&mut self, socket: &Socket) -> Result<(Arc<WakeFd>, PollEvents), Errno> {
        let wake = self.wake_fd(socket)?;
        // Our kicks first: once ZMQ_EVENTS has cleared the descriptor, what makes it
        // readable is news a sleeper must not lose, and only ferrozmq writes it then.
        if std::mem::take(&mut self.kicked) {
            wake.drain();
        }
        let events = socket.events()?;
        let wanted = (self.receivers > 0 && events.contains(POLLIN))
            || (self.senders > 0 && events.contains(POLLOUT));
        if wanted {
            wake.kick();
            self.kicked = true;
        }
        Ok((wake, events))
    }

    /// The descriptor sleepers on `socket` sleep on, made on first use.
    pub fn wake_fd(&mut self, socket: &Socket) -> Result<Arc<WakeFd>, Errno> {
        if let Some(wake) = &self.wake {
            return Ok(wake.clone());
        }
        let wake = Arc::new(WakeFd::duplicate(socket.fd()?)?);
        self.wake = Some(wake.clone());
        Ok(wake)
    }

    /// Counts a sleeper for `events` (POLLIN, POLLOUT or both) until [`leave`](Self::leave).
    pub fn enter(&mut self, events: PollEvents) {
        if events.contains(POLLIN) {
            self.receivers += 1;
        }
        if events.contains(POLLOUT) {
            self.senders += 1;
        }
    }

    /// Uncounts a sleeper [`enter`](Self::enter) counted.
    pub fn leave(&mut self, events: PollEvents) {
        if events.contains(POLLIN) {
            self.receivers = self.receivers.saturating_sub(1);
        }
        if events.contains(POLLOUT) {
            self.senders = self.senders.saturating_sub(1);
        }
    }

    /// Counts a sleeper for one interest.
    pub fn enter_for(&mut self, interest: Interest) {
        self.enter(interest.events());
    }

    /// Uncounts a sleeper for one interest.
    pub fn leave_for(&mut self, interest: Interest) {
        self.leave(interest.events());
    }

    /// Wakes every sleeper (the socket is closing).
    pub fn wake_all(&self) {
        if let Some(wake) = &self.wake {
            wake.kick();
        }
    }
}

/// When a wait of `timeout` ends; `None` is never.
pub fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// Time left before `deadline`; `None` is for ever.
pub fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

/// Whether `deadline` has passed.
pub fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Milliseconds for poll(2), rounded up so that a wait never ends before its deadline and
/// spins; -1 is for ever.
pub fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            libc::c_int::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(libc::c_int::MAX)
        }
    }
}

/// The calling thread's errno after a failed system call.
pub fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}
