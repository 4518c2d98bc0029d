//! Shared blocks for medium message bodies copied from the application.
//!
//! A body too large to live inside its [`Message`](crate::Message) but far from large
//! enough to be worth a buffer of its own (70 B to 8 KiB) is copied into a 64 KiB block that
//! the copying thread keeps, and the message holds a reference-counted slice of it. A
//! buffer per message would be allocated on the application's thread and freed on the I/O
//! thread once written: with glibc, every such free takes the lock of the allocating
//! thread's arena, which that thread holds for its next allocation, and a 1 KiB stream
//! spent about a third of the sending process's time in `malloc`, `free` and the futex
//! waits of that lock. With blocks, one allocation serves dozens of messages, and a block
//! whose messages are all gone is reused without the allocator at all.
//!
//! A message kept alive keeps its whole block: 64 KiB at most, as a message received
//! keeps the 64 KiB read buffer it was decoded from.

use bytes::{Bytes, BytesMut};
use std::cell::RefCell;

/// Bodies up to this long are copied into the thread's block; longer ones get their own.
pub(crate) const MAX_BLOCK_BODY: usize = 8 * 1024;

/// The size of one block.
const BLOCK_SIZE: usize = 64 * 1024;

thread_local! {
    /// The block this thread copies bodies into: the unused rest of it.
    static BLOCK: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// A copy of `body` (at most [`MAX_BLOCK_BODY`] long) in this thread's block.
pub(crate) fn copy(body: &[u8]) -> Bytes {
    debug_assert!(body.len() <= MAX_BLOCK_BODY);
    BLOCK
        .try_with(|block| {
            let mut block = block.borrow_mut();
            // The rest of the block is too short: the whole block back if every message
            // in it is gone (no allocation), else a new one; the old one is freed with its
            // last message.
            if block.capacity() < body.len() && !block.try_reclaim(BLOCK_SIZE) {
                *block = BytesMut::with_capacity(BLOCK_SIZE);
            }
            block.extend_from_slice(body);
            block.split().freeze()
        })
        // A thread being torn down has no block left: a buffer of the body's own.
        .unwrap_or_else(|_| Bytes::copy_from_slice(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_one_block_and_keep_their_bytes() {
        let a = copy(&[1; 1000]);
        let b = copy(&[2; 1000]);
        assert_eq!(&a[..], &[1; 1000][..]);
        assert_eq!(&b[..], &[2; 1000][..]);
        // Both slices come from one block: adjacent in memory.
        assert_eq!(a.as_ptr() as usize + 1000, b.as_ptr() as usize);
    }

    #[test]
    fn a_block_whose_messages_are_gone_is_reused() {
        // Each test runs on a thread of its own: the first copy starts a fresh block.
        let first = copy(&[7; MAX_BLOCK_BODY]);
        let start = first.as_ptr();
        drop(first);
        let back_at_start = (0..BLOCK_SIZE / MAX_BLOCK_BODY + 1)
            .map(|i| copy(&[i as u8; MAX_BLOCK_BODY]))
            .any(|part| part.as_ptr() == start);
        assert!(back_at_start, "the emptied block was not reused");
    }

    #[test]
    fn a_block_with_a_message_alive_is_left_alone() {
        let kept = copy(&[1; MAX_BLOCK_BODY]);
        for i in 0..2 * BLOCK_SIZE / MAX_BLOCK_BODY {
            let part = copy(&[i as u8 + 2; MAX_BLOCK_BODY]);
            assert_ne!(part.as_ptr(), kept.as_ptr());
        }
        assert!(
            kept.iter().all(|&b| b == 1),
            "a kept message was overwritten"
        );
    }
}
