//! The receive fast path: a socket's thread blocked in a receive on a lent connection waits
//! on the connection's descriptor itself and reads what arrives, instead of sleeping until
//! the I/O thread has been woken by its poller, read, decoded and woken it in turn.
//!
//! The hand-over, on top of the lending of [`write_through`](super::write_through). A
//! blocking receive that finds nothing to read, on a socket whose only pipe leads to a lent
//! tcp or ipc connection, [arms](Lender::arm): under the lender's lock (only tried) it takes
//! the stream out of the I/O thread's poller and marks the slot `reads`; then it waits, with
//! the lock released, for the descriptor or the socket's own wake-up (see
//! [`Signal::wait_or_readable`](crate::signal::Signal::wait_or_readable)). When the
//! descriptor is readable it tries the lock again and, if the connection is still lent with
//! `reads` set, runs the I/O thread's own read pump (`read_messages`: read, decode, deliver
//! into the pipe under its high-water mark) and receives from the pipe as usual. Taken out
//! of the poller, the stream no longer wakes the I/O thread for each message.
//!
//! Whatever is not smooth hands the stream back: a message that does not fit in the pipe, a
//! PING to answer or a moved deadline (the I/O thread's timers), more than a modest budget
//! to read, a failure (kept in the slot for the I/O thread, as a write-through keeps one). The
//! stream goes back into the poller, which reports it at once if bytes are left (an
//! edge-triggered registration that is added while ready is ready), and the I/O thread is
//! woken to do the rest. So is it whenever the receive ends, however it ends: outside a
//! blocking receive the I/O thread watches the connection exactly as before, and ZMQ_FD,
//! pollers, the async API and the monitor see what they always saw. The I/O thread's own
//! turns put the stream back too, first thing when they take the connection back (see
//! [`Lender::take_back`]), so timers, heartbeats, loss and close find it as they always did.
//!
//! The model in `tests/read_through_model.rs` checks this hand-over under loom.

use super::write_through::{Lender, Slot};
use super::{read_messages, Link, Pumped, WRITE_THROUGH_BUDGET};
use crate::engine::reason::Reason;
use crate::pipe::{Notify, PipeEvent, ReadThrough};
use mio::Token;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{MutexGuard, TryLockError};

impl Lender {
    /// Puts a stream the socket's thread took out of the poller back in, registered as the
    /// I/O thread had it; a no-op unless the slot says `reads`.
    pub(super) fn give_back_reads(&self, slot: &mut Slot) -> io::Result<()> {
        if !std::mem::take(&mut slot.reads) {
            return Ok(());
        }
        let Some(lent) = slot.lent.as_mut() else {
            return Ok(());
        };
        let link: &mut Link = &mut lent.link;
        // For reads alone: a lent connection has nothing left to write, and a stream watched
        // for writability is reported writable the moment it is registered (an
        // edge-triggered registration added while ready), which would wake the I/O thread
        // for nothing. A write that blocks watches it again.
        link.watching_writable = false;
        link.stream
            .register_watching(&self.io.registry, Token(self.token as usize), false)
    }

    /// Hands the stream back and wakes the I/O thread to finish what the socket's thread
    /// could not (its turn takes the connection back, writes what the protocol owes and arms
    /// its timers).
    fn hand_back(&self, slot: &mut Slot) {
        if let Err(e) = self.give_back_reads(slot) {
            slot.failed.get_or_insert(Reason::Io(e));
        }
        self.io.notify(self.token, PipeEvent::Readable);
    }

    /// The slot, if nobody holds it. A busy lock is the I/O thread's turn (it puts the
    /// stream back itself). A poisoned one is a read- or write-through that panicked: the
    /// I/O thread's next turn drops the connection, stream and all, and is asked for here.
    fn try_slot(&self) -> Option<MutexGuard<'_, Slot>> {
        match self.slot.try_lock() {
            Ok(slot) => Some(slot),
            Err(TryLockError::WouldBlock) => None,
            Err(TryLockError::Poisoned(_)) => {
                self.io.notify(self.token, PipeEvent::Readable);
                None
            }
        }
    }
}

impl ReadThrough for Lender {
    fn arm(&self) -> Option<RawFd> {
        let mut slot = self.try_slot()?;
        let Slot {
            lent,
            failed,
            reads,
            ..
        } = &mut *slot;
        let lent = lent.as_mut()?;
        if failed.is_some() || lent.stalled.is_some() || !lent.link.stream.is_plain() {
            return None;
        }
        if !*reads {
            // Still in the poller, the stream would wake the I/O thread as before.
            lent.link.stream.try_deregister(&self.io.registry).ok()?;
            *reads = true;
        }
        Some(lent.link.stream.as_raw_fd())
    }

    fn read_through(&self) -> bool {
        let Some(mut slot) = self.try_slot() else {
            return false;
        };
        let slot = &mut *slot;
        // Armed in this lending, by us; not handed back since.
        if !slot.reads {
            return false;
        }
        // A failure waits for the I/O thread: it gets the stream back, and is woken.
        if slot.failed.is_some() {
            self.hand_back(slot);
            return false;
        }
        let Some(lent) = slot.lent.as_mut() else {
            return false;
        };
        let mut budget = WRITE_THROUGH_BUDGET;
        let pumped = read_messages(
            &mut lent.link,
            Some(&mut lent.end),
            &mut lent.stalled,
            &mut slot.credit,
            &mut budget,
        );
        lent.end.flush();
        let smooth = match pumped {
            Ok(Pumped::Drained) => {
                // A PING's PONG and its deadline are the I/O thread's to write and to arm.
                !lent.link.conn.wants_transmit() && !lent.link.conn.has_new_timeout()
            }
            Ok(Pumped::OutOfBudget | Pumped::Stalled) => false,
            // A lent connection finished its handshake: nothing of it can come again.
            Ok(Pumped::Authenticate(_) | Pumped::Ready(_)) => {
                slot.failed = Some(Reason::Io(io::Error::other(
                    "a handshake event on a ready connection",
                )));
                false
            }
            Err(reason) => {
                slot.failed = Some(reason);
                false
            }
        };
        if !smooth {
            self.hand_back(slot);
        }
        smooth
    }

    fn disarm(&self) {
        // A busy lock is the I/O thread taking the connection back (lending never finds
        // `reads` set): it puts the stream back itself.
        if let Some(mut slot) = self.try_slot() {
            // Back in the poller, the stream is reported at once if bytes wait: the I/O
            // thread needs no other wake-up.
            if let Err(e) = self.give_back_reads(&mut slot) {
                slot.failed.get_or_insert(Reason::Io(e));
                self.io.notify(self.token, PipeEvent::Readable);
            }
        }
    }
}
