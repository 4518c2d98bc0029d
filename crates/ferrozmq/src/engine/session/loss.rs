//! Connecting, losing a connection and trying again: what is kept for the next connection,
//! what the monitor hears, and when the session is done.

use super::{Closing, Link, Origin, Session};
use crate::engine::peer_messages;
use crate::engine::pump::{Ctx, Step};
use crate::engine::reason::Reason;
use crate::engine::Owner;
use crate::monitor::{disconnect_reason, handshake_failure, EventKind};
use crate::options::{
    millis, RECONNECT_STOP_AFTER_DISCONNECT, RECONNECT_STOP_CONN_REFUSED,
    RECONNECT_STOP_HANDSHAKE_FAILED,
};
use std::collections::VecDeque;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::time::Instant;
use zmtp::Message;

/// An unfinished message from a lost peer that held this much memory (bytes, and the
/// bookkeeping of its parts) is given back to the operating system at once.
const RELEASE_AFTER: u64 = 1024 * 1024;

impl Session {
    /// Starts a connect attempt (or arranges the next one when it cannot start).
    pub(super) fn start_connect(&mut self, ctx: &mut Ctx<'_>) {
        let Origin::Connect {
            target, attempt, ..
        } = &mut self.origin
        else {
            return;
        };
        crate::trace::event!(
            debug,
            endpoint = &*self.owner.endpoint,
            attempt = *attempt,
            "connect attempt"
        );
        let result = target.connect(*attempt, &self.owner.options.tuning);
        let socks = target.socks_handshake();
        *attempt = attempt.wrapping_add(1);
        match result {
            Ok(stream) => {
                let pending = stream.connect_may_be_pending();
                let opened = self.open(stream, true, ctx);
                if let Some(link) = self.link.as_mut() {
                    link.socks = socks;
                }
                if opened.is_err() {
                    self.link = None;
                    self.schedule_reconnect(ctx);
                } else if pending {
                    self.report(
                        EventKind::ConnectDelayed,
                        crate::sys::errno::EINPROGRESS as u32,
                    );
                }
            }
            Err(e) => {
                if self.stops_reconnecting(&Reason::Io(e), false, false) {
                    self.give_up();
                } else {
                    self.schedule_reconnect(ctx);
                }
            }
        }
    }

    /// Whether RECONNECT_STOP says to give up after this failure: the peer refused the
    /// connection, a handshake failed, or an established connection ended.
    fn stops_reconnecting(&self, reason: &Reason, connected: bool, was_ready: bool) -> bool {
        let stop = self.owner.options.reconnect_stop;
        (!connected && reason.is_refusal() && stop & RECONNECT_STOP_CONN_REFUSED != 0)
            || (connected && !was_ready && stop & RECONNECT_STOP_HANDSHAKE_FAILED != 0)
            || (was_ready && stop & RECONNECT_STOP_AFTER_DISCONNECT != 0)
    }

    /// Stops reconnecting for good: the session ends when nothing else holds it.
    fn give_up(&mut self) {
        if let Origin::Connect { backoff, .. } = &mut self.origin {
            backoff.give_up();
        }
    }

    /// Arms the reconnection timer; false when reconnection is off (RECONNECT_IVL -1) or
    /// given up.
    fn schedule_reconnect(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let Origin::Connect { backoff, .. } = &mut self.origin else {
            return false;
        };
        let Some((when, delay)) = backoff.schedule(Instant::now()) else {
            return false;
        };
        ctx.wake_at(when);
        let millis = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
        crate::trace::event!(
            debug,
            endpoint = &*self.owner.endpoint,
            delay_ms = millis,
            "reconnect scheduled"
        );
        self.report(EventKind::ConnectRetried, millis);
        true
    }

    /// The socket closed: linger starts.
    pub(super) fn socket_closed(&mut self, ctx: &mut Ctx<'_>) {
        if self.closing != Closing::No {
            return;
        }
        let linger = self.owner.link.linger.load(Ordering::Acquire);
        let until = millis(linger).map(|d| Instant::now() + d);
        if let Some(when) = until {
            ctx.wake_at(when);
        }
        self.closing = Closing::Lingering { until };
    }

