//! The C API's boundary (`crates/ferrozmq-ffi`, called as C calls it): socket options set
//! and read with any option number, length and value, and message lifetimes — init,
//! init_size, init_buffer, init_data, copy, move, close, send and receive, routing ids,
//! groups, properties — in any order on a connected inproc PAIR, including the misuses C
//! makes (closing twice, copying into closed storage, NULL buffers).
//!
//! Checks, beyond what the sanitizer sees (memory errors, and leaks at exit):
//! - no call panics: a panic caught at the boundary shows as errno ENOTRECOVERABLE;
//! - every buffer given to `zmq_msg_init_data` is freed exactly once, by the time the
//!   messages and sockets are closed;
//! - option reads write no more than the buffer they were given (each buffer is exactly as
//!   long as stated, so the sanitizer catches a byte more).
//!
//! Valid C never initialises storage that holds a message without closing it first (that
//! leaks, in libzmq as here): the driver keeps track, and does not.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use zmq::context::zmq_ctx_new;
use zmq::errno::{errno, set_errno};
use zmq::message::*;
use zmq::socket::options::{zmq_getsockopt, zmq_setsockopt};
use zmq::socket::transfer::{zmq_msg_recv, zmq_msg_send};
use zmq::socket::{zmq_bind, zmq_close, zmq_connect, zmq_socket};
use zmq::types::zmq_msg_t;

/// Buffers handed to `zmq_msg_init_data`, and buffers its free function freed.
static GIVEN: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn free_buffer(data: *mut c_void, _hint: *mut c_void) {
    FREED.fetch_add(1, Ordering::SeqCst);
    libc::free(data);
}

/// One context for the process: each input makes and closes its own sockets.
fn context() -> *mut c_void {
    static CONTEXT: OnceLock<usize> = OnceLock::new();
    *CONTEXT.get_or_init(|| zmq_ctx_new() as usize) as *mut c_void
}

/// The fuzzer's bytes, read as needed; zeros once they run out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn take(&mut self, len: usize) -> Vec<u8> {
        let len = len.min(self.0.len());
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        taken.to_vec()
    }
}

const SLOTS: usize = 4;

