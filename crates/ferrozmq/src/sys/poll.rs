//! The kernel's waits on descriptors that `zmq_poll` and the poller use: poll(2), and a
//! level-triggered epoll instance, with the translation between their event bits and
//! ferrozmq's [`PollEvents`].

use crate::poll::{PollEvents, POLLERR, POLLIN, POLLOUT};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// What poll(2) and epoll should watch for, given what the application asked for.
fn interest(events: PollEvents) -> u32 {
    let mut interest = 0;
    if events.contains(POLLIN) {
        interest |= libc::POLLIN as u32;
    }
    if events.contains(POLLOUT) {
        interest |= libc::POLLOUT as u32;
    }
    interest
}

/// What a descriptor is ready for, from poll(2)'s or epoll's report. As in libzmq, anything
/// besides readable and writable (hang-up, error, invalid descriptor) counts as POLLERR.
fn readiness(revents: u32) -> PollEvents {
    let mut events = PollEvents::empty();
    if revents & libc::POLLIN as u32 != 0 {
        events |= POLLIN;
    }
    if revents & libc::POLLOUT as u32 != 0 {
        events |= POLLOUT;
    }
    if revents & !(libc::POLLIN as u32 | libc::POLLOUT as u32) != 0 {
        events |= POLLERR;
    }
    events
}

/// Milliseconds for poll(2) and epoll_wait: rounded up, so that a wait never ends before
/// its deadline and spins; -1 is forever.
pub(crate) fn timeout_ms(timeout: Option<std::time::Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            i32::try_from(ms).unwrap_or(i32::MAX)
        }
    }
}

/// One descriptor of a [`poll`] call: what to watch it for, and what it was found ready for.
#[repr(transparent)]
pub(crate) struct PollFd(libc::pollfd);

impl PollFd {
    pub(crate) fn new(fd: RawFd, events: PollEvents) -> PollFd {
        PollFd(libc::pollfd {
            fd,
            events: interest(events) as i16,
            revents: 0,
        })
    }

    /// What the last [`poll`] found the descriptor ready for.
    pub(crate) fn readiness(&self) -> PollEvents {
        readiness(self.0.revents as u16 as u32)
    }

    /// Whether the last [`poll`] reported anything for the descriptor.
    pub(crate) fn is_ready(&self) -> bool {
        self.0.revents != 0
    }
}

/// poll(2) over `fds`. An interrupted call reports nothing ready; callers loop anyway.
pub(crate) fn poll(fds: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
    // An interrupted call writes no report: none must be left from an earlier call.
    for fd in fds.iter_mut() {
        fd.0.revents = 0;
    }
    // SAFETY: `fds` is a live, exclusively borrowed array of `fds.len()` pollfd (`PollFd`
    // is a transparent wrapper of one).
    let n = unsafe {
        libc::poll(
            fds.as_mut_ptr().cast::<libc::pollfd>(),
            fds.len() as libc::nfds_t,
            timeout_ms,
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(n as usize)
}

/// A level-triggered epoll instance: a descriptor that stays ready is reported at every
/// wait, as zmq_poll reports it.
pub(crate) struct Epoll {
    fd: OwnedFd,
    events: Vec<libc::epoll_event>,
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: plain descriptor creation; ownership goes to `OwnedFd` at once.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Epoll {
            // SAFETY: `fd` is a fresh descriptor nobody else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            events: Vec::with_capacity(64),
        })
    }

    fn control(&self, op: i32, fd: RawFd, interest: u32, data: u64) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: interest,
            u64: data,
        };
        // SAFETY: `event` outlives the call; the kernel copies it.
        if unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut event) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Watches `fd` for `events`; its reports carry `data`.
    pub(crate) fn add(&self, fd: RawFd, events: PollEvents, data: u64) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_ADD, fd, interest(events), data)
    }

    /// Watches `fd`, added before, for `events` instead.
    pub(crate) fn modify(&self, fd: RawFd, events: PollEvents, data: u64) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_MOD, fd, interest(events), data)
    }

    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits up to `timeout_ms` (-1: forever) and returns the data and readiness of each
    /// ready descriptor. An interrupted wait reports nothing.
    pub(crate) fn wait(
        &mut self,
        timeout_ms: i32,
    ) -> io::Result<impl Iterator<Item = (u64, PollEvents)> + '_> {
        self.events.clear();
        let capacity = self.events.capacity();
        // SAFETY: the kernel writes at most `capacity` events into the spare capacity.
        let n = unsafe {
            libc::epoll_wait(
                self.fd.as_raw_fd(),
                self.events.as_mut_ptr(),
                capacity as i32,
                timeout_ms,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(self.ready());
            }
            return Err(e);
        }
        // SAFETY: the kernel initialised the first `n` events.
        unsafe { self.events.set_len(n as usize) };
        if n as usize == capacity {
            // More may be ready than fitted: report them next time, with room to spare.
            self.events.reserve(capacity);
        }
        Ok(self.ready())
    }

    fn ready(&self) -> impl Iterator<Item = (u64, PollEvents)> + '_ {
        // Copies out of the events, which are packed on some targets.
        self.events
            .iter()
            .map(|event| (event.u64, readiness(event.events)))
    }
}
