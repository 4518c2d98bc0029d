//! The `zmq_msg_*` functions: message parts in storage C owns.
//!
//! Ownership, per function (see [`repr`] for the 64-byte layout):
//!
//! | function | what it takes | what it leaves |
//! |---|---|---|
//! | `zmq_msg_init`, `_init_size`, `_init_buffer` | storage, whatever it held (never closed) | a message the caller must close (or send) |
//! | `zmq_msg_init_data` | storage, and C's buffer with its free function | a message owning the buffer; the function runs once, when the last copy is closed or ferrozmq is done sending it (at once for content up to 4 KiB that no `zmq_msg_copy` shares, which a send copies), on that thread, never while a socket call holds the socket (`zmq_msg_recv` releases the old content after it); on failure the buffer stays C's |
//! | `zmq_msg_close` | a message | closed storage (a second close fails with EFAULT) |
//! | `zmq_msg_copy` | two messages | both share the content (large content is not copied); the old content of `dest` is released |
//! | `zmq_msg_move` | two messages | `dest` holds `src`'s message, `src` is an empty message |
//! | `zmq_msg_data` | a message | a pointer valid until the message is closed, moved or sent |
//! | `zmq_msg_gets`, `zmq_msg_group` | a message | strings owned by the message: valid until its last copy is closed |
//!
//! Storage that does not hold a message (never initialised, closed, misaligned, NULL)
//! makes every function fail with EFAULT, where libzmq would crash or read garbage.
//! Writing into content that is shared (after `zmq_msg_copy`, or a received part that
//! `ZMQ_SHARED` reports as shared) changes every copy, as in libzmq, which documents it as
//! undefined behaviour.

pub mod properties;
pub mod repr;
pub mod small;

use crate::call::{guard, usable};
use crate::errno::Errno;
use crate::types::{zmq_free_fn, zmq_msg_t};
use repr::{GroupName, Msg, Stored, GROUP_MAX_LENGTH};
use std::ffi::{c_char, c_int, c_void, CStr};

/// `zmq_msg_get` property: more parts follow.
pub const ZMQ_MORE: c_int = 1;
/// `zmq_msg_get` property: the file descriptor the part was read from (deprecated).
pub const ZMQ_SRCFD: c_int = 2;
/// `zmq_msg_get` property: the content may be shared with another message.
pub const ZMQ_SHARED: c_int = 3;

/// Initialises an empty message.
///
/// # Safety
/// `msg` must be NULL or point to writable storage for a `zmq_msg_t`.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int {
    guard(|| {
        usable(msg, Errno::EFAULT)?;
        Msg::empty().write_to(msg);
        Ok(0)
    })
}

/// Initialises a message of `size` zeroed bytes, for the caller to fill through
/// `zmq_msg_data`.
///
/// # Safety
/// As [`zmq_msg_init`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> c_int {
    guard(|| {
        usable(msg, Errno::EFAULT)?;
        Msg::zeroed(size)?.write_to(msg);
        Ok(0)
    })
}

/// Initialises a message holding a copy of `size` bytes at `buf` (draft API).
///
/// # Safety
/// As [`zmq_msg_init`]; `buf` must be valid for reads of `size` bytes (it may be NULL
/// when `size` is 0).
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_buffer(
    msg: *mut zmq_msg_t,
    buf: *const c_void,
    size: usize,
) -> c_int {
    guard(|| {
        usable(msg, Errno::EFAULT)?;
        let content = if size == 0 {
            &[][..]
        } else {
            usable(buf.cast::<u8>(), Errno::EFAULT)?;
            std::slice::from_raw_parts(buf.cast::<u8>(), size)
        };
        Msg::copy_of(content)?.write_to(msg);
        Ok(0)
    })
}

/// Initialises a message over C's buffer, without copying it. `ffn(data, hint)` is called
/// once when no message refers to the buffer any more, on the thread that lets go of it
/// last; with `ffn` NULL the buffer is never freed (constant data).
///
/// # Safety
/// As [`zmq_msg_init`]; `data` must stay valid for reads (and for writes, if the caller
/// writes through `zmq_msg_data`) of `size` bytes until `ffn` is called, and `ffn` must be
/// callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: usize,
    ffn: Option<zmq_free_fn>,
    hint: *mut c_void,
) -> c_int {
    guard(|| {
        usable(msg, Errno::EFAULT)?;
        // libzmq asserts on this; C keeps its buffer when the call fails.
        if data.is_null() && size != 0 {
            return Err(Errno::EFAULT);
        }
        Msg::foreign(data, size, ffn, hint).write_to(msg);
        Ok(0)
    })
}

