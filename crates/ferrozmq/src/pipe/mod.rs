//! Pipes: the bounded, two-way message channels between a socket and one peer.
//!
//! A pipe joins two *ends*. On tcp and ipc one end belongs to the socket and the other to the
//! connection on an I/O thread; on inproc both ends belong to sockets. Each direction is a
//! lock-free [`queue`] plus a high-water mark counted in whole messages, as libzmq counts it:
//! a multipart message is admitted whole or not at all.
//!
//! Ends wake each other through [`Notify`] only at the edges: when a sleeping reader gets
//! data, when a writer blocked by the high-water mark gets room, and when an end closes.

pub(crate) mod queue;
mod queue_sync;

use crate::properties::Properties;
use queue::{CachePadded, Pop};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use zmtp::Message;

/// What one end tells the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PipeEvent {
    /// Messages are waiting to be read.
    Readable,
    /// The high-water mark that blocked the writer has room again.
    Writable,
    /// The other end closed; read what is left, then drop the pipe.
    Closed,
}

/// Receives pipe events for the ends registered with it (a socket's mailbox, an I/O thread).
pub(crate) trait Notify: Send + Sync {
    /// `token` is what the end was registered with.
    fn notify(&self, token: u64, event: PipeEvent);
}

/// An end's owner that may move what was flushed towards it on the writer's thread itself,
/// instead of being woken to do it (an I/O thread's connection that lent itself out, see
/// the engine's `session::write_through`).
pub(crate) trait WriteThrough: Send + Sync {
    /// Called by the writer after a flush that found the reader asleep. True when the
    /// owner took everything there was to take and needs no wake-up; false when it must be
    /// woken as usual (it is busy, or could not finish).
    fn write_through(&self) -> bool;
}

/// An end's owner that may let the other end's thread read its input for it while that
/// thread waits for messages (an I/O thread's connection that lent itself out, see the
/// engine's `session::read_through`). The other end's thread calls [`arm`](Self::arm)
/// before it waits, [`read_through`](Self::read_through) when the descriptor it got is
/// readable, and [`disarm`](Self::disarm) when it stops waiting.
pub(crate) trait ReadThrough: Send + Sync {
    /// Hands the caller the connection's input: the descriptor to wait on, or `None` when
    /// the owner keeps it (the caller then waits as usual).
    fn arm(&self) -> Option<std::os::fd::RawFd>;
    /// The descriptor was readable: reads what is there into the pipe. False when the
    /// owner has the input back (it was busy, or could not finish): the caller then waits
    /// for the pipe as usual, not for the descriptor.
    fn read_through(&self) -> bool;
    /// Gives the input back to the owner.
    fn disarm(&self);
}

/// A token no owner uses: events for an end not registered yet are dropped, and the owner
/// checks the pipe's state when it registers.
const UNREGISTERED: u64 = u64::MAX;

/// An end's share of a direction's high-water mark when that end has none: the I/O
/// thread's end of a tcp or ipc pipe, or the binder's end of an inproc pipe made before
/// anything was bound.
pub(crate) const NO_SHARE: u64 = u64::MAX;

/// State of one direction that both ends look at.
struct Direction {
    /// Whole messages the reader may lag behind the writer (0: unlimited): what the writer's
    /// and the reader's shares add up to. Changes when a socket changes SNDHWM or RCVHWM.
    hwm: AtomicU64,
    /// The reader publishes its progress every `lwm` messages.
    lwm: AtomicU64,
    /// The writer's share of the high-water mark and the reader's ([`NO_SHARE`] for an end
    /// that has none; 0 for unlimited), as libzmq adds a writer's SNDHWM to a reader's
    /// RCVHWM on inproc. Written under `shares_lock` (rarely: option changes, binds).
    shares: [AtomicU64; 2],
    shares_lock: Mutex<()>,
    /// Whole messages read, as last published by the reader.
    msgs_read: CachePadded<AtomicU64>,
    /// The writer found the direction full and waits for [`PipeEvent::Writable`].
    writer_blocked: AtomicBool,
    /// The writer will push nothing more (everything it pushed is flushed).
    writer_closed: AtomicBool,
    /// The reader is gone; writing is pointless.
    reader_closed: AtomicBool,
    /// CONFLATE: instead of the queue, one slot that each message overwrites.
    latest: Option<Latest>,
    /// A last message the writer adds when it closes, asked for by the reader's socket
    /// (DISCONNECT_MSG on inproc, where no I/O thread sees the peer go).
    farewell: OnceLock<Message>,
}

