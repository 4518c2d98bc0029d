//! Sending and receiving: `zmq_send`, `zmq_send_const`, `zmq_recv`, `zmq_msg_send`,
//! `zmq_msg_recv`, the deprecated `zmq_sendmsg`/`zmq_recvmsg`, and `zmq_sendiov`/
//! `zmq_recviov`.
//!
//! Flags: `ZMQ_DONTWAIT` (1) fails with EAGAIN at once instead of waiting; `ZMQ_SNDMORE`
//! (2) marks a part that more parts of the same message follow. Without `ZMQ_DONTWAIT` a
//! call waits as SNDTIMEO/RCVTIMEO allow, then fails with EAGAIN; ETERM once the context
//! is shut down; EINTR when a signal interrupts the wait.
//!
//! Ownership, per function:
//!
//! | function | what it takes | what it leaves |
//! |---|---|---|
//! | `zmq_send` | C's buffer, read during the call | the buffer is C's again when it returns (copied) |
//! | `zmq_send_const` | C's buffer, which must stay unchanged and valid for as long as the library may send it (for ever, in practice) | content over 69 bytes is never copied |
//! | `zmq_msg_send`, `zmq_sendmsg` | a message | on success, an empty message (content up to 4 KiB was copied and C's buffer released at once: a `zmq_msg_init_data` free function has run, on the sending thread, unless a `zmq_msg_copy` still shares the content, which then goes uncopied; larger content went to the library without a copy, and its free function runs once it is sent); on failure, the message as it was, still the caller's to close |
//! | `zmq_recv` | C's buffer | up to `len` bytes of the part written into it; the part's whole size is returned (a larger size than `len` says it was truncated) |
//! | `zmq_msg_recv`, `zmq_recvmsg` | an initialised message, whose old content is released (after the socket is let go of: a free function may use it) | the part received, with its routing id (SERVER, PEER), group (DISH) and connection properties (`zmq_msg_gets`) |
//! | `zmq_recviov` | an array of `*count` `iovec`s | each `iov_base` a buffer from `malloc` holding one part, for the caller to `free` |
//!
//! The thread-safe socket types send whole messages only: `ZMQ_SNDMORE` on a SERVER, CLIENT,
//! RADIO, SCATTER, PEER or CHANNEL fails with EINVAL, as in libzmq. A SERVER or PEER sends to
//! the message's routing id (`zmq_msg_set_routing_id`; EHOSTUNREACH for an unknown one), a
//! RADIO to its group (`zmq_msg_set_group`).

use super::wait::Interest;
use super::{blocking, SocketEntry, SOCKETS};
use crate::call::guard;
use crate::errno::Errno;
use crate::message::repr::{Extras, GroupName, Msg, Stored};
use crate::types::zmq_msg_t;
use ferrozmq::{Message, SendFlags, SocketType};
use std::ffi::{c_int, c_void};
use std::sync::Arc;

/// Send or receive without waiting.
pub const ZMQ_DONTWAIT: c_int = 1;
/// More parts of the message follow this one.
pub const ZMQ_SNDMORE: c_int = 2;

/// Owned and foreign content up to this many bytes is copied when `zmq_msg_send` hands it
/// to ferrozmq, and C's buffer released on the sending thread; larger content is shared
/// without a copy. Sharing a buffer takes a second allocation (the reference count) that
/// the receiving thread frees; with the buffer's own allocation freed there too, the
/// sender's next request of a kilobyte or so finds the allocator's per-thread cache empty
/// and its shared bins fragmented (callgrind, inproc_thr 1 KiB: about 1,000 instructions
/// per message in malloc against libzmq's 420, for its one allocation). A copy goes into
/// the sending thread's block of medium bodies (one allocation per dozen messages or so)
/// with a `memcpy` of at most this many bytes; C's buffer goes back to the sending
/// thread's cache, where `zmq_msg_init_size` finds it again.
const COPIED_ON_SEND: usize = 4096;