/// Runs the calls the bytes describe; panics when a check fails.
pub fn check(data: &[u8]) {
    static NAMES: AtomicUsize = AtomicUsize::new(0);
    let mut input = Input(data);
    let given_before = GIVEN.load(Ordering::SeqCst);
    let freed_before = FREED.load(Ordering::SeqCst);
    let name = format!("inproc://fuzz-{}\0", NAMES.fetch_add(1, Ordering::Relaxed));
    let sockets = unsafe {
        let a = zmq_socket(context(), 0);
        let b = zmq_socket(context(), 0);
        assert!(!a.is_null() && !b.is_null());
        assert_eq!(zmq_bind(a, name.as_ptr().cast()), 0);
        assert_eq!(zmq_connect(b, name.as_ptr().cast()), 0);
        [a, b]
    };
    // Zeroed storage holds no message: using it fails with EFAULT, as closed storage does.
    let mut storage: Box<[zmq_msg_t; SLOTS]> = Box::new(unsafe { std::mem::zeroed() });
    let mut holds = [false; SLOTS];
    let msg = |storage: &mut [zmq_msg_t; SLOTS], i: u8| -> *mut zmq_msg_t {
        &mut storage[usize::from(i) % SLOTS]
    };

    while let Some(op) = input.byte() {
        let arg = input.byte().unwrap_or(0);
        let slot = usize::from(arg) % SLOTS;
        let socket = sockets[usize::from(arg >> 7)];
        set_errno(0);
        unsafe {
            match op % 14 {
                0 => {
                    let option = c_int::from(input.byte().unwrap_or(0)) - 8;
                    let len = usize::from(input.byte().unwrap_or(0) % 48);
                    let value = input.take(len);
                    if arg & 0x40 != 0 {
                        zmq_setsockopt(socket, option, std::ptr::null(), value.len());
                    } else {
                        zmq_setsockopt(socket, option, value.as_ptr().cast(), value.len());
                    }
                }
                1 => {
                    let option = c_int::from(input.byte().unwrap_or(0)) - 8;
                    let capacity = usize::from(input.byte().unwrap_or(0) % 80);
                    let mut buffer = vec![0xAAu8; capacity];
                    let mut len = capacity;
                    let rc = match arg & 0x60 {
                        0x20 => zmq_getsockopt(socket, option, std::ptr::null_mut(), &mut len),
                        0x40 => zmq_getsockopt(
                            socket,
                            option,
                            buffer.as_mut_ptr().cast(),
                            std::ptr::null_mut(),
                        ),
                        _ => zmq_getsockopt(socket, option, buffer.as_mut_ptr().cast(), &mut len),
                    };
                    if rc == 0 && arg & 0x60 == 0 {
                        assert!(len <= capacity, "option {option}: {len} > {capacity}");
                    }
                }
                2..=5 if holds[slot] => {
                    zmq_msg_close(msg(&mut storage, arg));
                    holds[slot] = false;
                }
                2 => holds[slot] = zmq_msg_init(msg(&mut storage, arg)) == 0,
                3 => {
                    let size = usize::from(input.byte().unwrap_or(0)) * 3;
                    let m = msg(&mut storage, arg);
                    holds[slot] = zmq_msg_init_size(m, size) == 0;
                    if holds[slot] && size > 0 {
                        std::ptr::write_bytes(zmq_msg_data(m).cast::<u8>(), arg, size);
                    }
                }
                4 => {
                    let len = usize::from(input.byte().unwrap_or(0));
                    let content = input.take(len);
                    let buffer = if arg & 0x40 != 0 {
                        std::ptr::null()
                    } else {
                        content.as_ptr().cast()
                    };
                    holds[slot] =
                        zmq_msg_init_buffer(msg(&mut storage, arg), buffer, content.len()) == 0;
                }
                5 => {
                    let len = usize::from(input.byte().unwrap_or(0)) * 2 + 1;
                    let data = libc::malloc(len);
                    assert!(!data.is_null());
                    std::ptr::write_bytes(data.cast::<u8>(), arg, len);
                    let rc = zmq_msg_init_data(
                        msg(&mut storage, arg),
                        data,
                        len,
                        Some(free_buffer),
                        std::ptr::null_mut(),
                    );
                    if rc == 0 {
                        GIVEN.fetch_add(1, Ordering::SeqCst);
                        holds[slot] = true;
                    } else {
                        // A failed init leaves the buffer with the caller.
                        libc::free(data);
                    }
                }
                6 => {
                    let closed = zmq_msg_close(msg(&mut storage, arg)) == 0;
                    assert_eq!(closed, holds[slot], "close agrees with what the slot held");
                    holds[slot] = false;
                }
                7 => {
                    let src = input.byte().unwrap_or(0);
                    let m = msg(&mut storage, arg);
                    zmq_msg_copy(m, msg(&mut storage, src));
                }
                8 => {
                    let src = input.byte().unwrap_or(0);
                    let m = msg(&mut storage, arg);
                    zmq_msg_move(m, msg(&mut storage, src));
                }
                9 => {
                    // DONTWAIT, and SNDMORE when asked.
                    let flags = if arg & 0x40 != 0 { 1 | 2 } else { 1 };
                    zmq_msg_send(msg(&mut storage, arg), socket, flags);
                }
                10 => {
                    zmq_msg_recv(msg(&mut storage, arg), socket, 1);
                }
                11 => {
                    let m = msg(&mut storage, arg);
                    let size = zmq_msg_size(m);
                    let data = zmq_msg_data(m);
                    if size > 0 && !data.is_null() {
                        // Every byte the message claims is readable.
                        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size);
                        std::hint::black_box(bytes.iter().map(|&b| u64::from(b)).sum::<u64>());
                    }
                    zmq_msg_more(m);
                    zmq_msg_get(m, c_int::from(input.byte().unwrap_or(0)) - 2);
                }
                12 => {
                    let m = msg(&mut storage, arg);
                    let id = u32::from_le_bytes([
                        input.byte().unwrap_or(0),
                        input.byte().unwrap_or(0),
                        0,
                        0,
                    ]);
                    zmq_msg_set_routing_id(m, id);
                    zmq_msg_routing_id(m);
                    let len = usize::from(input.byte().unwrap_or(0)) + 1;
                    let mut group = input.take(len);
                    group.push(0);
                    zmq_msg_set_group(m, group.as_ptr().cast());
                    let read = zmq_msg_group(m);
                    if !read.is_null() {
                        std::hint::black_box(std::ffi::CStr::from_ptr(read));
                    }
                }
                _ => {
                    let m = msg(&mut storage, arg);
                    let len = usize::from(input.byte().unwrap_or(0) % 16);
                    let mut name = input.take(len);
                    name.push(0);
                    let value = zmq_msg_gets(m, name.as_ptr().cast());
                    if !value.is_null() {
                        std::hint::black_box(std::ffi::CStr::from_ptr(value));
                    }
                }
            }
        }
        assert_ne!(errno(), libc::ENOTRECOVERABLE, "a call panicked (op {op})");
    }

    unsafe {
        for (slot, held) in holds.iter().enumerate() {
            if *held {
                assert_eq!(zmq_msg_close(&mut storage[slot]), 0);
            }
        }
        // Closing both ends drops what is still queued between them.
        assert_eq!(zmq_close(sockets[0]), 0);
        assert_eq!(zmq_close(sockets[1]), 0);
    }
    assert_eq!(
        FREED.load(Ordering::SeqCst) - freed_before,
        GIVEN.load(Ordering::SeqCst) - given_before,
        "every zmq_msg_init_data buffer freed exactly once"
    );
}
