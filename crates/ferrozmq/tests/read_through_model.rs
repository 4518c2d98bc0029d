//! A loom model of the receive fast path's hand-over (`engine/session/read_through.rs`): a
//! socket's thread blocked in a receive takes a lent connection's stream out of the I/O
//! thread's poller, waits on the stream and on its own wake-up at once, and reads what
//! arrives itself under a lock it only tries; it gives the stream back when the receive
//! ends, and hands it back (with the I/O thread woken) when it meets what it leaves to the
//! I/O thread, a PING. Checked in every interleaving (with a bounded number of preemptions)
//! of the peer's sends, the socket's receives and the I/O thread's turns: every message
//! reaches the application once and in order, the PING is answered once, and no wake-up is
//! missed (a notify that comes while the socket's thread waits on the stream wakes it).
//!
//! What is modelled: the kernel (the bytes on the wire, whether the stream is in the
//! poller, and the poller's pending event: an arrival raises one only while the stream is
//! registered, and registering a stream that holds bytes raises one at once, as an
//! edge-triggered epoll registration added while ready does), the socket's wake-up signal
//! with the one-waiter protocol of `signal.rs` (its waker writes an eventfd while the owner
//! waits in poll), the pipe to the socket, and the lender's slot with its `reads` mark. The
//! lender's lock is an atomic flag around a loom cell, as in `write_through_model.rs`.

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::collections::VecDeque;

const PREEMPTIONS: usize = 2;
/// What the peer sends: two messages around a PING.
const PING: u32 = u32::MAX;
const WIRE: [u32; 3] = [0, PING, 1];
const MESSAGES: usize = 2;

const IDLE: u8 = 0;
const WAITING: u8 = 1;
const NOTIFIED: u8 = 2;

#[derive(Default)]
struct Kernel {
    wire: VecDeque<u32>,
    /// The stream is in the I/O thread's poller.
    registered: bool,
    /// The poller has an event for the I/O thread.
    io_event: bool,
    /// The socket's thread sleeps in poll(2) on the stream and its eventfd.
    app_polling: bool,
    /// The eventfd the socket's signal writes while its owner waits in poll(2).
    eventfd: bool,
    /// A command queued for the I/O thread (a hand-back's wake-up; the library queues
    /// commands under a mutex).
    command: bool,
    /// PONGs written to the peer.
    pongs: usize,
}

impl Kernel {
    /// Registers the stream; a stream that is readable already is reported at once.
    fn register(&mut self) {
        self.registered = true;
        if !self.wire.is_empty() {
            self.io_event = true;
        }
    }
}

/// The lent connection: what the read pump touches.
#[derive(Default)]
struct Engine {
    /// A PING was read; its PONG is the I/O thread's to write.
    pong_owed: bool,
}

#[derive(Default)]
struct Slot {
    lent: Option<Engine>,
    /// The socket's thread took the stream out of the poller.
    reads: bool,
}

struct World {
    kernel: Mutex<Kernel>,
    pipe: Mutex<VecDeque<u32>>,
    /// The socket's signal (its eventfd is the kernel's).
    state: AtomicU8,
    lender_locked: AtomicBool,
    lender: UnsafeCell<Slot>,
    /// Parts the application received.
    received: AtomicUsize,
    /// The threads that sleep: the socket's and the I/O thread.
    app: Mutex<Option<thread::Thread>>,
    io: Mutex<Option<thread::Thread>>,
}

impl World {
    fn new() -> Self {
        World {
            kernel: Mutex::new(Kernel {
                registered: true,
                ..Kernel::default()
            }),
            pipe: Mutex::new(VecDeque::new()),
            state: AtomicU8::new(IDLE),
            lender_locked: AtomicBool::new(false),
            lender: UnsafeCell::new(Slot::default()),
            received: AtomicUsize::new(0),
            app: Mutex::new(None),
            io: Mutex::new(None),
        }
    }

    fn wake(who: &Mutex<Option<thread::Thread>>) {
        if let Some(thread) = who.lock().unwrap().as_ref() {
            thread.unpark();
        }
    }