/// A size as the `int` libzmq's send and receive calls return: sizes beyond `INT_MAX` read
/// as `INT_MAX`.
fn returned_size(size: usize) -> c_int {
    c_int::try_from(size).unwrap_or(c_int::MAX)
}

/// Where a part goes beside the socket's own routing: the message's routing id and group.
#[derive(Clone, Copy, Default)]
struct Address<'a> {
    routing_id: u32,
    group: Option<&'a GroupName>,
}

/// Hands one part to the socket now, or fails with EAGAIN.
#[inline(always)]
fn send_part(
    entry: &SocketEntry,
    message: Message,
    more: bool,
    to: Address<'_>,
) -> Result<(), Errno> {
    let socket = entry.socket();
    let whole_messages_only = matches!(
        entry.kind(),
        SocketType::Server
            | SocketType::Client
            | SocketType::Radio
            | SocketType::Scatter
            | SocketType::Peer
            | SocketType::Channel
    );
    if more && whole_messages_only {
        return Err(Errno::EINVAL);
    }
    match entry.kind() {
        SocketType::Server | SocketType::Peer => socket.try_send_to(to.routing_id, message)?,
        SocketType::Radio => match to.group {
            Some(group) => {
                let group = std::str::from_utf8(group.as_bytes()).map_err(|_| Errno::EINVAL)?;
                socket.try_send_group(group, message)?
            }
            // ferrozmq refuses a RADIO message without a group.
            None => socket.try_send(message)?,
        },
        _ => socket.send_with(message, SendFlags::more_if(more) | SendFlags::DONTWAIT)?,
    }
    Ok(())
}

/// Receives one part now, or fails with EAGAIN: the part, and its routing id and group,
/// with the connection's properties when `properties` is asked for.
#[inline(always)]
fn recv_part(entry: &mut SocketEntry, properties: bool) -> Result<(Message, Extras), Errno> {
    let socket = entry.socket();
    let (message, mut extras) = match entry.kind() {
        SocketType::Server | SocketType::Peer => {
            let (routing_id, message) = socket.try_recv_from()?;
            let extras = Extras {
                routing_id,
                ..Extras::default()
            };
            (message, extras)
        }
        SocketType::Dish => {
            let (group, message) = socket.try_recv_group()?;
            let extras = Extras {
                group: GroupName::new(group.as_bytes()).map(Arc::new),
                ..Extras::default()
            };
            (message, extras)
        }
        _ => (socket.try_recv()?, Extras::default()),
    };
    if properties {
        extras.properties = entry.last_properties();
    }
    Ok((message, extras))
}

fn flags_of(flags: c_int) -> (bool, bool) {
    (flags & ZMQ_DONTWAIT != 0, flags & ZMQ_SNDMORE != 0)
}

/// Sends `len` bytes at `buf` as one part (copied); returns `len`.
///
/// # Safety
/// `socket` must be NULL or a value `zmq_socket` returned (closed or not); `buf` must be
/// valid for reads of `len` bytes (it may be NULL when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn zmq_send(
    socket: *mut c_void,
    buf: *const c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    guard(|| {
        let content = c_bytes(buf, len)?;
        let (dont_wait, more) = flags_of(flags);
        blocking(socket, Interest::Send, dont_wait, |entry| {
            send_part(
                entry,
                Message::from_slice(content),
                more,
                Address::default(),
            )
        })?;
        Ok(returned_size(len))
    })
}

/// Sends `len` bytes at `buf` as one part without copying them (beyond 69 bytes): the
/// buffer must stay valid and unchanged for as long as the library may still send it.
///
/// # Safety
/// As [`zmq_send`]; the buffer must outlive every use the library makes of it (constant
/// data).
#[no_mangle]
pub unsafe extern "C" fn zmq_send_const(
    socket: *mut c_void,
    buf: *const c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    guard(|| {
        c_bytes(buf, len)?;
        let mut part = Msg::foreign(buf.cast_mut(), len, None, std::ptr::null_mut());
        part.share_body();
        let (dont_wait, more) = flags_of(flags);
        blocking(socket, Interest::Send, dont_wait, |entry| {
            send_part(entry, part.message(), more, Address::default())
        })?;
        Ok(returned_size(len))
    })
}