/// Releases a message: its content is freed once no copy refers to it.
///
/// # Safety
/// `msg` must be NULL or point to a `zmq_msg_t` C owns.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int {
    guard(|| {
        Stored::close(msg)?;
        Ok(0)
    })
}

/// Moves `src`'s message into `dest` (whose own message is released); `src` becomes an
/// empty message.
///
/// # Safety
/// Both must be NULL or point to a `zmq_msg_t` C owns.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    guard(|| {
        Stored::size(src)?;
        Stored::size(dest)?;
        if dest == src {
            return Ok(0);
        }
        let moved = Msg::take_from(src)?;
        drop(Msg::take_from(dest)?);
        moved.write_to(dest);
        Msg::empty().write_to(src);
        Ok(0)
    })
}

/// Makes `dest` a copy of `src` that shares its content (whose own message is released).
///
/// # Safety
/// Both must be NULL or point to a `zmq_msg_t` C owns.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    guard(|| {
        Stored::size(src)?;
        Stored::size(dest)?;
        if dest == src {
            return Ok(0);
        }
        let copy = Msg::update(src, |original| Ok(original.share()))?;
        drop(Msg::take_from(dest)?);
        copy.write_to(dest);
        Ok(0)
    })
}

/// The content's address; NULL (errno EFAULT) if `msg` holds no message.
///
/// # Safety
/// `msg` must be NULL or point to a `zmq_msg_t` C owns.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    guard(|| Stored::data(msg))
}

/// The content's length; 0 (errno EFAULT) if `msg` holds no message.
///
/// # Safety
/// As [`zmq_msg_data`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> usize {
    guard(|| Stored::size(msg))
}

/// 1 when more parts follow this one, 0 when not.
///
/// # Safety
/// As [`zmq_msg_data`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int {
    guard(|| Ok(c_int::from(Stored::more(msg)?)))
}

/// A property of the message: `ZMQ_MORE`, `ZMQ_SHARED`, and `ZMQ_SRCFD`, the descriptor
/// of the tcp or ipc connection the message was received through (-1 for any other
/// message, as in libzmq; the descriptor may be closed or reused once the connection
/// ends). Unknown properties fail with EINVAL.
///
/// # Safety
/// As [`zmq_msg_data`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int {
    guard(|| match property {
        ZMQ_MORE => Ok(c_int::from(Stored::more(msg)?)),
        ZMQ_SHARED => Ok(c_int::from(Stored::shared(msg)?)),
        ZMQ_SRCFD => Ok(Stored::properties(msg)?
            .and_then(|p| p.properties().source_fd())
            .unwrap_or(-1)),
        _ => Err(Errno::EINVAL),
    })
}

/// Sets a property: none can be set, so it fails with EINVAL, as in libzmq.
///
/// # Safety
/// None: the message is not read.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set(
    _msg: *mut zmq_msg_t,
    _property: c_int,
    _value: c_int,
) -> c_int {
    guard(|| Err::<c_int, _>(Errno::EINVAL))
}

/// The value of a property of the connection the message came from (`Socket-Type`,
/// `Routing-Id`, `User-Id`, `Peer-Address`, application metadata), owned by the message;
/// NULL with EINVAL when the message has no such property.
///
/// # Safety
/// `msg` as in [`zmq_msg_data`]; `property` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_gets(
    msg: *const zmq_msg_t,
    property: *const c_char,
) -> *const c_char {
    guard(|| {
        let properties = Stored::properties(msg)?;
        if property.is_null() {
            return Err(Errno::EFAULT);
        }
        let name = CStr::from_ptr(property)
            .to_str()
            .map_err(|_| Errno::EINVAL)?;
        properties
            .and_then(|properties| properties.get(name))
            .map(CStr::as_ptr)
            .ok_or(Errno::EINVAL)
    })
}

/// The routing id a SERVER or PEER received the message with, 0 for none (draft API).
///
/// # Safety
/// As [`zmq_msg_data`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_routing_id(msg: *mut zmq_msg_t) -> u32 {
    guard(|| Stored::routing_id(msg))
}

