//! A lock-free single-producer, single-consumer queue that wakes its reader once per batch.
//!
//! Items live in a linked list of fixed-size chunks. The writer fills slots privately and
//! makes them visible with [`Writer::flush`], one atomic swap per batch. Items are grouped:
//! only items up to the last one pushed with `completes = true` are ever made visible, so a
//! reader never sees half of a multipart message. A reader that finds
//! the queue empty may *sleep*: it marks the published counter with [`ASLEEP`], and the next
//! flush reports that the reader must be woken. Because both sides meet only on that one
//! counter, a writer never wakes a reader that is busy, and a reader never misses a flush.

use super::queue_sync::{Arc, AtomicPtr, AtomicU64, Ordering, Slot, CHUNK_SLOTS};
use std::cell::UnsafeCell;
use std::ptr;

/// Set in the published counter while the reader sleeps on this queue.
const ASLEEP: u64 = 1 << 63;

struct Chunk<T> {
    slots: [Slot<T>; CHUNK_SLOTS],
    next: AtomicPtr<Chunk<T>>,
}

impl<T> Chunk<T> {
    fn alloc() -> *mut Chunk<T> {
        // Built in place: `Box::new(Chunk { .. })` would copy the whole (uninitialised) chunk
        // through the stack, touching every page of it, and an idle pipe would cost its full
        // size in resident memory instead of the few slots it uses.
        let mut chunk = Box::<Chunk<T>>::new_uninit();
        // SAFETY: every field is initialised in place before the chunk is assumed
        // initialised.
        unsafe {
            let raw = chunk.as_mut_ptr();
            ptr::addr_of_mut!((*raw).next).write(AtomicPtr::new(ptr::null_mut()));
            for slot in 0..CHUNK_SLOTS {
                Slot::init(ptr::addr_of_mut!((*raw).slots[slot]));
            }
            Box::into_raw(chunk.assume_init())
        }
    }
}

/// Where one side stands: a chunk, a slot in it, and how many items it has passed.
struct Cursor<T> {
    chunk: *mut Chunk<T>,
    slot: usize,
    count: u64,
}

struct Shared<T> {
    /// The first chunk, allocated by the first push: an idle queue owns no chunk at all.
    /// The cursors start at a null chunk that is "full", and this stands for its link.
    first: AtomicPtr<Chunk<T>>,
    /// Items made visible to the reader, plus [`ASLEEP`].
    published: CachePadded<AtomicU64>,
    /// One emptied chunk kept for reuse, so a steady flow allocates nothing.
    spare: AtomicPtr<Chunk<T>>,
    /// Owned by the reader handle only. Each cursor has a cache line of its own: the writer
    /// moves `tail` and the reader moves `head` once per item, and on one shared line every
    /// push and every pop would take the line from the other side's core (the queue then
    /// ran at half its speed whenever both sides were busy at once).
    head: CachePadded<UnsafeCell<Cursor<T>>>,
    /// Owned by the writer handle only.
    tail: CachePadded<UnsafeCell<Cursor<T>>>,
}

// SAFETY: `head` is only touched through the unique `Reader`, `tail` through the unique
// `Writer`, and slots are handed over with release/acquire on `published`.
unsafe impl<T: Send> Send for Shared<T> {}
unsafe impl<T: Send> Sync for Shared<T> {}

/// Pads a value to its own cache line so the two sides do not false-share.
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The writing end.
pub(crate) struct Writer<T> {
    shared: Arc<Shared<T>>,
    /// Items flushed so far (the reader may see up to here).
    flushed: u64,
    /// Position after the last item that completed a group: what a flush may publish, and
    /// where a rollback returns to.
    boundary: Position<T>,
}

struct Position<T> {
    count: u64,
    chunk: *mut Chunk<T>,
    slot: usize,
}

impl<T> Clone for Position<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Position<T> {}

/// The reading end.
pub(crate) struct Reader<T> {
    shared: Arc<Shared<T>>,
    /// Last value read from `published`, without [`ASLEEP`].
    visible: u64,
}