/// Receives a part into `buf`: at most `len` bytes are written; the part's full size is
/// returned, so a result above `len` means the part was truncated.
///
/// # Safety
/// `socket` as in [`zmq_send`]; `buf` must be valid for writes of `len` bytes (it may be
/// NULL when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn zmq_recv(
    socket: *mut c_void,
    buf: *mut c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    guard(|| {
        if buf.is_null() && len != 0 {
            return Err(Errno::EFAULT);
        }
        let (dont_wait, _) = flags_of(flags);
        let (content, _) = blocking(socket, Interest::Recv, dont_wait, |entry| {
            recv_part(entry, false)
        })?;
        let copied = content.len().min(len);
        if copied > 0 {
            std::ptr::copy_nonoverlapping(content.as_ptr(), buf.cast::<u8>(), copied);
        }
        Ok(returned_size(content.len()))
    })
}

/// Sends a message part; returns its size. On success the message is left empty; on
/// failure it is left as it was.
///
/// # Safety
/// `msg` must be NULL or point to a `zmq_msg_t` C owns; `socket` as in [`zmq_send`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_send(
    msg: *mut zmq_msg_t,
    socket: *mut c_void,
    flags: c_int,
) -> c_int {
    guard(|| msg_send(msg, socket, flags))
}

unsafe fn msg_send(msg: *mut zmq_msg_t, socket: *mut c_void, flags: c_int) -> Result<c_int, Errno> {
    let size = Stored::size(msg)?;
    let (dont_wait, more) = flags_of(flags);
    if size > COPIED_ON_SEND {
        // Once, not at every try: large owned or foreign content becomes shared, so that
        // handing it over copies nothing.
        Msg::update(msg, |part| {
            part.share_body();
            Ok(())
        })?;
    }
    blocking(socket, Interest::Send, dont_wait, |entry| {
        let (message, routing_id, group) = Stored::outgoing(msg)?;
        send_part(entry, message, more, Address { routing_id, group })
    })?;
    Stored::empty(msg)?;
    Ok(returned_size(size))
}

/// Receives a message part into `msg` (whose old content is released); returns its size.
///
/// # Safety
/// `msg` must be NULL or point to an initialised `zmq_msg_t` C owns; `socket` as in
/// [`zmq_send`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_recv(
    msg: *mut zmq_msg_t,
    socket: *mut c_void,
    flags: c_int,
) -> c_int {
    guard(|| msg_recv(msg, socket, flags))
}

unsafe fn msg_recv(msg: *mut zmq_msg_t, socket: *mut c_void, flags: c_int) -> Result<c_int, Errno> {
    Stored::size(msg)?;
    let (dont_wait, _) = flags_of(flags);
    let (size, released) = blocking(socket, Interest::Recv, dont_wait, |entry| {
        // Stored where it is received, under the socket's lock: the part is moved once,
        // not handed out of the wait loop first.
        let (message, extras) = recv_part(entry, true)?;
        let size = message.len();
        let released = Msg::store_received(msg, message, extras)?;
        Ok((returned_size(size), released))
    })?;
    // What `msg` held goes outside the lock: its free function may use this socket.
    drop(released);
    Ok(size)
}

/// [`zmq_msg_send`] with its arguments in the older order (deprecated).
///
/// # Safety
/// As [`zmq_msg_send`].
#[no_mangle]
pub unsafe extern "C" fn zmq_sendmsg(
    socket: *mut c_void,
    msg: *mut zmq_msg_t,
    flags: c_int,
) -> c_int {
    guard(|| msg_send(msg, socket, flags))
}