/// Sets the routing id a SERVER or PEER sends the message to; 0 fails with EINVAL
/// (draft API).
///
/// # Safety
/// As [`zmq_msg_data`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_routing_id(msg: *mut zmq_msg_t, routing_id: u32) -> c_int {
    guard(|| {
        Msg::update(msg, |msg| {
            if routing_id == 0 {
                return Err(Errno::EINVAL);
            }
            msg.set_routing_id(routing_id);
            Ok(0)
        })
    })
}

/// The RADIO/DISH group of the message, "" for none, owned by the message (draft API).
///
/// # Safety
/// As [`zmq_msg_data`].
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_group(msg: *mut zmq_msg_t) -> *const c_char {
    guard(|| Stored::group(msg))
}

/// Sets the RADIO/DISH group: at most 255 bytes, or EINVAL (draft API).
///
/// # Safety
/// `msg` as in [`zmq_msg_data`]; `group` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_group(msg: *mut zmq_msg_t, group: *const c_char) -> c_int {
    guard(|| {
        Stored::size(msg)?;
        if group.is_null() {
            return Err(Errno::EFAULT);
        }
        // Read no further than one byte past the longest group: a longer one is refused.
        let name = bounded_c_string(group, GROUP_MAX_LENGTH + 1).ok_or(Errno::EINVAL)?;
        let group = if name.is_empty() {
            None
        } else {
            Some(GroupName::new(name).ok_or(Errno::EINVAL)?)
        };
        Msg::update(msg, |msg| {
            msg.set_group(group);
            Ok(0)
        })
    })
}

