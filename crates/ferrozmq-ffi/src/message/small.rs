//! Buffers for small message content: more than a `zmq_msg_t` holds itself (40 bytes) and
//! at most what ferrozmq stores inside its own message ([`CAPACITY`], 69 bytes), such as
//! the 64-byte parts of the usual benchmarks.
//!
//! Such content is copied into ferrozmq's message when it is sent, so its buffer is let go
//! of as soon as the send succeeds. A sender making, sending and closing one part after
//! another would ask the allocator for a buffer and give it back for every part; instead
//! each thread keeps the last buffer it let go of as its spare and hands it out again to
//! the next part it makes, so a steady stream of small parts costs no allocation. A buffer
//! let go of on a thread that already keeps one (or that is ending) goes back to the
//! allocator, so each thread holds at most one spare ([`CAPACITY`] bytes).
//!
//! Every buffer has the same size whatever the content's length, so any spare fits any
//! small part, and a receive into a message that holds one reuses it (see
//! [`repr`](super::repr)).

use std::cell::Cell;

/// The most content a small buffer holds: what `ferrozmq::Message` stores inline.
pub const CAPACITY: usize = 69;

type Block = [u8; CAPACITY];

thread_local! {
    /// The buffer this thread let go of last, for the next small part it makes.
    static SPARE: Cell<Option<Box<Block>>> = const { Cell::new(None) };
}

/// A buffer of [`CAPACITY`] bytes, owned by one message; it becomes its thread's spare
/// when dropped.
pub struct SmallBuf {
    /// Always `Some` but while being dropped.
    block: Option<Box<Block>>,
}

impl SmallBuf {
    /// A buffer whose first `len` bytes are zero (the rest holds whatever it held): the
    /// thread's spare, or a new one.
    #[inline]
    pub fn zeroed(len: usize) -> SmallBuf {
        debug_assert!(len <= CAPACITY);
        // `try_with` fails only while the thread's locals are being destroyed.
        match SPARE.try_with(Cell::take).ok().flatten() {
            Some(mut block) => {
                block[..len].fill(0);
                SmallBuf { block: Some(block) }
            }
            None => SmallBuf {
                block: Some(Box::new([0; CAPACITY])),
            },
        }
    }

    /// A buffer whose first `content.len()` bytes are `content`.
    pub fn copy_of(content: &[u8]) -> SmallBuf {
        let mut buf = SmallBuf::zeroed(0);
        buf.block_mut()[..content.len()].copy_from_slice(content);
        buf
    }

    fn block(&self) -> &Block {
        self.block.as_ref().expect("a small buffer holds its block")
    }

    /// The first `len` bytes.
    pub fn content(&self, len: usize) -> &[u8] {
        &self.block()[..len]
    }

    /// The buffer's address: stable for as long as the buffer lives, wherever the
    /// `SmallBuf` value is moved.
    pub fn as_ptr(&self) -> *const u8 {
        self.block().as_ptr()
    }

    /// The whole buffer, writable.
    pub fn block_mut(&mut self) -> &mut [u8; CAPACITY] {
        self.block.as_mut().expect("a small buffer holds its block")
    }
}

impl Drop for SmallBuf {
    fn drop(&mut self) {
        if let Some(block) = self.block.take() {
            // The thread's previous spare, if any, is freed; on a thread whose locals are
            // being destroyed the closure does not run and the block is freed with it.
            let _ = SPARE.try_with(move |spare| drop(spare.replace(Some(block))));
        }
    }
}

/// A small buffer and the length of its content, as ferrozmq's `Bytes` can own it (what a
/// copied small message shares).
pub struct SmallContent {
    /// The buffer.
    pub buf: SmallBuf,
    /// Bytes of content, at most [`CAPACITY`].
    pub len: u8,
}

impl AsRef<[u8]> for SmallContent {
    fn as_ref(&self) -> &[u8] {
        self.buf.content(usize::from(self.len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_is_the_next_one_handed_out_on_its_thread() {
        let mut first = SmallBuf::zeroed(64);
        first.block_mut().fill(9);
        let address = first.as_ptr();
        drop(first);
        let again = SmallBuf::zeroed(50);
        assert_eq!(again.as_ptr(), address, "the spare is reused");
        assert_eq!(
            again.content(50),
            &[0; 50],
            "the content asked for is zeroed"
        );
        let other = SmallBuf::zeroed(50);
        assert_ne!(other.as_ptr(), address, "one spare per thread");
    }

    #[test]
    fn a_buffer_dropped_on_another_thread_becomes_that_thread_s_spare() {
        let buf = SmallBuf::copy_of(b"moved");
        let address = buf.as_ptr() as usize;
        let reused = std::thread::spawn(move || {
            drop(buf);
            SmallBuf::zeroed(1).as_ptr() as usize
        })
        .join()
        .unwrap();
        assert_eq!(reused, address);
    }
}