    /// The peer writes one item: the poller reports it to the I/O thread if the stream is
    /// registered, and poll(2) to the socket's thread if it waits on the stream.
    fn arrive(&self, item: u32) {
        let mut kernel = self.kernel.lock().unwrap();
        kernel.wire.push_back(item);
        let (io, app) = (kernel.registered, kernel.app_polling);
        if io {
            kernel.io_event = true;
        }
        drop(kernel);
        if io {
            Self::wake(&self.io);
        }
        if app {
            Self::wake(&self.app);
        }
    }

    /// Registers the stream in the I/O thread's poller, which reports it at once if it is
    /// readable.
    fn register(&self) {
        let mut kernel = self.kernel.lock().unwrap();
        kernel.register();
        let event = kernel.io_event;
        drop(kernel);
        if event {
            Self::wake(&self.io);
        }
    }

    /// A command for the I/O thread.
    fn command(&self) {
        self.kernel.lock().unwrap().command = true;
        Self::wake(&self.io);
    }

    /// `Signal::notify`: wakes the waiter (through its eventfd if it waits in poll).
    fn notify(&self) {
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == WAITING {
            let mut kernel = self.kernel.lock().unwrap();
            kernel.eventfd = true;
            drop(kernel);
            Self::wake(&self.app);
        }
    }

    /// The read pump: everything on the wire into the pipe; false at a PING (read, and
    /// owed to the peer).
    fn pump(&self, engine: &mut Engine) -> bool {
        loop {
            let Some(item) = self.kernel.lock().unwrap().wire.pop_front() else {
                return true;
            };
            if item == PING {
                engine.pong_owed = true;
                return false;
            }
            self.pipe.lock().unwrap().push_back(item);
            self.notify();
        }
    }

    /// One turn of the I/O thread: take back (putting the stream back into the poller),
    /// read, answer PINGs, lend again.
    fn io_turn(&self, engine: &mut Option<Engine>) {
        self.with_lender(|slot| {
            if std::mem::take(&mut slot.reads) {
                self.register();
            }
            if let Some(lent) = slot.lent.take() {
                *engine = Some(lent);
            }
        });
        let own = engine.as_mut().expect("the engine is lent or here");
        while !self.pump(own) {}
        if std::mem::take(&mut own.pong_owed) {
            self.kernel.lock().unwrap().pongs += 1;
        }
        self.with_lender(|slot| slot.lent = engine.take());
    }

    /// `ReadThrough::arm`.
    fn arm(&self) -> bool {
        self.try_with_lender(|slot| {
            if slot.lent.is_none() {
                return false;
            }
            if !slot.reads {
                self.kernel.lock().unwrap().registered = false;
                slot.reads = true;
            }
            true
        })
        .unwrap_or(false)
    }

    /// Puts the stream back into the poller and wakes the I/O thread.
    fn hand_back(&self, slot: &mut Slot) {
        if std::mem::take(&mut slot.reads) {
            self.register();
        }
        self.command();
    }

    /// `ReadThrough::read_through`.
    fn read_through(&self) -> bool {
        self.try_with_lender(|slot| {
            if !slot.reads {
                return false;
            }
            let Some(engine) = slot.lent.as_mut() else {
                return false;
            };
            let smooth = self.pump(engine);
            if !smooth {
                self.hand_back(slot);
            }
            smooth
        })
        .unwrap_or(false)
    }

    /// `ReadThrough::disarm`.
    fn disarm(&self) {
        let _ = self.try_with_lender(|slot| {
            if std::mem::take(&mut slot.reads) {
                self.register();
            }
        });
    }

    /// `Signal::wait`, without a deadline.
    fn wait(&self) {
        if self.state.swap(IDLE, Ordering::AcqRel) == NOTIFIED {
            return;
        }
        if self
            .state
            .compare_exchange(IDLE, WAITING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.state.store(IDLE, Ordering::Release);
            return;
        }
        while self.state.load(Ordering::Acquire) != NOTIFIED {
            thread::park();
        }
        self.state.store(IDLE, Ordering::Release);
    }