    /// Whether the session still has work.
    pub(super) fn step(&mut self) -> Step {
        let Closing::Lingering { until } = self.closing else {
            return Step::Keep;
        };
        if until.is_some_and(|t| Instant::now() >= t) {
            return Step::Remove;
        }
        let flushed = self.replay.is_empty()
            && self
                .link
                .as_ref()
                .is_none_or(|l| l.conn.is_flushed() && !l.conn.is_connecting());
        if self.drained && flushed {
            return Step::Remove;
        }
        // Not connected and nothing left to deliver: no reason to wait for a peer.
        if self.link.is_none() && self.replay.is_empty() {
            let pending = self.end.as_mut().is_some_and(|e| e.has_message());
            if !pending {
                return Step::Remove;
            }
        }
        Step::Keep
    }

    /// The connection is gone: keep what can be delivered later and arrange to reconnect.
    pub(super) fn lost(&mut self, reason: Reason, ctx: &mut Ctx<'_>) -> Step {
        // The peer's answer earned a write-through on this connection, not on the next.
        self.credit = false;
        let Some(mut link) = self.link.take() else {
            return self.step();
        };
        if let Reason::Protocol(_) = reason {
            link.farewell();
        }
        link.stream.deregister(ctx.registry);
        self.report_loss(&link, &reason);
        crate::trace::event!(lost: &self.owner.endpoint, link.conn.is_connecting(), link.conn.is_ready(), link.conn.mechanism(), &reason);
        let was_ready = link.conn.is_ready();
        let abandoned = link.conn.partial_message_cost();
        let connected = !link.conn.is_connecting();
        if reason.is_protocol_failure() || self.stops_reconnecting(&reason, connected, was_ready) {
            self.give_up();
        }
        if let Some(end) = self.end.as_mut() {
            // Half a message from the peer will never be finished; whole ones go on.
            end.rollback();
            end.flush();
            if was_ready {
                let loss = peer_messages::Loss {
                    accepted: matches!(self.origin, Origin::Accepted),
                    reconnecting: matches!(
                        &self.origin,
                        Origin::Connect {
                            persistent: true,
                            backoff,
                            ..
                        } if backoff.will_retry()
                    ) && self.closing == Closing::No,
                };
                peer_messages::lost(&self.owner.options, loss, end);
            }
            if self.stalled.as_ref().is_some_and(|m| m.more()) {
                self.stalled = None;
            }
        }
        let persistent = matches!(
            self.origin,
            Origin::Connect {
                persistent: true,
                ..
            }
        );
        let Link { stream, conn, .. } = link;
        if was_ready && persistent {
            let mut recovered: VecDeque<Message> = conn.into_unsent().into();
            recovered.append(&mut self.replay);
            self.replay = recovered;
        } else {
            drop(conn);
        }
        if !persistent {
            // Each connection had its own pipe; the socket reads what arrived, then drops it.
            if let Some(end) = self.end.take() {
                end.unregister();
            }
            self.stalled = None;
        }
        drop(stream);
        if abandoned >= RELEASE_AFTER {
            // The allocator keeps what the unfinished message freed for later use by this
            // thread; a peer that made us hold megabytes must not leave them held.
            crate::sys::release_free_memory();
        }
        match self.origin {
            Origin::Accepted => Step::Remove,
            Origin::Connect { .. } => {
                if self.closing != Closing::No && self.end.is_none() {
                    return Step::Remove;
                }
                if !self.schedule_reconnect(ctx) {
                    return Step::Remove;
                }
                self.step()
            }
        }
    }

    /// Tells the monitor how a connection ended, in libzmq's terms: a connect that never
    /// completed is CLOSED; a connection that did is DISCONNECTED (with why), after the
    /// reason its handshake failed if it never finished one.
    fn report_loss(&self, link: &Link, reason: &Reason) {
        let fd = link.stream.as_raw_fd() as u32;
        if link.conn.is_connecting() {
            self.report(EventKind::Closed, fd);
            return;
        }
        if !link.conn.is_ready() {
            let (kind, value) = handshake_failure(reason);
            self.report(kind, value);
        }
        let Owner {
            link: owner,
            endpoint,
            ..
        } = &self.owner;
        owner
            .monitor
            .emit_disconnected(fd, endpoint, disconnect_reason(reason));
    }
}