/// The single slot of a conflating direction. Conflation is for low-rate "last value"
/// streams, so a lock per message is fine here; the queue stays lock-free.
struct Latest {
    slot: Mutex<Option<Message>>,
    /// The reader found the slot empty and waits for [`PipeEvent::Readable`].
    reader_waiting: AtomicBool,
}

/// Where a share sits in [`Direction::shares`].
const WRITER: usize = 0;
const READER: usize = 1;

/// The high-water mark two shares make: added up, unlimited if either is.
fn combined(writer: u64, reader: u64) -> u64 {
    match (writer, reader) {
        (NO_SHARE, NO_SHARE) => 0,
        (NO_SHARE, one) | (one, NO_SHARE) => one,
        (0, _) | (_, 0) => 0,
        (writer, reader) => writer.saturating_add(reader),
    }
}

/// How often a reader of a direction with this high-water mark publishes its progress.
fn low_water_mark(hwm: u64) -> u64 {
    if hwm == 0 {
        1024
    } else {
        hwm.div_ceil(2)
    }
}

impl Direction {
    /// A direction with its writer's and reader's shares (`end_a_writes`: whether end A,
    /// whose share a plain [`Limit::Messages`] is, writes this direction).
    fn new(limit: Limit, end_a_writes: bool) -> Self {
        let (shares, latest) = match limit {
            Limit::Messages(hwm) if end_a_writes => ([hwm, NO_SHARE], None),
            Limit::Messages(hwm) => ([NO_SHARE, hwm], None),
            Limit::Sum { writer, reader } => ([writer, reader], None),
            Limit::LatestOnly => (
                [0, NO_SHARE],
                Some(Latest {
                    slot: Mutex::new(None),
                    reader_waiting: AtomicBool::new(false),
                }),
            ),
        };
        // A conflating direction has hwm 0: it is never full.
        let hwm = if latest.is_some() {
            0
        } else {
            combined(shares[WRITER], shares[READER])
        };
        Direction {
            hwm: AtomicU64::new(hwm),
            lwm: AtomicU64::new(low_water_mark(hwm)),
            shares: shares.map(AtomicU64::new),
            shares_lock: Mutex::new(()),
            msgs_read: CachePadded(AtomicU64::new(0)),
            writer_blocked: AtomicBool::new(false),
            farewell: OnceLock::new(),
            writer_closed: AtomicBool::new(false),
            reader_closed: AtomicBool::new(false),
            latest,
        }
    }

    /// Sets one end's share; returns whether the high-water mark rose (a blocked writer
    /// may write again). A conflating direction keeps its single slot.
    fn set_share(&self, who: usize, share: u64) -> bool {
        if self.latest.is_some() {
            return false;
        }
        let _guard = self.shares_lock.lock().unwrap_or_else(|e| e.into_inner());
        self.shares[who].store(share, Ordering::Relaxed);
        let old = self.hwm.load(Ordering::Relaxed);
        let new = combined(
            self.shares[WRITER].load(Ordering::Relaxed),
            self.shares[READER].load(Ordering::Relaxed),
        );
        self.hwm.store(new, Ordering::Relaxed);
        self.lwm.store(low_water_mark(new), Ordering::Relaxed);
        // Unlimited (0) is the most room of all.
        old != 0 && (new == 0 || new > old)
    }
}

