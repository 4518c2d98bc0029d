//! What the pipe queue ([`super::queue`]) is built from: std's atomics and a slot type.
//! The loom model of the queue (`tests/loom_queue.rs`) compiles `queue.rs` beside its own
//! `queue_sync` with loom's types under these names, and a chunk of two slots so that a
//! few items already cross chunks; nothing else changes.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
pub(crate) use std::sync::Arc;

/// Slots per chunk. Small enough that an idle pipe costs a few KiB, large enough that chunk
/// hand-over is rare.
pub(crate) const CHUNK_SLOTS: usize = 64;

/// One slot of a chunk: an item or nothing. Which side may touch it is decided by the
/// queue's counters, not by the slot.
pub(crate) struct Slot<T>(UnsafeCell<MaybeUninit<T>>);

impl<T> Slot<T> {
    /// Makes uninitialised memory an empty slot. Nothing to do: an empty slot is
    /// uninitialised memory (so a new chunk's pages are not touched).
    ///
    /// # Safety
    /// `_slot` is valid for writes.
    #[inline]
    pub(crate) unsafe fn init(_slot: *mut Slot<T>) {}

    /// Puts an item into an empty slot.
    ///
    /// # Safety
    /// The caller owns the slot, and it is empty.
    #[inline]
    pub(crate) unsafe fn write(&self, item: T) {
        // SAFETY: the caller owns the slot.
        unsafe { (*self.0.get()).write(item) };
    }

    /// Takes the item out, leaving the slot empty.
    ///
    /// # Safety
    /// The caller owns the slot, and it holds an item.
    #[inline]
    pub(crate) unsafe fn take(&self) -> T {
        // SAFETY: the caller owns the slot, which holds an item.
        unsafe { (*self.0.get()).assume_init_read() }
    }

    /// Drops the item, leaving the slot empty.
    ///
    /// # Safety
    /// The caller owns the slot, and it holds an item.
    pub(crate) unsafe fn drop_item(&self) {
        // SAFETY: the caller owns the slot, which holds an item.
        unsafe { (*self.0.get()).assume_init_drop() };
    }

    /// Looks at the item.
    ///
    /// # Safety
    /// The slot holds an item that nobody changes meanwhile.
    pub(crate) unsafe fn with_item<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: the slot holds an item nobody changes meanwhile.
        f(unsafe { (*self.0.get()).assume_init_ref() })
    }
}
