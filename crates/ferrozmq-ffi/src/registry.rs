//! Handles: how C refers to this library's objects (contexts, sockets, ...) so that a
//! NULL, closed, foreign or garbage handle is recognised without undefined behaviour.
//!
//! A handle is the address of a [`Slot`] in a table of slots that is never freed:
//!
//! ```text
//!  Registry<T>   chunk 0: [Slot; 32]   chunk 1: [Slot; 64]   chunk 2: [Slot; 128] ...
//!                          ▲
//!  void *handle ───────────┘   Slot { tag: u32 (first word), object: Mutex<Option<T>> }
//! ```
//!
//! - Checking a handle reads no memory it does not own: the address must fall on a slot
//!   boundary inside one of the registry's chunks (a handful of comparisons), then the
//!   slot's tag must be the registry's live tag, then, under the slot's lock, the slot
//!   must hold an object. NULL, a pointer to anything else (another registry's slot, a
//!   message, a stack variable) and a closed handle all fail these checks.
//! - A handle is a real pointer to readable memory whose first word is a tag, as libzmq's
//!   are: czmq tells its own objects from libzmq sockets by reading that word
//!   (`zsock_is`, `zactor_is`), and must keep working.
//! - Closing empties the slot and sets its tag dead; the slot's memory stays. A closed
//!   slot is reused only once [`QUARANTINE`] others wait for reuse, so the last closed
//!   handles stay recognisably closed; after that a stale handle may name a newer object
//!   (as it may in libzmq, where it names freed memory). Memory is bounded by the most
//!   objects ever open at once, plus the quarantine.
//! - The slot's mutex is also what serialises calls on the object: see the crate
//!   documentation on threads.

use crate::errno::Errno;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::mem::size_of;
use std::ops::{Deref, DerefMut};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Slots in the first chunk; each further chunk doubles.
const FIRST_CHUNK: usize = 32;
/// At most 32 × (2^24 − 1) objects open at once: far beyond any file-descriptor limit.
const CHUNKS: usize = 24;
/// How many closed slots wait before one is reused.
pub const QUARANTINE: usize = 64;
/// The tag of a slot that holds nothing (never used, or closed).
const DEAD: u32 = 0;

/// One object C holds a handle to.
///
/// A slot has cache lines of its own (128 bytes: two lines, which x86 prefetches in pairs):
/// sockets are opened one after another, so neighbouring slots are typically a PUSH and
/// the PULL another thread reads from, and every call locks its slot's mutex. Packed, the
/// sender's lock and unlock wrote the line that held the receiver's fields, and each part
/// moved that line between the two cores twice.
#[repr(C, align(128))]
pub struct Slot<T> {
    /// [`DEAD`] or the registry's live tag. First, so that it is the word at the handle's
    /// address.
    tag: AtomicU32,
    object: Mutex<Option<T>>,
}

/// A table of slots for one kind of object; see the module documentation.
pub struct Registry<T> {
    live_tag: u32,
    chunks: [AtomicPtr<Slot<T>>; CHUNKS],
    allocation: Mutex<Allocation>,
    /// The registry hands `T`s between threads: it is `Sync` when `Mutex<T>` is.
    _objects: PhantomData<Mutex<T>>,
}

struct Allocation {
    /// Chunks allocated so far.
    chunks: usize,
    /// Slots of the last chunk handed out so far.
    used_in_last: usize,
    /// Closed slots, oldest first, by chunk and index.
    free: VecDeque<(usize, usize)>,
}

impl<T> Slot<T> {
    fn empty() -> Self {
        Slot {
            tag: AtomicU32::new(DEAD),
            object: Mutex::new(None),
        }
    }

    /// Locks the slot: its object, if it still holds one. Calls on the object hold this
    /// guard, so they are serialised.
    #[inline]
    pub fn lock(&self) -> Option<Guard<'_, T>> {
        // A panic while a guard was held leaves the object as the panicking code left it,
        // which is still a valid Rust value: carry on rather than fail every later call.
        let guard = self.object.lock().unwrap_or_else(|e| e.into_inner());
        guard.is_some().then_some(Guard { guard })
    }
}

/// The locked object of a slot.
pub struct Guard<'a, T> {
    guard: MutexGuard<'a, Option<T>>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // A Guard is only made for a slot holding an object, and the lock keeps it there.
        self.guard
            .as_ref()
            .expect("a guarded slot holds its object")
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard
            .as_mut()
            .expect("a guarded slot holds its object")
    }
}