impl Latest {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Message>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Who owns one end, and how to reach it.
struct Owner {
    notify: Arc<dyn Notify>,
    token: AtomicU64,
    /// Set once, by an owner that may be spared its wake-ups; weak, as the owner holds
    /// this end.
    write_through: OnceLock<Weak<dyn WriteThrough>>,
    /// Set once, by an owner that may let the other end's thread read for it; weak, as
    /// the owner holds this end.
    read_through: OnceLock<Weak<dyn ReadThrough>>,
}

/// Shared by both ends: `directions[i]` carries messages written by end `i`.
struct Link {
    directions: [Direction; 2],
    owners: [Owner; 2],
    /// What the connection behind the pipe says about its peer, set by the engine at each
    /// handshake and read by the socket only when the application asks (see
    /// [`crate::properties`]): never touched per message.
    properties: Mutex<Properties>,
}

/// How much one direction of a pipe holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Up to this many whole messages (the high-water mark; 0: unlimited), all of it end
    /// A's share: a socket's end of a tcp or ipc pipe is always end A.
    Messages(u64),
    /// An inproc pipe's writer's queue and reader's queue in one: the writer's SNDHWM and
    /// the reader's RCVHWM added up, as libzmq adds them (unlimited if either is;
    /// [`NO_SHARE`] for a side not known yet).
    Sum { writer: u64, reader: u64 },
    /// Only the newest message: each one replaces the one before (CONFLATE).
    LatestOnly,
}

impl Limit {
    /// The limit of one inproc pipe from a writer whose outbound limit is `self` to a
    /// reader whose inbound limit is `reader` (`None`: not known yet): conflated if either
    /// side conflates, else both shares.
    pub(crate) fn join(self, reader: Option<Limit>) -> Limit {
        let share = |limit: Option<Limit>| match limit {
            None => Some(NO_SHARE),
            Some(Limit::Messages(n)) => Some(n),
            Some(Limit::Sum { .. }) | Some(Limit::LatestOnly) => None,
        };
        match (share(Some(self)), share(reader)) {
            (Some(writer), Some(reader)) => Limit::Sum { writer, reader },
            _ => Limit::LatestOnly,
        }
    }

    /// The limit of a pipe to a reader whose inbound limit is `self` from a writer not
    /// known yet (an inproc connect before the bind).
    pub(crate) fn with_writer_unknown(self) -> Limit {
        match self {
            Limit::Messages(reader) => Limit::Sum {
                writer: NO_SHARE,
                reader,
            },
            other => other,
        }
    }
}

/// The limits of a new pipe, one per direction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PipeLimits {
    /// What end A may queue towards end B.
    pub(crate) a_to_b: Limit,
    /// What end B may queue towards end A.
    pub(crate) b_to_a: Limit,
}

/// Creates a pipe; end A reports to `a` and end B to `b`.
pub(crate) fn pipe(
    a: Arc<dyn Notify>,
    b: Arc<dyn Notify>,
    limits: PipeLimits,
) -> (PipeEnd, PipeEnd) {
    let link = Arc::new(Link {
        directions: [
            Direction::new(limits.a_to_b, true),
            Direction::new(limits.b_to_a, false),
        ],
        owners: [
            Owner {
                notify: a,
                token: AtomicU64::new(UNREGISTERED),
                write_through: OnceLock::new(),
                read_through: OnceLock::new(),
            },
            Owner {
                notify: b,
                token: AtomicU64::new(UNREGISTERED),
                write_through: OnceLock::new(),
                read_through: OnceLock::new(),
            },
        ],
        properties: Mutex::new(Properties::new()),
    });
    let (a_tx, b_rx) = queue::queue();
    let (b_tx, a_rx) = queue::queue();
    (
        PipeEnd::new(link.clone(), 0, a_tx, a_rx),
        PipeEnd::new(link, 1, b_tx, b_rx),
    )
}

/// Why a write did not happen; the message comes back.
pub(crate) enum WriteError {
    /// The high-water mark is reached.
    Full(Message),
    /// The other end is gone.
    Closed(Message),
}

/// What a read found.
pub(crate) enum Read {
    /// A message part.
    Message(Message),
    /// Nothing now; the end is asleep and will get [`PipeEvent::Readable`].
    Empty,
    /// Nothing, ever again: the writer closed and everything was read.
    Closed,
}

