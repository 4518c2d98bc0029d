//! Recycled buffers for large message bodies.
//!
//! A large body, copied from the application or read from the network, lives in a buffer of
//! its own. Allocating a fresh one per message makes the allocator hand the memory back to
//! the kernel and fault it in again on every message (tens of page faults per 64 KiB
//! message, as many as 256 per MiB), typically because one thread allocates and another
//! frees. Instead, a dropped message returns its buffer to one process-wide spare list,
//! whatever thread drops it, and the next large body of about the same size reuses it. The
//! list is bounded, so a burst leaves at most a few MiB behind.
//!
//! ```
//! let mut body = ferrozmq_zmtp::recycled::take(64 * 1024);
//! body.resize(64 * 1024, b'x');
//! let bytes = ferrozmq_zmtp::recycled::into_bytes(body);
//! assert_eq!(bytes.len(), 64 * 1024);
//! drop(bytes); // the buffer is kept for the next large body
//! ```

use bytes::Bytes;
use std::sync::Mutex;

/// Bodies at least this long are worth recycling; smaller ones are cheap to allocate.
pub const MIN_RECYCLED: usize = 32 * 1024;

/// Buffers kept for reuse, at most.
const KEPT_BUFFERS: usize = 32;
/// Bytes of capacity kept for reuse, at most.
const KEPT_BYTES: usize = 8 * 1024 * 1024;

/// The process's spare buffers.
static SPARE: Mutex<Spare> = Mutex::new(Spare {
    buffers: Vec::new(),
    bytes: 0,
});

struct Spare {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

/// An empty buffer with room for `len` bytes (at most twice that): a recycled one if
/// one fits, else a new one.
pub fn take(len: usize) -> Vec<u8> {
    if len >= MIN_RECYCLED {
        let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
        // A buffer up to twice as large as needed will do; a larger one would pin memory
        // the message does not use.
        let fits = |buffer: &Vec<u8>| (len..=len.saturating_mul(2)).contains(&buffer.capacity());
        if let Some(at) = spare.buffers.iter().rposition(fits) {
            let buffer = spare.buffers.swap_remove(at);
            spare.bytes -= buffer.capacity();
            return buffer;
        }
    }
    Vec::with_capacity(len)
}

fn give_back(mut buffer: Vec<u8>) {
    if buffer.capacity() < MIN_RECYCLED {
        return;
    }
    let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
    if spare.buffers.len() < KEPT_BUFFERS && spare.bytes + buffer.capacity() <= KEPT_BYTES {
        buffer.clear();
        spare.bytes += buffer.capacity();
        spare.buffers.push(buffer);
    }
}

/// A filled body buffer that goes back to the spare list when the last message holding
/// it is dropped.
struct Body {
    data: Vec<u8>,
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.data));
    }
}

/// The filled `data` as message bytes; `data` is recycled once they are all dropped.
pub fn into_bytes(data: Vec<u8>) -> Bytes {
    Bytes::from_owner(Body { data })
}

/// A copy of `body` in a recycled buffer.
pub fn copy(body: &[u8]) -> Bytes {
    let mut data = take(body.len());
    data.extend_from_slice(body);
    into_bytes(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The spare list is process-wide and other tests of this crate use it too, so each test
    // uses sizes of its own.

    #[test]
    fn a_dropped_body_is_reused_for_one_of_about_its_size() {
        let len = 3 * 64 * 1024 + 17;
        let mut data = take(len);
        data.resize(len, 7);
        let address = data.as_ptr();
        let bytes = into_bytes(data);
        let clone = bytes.clone();
        drop(bytes);
        assert_eq!(clone.len(), len, "a clone keeps it alive");
        drop(clone);
        // Far too large, and too small, for the spare one.
        let (larger, smaller) = (take(len * 3), take(len / 3));
        assert_ne!(larger.as_ptr(), address);
        assert_ne!(smaller.as_ptr(), address);
        let again = take(len - 100);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
    }

    #[test]
    fn small_bodies_are_not_kept_and_what_is_kept_is_bounded() {
        drop(into_bytes(vec![1u8; 1000]));
        let many: Vec<Bytes> = (0..KEPT_BUFFERS * 2)
            .map(|_| copy(&vec![0u8; 1024 * 1024 + 5]))
            .collect();
        drop(many);
        let spare = SPARE.lock().unwrap();
        assert!(spare.bytes <= KEPT_BYTES);
        assert!(spare.buffers.len() <= KEPT_BUFFERS);
        assert!(spare.buffers.iter().all(|b| b.capacity() >= MIN_RECYCLED));
        assert_eq!(
            spare.bytes,
            spare.buffers.iter().map(Vec::capacity).sum::<usize>()
        );
    }
}
