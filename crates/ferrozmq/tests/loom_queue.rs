//! A loom model of the pipe queue (`src/pipe/queue.rs`): loom runs each scenario under every
//! interleaving of the two threads and every value the weaker orderings let a load see
//! (within a preemption bound), and fails on a data race on a slot, a lost wake-up, a
//! use-after-free it can see, or a wrong value.
//!
//! Only the queue is compiled here, beside a `queue_sync` that gives it loom's atomics,
//! `Arc` and cell (which checks each slot access against the hand-over) under the names std
//! gives it in the library, and chunks of two slots so that a handful of items crosses
//! chunks, recycles the spare and frees what rollback leaves. No `--cfg loom`: nothing else
//! is rebuilt. Run: `cargo test -p ferrozmq --test loom_queue --release` (a harness of its
//! own, so that the queue's unit tests, written for std threads, stay out).

#[allow(dead_code)]
#[path = "../src/pipe/queue.rs"]
mod queue;

/// The queue's building blocks, from loom.
mod queue_sync {
    use loom::cell::UnsafeCell;
    use std::mem::MaybeUninit;

    pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
    pub(crate) use loom::sync::Arc;

    pub(crate) const CHUNK_SLOTS: usize = 2;

    pub(crate) struct Slot<T>(UnsafeCell<MaybeUninit<T>>);

    impl<T> Slot<T> {
        /// A loom cell must exist to be tracked: build it in place.
        pub(crate) unsafe fn init(slot: *mut Slot<T>) {
            unsafe { slot.write(Slot(UnsafeCell::new(MaybeUninit::uninit()))) };
        }

        pub(crate) unsafe fn write(&self, item: T) {
            self.0.with_mut(|p| unsafe { (*p).write(item) });
        }

        pub(crate) unsafe fn take(&self) -> T {
            self.0.with_mut(|p| unsafe { (*p).assume_init_read() })
        }

        pub(crate) unsafe fn drop_item(&self) {
            self.0.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }

        pub(crate) unsafe fn with_item<R>(&self, f: impl FnOnce(&T) -> R) -> R {
            self.0.with(|p| f(unsafe { (*p).assume_init_ref() }))
        }
    }
}

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Notify};
use loom::thread;
use queue::{queue, Pop, Reader};

/// Runs a model with a preemption bound: the bugs this queue could have need one or two
/// preemptions, and the bound keeps the run to seconds.
fn check(name: &str, f: impl Fn() + Sync + Send + 'static) {
    let started = std::time::Instant::now();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
    println!("{name}: ok in {:.1?}", started.elapsed());
}

/// Pops `n` items, sleeping on the queue whenever it is empty and waiting for the writer's
/// wake-up: a reader that sleeps and is never woken makes loom report a deadlock. It takes
/// what it already saw published first (`pop_seen`, as the I/O thread's write pump does)
/// and looks for more only when that is used up.
fn read_sleeping(r: &mut Reader<u32>, woken: &Notify, n: u32) -> Vec<u32> {
    let mut got = Vec::new();
    while got.len() < n as usize {
        let next = match r.pop_seen() {
            Pop::Item(x) => Pop::Item(x),
            Pop::Empty => r.pop(),
        };
        match next {
            Pop::Item(x) => got.push(x),
            Pop::Empty => {
                if r.sleep() {
                    woken.wait();
                }
            }
        }
    }
    got
}

/// One item per flush, across two chunk boundaries: the reader sees each item whole and
/// in order, and each chunk it leaves becomes the spare the writer reuses.
fn hand_over_across_chunks() {
    let (mut w, mut r) = queue::<u32>();
    let woken = Arc::new(Notify::new());
    let writer_woken = woken.clone();
    let writer = thread::spawn(move || {
        for i in 0..5 {
            w.push(i, true);
            if w.flush() {
                writer_woken.notify();
            }
        }
    });
    assert_eq!(read_sleeping(&mut r, &woken, 5), vec![0, 1, 2, 3, 4]);
    writer.join().unwrap();
}

/// The sleep protocol alone: whatever the interleaving, a reader that went to sleep on an
/// empty queue is woken by the flush that follows (loom's `Notify` also wakes spuriously,
/// so the reader loops; a wake-up that never comes is a deadlock loom reports), and a
/// writer never wakes a reader that did not sleep.
fn no_lost_wake_up() {
    let (mut w, mut r) = queue::<u32>();
    let woken = Arc::new(Notify::new());
    let writer_woken = woken.clone();
    let writer = thread::spawn(move || {
        w.push(7, true);
        let wake = w.flush();
        if wake {
            writer_woken.notify();
        }
        wake
    });
    let mut slept = false;
    let item = loop {
        match r.pop() {
            Pop::Item(x) => break x,
            Pop::Empty => {
                if r.sleep() {
                    slept = true;
                    woken.wait();
                }
            }
        }
    };
    assert_eq!(item, 7);
    assert_eq!(writer.join().unwrap(), slept, "woken exactly when asleep");
}

/// A multipart group stays invisible until its last part, even across a chunk boundary;
/// an unfinished group rolled back (its chunk freed) while the reader runs is never seen.
fn groups_and_rollback() {
    let (mut w, mut r) = queue::<u32>();
    let writer = thread::spawn(move || {
        w.push(1, false);
        w.push(2, false);
        w.push(3, true);
        w.flush();
        w.push(90, false);
        w.push(91, false);
        w.flush();
        w.rollback();
        w.push(4, true);
        w.flush();
    });
    let mut got = Vec::new();
    while got.len() < 4 {
        match r.pop() {
            Pop::Item(x) => got.push(x),
            Pop::Empty => thread::yield_now(),
        }
        if got.len() == 1 || got.len() == 2 {
            // The group is published whole: its other parts are there already.
            assert!(r.has_item(), "half a group became visible: {got:?}");
        }
    }
    assert_eq!(got, vec![1, 2, 3, 4]);
    writer.join().unwrap();
}

/// Items left in the queue are dropped once, by whichever end goes last.
fn drops_every_item_once() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut w, mut r) = queue::<Counted>();
    let counter = drops.clone();
    let writer = thread::spawn(move || {
        for _ in 0..3 {
            w.push(Counted(counter.clone()), true);
            w.flush();
        }
        w.push(Counted(counter), false);
    });
    if let Pop::Item(item) = r.pop() {
        drop(item);
    }
    drop(r);
    writer.join().unwrap();
    assert_eq!(drops.load(Ordering::Relaxed), 4);
}

fn main() {
    check("hand_over_across_chunks", hand_over_across_chunks);
    check("no_lost_wake_up", no_lost_wake_up);
    check("groups_and_rollback", groups_and_rollback);
    check("drops_every_item_once", drops_every_item_once);
}