// SAFETY: each handle is unique and only moves between threads as a whole.
unsafe impl<T: Send> Send for Writer<T> {}
unsafe impl<T: Send> Send for Reader<T> {}

/// Creates a queue and returns its two ends.
pub(crate) fn queue<T>() -> (Writer<T>, Reader<T>) {
    let first = ptr::null_mut();
    let shared = Arc::new(Shared {
        first: AtomicPtr::new(ptr::null_mut()),
        published: CachePadded(AtomicU64::new(0)),
        spare: AtomicPtr::new(ptr::null_mut()),
        head: CachePadded(UnsafeCell::new(Cursor {
            chunk: first,
            slot: CHUNK_SLOTS,
            count: 0,
        })),
        tail: CachePadded(UnsafeCell::new(Cursor {
            chunk: first,
            slot: CHUNK_SLOTS,
            count: 0,
        })),
    });
    (
        Writer {
            shared: shared.clone(),
            flushed: 0,
            boundary: Position {
                count: 0,
                chunk: first,
                slot: CHUNK_SLOTS,
            },
        },
        Reader { shared, visible: 0 },
    )
}

impl<T> Writer<T> {
    /// Appends an item; the reader sees it after the next [`flush`](Self::flush) that
    /// follows an item pushed with `completes` set.
    #[inline]
    pub(crate) fn push(&mut self, item: T, completes: bool) {
        // SAFETY: the tail cursor belongs to this unique writer.
        let tail = unsafe { &mut *self.shared.tail.get() };
        if tail.slot == CHUNK_SLOTS {
            let mut next = self.shared.spare.swap(ptr::null_mut(), Ordering::Acquire);
            if next.is_null() {
                next = Chunk::alloc();
            } else {
                // SAFETY: the spare chunk is owned by whoever takes it from `spare`.
                unsafe { (*next).next.store(ptr::null_mut(), Ordering::Relaxed) };
            }
            // SAFETY: the current tail chunk stays alive until the reader has passed it,
            // which it cannot do before this link is published.
            unsafe { self.shared.link_after(tail.chunk) }.store(next, Ordering::Release);
            tail.chunk = next;
            tail.slot = 0;
        }
        // SAFETY: the slot is past everything published, so the reader does not touch it.
        unsafe { (*tail.chunk).slots[tail.slot].write(item) };
        tail.slot += 1;
        tail.count += 1;
        if completes {
            self.boundary = Position {
                count: tail.count,
                chunk: tail.chunk,
                slot: tail.slot,
            };
        }
    }

    /// Items pushed but not yet flushed.
    #[inline]
    pub(crate) fn unflushed(&self) -> u64 {
        // SAFETY: the tail cursor belongs to this unique writer.
        unsafe { (*self.shared.tail.get()).count - self.flushed }
    }

    /// Makes every complete group visible. Returns true when the reader was asleep and must
    /// be woken by the caller.
    #[inline]
    pub(crate) fn flush(&mut self) -> bool {
        if self.boundary.count == self.flushed {
            return false;
        }
        self.flushed = self.boundary.count;
        let before = self.shared.published.swap(self.flushed, Ordering::AcqRel);
        before & ASLEEP != 0
    }

    /// Drops the items of the unfinished group (a message that will never be finished).
    pub(crate) fn rollback(&mut self) {
        // SAFETY: the tail cursor belongs to this unique writer, and slots after the boundary
        // were never published.
        unsafe {
            let tail = &mut *self.shared.tail.get();
            let Position {
                count: keep_count,
                chunk: keep,
                slot: keep_slot,
            } = self.boundary;
            let (mut chunk, mut slot) = (keep, keep_slot);
            while tail.count > keep_count {
                if slot == CHUNK_SLOTS {
                    chunk = self.shared.link_after(chunk).load(Ordering::Relaxed);
                    slot = 0;
                }
                (*chunk).slots[slot].drop_item();
                slot += 1;
                tail.count -= 1;
            }
            // Chunks linked after the rollback point hold nothing any more.
            let mut extra = self
                .shared
                .link_after(keep)
                .swap(ptr::null_mut(), Ordering::Relaxed);
            while !extra.is_null() {
                let next = (*extra).next.load(Ordering::Relaxed);
                drop(Box::from_raw(extra));
                extra = next;
            }
            tail.chunk = keep;
            tail.slot = keep_slot;
        }
    }
}