/// One end of a pipe: it writes one direction and reads the other.
pub(crate) struct PipeEnd {
    link: Arc<Link>,
    side: usize,
    tx: queue::Writer<Message>,
    rx: queue::Reader<Message>,
    /// Whole messages written.
    msgs_written: u64,
    /// The peer's progress as last seen, to avoid touching its cache line per message.
    peer_read: u64,
    /// Inside a multipart message being written.
    writing_more: bool,
    /// Whole messages read.
    msgs_read: u64,
    closed: bool,
}

impl PipeEnd {
    fn new(
        link: Arc<Link>,
        side: usize,
        tx: queue::Writer<Message>,
        rx: queue::Reader<Message>,
    ) -> Self {
        PipeEnd {
            link,
            side,
            tx,
            rx,
            msgs_written: 0,
            peer_read: 0,
            writing_more: false,
            msgs_read: 0,
            closed: false,
        }
    }

    #[inline]
    fn out_dir(&self) -> &Direction {
        &self.link.directions[self.side]
    }

    #[inline]
    fn in_dir(&self) -> &Direction {
        &self.link.directions[1 - self.side]
    }

    fn notify_self(&self, event: PipeEvent) {
        let owner = &self.link.owners[self.side];
        let token = owner.token.load(Ordering::Acquire);
        if token != UNREGISTERED {
            owner.notify.notify(token, event);
        }
    }

    fn notify_peer(&self, event: PipeEvent) {
        let owner = &self.link.owners[1 - self.side];
        let token = owner.token.load(Ordering::Acquire);
        if token != UNREGISTERED {
            owner.notify.notify(token, event);
        }
    }

    /// Records what the connection behind the pipe says about its peer (after a handshake;
    /// a reconnection replaces it).
    pub(crate) fn set_properties(&self, properties: Properties) {
        *self
            .link
            .properties
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = properties;
    }