    /// `Signal::wait_or_readable`, without a deadline: true when the stream is readable
    /// and the signal was not notified.
    fn wait_or_readable(&self) -> bool {
        if self.state.swap(IDLE, Ordering::AcqRel) == NOTIFIED {
            return false;
        }
        if self
            .state
            .compare_exchange(IDLE, WAITING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.state.store(IDLE, Ordering::Release);
            return false;
        }
        loop {
            // poll(2) on the eventfd and the stream: it sleeps until either is readable,
            // and drains the eventfd when it is.
            let (readable, woken) = {
                let mut kernel = self.kernel.lock().unwrap();
                let readable = !kernel.wire.is_empty();
                let woken = std::mem::take(&mut kernel.eventfd);
                kernel.app_polling = !readable && !woken;
                (readable, woken)
            };
            if !readable && !woken {
                thread::park();
                continue;
            }
            if self.state.load(Ordering::Acquire) == NOTIFIED {
                self.state.store(IDLE, Ordering::Release);
                return false;
            }
            if !readable {
                continue;
            }
            return match self.state.compare_exchange(
                WAITING,
                IDLE,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => true,
                Err(_) => {
                    self.state.store(IDLE, Ordering::Release);
                    false
                }
            };
        }
    }

    /// A blocking receive (`SocketCore::blocking_recv` and `wait`).
    fn recv(&self) -> u32 {
        let item = loop {
            if let Some(item) = self.pipe.lock().unwrap().pop_front() {
                break item;
            }
            // Armed: woken by the signal, or the stream was read through.
            if self.arm() && (!self.wait_or_readable() || self.read_through()) {
                continue;
            }
            self.wait();
        };
        self.disarm();
        item
    }

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

    fn try_with_lender<R>(&self, f: impl FnOnce(&mut Slot) -> R) -> Option<R> {
        self.lender_locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // SAFETY: the flag is ours.
        let result = self.lender.with_mut(|slot| f(unsafe { &mut *slot }));
        self.lender_locked.store(false, Ordering::Release);
        Some(result)
    }

    /// Whether the I/O thread has something to do: its poller's event or a command.
    fn io_has_work(&self) -> bool {
        let mut kernel = self.kernel.lock().unwrap();
        let event = std::mem::take(&mut kernel.io_event);
        std::mem::take(&mut kernel.command) | event
    }
}

#[test]
fn messages_read_by_either_thread_arrive_once_in_order_and_the_ping_is_answered() {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(PREEMPTIONS);
    model.check(|| {
        let world = Arc::new(World::new());
        // The connection starts idle and lent.
        world.with_lender(|slot| slot.lent = Some(Engine::default()));
        let peer = {
            let world = world.clone();
            thread::spawn(move || {
                for item in WIRE {
                    world.arrive(item);
                }
            })
        };
        let app = {
            let world = world.clone();
            thread::spawn(move || {
                *world.app.lock().unwrap() = Some(thread::current());
                let got: Vec<u32> = (0..MESSAGES).map(|_| world.recv()).collect();
                world.received.store(got.len(), Ordering::Release);
                World::wake(&world.io);
                got
            })
        };
        let io = {
            let world = world.clone();
            thread::spawn(move || {
                *world.io.lock().unwrap() = Some(thread::current());
                let mut engine = None;
                while world.received.load(Ordering::Acquire) < MESSAGES {
                    if world.io_has_work() {
                        world.io_turn(&mut engine);
                    } else {
                        thread::park();
                    }
                }
                engine
            })
        };
        peer.join().unwrap();
        let got = app.join().unwrap();
        let mut engine = io.join().unwrap();
        // The I/O thread goes on as long as it is told to.
        while world.io_has_work() {
            world.io_turn(&mut engine);
        }
        assert_eq!(got, [0, 1], "every message once, in order");
        let kernel = world.kernel.lock().unwrap();
        assert_eq!(kernel.pongs, 1, "the PING answered once");
        assert!(kernel.registered, "the stream is back in the poller");
    });
}
