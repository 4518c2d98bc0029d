//! The send fast path: a connection with nothing to do lends itself to the socket's thread,
//! which then encodes and writes the application's next message itself. Request-reply
//! traffic is then one system call and no thread hop per message on the sending side, where
//! it was a wake-up of the I/O thread, its poll returning, and the write there.
//!
//! The hand-over. At the end of each of its turns on this session, the I/O thread lends the
//! live connection (stream, [`Connection`](super::Connection), the engine's end of the pipe
//! and the subscription record) to a [`Lender`] when it is idle: handshake done, nothing
//! waiting to be written, nothing to replay, the socket open, the pipe read to the end (so
//! its reader is asleep) — and only after the peer sent something since the last lending
//! (a *credit*, see below). At the start of each turn it takes everything back, under the
//! same lock, before it looks at anything. The socket's thread, when a flush finds the
//! engine's reader asleep (when it would otherwise wake the I/O thread), only *tries* the
//! lock: if the connection is lent and the credit unspent, it runs the very write pump the
//! I/O thread runs on that wake-up — read the pipe to the end, encode, write — and spends the
//! credit. Whatever did not go smoothly (the kernel took part of the bytes, its 64 KiB budget
//! ran out, an error) makes it answer "wake the I/O thread" after all, so the I/O thread
//! takes over exactly as it does today: leftover bytes stay in the connection's outbox, and
//! a failure waits in the lender for the I/O thread to act on.
//!
//! Why it is safe. Only the lock's holder touches the connection and the pipe's reading end,
//! and both sides run the same pump over the same pipe, so ordering, the high-water mark
//! (messages still go through the pipe, which counts them) and multipart atomicity are the
//! pipe's as before. Every message flushed is either read by a write-through or announced to
//! the I/O thread by the usual wake-up: the flush makes it visible before it looks at the
//! lock, and a write-through that does not finish answers "wake". The I/O thread never acts
//! on a connection without taking it back first, so timers, heartbeats, reads, the monitor's
//! events and linger see the connection as they always did. The model in
//! `tests/write_through_model.rs` checks this protocol under loom.
//!
//! Why a credit. Under a stream of sends the I/O thread writes many messages per system
//! call; paying one per message on the socket's thread would cost throughput. A peer that
//! answers (request-reply, any ping-pong) is where the hop costs latency, so a connection is
//! lent for one write-through after each turn in which the peer's messages arrived. A
//! one-way stream never lends at all.

use super::{write_messages, Link, Written, WRITE_THROUGH_BUDGET};
use crate::engine::reason::Reason;
use crate::engine::upstream_filters::UpstreamFilters;
use crate::engine::IoThread;
use crate::pipe::{PipeEnd, WriteThrough};
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use zmtp::Message;

/// What the I/O thread lends out: everything the write pump and the read pump touch.
pub(super) struct Lent {
    pub(super) link: Link,
    pub(super) end: PipeEnd,
    pub(super) filters: Option<UpstreamFilters>,
    /// A decoded part the pipe to the socket had no room for (see `read_through`).
    pub(super) stalled: Option<Message>,
}

/// What is back with the I/O thread after [`Lender::take_back`].
pub(super) struct Returned {
    /// What was lent, if anything was.
    pub(super) lent: Option<Lent>,
    /// The credit was not used: the next lending may have it.
    pub(super) credit: bool,
    /// A write-through failed; the connection is lost for this reason.
    pub(super) failed: Option<Reason>,
}

#[derive(Default)]
pub(super) struct Slot {
    pub(super) lent: Option<Lent>,
    /// The lent connection may still be written through once.
    pub(super) credit: bool,
    pub(super) failed: Option<Reason>,
    /// The socket's thread took the lent stream out of the I/O thread's poller to wait on
    /// it itself (see `read_through`); whoever holds the lock next with the stream puts it
    /// back.
    pub(super) reads: bool,
}

/// See the module documentation. One per session, for the session's life; the pipe holds it
/// weakly.
pub(super) struct Lender {
    pub(super) slot: Mutex<Slot>,
    /// The I/O thread: its poller, and its command queue to wake it.
    pub(super) io: Arc<IoThread>,
    /// The session's token with the I/O thread.
    pub(super) token: u64,
}

impl Lender {
    pub(super) fn new(io: Arc<IoThread>, token: u64) -> Self {
        Lender {
            slot: Mutex::default(),
            io,
            token,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The I/O thread lends an idle connection for one write-through.
    pub(super) fn lend(&self, lent: Lent) {
        let mut slot = self.lock();
        slot.lent = Some(lent);
        slot.credit = true;
    }

    /// The I/O thread takes back what it lent, waiting for a write-through under way.
    pub(super) fn take_back(&self) -> Returned {
        let (mut slot, panicked) = match self.slot.lock() {
            Ok(slot) => (slot, false),
            Err(poisoned) => {
                self.slot.clear_poison();
                (poisoned.into_inner(), true)
            }
        };
        // A write-through that panicked left the connection half-updated (an encoder's
        // state moved, its bytes not queued): the connection is not to be trusted again.
        let mut failed = slot.failed.take().or_else(|| {
            panicked.then(|| Reason::Io(io::Error::other("a write- or read-through panicked")))
        });
        // A stream the socket's thread was waiting on goes back into the poller first, and
        // that thread is told to stop polling it: if this turn drops the connection, its
        // poll(2) would otherwise keep the socket open (no FIN) until the receive ends.
        let was_read_through = slot.reads;
        if let Err(e) = self.give_back_reads(&mut slot) {
            failed.get_or_insert(Reason::Io(e));
        }
        if was_read_through {
            if let Some(lent) = &slot.lent {
                lent.end.nudge_peer();
            }
        }
        Returned {
            lent: slot.lent.take(),
            credit: std::mem::take(&mut slot.credit),
            failed,
        }
    }
}

impl WriteThrough for Lender {
    fn write_through(&self) -> bool {
        let mut slot = match self.slot.try_lock() {
            Ok(slot) => slot,
            // A write-through panicked: the I/O thread drops the connection.
            Err(TryLockError::Poisoned(_)) => return false,
            // The I/O thread has the connection: it is woken as usual.
            Err(TryLockError::WouldBlock) => return false,
        };
        let Slot {
            lent,
            credit,
            failed,
            ..
        } = &mut *slot;
        let Some(lent) = lent.as_mut() else {
            return false;
        };
        if failed.is_some() || !std::mem::take(credit) {
            return false;
        }
        // Lent only with nothing to replay, and a write pump never adds to it.
        let mut replay = VecDeque::new();
        let mut drained = false;
        let outcome = write_messages(
            &mut lent.link,
            Some(&mut lent.end),
            &mut replay,
            &mut drained,
            lent.filters.as_mut(),
            WRITE_THROUGH_BUDGET,
        );
        match outcome {
            // All of it is in the kernel and the pipe's reader is asleep again. A pipe
            // found closed is the I/O thread's to act on (it reads the close again).
            Ok(Written::Idle) => !drained,
            // Bytes left in the outbox, or more than a write-through's budget to write.
            Ok(Written::Blocked | Written::OutOfBudget) => false,
            Err(reason) => {
                *failed = Some(reason);
                false
            }
        }
    }
}
