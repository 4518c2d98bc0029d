//! A loom model of the send fast path's hand-over (`engine/session/write_through.rs`): the
//! socket's thread writes through a connection the I/O thread lent out, under a lock it
//! only tries, and falls back to waking the I/O thread. Checked in every interleaving: no
//! message is lost, reordered or written twice, and whatever a write-through left unwritten
//! (the kernel took part of it, or the lock was busy) is always announced to the I/O thread.
//!
//! The model keeps the protocol's parts and nothing else: the pipe's queue as its published
//! counter with the reader's asleep bit and the slots behind it (as `pipe/queue.rs` hands
//! items over), the lender's slot with its one-write credit, the I/O thread's wake-up, and a
//! kernel that may take fewer messages than it is given. The lender's lock is modelled as one
//! atomic flag (taken with a compare-exchange, released with a store) around a loom cell:
//! loom then sees every interleaving of the two threads' lock operations, and checks that the
//! lent state is never touched by both at once.

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::collections::VecDeque;

/// Set in the published count while the reader sleeps (as in the pipe's queue).
const ASLEEP: u64 = 1 << 63;
const MESSAGES: usize = 3;
const PREEMPTIONS: usize = 3;

/// The reading end of the pipe and the connection: what the I/O thread lends.
#[derive(Default)]
struct Engine {
    /// Items read from the queue.
    head: u64,
    /// Messages encoded but not yet taken by the kernel.
    outbox: VecDeque<u32>,
}

#[derive(Default)]
struct Slot {
    lent: Option<Engine>,
    credit: bool,
}

struct World {
    published: AtomicU64,
    slots: [AtomicU32; MESSAGES],
    /// The lender's lock, and what it guards.
    lender_locked: AtomicBool,
    lender: UnsafeCell<Slot>,
    /// A pipe event queued for the I/O thread (a command under the I/O thread's mutex in
    /// the library; read-modify-writes here, so that the last one is always seen).
    woken: AtomicBool,
    kernel: Mutex<Vec<u32>>,
    /// Most messages the kernel takes in one write by the socket's thread.
    app_write_room: usize,
}

impl World {
    fn new(app_write_room: usize) -> Self {
        World {
            published: AtomicU64::new(0),
            slots: std::array::from_fn(|_| AtomicU32::new(u32::MAX)),
            lender_locked: AtomicBool::new(false),
            lender: UnsafeCell::new(Slot::default()),
            woken: AtomicBool::new(false),
            kernel: Mutex::new(Vec::new()),
            app_write_room,
        }
    }

    /// The write pump: reads the queue until it sleeps on it, then writes up to `room`
    /// messages. True when everything went to the kernel.
    fn pump(&self, engine: &mut Engine, room: usize) -> bool {
        loop {
            let visible = self.published.load(Ordering::Acquire) & !ASLEEP;
            if engine.head < visible {
                let item = self.slots[engine.head as usize].load(Ordering::Relaxed);
                engine.outbox.push_back(item);
                engine.head += 1;
                continue;
            }
            let asleep = self.published.compare_exchange(
                engine.head,
                engine.head | ASLEEP,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            match asleep {
                Ok(_) => break,
                Err(current) if current == engine.head | ASLEEP => break,
                Err(_) => continue,
            }
        }
        let mut kernel = self.kernel.lock().unwrap();
        for _ in 0..room {
            match engine.outbox.pop_front() {
                Some(item) => kernel.push(item),
                None => break,
            }
        }
        engine.outbox.is_empty()
    }

    /// The socket's thread after a flush that found the reader asleep.
    fn write_through(&self) -> bool {
        self.try_with_lender(|slot| {
            let Slot { lent, credit } = slot;
            let Some(engine) = lent.as_mut() else {
                return false;
            };
            if !std::mem::take(credit) {
                return false;
            }
            self.pump(engine, self.app_write_room)
        })
        // The lock was busy: the I/O thread has the connection.
        .unwrap_or(false)
    }

    /// The socket sends a message of the parts `parts`: they go through the pipe, made
    /// visible together, then are written through or announced.
    fn send(&self, parts: std::ops::Range<usize>) {
        for i in parts.clone() {
            self.slots[i].store(i as u32, Ordering::Relaxed);
        }
        let before = self.published.swap(parts.end as u64, Ordering::AcqRel);
        if before & ASLEEP != 0 && !self.write_through() {
            self.woken.swap(true, Ordering::AcqRel);
        }
    }

    /// One turn of the I/O thread: take back, pump (it can wait for writability, so the
    /// kernel ends up taking all), lend again when idle; the lock is held only to take back
    /// and to lend, as in the session. `engine` is what the I/O thread holds.
    fn io_turn(&self, engine: &mut Option<Engine>) {
        self.with_lender(|slot| {
            if let Some(lent) = slot.lent.take() {
                *engine = Some(lent);
            }
        });
        let own = engine.as_mut().expect("the engine is lent or here");
        if self.pump(own, usize::MAX) {
            self.with_lender(|slot| {
                slot.lent = engine.take();
                slot.credit = true;
            });
        }
    }

    /// The I/O thread's side of the lender's lock: it waits for it.
    fn with_lender<R>(&self, f: impl FnOnce(&mut Slot) -> R) -> R {
        while self
            .lender_locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            thread::yield_now();
        }
        // SAFETY: the flag is ours.
        let result = self.lender.with_mut(|slot| f(unsafe { &mut *slot }));
        self.lender_locked.store(false, Ordering::Release);
        result
    }