/// The bytes of a NUL-terminated string of fewer than `limit` bytes; `None` when no NUL
/// comes within `limit` bytes. Reads no byte after the NUL.
///
/// # Safety
/// `text` must point to a NUL-terminated string.
unsafe fn bounded_c_string<'a>(text: *const c_char, limit: usize) -> Option<&'a [u8]> {
    let bytes = text.cast::<u8>();
    let len = (0..limit).find(|&i| *bytes.add(i) == 0)?;
    Some(std::slice::from_raw_parts(bytes, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::{errno, set_errno};
    use std::mem::MaybeUninit;
    use std::ptr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn new_storage() -> Box<MaybeUninit<zmq_msg_t>> {
        // Garbage, as an uninitialised C variable may hold.
        let mut storage = Box::new(MaybeUninit::<zmq_msg_t>::uninit());
        unsafe { ptr::write_bytes(storage.as_mut_ptr(), 0xA5, 1) };
        storage
    }

    unsafe fn content<'a>(msg: *mut zmq_msg_t) -> &'a [u8] {
        std::slice::from_raw_parts(zmq_msg_data(msg).cast::<u8>(), zmq_msg_size(msg))
    }

    #[test]
    fn init_fill_read_close_and_close_again() {
        for size in [0usize, 5, 40, 41, 100_000] {
            let mut storage = new_storage();
            let msg = storage.as_mut_ptr();
            unsafe {
                assert_eq!(zmq_msg_init_size(msg, size), 0);
                assert_eq!(zmq_msg_size(msg), size);
                ptr::write_bytes(zmq_msg_data(msg).cast::<u8>(), 0x42, size);
                assert!(content(msg).iter().all(|&b| b == 0x42));
                assert_eq!(zmq_msg_more(msg), 0);
                assert_eq!(zmq_msg_get(msg, ZMQ_SHARED), 0);
                assert_eq!(zmq_msg_close(msg), 0);
                assert_eq!(zmq_msg_close(msg), -1, "closed twice");
                assert_eq!(errno(), libc::EFAULT);
                assert!(zmq_msg_data(msg).is_null());
            }
        }
    }

    #[test]
    fn storage_that_holds_no_message_fails_with_efault() {
        let mut storage = new_storage();
        let msg = storage.as_mut_ptr();
        unsafe {
            set_errno(0);
            assert_eq!(zmq_msg_close(msg), -1);
            assert_eq!(errno(), libc::EFAULT);
            assert_eq!(zmq_msg_size(msg), 0);
            assert_eq!(zmq_msg_more(msg), -1);
            assert_eq!(zmq_msg_init(ptr::null_mut()), -1);
            assert_eq!(zmq_msg_close(ptr::null_mut()), -1);
            let mut other = new_storage();
            zmq_msg_init(other.as_mut_ptr());
            assert_eq!(zmq_msg_copy(other.as_mut_ptr(), msg), -1);
            assert_eq!(zmq_msg_move(other.as_mut_ptr(), msg), -1);
            assert_eq!(
                zmq_msg_copy(msg, other.as_mut_ptr()),
                -1,
                "dest must be a message"
            );
            assert_eq!(zmq_msg_close(other.as_mut_ptr()), 0);
        }
    }

    #[test]
    fn init_buffer_copies() {
        let text = b"foobar";
        let mut storage = new_storage();
        let msg = storage.as_mut_ptr();
        unsafe {
            assert_eq!(zmq_msg_init_buffer(msg, text.as_ptr().cast(), 6), 0);
            assert_ne!(zmq_msg_data(msg).cast_const().cast::<u8>(), text.as_ptr());
            assert_eq!(content(msg), text);
            zmq_msg_close(msg);
            assert_eq!(zmq_msg_init_buffer(msg, ptr::null(), 0), 0);
            assert_eq!(zmq_msg_size(msg), 0);
            zmq_msg_close(msg);
            assert_eq!(zmq_msg_init_buffer(msg, ptr::null(), 3), -1);
            assert_eq!(errno(), libc::EFAULT);
        }
    }

    unsafe extern "C" fn count_free(_data: *mut c_void, hint: *mut c_void) {
        (*hint.cast::<AtomicUsize>()).fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn init_data_keeps_c_s_pointer_and_frees_once_after_the_last_copy() {
        let freed = AtomicUsize::new(0);
        let hint = ptr::from_ref(&freed).cast_mut().cast();
        let mut buffer = vec![7u8; 255];
        let data = buffer.as_mut_ptr().cast::<c_void>();
        let (mut a, mut b, mut c) = (new_storage(), new_storage(), new_storage());
        let (a, b, c) = (a.as_mut_ptr(), b.as_mut_ptr(), c.as_mut_ptr());
        unsafe {
            assert_eq!(zmq_msg_init_data(a, data, 255, Some(count_free), hint), 0);
            assert_eq!(zmq_msg_data(a), data);
            assert_eq!(zmq_msg_get(a, ZMQ_SHARED), 0);
            zmq_msg_init(b);
            zmq_msg_init(c);
            assert_eq!(zmq_msg_copy(b, a), 0);
            assert_eq!(zmq_msg_move(c, b), 0);
            assert_eq!(zmq_msg_size(b), 0, "moved from: empty");
            assert_eq!(zmq_msg_data(c).cast_const(), data.cast_const());
            assert_eq!(zmq_msg_get(a, ZMQ_SHARED), 1);
            assert_eq!(zmq_msg_close(a), 0);
            assert_eq!(zmq_msg_close(b), 0);
            assert_eq!(freed.load(Ordering::SeqCst), 0, "c still refers to it");
            assert_eq!(zmq_msg_close(c), 0);
            assert_eq!(freed.load(Ordering::SeqCst), 1);

            // Constant data: never freed, reported shared.
            assert_eq!(zmq_msg_init_data(a, data, 3, None, ptr::null_mut()), 0);
            assert_eq!(zmq_msg_get(a, ZMQ_SHARED), 1);
            zmq_msg_close(a);
            // A failed init leaves the buffer with C: the function is not called.
            assert_eq!(
                zmq_msg_init_data(ptr::null_mut(), data, 3, Some(count_free), hint),
                -1
            );
            assert_eq!(
                zmq_msg_init_data(a, ptr::null_mut(), 3, Some(count_free), hint),
                -1
            );
            assert_eq!(freed.load(Ordering::SeqCst), 1);
        }
    }

    #[test]
    fn copy_and_move_onto_themselves_change_nothing() {
        let mut storage = new_storage();
        let msg = storage.as_mut_ptr();
        unsafe {
            zmq_msg_init_buffer(msg, b"same".as_ptr().cast(), 4);
            assert_eq!(zmq_msg_copy(msg, msg), 0);
            assert_eq!(zmq_msg_move(msg, msg), 0);
            assert_eq!(content(msg), b"same");
            zmq_msg_close(msg);
        }
    }

    #[test]
    fn a_copy_carries_more_routing_id_and_group() {
        let (mut a, mut b) = (new_storage(), new_storage());
        let (a, b) = (a.as_mut_ptr(), b.as_mut_ptr());
        unsafe {
            zmq_msg_init_size(a, 1000);
            assert_eq!(zmq_msg_routing_id(a), 0);
            assert_eq!(CStr::from_ptr(zmq_msg_group(a)), c"");
            assert_eq!(zmq_msg_set_routing_id(a, 0), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_msg_set_routing_id(a, 17), 0);
            assert_eq!(zmq_msg_set_group(a, c"weather".as_ptr()), 0);
            Msg::update(a, |msg| {
                msg.set_more(true);
                Ok(())
            })
            .unwrap();
            zmq_msg_init(b);
            zmq_msg_copy(b, a);
            zmq_msg_close(a);
            assert_eq!(zmq_msg_routing_id(b), 17);
            assert_eq!(CStr::from_ptr(zmq_msg_group(b)), c"weather");
            assert_eq!(zmq_msg_more(b), 1);
            assert_eq!(zmq_msg_get(b, ZMQ_MORE), 1);
            assert_eq!(zmq_msg_get(b, 99), -1);
            assert_eq!(zmq_msg_set(b, ZMQ_MORE, 1), -1);

            let longest = CString::new(vec![b'g'; 255]).unwrap();
            let too_long = CString::new(vec![b'g'; 256]).unwrap();
            assert_eq!(zmq_msg_set_group(b, longest.as_ptr()), 0);
            assert_eq!(CStr::from_ptr(zmq_msg_group(b)), longest.as_c_str());
            assert_eq!(zmq_msg_set_group(b, too_long.as_ptr()), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(
                CStr::from_ptr(zmq_msg_group(b)),
                longest.as_c_str(),
                "unchanged"
            );
            zmq_msg_close(b);
        }
    }

    use std::ffi::CString;

    #[test]
    // Miri has no network.
    #[cfg_attr(miri, ignore)]
    fn gets_reads_the_properties_of_the_connection_a_part_came_from() {
        let ctx = ferrozmq::Context::new();
        let server = ctx.socket(ferrozmq::REP).unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        let client = ctx.socket(ferrozmq::REQ).unwrap();
        client.connect(&server.last_endpoint().unwrap()).unwrap();
        client.send("hello").unwrap();
        let (received, properties) = server.recv_with_properties().unwrap();

        let extras = repr::Extras {
            properties: Some(Arc::new(properties::MsgProperties::new(properties))),
            ..repr::Extras::default()
        };
        let mut storage = new_storage();
        let msg = storage.as_mut_ptr();
        unsafe {
            zmq_msg_init(msg);
            Msg::store_received(msg, received, extras).unwrap();
            let value = |name: &CStr| {
                let value = zmq_msg_gets(msg, name.as_ptr());
                (!value.is_null()).then(|| CStr::from_ptr(value).to_owned())
            };
            assert_eq!(value(c"Socket-Type").as_deref(), Some(c"REQ"));
            assert_eq!(value(c"socket-type").as_deref(), Some(c"REQ"));
            assert_eq!(value(c"Peer-Address").as_deref(), Some(c"127.0.0.1"));
            assert_eq!(value(c"X-Absent"), None);
            assert_eq!(errno(), libc::EINVAL);
            // Values belong to the message and its copies.
            let socket_type = zmq_msg_gets(msg, c"Socket-Type".as_ptr());
            let mut copy = new_storage();
            zmq_msg_init(copy.as_mut_ptr());
            zmq_msg_copy(copy.as_mut_ptr(), msg);
            zmq_msg_close(msg);
            assert_eq!(CStr::from_ptr(socket_type), c"REQ");
            assert_eq!(zmq_msg_close(copy.as_mut_ptr()), 0);
        }
    }

    #[test]
    fn a_part_without_properties_has_none() {
        let mut storage = new_storage();
        let msg = storage.as_mut_ptr();
        unsafe {
            zmq_msg_init(msg);
            assert!(zmq_msg_gets(msg, c"Socket-Type".as_ptr()).is_null());
            assert_eq!(errno(), libc::EINVAL);
            assert!(zmq_msg_gets(msg, ptr::null()).is_null());
            assert_eq!(errno(), libc::EFAULT);
            zmq_msg_close(msg);
        }
    }
}