/// What a reader found.
pub(crate) enum Pop<T> {
    /// The next item.
    Item(T),
    /// Nothing visible now.
    Empty,
}

impl<T> Reader<T> {
    /// Takes the next visible item.
    #[inline]
    pub(crate) fn pop(&mut self) -> Pop<T> {
        // SAFETY: the head cursor belongs to this unique reader.
        let count = unsafe { (*self.shared.head.get()).count };
        if count == self.visible {
            self.visible = self.shared.published.load(Ordering::Acquire) & !ASLEEP;
            if count == self.visible {
                return Pop::Empty;
            }
        }
        self.take_next()
    }

    /// Takes the next of the items this reader already saw published, without looking at the
    /// published counter again: Empty once those are used up, though newer ones may be there.
    /// The counter's cache line is the one the writer swaps at every flush, so a reader that
    /// keeps up with a busy writer item by item pays a transfer of that line per item; one
    /// that first does other work with what it has lets the writer fill a batch meanwhile.
    #[inline]
    pub(crate) fn pop_seen(&mut self) -> Pop<T> {
        // SAFETY: the head cursor belongs to this unique reader.
        if unsafe { (*self.shared.head.get()).count } == self.visible {
            return Pop::Empty;
        }
        self.take_next()
    }

    /// Takes the item at the head, which is known to be published (`head.count < visible`).
    #[inline]
    fn take_next(&mut self) -> Pop<T> {
        // SAFETY: the head cursor belongs to this unique reader.
        let head = unsafe { &mut *self.shared.head.get() };
        if head.slot == CHUNK_SLOTS {
            // SAFETY: an item beyond this chunk is published, so the writer linked the next
            // chunk before publishing it (release), and we read the link after acquire.
            let next = unsafe { self.shared.link_after(head.chunk) }.load(Ordering::Acquire);
            let done = std::mem::replace(&mut head.chunk, next);
            head.slot = 0;
            if !done.is_null() {
                let old_spare = self.shared.spare.swap(done, Ordering::AcqRel);
                if !old_spare.is_null() {
                    // SAFETY: a chunk in `spare` is owned by nobody else.
                    drop(unsafe { Box::from_raw(old_spare) });
                }
            }
        }
        // SAFETY: the slot was written and published (acquire above), and is read once.
        let item = unsafe { (*head.chunk).slots[head.slot].take() };
        head.slot += 1;
        head.count += 1;
        Pop::Item(item)
    }

    /// True when an item is visible now.
    #[inline]
    pub(crate) fn has_item(&mut self) -> bool {
        // SAFETY: the head cursor belongs to this unique reader.
        let count = unsafe { (*self.shared.head.get()).count };
        if count != self.visible {
            return true;
        }
        self.visible = self.shared.published.load(Ordering::Acquire) & !ASLEEP;
        count != self.visible
    }

    /// Whether the writer's next flush reports that this reader must be woken (it sleeps),
    /// or a flush already came since it slept: what a reader that stops reading must make
    /// sure of, lest a new item go unnoticed.
    pub(crate) fn wakes_on_flush(&self) -> bool {
        // SAFETY: the head cursor belongs to this unique reader.
        let count = unsafe { (*self.shared.head.get()).count };
        let published = self.shared.published.load(Ordering::Acquire);
        published & ASLEEP != 0 || published & !ASLEEP != count
    }

