//! Reads and writes on connected stream sockets: the calls on the hot path.
//!
//! They take a raw descriptor, as the engine holds one, and call the kernel directly:
//! `socket2` wants a borrowed descriptor, whose validity a raw one does not promise, and
//! offers no read into a buffer's spare capacity that extends the buffer.

use bytes::BytesMut;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;

/// Reads from `fd` straight into the spare capacity of `buf` (no zero-filling, no
/// intermediate copy), at most `limit` bytes, and extends `buf` by what was read.
pub(crate) fn read_into(fd: RawFd, buf: &mut BytesMut, limit: usize) -> io::Result<usize> {
    let n = read_spare(fd, buf.spare_capacity_mut(), limit)?;
    // SAFETY: `n` bytes after the current length were just initialised by `read`.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// [`read_into`] for a plain vector.
pub(crate) fn read_into_vec(fd: RawFd, buf: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let n = read_spare(fd, buf.spare_capacity_mut(), limit)?;
    // SAFETY: `n` bytes after the current length were just initialised by `read`.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// Reads at most `limit` bytes into `spare`; returns how many the kernel wrote there.
fn read_spare(fd: RawFd, spare: &mut [MaybeUninit<u8>], limit: usize) -> io::Result<usize> {
    let len = limit.min(spare.len());
    // SAFETY: the kernel writes at most `len` bytes into memory we own.
    let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), len) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Writes as much of `bufs` to the stream socket `fd` as the kernel takes. With
/// `MSG_NOSIGNAL`: writing to a connection the peer closed fails with `EPIPE` instead of
/// raising SIGPIPE, whose default action kills the process. Rust programs ignore SIGPIPE,
/// but C programs using the library through its C API (and Python) do not.
pub(crate) fn send_vectored(fd: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid (no address, no control data).
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is guaranteed to be ABI-compatible with iovec on Unix; sendmsg only reads it.
    header.msg_iov = bufs.as_ptr().cast_mut().cast();
    header.msg_iovlen = bufs.len() as _;
    // SAFETY: the header points to `bufs.len()` live iovecs describing readable memory.
    let n = unsafe { libc::sendmsg(fd, &header, libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn read_into_appends_what_arrived() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        client.write_all(b"hello").unwrap();
        let mut buf = BytesMut::with_capacity(16);
        buf.extend_from_slice(b">");
        let mut total = 0;
        while total < 5 {
            total += read_into(server.as_raw_fd(), &mut buf, usize::MAX).unwrap();
        }
        assert_eq!(&buf[..], b">hello");
    }
}
