//! Shared blocks for medium message bodies copied from the application.
//!
//! A body too large to live inside its [`Message`](crate::Message) but far from large
//! enough to be worth a buffer of its own (70 B to 8 KiB) is copied into a block that the
//! copying thread keeps, and the message holds a reference-counted slice of it. A buffer
//! per message would be allocated on the application's thread and freed on the I/O thread
//! once written: with glibc, every such free takes the lock of the allocating thread's
//! arena, which that thread holds for its next allocation, and a 1 KiB stream spent about
//! a third of the sending process's time in `malloc`, `free` and the futex waits of that
//! lock. With blocks, one allocation serves a dozen messages or more, and a block whose
//! messages are all gone is reused without the allocator at all.
//!
//! A message kept alive keeps its whole block, so a block is never more than
//! [`MAX_SHARE`] times the body that goes into it: a queue of parts whose neighbours in
//! their blocks went elsewhere (one slow peer of a ROUTER, say) holds at most that many
//! times its bytes. A body that finds the thread's block too large or too full for it
//! starts a new block sized for it. Each thread that copied such a body keeps one block,
//! at most 64 KiB, until it exits.

use bytes::{Bytes, BytesMut};
use std::cell::RefCell;

/// Bodies up to this long are copied into the thread's block; longer ones get their own.
pub(crate) const MAX_BLOCK_BODY: usize = 8 * 1024;

/// A block is at most this many times as large as any body copied into it.
const MAX_SHARE: usize = 16;

/// The largest block.
const MAX_BLOCK: usize = 64 * 1024;

/// The thread's current block.
struct Block {
    /// The unused rest of it.
    rest: BytesMut,
    /// Its whole size.
    size: usize,
}

thread_local! {
    static BLOCK: RefCell<Block> = RefCell::new(Block { rest: BytesMut::new(), size: 0 });
}

/// A copy of `body` (70 B to [`MAX_BLOCK_BODY`] long) in this thread's block.
pub(crate) fn copy(body: &[u8]) -> Bytes {
    debug_assert!(body.len() <= MAX_BLOCK_BODY);
    let len = body.len();
    BLOCK
        .try_with(|block| {
            let mut block = block.borrow_mut();
            let size = block.size;
            let suits = len <= size && size <= MAX_SHARE * len;
            // Room at the end, or the whole block back when every message in it is gone
            // (no allocation); else a new block, and the old one is freed with its last
            // message.
            let room = suits && (block.rest.capacity() >= len || block.rest.try_reclaim(size));
            if !room {
                let size = (MAX_SHARE * len).min(MAX_BLOCK);
                *block = Block {
                    rest: BytesMut::with_capacity(size),
                    size,
                };
            }
            block.rest.extend_from_slice(body);
            block.rest.split().freeze()
        })
        // A thread being torn down has no block left: a buffer of the body's own.
        .unwrap_or_else(|_| Bytes::copy_from_slice(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test runs on a thread of its own, so each starts without a block.

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
    fn a_block_whose_messages_are_gone_is_reused_even_from_another_thread() {
        let first = copy(&[7; 1024]);
        let start = first.as_ptr();
        // Dropped elsewhere, as the I/O thread drops what it wrote.
        std::thread::spawn(move || drop(first)).join().unwrap();
        let back_at_start = (0..MAX_SHARE + 1)
            .map(|i| copy(&[i as u8; 1024]))
            .any(|part| part.as_ptr() == start);
        assert!(back_at_start, "the emptied block was not reused");
    }

    #[test]
    fn a_block_with_a_message_alive_is_left_alone() {
        let kept = copy(&[1; MAX_BLOCK_BODY]);
        for i in 0..4 * MAX_SHARE {
            let part = copy(&[i as u8 + 2; MAX_BLOCK_BODY]);
            assert_ne!(part.as_ptr(), kept.as_ptr());
        }
        assert!(
            kept.iter().all(|&b| b == 1),
            "a kept message was overwritten"
        );
    }

    #[test]
    fn a_small_body_never_lands_in_a_block_many_times_its_size() {
        // A large body sizes the block; a small one then starts a block of its own
        // rather than pin the large block alone.
        let large = copy(&[1; 4096]);
        let small = copy(&[2; 100]);
        let large_block = large.as_ptr() as usize..large.as_ptr() as usize + MAX_SHARE * 4096;
        assert!(!large_block.contains(&(small.as_ptr() as usize)));
        // Bodies of one size keep sharing their block.
        let next = copy(&[3; 100]);
        assert_eq!(small.as_ptr() as usize + 100, next.as_ptr() as usize);
    }
}