    /// How many of the visible items not read yet satisfy `counts`: a look at the queue
    /// that takes nothing (for statistics; it walks every such item).
    pub(crate) fn count_visible(&self, counts: impl Fn(&T) -> bool) -> u64 {
        let published = self.shared.published.load(Ordering::Acquire) & !ASLEEP;
        // SAFETY: the head cursor belongs to this unique reader, which is not moving it now.
        let head = unsafe { &*self.shared.head.get() };
        let (mut chunk, mut slot) = (head.chunk, head.slot);
        let mut found = 0;
        for _ in head.count..published {
            if slot == CHUNK_SLOTS {
                // SAFETY: an item beyond this chunk is published, so the writer linked the
                // next chunk before publishing it (release, paired with the acquire above);
                // `chunk` is alive: the reader frees chunks only as it pops past them.
                chunk = unsafe { self.shared.link_after(chunk) }.load(Ordering::Acquire);
                slot = 0;
            }
            // SAFETY: slots in [head, published) were written and published, and only this
            // reader takes them out; the writer never touches them again.
            found += u64::from(unsafe { (*chunk).slots[slot].with_item(&counts) });
            slot += 1;
        }
        found
    }

    /// Marks the reader asleep if the queue is still empty; the writer's next flush then
    /// reports that the reader must be woken. Returns false (and stays awake) when an item
    /// arrived meanwhile.
    pub(crate) fn sleep(&mut self) -> bool {
        // SAFETY: the head cursor belongs to this unique reader.
        let count = unsafe { (*self.shared.head.get()).count };
        match self.shared.published.compare_exchange(
            count,
            count | ASLEEP,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => true,
            // Already asleep: the writer has not flushed since.
            Err(current) if current == count | ASLEEP => true,
            Err(current) => {
                self.visible = current & !ASLEEP;
                false
            }
        }
    }
}