    /// The properties last recorded with [`set_properties`](Self::set_properties).
    pub(crate) fn properties(&self) -> Properties {
        self.link
            .properties
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Tells the pipe which token this end's owner knows it by.
    pub(crate) fn register(&self, token: u64) {
        self.link.owners[self.side]
            .token
            .store(token, Ordering::Release);
    }

    /// Lets this end's owner take what the other end flushes on the writer's thread (see
    /// [`WriteThrough`]); once per end, a second one is ignored.
    pub(crate) fn set_write_through(&self, owner: Weak<dyn WriteThrough>) {
        let _ = self.link.owners[self.side].write_through.set(owner);
    }

    /// Lets this end's owner have its input read by the other end's thread (see
    /// [`ReadThrough`]); once per end, a second one is ignored.
    pub(crate) fn set_read_through(&self, owner: Weak<dyn ReadThrough>) {
        let _ = self.link.owners[self.side].read_through.set(owner);
    }

    /// The other end's owner, if it lets this end's thread read for it (see
    /// [`ReadThrough`]).
    pub(crate) fn peer_read_through(&self) -> Option<Arc<dyn ReadThrough>> {
        self.link.owners[1 - self.side]
            .read_through
            .get()
            .and_then(Weak::upgrade)
    }

    /// Stops events for this end: its owner is about to drop it and must not hear about it
    /// again.
    pub(crate) fn unregister(&self) {
        self.register(UNREGISTERED);
    }

    /// True when the high-water mark admits no new message; a caller that will wait for room
    /// must use [`wait_writable`](Self::wait_writable) instead.
    #[inline]
    fn is_full(&mut self) -> bool {
        // A conflating direction has hwm 0: it is never full.
        let hwm = self.out_dir().hwm.load(Ordering::Relaxed);
        if hwm == 0 || self.msgs_written - self.peer_read < hwm {
            return false;
        }
        self.peer_read = self.out_dir().msgs_read.load(Ordering::Acquire);
        self.msgs_written - self.peer_read >= hwm
    }

    /// Queues a message part (invisible to the reader until [`flush`](Self::flush)). The
    /// high-water mark is checked at the first part of a message only.
    #[inline]
    pub(crate) fn write(&mut self, msg: Message) -> Result<(), WriteError> {
        if self.out_dir().reader_closed.load(Ordering::Relaxed) {
            return Err(WriteError::Closed(msg));
        }
        if self.out_dir().latest.is_some() {
            self.replace_latest(msg);
            return Ok(());
        }
        if !self.writing_more && self.is_full() {
            return Err(WriteError::Full(msg));
        }
        self.push(msg);
        Ok(())
    }

    /// Writes a part and, when it is the last of its message, flushes: the usual way for a
    /// socket to send.
    #[inline]
    pub(crate) fn send(&mut self, msg: Message) -> Result<(), WriteError> {
        let last = !msg.more();
        self.write(msg)?;
        if last {
            self.flush();
        }
        Ok(())
    }

    /// [`send`](Self::send), but a message refused by the high-water mark comes back only
    /// once [`PipeEvent::Writable`] is arranged; room that appears meanwhile is used at
    /// once. A caller that waits for the event after [`WriteError::Full`] therefore never
    /// waits for nothing.
    #[inline]
    pub(crate) fn offer(&mut self, mut msg: Message) -> Result<(), WriteError> {
        loop {
            match self.send(msg) {
                Err(WriteError::Full(back)) if self.wait_writable() => msg = back,
                outcome => return outcome,
            }
        }
    }

    /// Writes and flushes a single-part control message (a subscription, a probe, a
    /// welcome) whatever the high-water mark says; see
    /// [`write_unchecked`](Self::write_unchecked).
    pub(crate) fn send_control(&mut self, msg: Message) {
        self.write_unchecked(msg.with_more(false));
        self.flush();
    }

    /// Queues a part whatever the high-water mark says: control traffic (subscriptions,
    /// connection markers) must not be lost to a full pipe, and is bounded by other means.
    pub(crate) fn write_unchecked(&mut self, msg: Message) {
        if self.out_dir().latest.is_some() {
            self.replace_latest(msg);
            return;
        }
        self.push(msg);
    }

    /// Conflation: the message takes the slot's place, and a waiting reader is woken.
    /// CONFLATE does not support multipart messages (libzmq's words): of each message only
    /// one part is kept, the last, as a message of its own. The parts before it are
    /// dropped as they come, so a reader never meets one of them as if it were a message.
    fn replace_latest(&mut self, msg: Message) {
        if msg.more() {
            return;
        }
        let link = self.link.clone();
        let Some(latest) = &link.directions[self.side].latest else {
            return;
        };
        *latest.lock() = Some(msg);
        if latest.reader_waiting.swap(false, Ordering::AcqRel) {
            self.notify_peer(PipeEvent::Readable);
        }
    }

    /// Conflation: takes the newest message, or registers for the next one.
    fn take_latest(&mut self) -> Option<Read> {
        let latest = self.in_dir().latest.as_ref()?;
        if let Some(msg) = latest.lock().take() {
            return Some(Read::Message(msg));
        }
        if self.in_dir().writer_closed.load(Ordering::Acquire) {
            return Some(Read::Closed);
        }
        latest.reader_waiting.store(true, Ordering::SeqCst);
        // A message written between the look and the flag would find nobody waiting.
        match latest.lock().take() {
            Some(msg) => {
                latest.reader_waiting.store(false, Ordering::Relaxed);
                Some(Read::Message(msg))
            }
            None => Some(Read::Empty),
        }
    }

    /// Conflation: whether the slot holds a message.
    fn latest_ready(&self) -> Option<bool> {
        let latest = self.in_dir().latest.as_ref()?;
        Some(latest.lock().is_some())
    }

    #[inline]
    fn push(&mut self, msg: Message) {
        self.writing_more = msg.more();
        if !self.writing_more {
            self.msgs_written += 1;
        }
        self.tx.push(msg, !self.writing_more);
    }

    /// Sets this end's share of what it may queue towards the peer (its socket's SNDHWM;
    /// 0: unlimited). If that makes room, the end hears [`PipeEvent::Writable`] as when
    /// the reader makes room.
    pub(crate) fn set_send_share(&self, share: u64) {
        let dir = self.out_dir();
        if dir.set_share(WRITER, share) && dir.writer_blocked.swap(false, Ordering::AcqRel) {
            self.notify_self(PipeEvent::Writable);
        }
    }

    /// Sets this end's share of what the peer may queue towards it (its socket's RCVHWM;
    /// 0: unlimited). If that makes room, a blocked peer is told.
    pub(crate) fn set_recv_share(&self, share: u64) {
        let dir = self.in_dir();
        if dir.set_share(READER, share) && dir.writer_blocked.swap(false, Ordering::AcqRel) {
            self.notify_peer(PipeEvent::Writable);
        }
    }

    /// Whether a whole message was ever written to this end.
    pub(crate) fn has_written(&self) -> bool {
        self.msgs_written > 0
    }

    /// After a [`WriteError::Full`]: asks the reader for [`PipeEvent::Writable`] once room
    /// appears. Returns true if room appeared meanwhile (no event will come; write again).
    pub(crate) fn wait_writable(&mut self) -> bool {
        let link = self.link.clone();
        let dir = &link.directions[self.side];
        dir.writer_blocked.store(true, Ordering::SeqCst);
        // Pairs with the reader's fence between publishing progress and checking the flag.
        fence(Ordering::SeqCst);
        if !self.is_full() || dir.reader_closed.load(Ordering::Relaxed) {
            dir.writer_blocked.store(false, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Makes every completely written message visible, waking the reader if it sleeps. The
    /// parts of a message still being written stay invisible until its last part is written
    /// and flushed, so a reader never meets half a message.
    #[inline]
    pub(crate) fn flush(&mut self) {
        if self.tx.flush() && !self.peer_wrote_through() {
            self.notify_peer(PipeEvent::Readable);
        }
    }

    /// Whether the reader's owner took what was flushed on this thread (see
    /// [`WriteThrough`]), so that it need not be woken.
    #[inline]
    fn peer_wrote_through(&self) -> bool {
        self.link.owners[1 - self.side]
            .write_through
            .get()
            .and_then(Weak::upgrade)
            .is_some_and(|owner| owner.write_through())
    }

    /// Drops parts written but not flushed (the rest of the message will never come).
    pub(crate) fn rollback(&mut self) {
        if self.tx.unflushed() > 0 {
            self.tx.rollback();
        }
        self.writing_more = false;
    }

    /// Reads the next part. On [`Read::Empty`] the end sleeps until [`PipeEvent::Readable`].
    #[inline]
    pub(crate) fn read(&mut self) -> Read {
        if let Some(read) = self.take_latest() {
            return read;
        }
        loop {
            match self.rx.pop() {
                Pop::Item(msg) => {
                    self.count_read(&msg);
                    return Read::Message(msg);
                }
                Pop::Empty => {
                    if self.in_dir().writer_closed.load(Ordering::Acquire) {
                        // Everything flushed before the close is visible now.
                        if let Pop::Item(msg) = self.rx.pop() {
                            self.msgs_read += u64::from(!msg.more());
                            return Read::Message(msg);
                        }
                        return Read::Closed;
                    }
                    self.publish_progress();
                    if self.rx.sleep() {
                        return Read::Empty;
                    }
                }
            }
        }
    }

    /// Reads the next part among those this end already saw flushed, without looking for
    /// newer ones (see [`queue::Reader::pop_seen`]); None when those are used up, or on a
    /// conflating direction. Never sleeps, so nothing wakes this end for the parts left:
    /// a caller that gets None may stop reading only when something else is sure to bring
    /// it back (the write pump stops on bytes still to write, and a blocked or unfinished
    /// write always comes back); otherwise it must [`read`](Self::read) until [`Read::Empty`].
    #[inline]
    pub(crate) fn read_seen(&mut self) -> Option<Message> {
        if self.in_dir().latest.is_some() {
            return None;
        }
        match self.rx.pop_seen() {
            Pop::Item(msg) => {
                self.count_read(&msg);
                Some(msg)
            }
            Pop::Empty => None,
        }
    }

    /// Counts a part read, publishing progress every low-water mark of whole messages.
    #[inline]
    fn count_read(&mut self, msg: &Message) {
        if !msg.more() {
            self.msgs_read += 1;
            if self.msgs_read % self.in_dir().lwm.load(Ordering::Relaxed) == 0 {
                self.publish_progress();
            }
        }
    }

    /// True when a part can be read now (without sleeping).
    #[inline]
    pub(crate) fn has_message(&mut self) -> bool {
        self.latest_ready().unwrap_or_else(|| self.rx.has_item())
    }

    /// Whether a part can be read now. When not, the end sleeps and
    /// [`PipeEvent::Readable`] comes with the next message, as after a read that found
    /// nothing (unless the pipe is [finished](Self::is_finished): then nothing ever comes).
    pub(crate) fn poll_readable(&mut self) -> bool {
        if self.latest_ready().is_some() {
            return match self.take_latest() {
                Some(Read::Message(msg)) => {
                    // Put it back: this was only a look.
                    self.put_back_latest(msg);
                    true
                }
                _ => false,
            };
        }
        loop {
            if self.rx.has_item() {
                return true;
            }
            if self.in_dir().writer_closed.load(Ordering::Acquire) {
                // Everything flushed before the close is visible now.
                return self.rx.has_item();
            }
            self.publish_progress();
            if self.rx.sleep() {
                return false;
            }
        }
    }

    /// Whether this end hears of the next message (it sleeps, and the writer's flush wakes
    /// it or writes through), or one came since it slept, or none will come (the writer
    /// closed): the state a reader that stopped reading must leave its end in.
    pub(crate) fn wakes_on_flush(&self) -> bool {
        let dir = self.in_dir();
        let heard = match &dir.latest {
            Some(latest) => latest.reader_waiting.load(Ordering::SeqCst) || latest.lock().is_some(),
            None => self.rx.wakes_on_flush(),
        };
        heard || dir.writer_closed.load(Ordering::Acquire)
    }

    /// True when the writer has closed and every part has been read: the pipe is done.
    pub(crate) fn is_finished(&mut self) -> bool {
        self.in_dir().writer_closed.load(Ordering::Acquire) && !self.has_message()
    }

    /// Conflation: returns a message taken only to look at it, unless a newer one came.
    fn put_back_latest(&mut self, msg: Message) {
        if let Some(latest) = &self.in_dir().latest {
            latest.lock().get_or_insert(msg);
        }
    }

    /// Whether a new message would be admitted now, without asking to hear when room
    /// appears (for a caller that drops what does not fit).
    pub(crate) fn has_room(&mut self) -> bool {
        self.out_dir().reader_closed.load(Ordering::Relaxed) || !self.is_full()
    }

    /// Whether a new message would be admitted now. When not, [`PipeEvent::Writable`] comes
    /// once the reader makes room, as after a write that found the pipe full.
    pub(crate) fn poll_writable(&mut self) -> bool {
        if self.out_dir().reader_closed.load(Ordering::Relaxed) {
            // A write fails at once, and the failure is news the socket wants.
            return true;
        }
        !self.is_full() || self.wait_writable()
    }

    /// Whether a new message would be admitted, as XPUB_NODROP looks (libzmq's way): by the
    /// reader's progress as this end took it in, which it does when its owner handles
    /// [`PipeEvent::Writable`] ([`take_peer_progress`](Self::take_peer_progress)) — libzmq's
    /// writer learns of the reader's progress when its socket processes commands, never in
    /// the middle of a send. A publisher running ahead of what it took in thus meets its mark
    /// even while an I/O thread moves every message into a kernel buffer at once, which
    /// libzmq's test_hwm_pubsub asserts. When the reader has moved on meanwhile, the event is
    /// arranged here: a blocking send retries at once, a non-blocking one answers EAGAIN this
    /// time. Other sends look at the reader's latest progress
    /// ([`poll_writable`](Self::poll_writable)): a PUB would drop what a stale view refuses,
    /// and a blocking writer would pay a round through its events.
    pub(crate) fn poll_writable_as_seen(&mut self) -> bool {
        let dir = self.out_dir();
        // Room by the mark and the progress taken in, without reloading the progress.
        let has_room = || {
            let hwm = dir.hwm.load(Ordering::Relaxed);
            hwm == 0 || self.msgs_written - self.peer_read < hwm
        };
        if dir.reader_closed.load(Ordering::Relaxed) || has_room() {
            return true;
        }
        dir.writer_blocked.store(true, Ordering::SeqCst);
        // Pairs with the reader's fence between publishing progress and checking the flag.
        fence(Ordering::SeqCst);
        // A mark raised meanwhile (the reader's RCVHWM) found the flag unset and told
        // nobody: look at it again.
        if has_room() {
            dir.writer_blocked.store(false, Ordering::Relaxed);
            return true;
        }
        if dir.msgs_read.load(Ordering::Acquire) != self.peer_read
            && dir.writer_blocked.swap(false, Ordering::AcqRel)
        {
            self.notify_self(PipeEvent::Writable);
        }
        false
    }

    /// Has the peer's owner look at the pipe again (a [`PipeEvent::Readable`] with no new
    /// message): for an I/O thread that took back a connection whose input the socket's
    /// thread was waiting on in poll(2), so that thread stops watching the descriptor.
    pub(crate) fn nudge_peer(&self) {
        self.notify_peer(PipeEvent::Readable);
    }

    /// Takes in the reader's latest progress (on [`PipeEvent::Writable`]).
    pub(crate) fn take_peer_progress(&mut self) {
        self.peer_read = self.out_dir().msgs_read.load(Ordering::Acquire);
    }

    /// Whole messages written at this end that the other end has not read yet, as far as
    /// the reader has published its progress (it does whenever it finds the pipe empty, so
    /// a drained pipe reads 0).
    pub(crate) fn unread(&self) -> u64 {
        let dir = self.out_dir();
        match &dir.latest {
            Some(latest) => u64::from(latest.lock().is_some()),
            None => self
                .msgs_written
                .saturating_sub(dir.msgs_read.load(Ordering::Acquire)),
        }
    }

    /// Whole messages the other end has written towards this one and this end has not
    /// read yet (those it has made visible: each one, as it completes it).
    pub(crate) fn queued_inbound(&self) -> u64 {
        match &self.in_dir().latest {
            Some(latest) => u64::from(latest.lock().is_some()),
            None => self.rx.count_visible(|part| !part.more()),
        }
    }

    /// Lets a blocked writer see how far this end has read.
    fn publish_progress(&mut self) {
        let dir = &self.link.directions[1 - self.side];
        dir.msgs_read.store(self.msgs_read, Ordering::Release);
        fence(Ordering::SeqCst);
        if dir.writer_blocked.load(Ordering::Relaxed)
            && dir.writer_blocked.swap(false, Ordering::AcqRel)
        {
            self.notify_peer(PipeEvent::Writable);
        }
    }

    /// True once the other end has closed (there may still be parts to read).
    pub(crate) fn peer_closed(&self) -> bool {
        self.in_dir().writer_closed.load(Ordering::Acquire)
            || self.out_dir().reader_closed.load(Ordering::Acquire)
    }

    /// Asks the peer's end to write `msg` as its last message when it closes (once; a
    /// second farewell is ignored).
    pub(crate) fn set_peer_farewell(&self, msg: Message) {
        let _ = self.in_dir().farewell.set(msg.with_more(false));
    }

    /// Closes this end: what was flushed stays readable by the peer, unfinished parts are
    /// dropped, the farewell the peer asked for is added, and the peer is told.
    pub(crate) fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.rollback();
        if let Some(farewell) = self.out_dir().farewell.get() {
            if !self.out_dir().reader_closed.load(Ordering::Acquire) {
                self.write_unchecked(farewell.clone());
            }
        }
        // Complete messages written but not yet flushed still reach the peer.
        self.tx.flush();
        self.out_dir().writer_closed.store(true, Ordering::Release);
        self.in_dir().reader_closed.store(true, Ordering::Release);
        self.notify_peer(PipeEvent::Closed);
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests;
