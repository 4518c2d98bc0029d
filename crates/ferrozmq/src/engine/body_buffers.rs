//! Recycled buffers for large message bodies.
//!
//! A large body is read straight from the socket into a buffer of its own, which becomes
//! the message. Allocating a fresh buffer per message made the allocator hand memory back
//! to the kernel and fault it in again on every message (tens of page faults per 64 KiB
//! message); instead, a dropped message returns its buffer here, whatever thread drops it,
//! and the next large body of about the same size reuses it.

use bytes::Bytes;
use std::sync::{Arc, Mutex};

/// Buffers kept for reuse, at most.
const KEPT_BUFFERS: usize = 32;
/// Bytes of capacity kept for reuse, at most.
const KEPT_BYTES: usize = 8 * 1024 * 1024;

/// One I/O thread's spare body buffers.
#[derive(Default)]
pub(crate) struct BodyBuffers {
    spare: Mutex<Spare>,
}

#[derive(Default)]
struct Spare {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

impl BodyBuffers {
    /// An empty buffer with room for exactly `len` bytes or a little more.
    pub(crate) fn take(&self, len: usize) -> Vec<u8> {
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        // A buffer up to twice as large as needed will do; a larger one would pin memory
        // the message does not use.
        let fits = |buffer: &Vec<u8>| (len..=len.saturating_mul(2)).contains(&buffer.capacity());
        if let Some(at) = spare.buffers.iter().rposition(fits) {
            let buffer = spare.buffers.swap_remove(at);
            spare.bytes -= buffer.capacity();
            return buffer;
        }
        drop(spare);
        Vec::with_capacity(len)
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        if spare.buffers.len() < KEPT_BUFFERS && spare.bytes + buffer.capacity() <= KEPT_BYTES {
            buffer.clear();
            spare.bytes += buffer.capacity();
            spare.buffers.push(buffer);
        }
    }
}

/// A filled body buffer that goes back to its [`BodyBuffers`] when the last message
/// holding it is dropped.
struct Body {
    data: Vec<u8>,
    home: Arc<BodyBuffers>,
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        self.home.give_back(std::mem::take(&mut self.data));
    }
}

/// The filled `data` as message bytes; `data` returns to `home` once they are dropped.
pub(crate) fn into_bytes(data: Vec<u8>, home: &Arc<BodyBuffers>) -> Bytes {
    Bytes::from_owner(Body {
        data,
        home: Arc::clone(home),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_body_is_reused_for_one_of_about_its_size() {
        let home = Arc::new(BodyBuffers::default());
        let mut data = home.take(64 * 1024);
        data.resize(64 * 1024, 7);
        let address = data.as_ptr();
        let bytes = into_bytes(data, &home);
        let copy = bytes.clone();
        drop(bytes);
        assert_eq!(copy.len(), 64 * 1024, "a clone keeps it alive");
        drop(copy);
        // Too small, and far too large, for the spare one.
        let (larger, smaller) = (home.take(200 * 1024), home.take(1024));
        assert_ne!(larger.as_ptr(), address);
        assert_ne!(smaller.as_ptr(), address);
        let again = home.take(50 * 1024);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
    }

    #[test]
    fn what_is_kept_is_bounded() {
        let home = Arc::new(BodyBuffers::default());
        let many: Vec<Bytes> = (0..KEPT_BUFFERS * 2)
            .map(|_| into_bytes(vec![0u8; 1024 * 1024], &home))
            .collect();
        drop(many);
        let spare = home.spare.lock().unwrap();
        assert!(spare.bytes <= KEPT_BYTES);
        assert!(spare.buffers.len() <= KEPT_BUFFERS);
        assert_eq!(
            spare.bytes,
            spare.buffers.iter().map(Vec::capacity).sum::<usize>()
        );
    }
}