impl<T> Shared<T> {
    /// The link to the chunk after `chunk`; the null chunk the cursors start at links to
    /// [`first`](Self::first).
    ///
    /// # Safety
    /// A non-null `chunk` must be alive.
    unsafe fn link_after(&self, chunk: *mut Chunk<T>) -> &AtomicPtr<Chunk<T>> {
        if chunk.is_null() {
            &self.first
        } else {
            // SAFETY: the caller keeps `chunk` alive.
            unsafe { &(*chunk).next }
        }
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Both ends are gone: drop what is left between the reader and the writer, flushed
        // or not, then free the chunks.
        let (head_chunk, mut slot, mut count) = {
            let head = self.head.get_mut();
            (head.chunk, head.slot, head.count)
        };
        let end = self.tail.get_mut().count;
        let mut chunk = head_chunk;
        // SAFETY: exclusive access; every slot in [head, tail) holds an initialised item.
        unsafe {
            while count < end {
                if slot == CHUNK_SLOTS {
                    chunk = self.link_after(chunk).load(Ordering::Relaxed);
                    slot = 0;
                }
                (*chunk).slots[slot].drop_item();
                slot += 1;
                count += 1;
            }
            let mut chunk = if head_chunk.is_null() {
                self.first.load(Ordering::Relaxed)
            } else {
                head_chunk
            };
            while !chunk.is_null() {
                let next = (*chunk).next.load(Ordering::Relaxed);
                drop(Box::from_raw(chunk));
                chunk = next;
            }
            let spare = self.spare.load(Ordering::Relaxed);
            if !spare.is_null() {
                drop(Box::from_raw(spare));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn drain<T>(r: &mut Reader<T>) -> Vec<T> {
        let mut out = Vec::new();
        while let Pop::Item(x) = r.pop() {
            out.push(x);
        }
        out
    }

    #[test]
    fn items_are_invisible_until_flushed() {
        let (mut w, mut r) = queue();
        w.push(1, true);
        w.push(2, true);
        assert!(drain(&mut r).is_empty());
        w.flush();
        assert_eq!(drain(&mut r), vec![1, 2]);
    }

    #[test]
    fn an_unfinished_group_stays_invisible() {
        let (mut w, mut r) = queue();
        w.push(1, true);
        w.push(2, false);
        w.push(3, false);
        w.flush();
        assert_eq!(drain(&mut r), vec![1]);
        w.push(4, true);
        w.flush();
        assert_eq!(drain(&mut r), vec![2, 3, 4]);
    }

    #[test]
    fn crosses_many_chunks_in_order() {
        let (mut w, mut r) = queue();
        for i in 0..1000 {
            w.push(i, true);
            if i % 7 == 0 {
                w.flush();
                assert_eq!(drain(&mut r).last(), Some(&i));
            }
        }
        w.flush();
        assert_eq!(drain(&mut r), (995..1000).collect::<Vec<_>>());
    }

    #[test]
    fn flush_reports_a_sleeping_reader_once() {
        let (mut w, mut r) = queue::<u32>();
        assert!(r.sleep());
        w.push(1, true);
        assert!(w.flush(), "the reader slept, the writer must wake it");
        w.push(2, true);
        assert!(!w.flush(), "the reader is awake now");
        assert_eq!(drain(&mut r), vec![1, 2]);
    }

    #[test]
    fn sleep_fails_when_an_item_arrived() {
        let (mut w, mut r) = queue::<u32>();
        w.push(1, true);
        w.flush();
        assert!(!r.sleep());
        assert!(matches!(r.pop(), Pop::Item(1)));
        assert!(r.sleep());
    }

    #[test]
    fn rollback_drops_unflushed_items_across_chunks() {
        let (mut w, mut r) = queue();
        w.push(String::from("kept"), true);
        w.flush();
        for i in 0..200 {
            w.push(i.to_string(), false);
        }
        w.flush();
        w.rollback();
        w.push(String::from("after"), true);
        w.flush();
        assert_eq!(drain(&mut r), vec!["kept".to_string(), "after".to_string()]);
    }

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_both_ends_drops_every_item_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut w, mut r) = queue();
        for _ in 0..150 {
            w.push(Counted(drops.clone()), true);
        }
        w.flush();
        for _ in 0..70 {
            assert!(matches!(r.pop(), Pop::Item(_)));
        }
        w.push(Counted(drops.clone()), true);
        drop(w);
        drop(r);
        assert_eq!(drops.load(Ordering::SeqCst), 151);
    }

    #[test]
    fn a_queue_owns_no_chunk_until_the_first_push() {
        let (mut w, mut r) = queue::<u32>();
        assert!(w.shared.first.load(Ordering::Relaxed).is_null());
        assert!(matches!(r.pop(), Pop::Empty));
        assert!(r.sleep());
        assert!(w.shared.first.load(Ordering::Relaxed).is_null());
        w.push(7, true);
        assert!(w.flush(), "the sleeping reader must be woken");
        assert!(!w.shared.first.load(Ordering::Relaxed).is_null());
        assert_eq!(drain(&mut r), vec![7]);
    }

    #[test]
    fn rollback_of_the_very_first_group_frees_its_chunks() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut w, mut r) = queue();
        for _ in 0..(CHUNK_SLOTS * 2 + 3) {
            w.push(Counted(drops.clone()), false);
        }
        w.rollback();
        assert_eq!(drops.load(Ordering::SeqCst), CHUNK_SLOTS * 2 + 3);
        assert!(w.shared.first.load(Ordering::Relaxed).is_null());
        w.push(Counted(drops.clone()), true);
        w.flush();
        assert_eq!(drain(&mut r).len(), 1);
        assert_eq!(drops.load(Ordering::SeqCst), CHUNK_SLOTS * 2 + 4);
    }

    #[test]
    fn dropping_an_unread_queue_drops_its_items_from_the_first_chunk() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut w, r) = queue();
        for _ in 0..(CHUNK_SLOTS + 5) {
            w.push(Counted(drops.clone()), true);
        }
        w.flush();
        drop(r);
        drop(w);
        assert_eq!(drops.load(Ordering::SeqCst), CHUNK_SLOTS + 5);
    }

    #[test]
    fn threads_pass_a_million_items_in_order() {
        let (mut w, mut r) = queue::<u64>();
        // Under Miri a thousand items already cross many chunks and recycle the spare.
        let n = if cfg!(miri) { 1_000 } else { 1_000_000u64 };
        let producer = std::thread::spawn(move || {
            for i in 0..n {
                w.push(i, true);
                if i % 100 == 0 {
                    w.flush();
                }
            }
            w.flush();
        });
        let mut expected = 0;
        while expected < n {
            match r.pop() {
                Pop::Item(x) => {
                    assert_eq!(x, expected);
                    expected += 1;
                }
                Pop::Empty => std::thread::yield_now(),
            }
        }
        producer.join().unwrap();
    }
}