impl<T> Registry<T> {
    /// An empty registry whose live slots carry `live_tag`.
    pub const fn new(live_tag: u32) -> Self {
        assert!(live_tag != DEAD);
        Registry {
            live_tag,
            chunks: [const { AtomicPtr::new(ptr::null_mut()) }; CHUNKS],
            allocation: Mutex::new(Allocation {
                chunks: 0,
                used_in_last: 0,
                free: VecDeque::new(),
            }),
            _objects: PhantomData,
        }
    }

    fn chunk_len(chunk: usize) -> usize {
        FIRST_CHUNK << chunk
    }

    /// Stores `object` and returns its handle.
    pub fn insert(&'static self, object: T) -> Result<*mut c_void, Errno> {
        let slot = self.allocate()?;
        let mut contents = slot.object.lock().unwrap_or_else(|e| e.into_inner());
        *contents = Some(object);
        slot.tag.store(self.live_tag, Ordering::Release);
        drop(contents);
        Ok(ptr::from_ref(slot).cast_mut().cast())
    }

    fn allocate(&'static self) -> Result<&'static Slot<T>, Errno> {
        let mut allocation = self.allocation.lock().unwrap_or_else(|e| e.into_inner());
        if allocation.free.len() > QUARANTINE {
            if let Some((chunk, index)) = allocation.free.pop_front() {
                return Ok(self.slot_at(chunk, index));
            }
        }
        let full = allocation.chunks == 0
            || allocation.used_in_last == Self::chunk_len(allocation.chunks - 1);
        if full {
            if allocation.chunks == CHUNKS {
                return Err(Errno::ENOMEM);
            }
            let chunk = allocation.chunks;
            let slots: Box<[Slot<T>]> =
                (0..Self::chunk_len(chunk)).map(|_| Slot::empty()).collect();
            // Chunks are never freed: a handle must stay readable for ever.
            let base = Box::leak(slots).as_mut_ptr();
            self.chunks[chunk].store(base, Ordering::Release);
            allocation.chunks += 1;
            allocation.used_in_last = 0;
        }
        let (chunk, index) = (allocation.chunks - 1, allocation.used_in_last);
        allocation.used_in_last += 1;
        Ok(self.slot_at(chunk, index))
    }

    fn slot_at(&'static self, chunk: usize, index: usize) -> &'static Slot<T> {
        let base = self.chunks[chunk].load(Ordering::Acquire);
        debug_assert!(!base.is_null() && index < Self::chunk_len(chunk));
        // SAFETY: chunk `chunk` is allocated (it was when this index was handed out, and
        // chunks are never freed) and holds chunk_len(chunk) slots, index among them.
        unsafe { &*base.add(index) }
    }

    /// The slot a handle points to, if it is a live slot of this registry. Reads only
    /// this registry's memory.
    #[inline]
    pub fn slot(&'static self, handle: *const c_void) -> Option<&'static Slot<T>> {
        let address = handle as usize;
        let size = size_of::<Slot<T>>();
        for chunk in 0..CHUNKS {
            let base = self.chunks[chunk].load(Ordering::Acquire);
            if base.is_null() {
                break;
            }
            let start = base as usize;
            let offset = address.wrapping_sub(start);
            if address < start || offset >= Self::chunk_len(chunk) * size {
                continue;
            }
            if offset % size != 0 {
                return None;
            }
            let slot = self.slot_at(chunk, offset / size);
            return (slot.tag.load(Ordering::Acquire) == self.live_tag).then_some(slot);
        }
        None
    }

    /// The object behind a handle, locked.
    #[inline]
    pub fn lock(&'static self, handle: *const c_void) -> Option<Guard<'static, T>> {
        self.slot(handle)?.lock()
    }

    /// Takes the object out of its slot: the handle is closed from now on.
    pub fn remove(&'static self, handle: *const c_void) -> Option<T> {
        let slot = self.slot(handle)?;
        let mut contents = slot.object.lock().unwrap_or_else(|e| e.into_inner());
        let object = contents.take()?;
        slot.tag.store(DEAD, Ordering::Release);
        drop(contents);
        let position = self.position(slot);
        self.allocation
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .free
            .push_back(position);
        Some(object)
    }

    fn position(&'static self, slot: &'static Slot<T>) -> (usize, usize) {
        let address = ptr::from_ref(slot) as usize;
        let size = size_of::<Slot<T>>();
        (0..CHUNKS)
            .find_map(|chunk| {
                let start = self.chunks[chunk].load(Ordering::Acquire) as usize;
                let offset = address.wrapping_sub(start);
                (start != 0 && address >= start && offset < Self::chunk_len(chunk) * size)
                    .then_some((chunk, offset / size))
            })
            .expect("a slot lies in one of its registry's chunks")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NUMBERS: Registry<u64> = Registry::new(0x7E57_0001);
    static OTHER: Registry<u64> = Registry::new(0x7E57_0002);

    #[test]
    fn a_handle_reaches_its_object_until_it_is_removed() {
        let handle = NUMBERS.insert(42).unwrap();
        assert_eq!(*NUMBERS.lock(handle).unwrap(), 42);
        *NUMBERS.lock(handle).unwrap() += 1;
        assert_eq!(NUMBERS.remove(handle), Some(43));
        assert!(NUMBERS.lock(handle).is_none());
        assert_eq!(NUMBERS.remove(handle), None);
    }

    #[test]
    fn null_foreign_and_misaligned_handles_are_not_found() {
        let handle = NUMBERS.insert(1).unwrap();
        assert!(NUMBERS.slot(ptr::null()).is_none());
        let local = 5u64;
        assert!(NUMBERS.slot(ptr::from_ref(&local).cast()).is_none());
        assert!(NUMBERS
            .slot(handle.cast::<u8>().wrapping_add(1).cast())
            .is_none());
        // Another registry's live handle is not one of this registry's.
        let other = OTHER.insert(2).unwrap();
        assert!(NUMBERS.slot(other).is_none());
        assert!(OTHER.slot(handle).is_none());
        NUMBERS.remove(handle);
        OTHER.remove(other);
    }

    #[test]
    fn neighbouring_slots_share_no_cache_line() {
        static PAIR: Registry<[u8; 40]> = Registry::new(0x7E57_0006);
        let first = PAIR.insert([1; 40]).unwrap() as usize;
        let second = PAIR.insert([2; 40]).unwrap() as usize;
        // Both start on a 128-byte boundary (a pair of x86 cache lines), so no byte of one
        // lies in a line of the other, however small the object.
        assert_eq!((first % 128, second % 128), (0, 0));
        assert!(second.abs_diff(first) >= 128);
        PAIR.remove(first as *const c_void);
        PAIR.remove(second as *const c_void);
    }

    #[test]
    fn the_first_word_of_a_handle_is_its_tag() {
        let handle = NUMBERS.insert(9).unwrap();
        // What czmq's zsock_is/zactor_is read.
        let first_word = unsafe { *handle.cast::<u32>() };
        assert_eq!(first_word, 0x7E57_0001);
        NUMBERS.remove(handle);
        assert_eq!(unsafe { *handle.cast::<u32>() }, DEAD);
    }

    #[test]
    fn closed_slots_are_reused_only_after_the_quarantine() {
        static QUARANTINED: Registry<usize> = Registry::new(0x7E57_0003);
        let first = QUARANTINED.insert(0).unwrap();
        QUARANTINED.remove(first);
        let mut seen = vec![first];
        // Each open-and-close cycle must hand out a fresh slot until QUARANTINE slots wait.
        for i in 1..=QUARANTINE {
            let handle = QUARANTINED.insert(i).unwrap();
            assert!(!seen.contains(&handle), "slot reused after {i} closes");
            QUARANTINED.remove(handle);
            seen.push(handle);
        }
        let reused = QUARANTINED.insert(usize::MAX).unwrap();
        assert_eq!(reused, first, "the oldest closed slot is the first reused");
        assert_eq!(*QUARANTINED.lock(first).unwrap(), usize::MAX);
    }

    #[test]
    fn the_table_grows_past_its_first_chunk_and_keeps_every_handle_valid() {
        static MANY: Registry<usize> = Registry::new(0x7E57_0004);
        let handles: Vec<_> = (0..FIRST_CHUNK * 3 + 5)
            .map(|i| MANY.insert(i).unwrap())
            .collect();
        for (i, handle) in handles.iter().enumerate() {
            assert_eq!(*MANY.lock(*handle).unwrap(), i);
        }
        for (i, handle) in handles.iter().enumerate() {
            assert_eq!(MANY.remove(*handle), Some(i));
        }
    }

    #[test]
    fn concurrent_use_and_removal_never_reach_a_removed_object() {
        static SHARED: Registry<Vec<u8>> = Registry::new(0x7E57_0005);
        let handle = SHARED.insert(vec![1; 64]).unwrap() as usize;
        let users: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut reached = 0;
                    while let Some(mut object) = SHARED.lock(handle as *const c_void) {
                        object.push(1);
                        object.pop();
                        reached += 1;
                        if reached == 200 {
                            break;
                        }
                    }
                    reached
                })
            })
            .collect();
        std::thread::yield_now();
        let removed = SHARED.remove(handle as *const c_void).unwrap();
        assert_eq!(removed.len(), 64);
        for user in users {
            user.join().unwrap();
        }
        assert!(SHARED.lock(handle as *const c_void).is_none());
    }
}