    /// The socket's thread's side: it only tries.
    fn try_with_lender<R>(&self, f: impl FnOnce(&mut Slot) -> R) -> Option<R> {
        self.lender_locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // SAFETY: the flag is ours.
        let result = self.lender.with_mut(|slot| f(unsafe { &mut *slot }));
        self.lender_locked.store(false, Ordering::Release);
        Some(result)
    }
}

fn check(app_write_room: usize, io_turns: usize) {
    let mut model = loom::model::Builder::new();
    // Every interleaving with up to this many preemptions: bugs of this kind need two or
    // three, and the whole space is out of reach of a test run.
    model.preemption_bound = Some(PREEMPTIONS);
    model.check(move || {
        let world = Arc::new(World::new(app_write_room));
        // The connection starts idle and lent, as after the peer's last message.
        let mut start = Engine::default();
        assert!(world.pump(&mut start, usize::MAX));
        world.with_lender(|slot| {
            slot.lent = Some(start);
            slot.credit = true;
        });
        let app = {
            let world = world.clone();
            thread::spawn(move || {
                // A single part message, then a two-part one: the kernel may take part of
                // the last message written through, with no send after it to wake anyone.
                world.send(0..1);
                world.send(1..MESSAGES);
            })
        };
        let io = {
            let world = world.clone();
            thread::spawn(move || {
                let mut engine = None;
                for _ in 0..io_turns {
                    // A turn comes for a wake-up (taken, as the reactor takes its commands),
                    // or for any readiness or timer event.
                    world.woken.swap(false, Ordering::AcqRel);
                    world.io_turn(&mut engine);
                }
                engine
            })
        };
        app.join().unwrap();
        let mut engine = io.join().unwrap();
        // The I/O thread goes on only as told: for a wake-up, or for bytes it holds (it is
        // registered for writability then).
        loop {
            let holds_bytes = engine.as_ref().is_some_and(|e| !e.outbox.is_empty());
            if !world.woken.swap(false, Ordering::AcqRel) && !holds_bytes {
                break;
            }
            world.io_turn(&mut engine);
        }
        let kernel = world.kernel.lock().unwrap().clone();
        let expected: Vec<u32> = (0..MESSAGES as u32).collect();
        assert_eq!(
            kernel, expected,
            "every message written once, in order, none left behind"
        );
    });
}

#[test]
fn a_write_through_the_kernel_takes_whole_loses_nothing() {
    check(usize::MAX, 1);
}

#[test]
fn bytes_a_write_through_leaves_behind_reach_the_io_thread() {
    check(1, 1);
}

#[test]
fn the_io_thread_taking_back_between_sends_loses_nothing() {
    check(1, 2);
}