/// [`zmq_msg_recv`] with its arguments in the older order (deprecated).
///
/// # Safety
/// As [`zmq_msg_recv`].
#[no_mangle]
pub unsafe extern "C" fn zmq_recvmsg(
    socket: *mut c_void,
    msg: *mut zmq_msg_t,
    flags: c_int,
) -> c_int {
    guard(|| msg_recv(msg, socket, flags))
}

/// Sends `count` buffers as parts, each copied, with `flags` on every part but the last,
/// whose `ZMQ_SNDMORE` is cleared (so pass `ZMQ_SNDMORE` to send them as one message);
/// returns the last part's size. A failure stops at the part that failed.
///
/// # Safety
/// `socket` as in [`zmq_send`]; `iov` must point to `count` `iovec`s, each valid for reads
/// of `iov_len` bytes at `iov_base`.
#[no_mangle]
pub unsafe extern "C" fn zmq_sendiov(
    socket: *mut c_void,
    iov: *mut libc::iovec,
    count: usize,
    flags: c_int,
) -> c_int {
    guard(|| {
        SOCKETS.slot(socket).ok_or(Errno::ENOTSOCK)?;
        if count == 0 || iov.is_null() {
            return Err(Errno::EINVAL);
        }
        let parts = std::slice::from_raw_parts(iov, count);
        let mut sent = 0;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == count;
            let flags = if last { flags & !ZMQ_SNDMORE } else { flags };
            let content = c_bytes(part.iov_base, part.iov_len)?;
            let (dont_wait, more) = flags_of(flags);
            blocking(socket, Interest::Send, dont_wait, |entry| {
                send_part(
                    entry,
                    Message::from_slice(content),
                    more,
                    Address::default(),
                )
            })?;
            sent = returned_size(part.iov_len);
        }
        Ok(sent)
    })
}

/// Receives up to `*count` parts of a message into `iov`, each into a buffer from `malloc`
/// the caller must `free`; sets `*count` to the number of parts received and returns it.
///
/// # Safety
/// `socket` as in [`zmq_send`]; `count` must point to a readable and writable `size_t`;
/// `iov` must point to `*count` writable `iovec`s.
#[no_mangle]
pub unsafe extern "C" fn zmq_recviov(
    socket: *mut c_void,
    iov: *mut libc::iovec,
    count: *mut usize,
    flags: c_int,
) -> c_int {
    guard(|| {
        SOCKETS.slot(socket).ok_or(Errno::ENOTSOCK)?;
        if count.is_null() || iov.is_null() || *count == 0 {
            return Err(Errno::EINVAL);
        }
        let capacity = *count;
        *count = 0;
        let (dont_wait, _) = flags_of(flags);
        let mut received = 0;
        while received < capacity {
            let (content, _) = blocking(socket, Interest::Recv, dont_wait, |entry| {
                recv_part(entry, false)
            })?;
            // malloc(0) may return NULL, which C could not tell from a failure.
            let buffer = libc::malloc(content.len().max(1)).cast::<u8>();
            if buffer.is_null() {
                return Err(Errno::ENOMEM);
            }
            std::ptr::copy_nonoverlapping(content.as_ptr(), buffer, content.len());
            let slot = &mut *iov.add(received);
            slot.iov_base = buffer.cast();
            slot.iov_len = content.len();
            received += 1;
            *count = received;
            if !content.more() {
                break;
            }
        }
        Ok(returned_size(received))
    })
}

/// `len` bytes at `buf`; EFAULT for NULL with a length.
///
/// # Safety
/// `buf` must be valid for reads of `len` bytes during the call (or NULL, or `len` 0).
unsafe fn c_bytes<'a>(buf: *const c_void, len: usize) -> Result<&'a [u8], Errno> {
    if len == 0 {
        return Ok(&[]);
    }
    if buf.is_null() {
        return Err(Errno::EFAULT);
    }
    Ok(std::slice::from_raw_parts(buf.cast::<u8>(), len))
}
