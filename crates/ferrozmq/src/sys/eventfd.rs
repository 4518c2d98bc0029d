//! Eventfds: kernel counters that read as readable while non-zero. One wakes a thread
//! sleeping in poll(2) or epoll beside other descriptors; one is a socket's `ZMQ_FD`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A non-blocking eventfd with a zero counter.
pub(crate) fn new() -> io::Result<OwnedFd> {
    // SAFETY: plain descriptor creation; ownership goes to `OwnedFd` at once.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Makes an eventfd readable.
pub(crate) fn signal(fd: &OwnedFd) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64 to a descriptor we own. The only possible
    // failure, a counter about to overflow, still leaves the descriptor readable.
    unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
}

/// Makes an eventfd unreadable again. An application may have read it already: then there
/// is nothing to read and that is fine.
pub(crate) fn drain(fd: &OwnedFd) {
    let _ = take(fd);
}

/// Reads and resets the counter: how many signals arrived since the last read, `None`
/// when none did (or the descriptor is no eventfd).
pub(crate) fn take(fd: &OwnedFd) -> Option<u64> {
    let mut count: u64 = 0;
    // SAFETY: reads at most 8 bytes into a live u64.
    let n = unsafe { libc::read(fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
    (n == 8).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_add_up_until_taken() {
        let fd = new().unwrap();
        assert_eq!(take(&fd), None);
        signal(&fd);
        signal(&fd);
        assert_eq!(take(&fd), Some(2));
        assert_eq!(take(&fd), None);
        signal(&fd);
        drain(&fd);
        assert_eq!(take(&fd), None);
    }
}
