//! Where a socket's events go: to the typed monitors it made, and to libzmq's wire feed.

use super::source::EventQueue;
use super::wire::Feed;
use super::{DisconnectReason, EventKind, EventSet, Monitor, MonitorEvent};
use crate::context::ContextShared;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::socket::mailbox::SocketLink;
use crate::socket::Socket;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use zmtp::SocketType;

/// A socket's event sinks. An unmonitored socket pays one atomic load per event.
#[derive(Default)]
pub(crate) struct MonitorHub {
    /// Every kind some sink asked for, 0 while none listens; read without the lock.
    mask: AtomicU32,
    sinks: Mutex<Sinks>,
}

#[derive(Default)]
struct Sinks {
    feed: Option<Feed>,
    queues: Vec<Arc<EventQueue>>,
}

impl Sinks {
    fn mask(&self) -> u32 {
        let feed = self.feed.as_ref().map_or(0, |f| f.events.bits());
        self.queues
            .iter()
            .fold(feed, |mask, q| mask | q.events.bits())
    }
}

impl MonitorHub {
    fn lock(&self) -> MutexGuard<'_, Sinks> {
        self.sinks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reports an event, if some sink asked for it. Never blocks on a reader.
    #[inline]
    pub(crate) fn emit(&self, kind: EventKind, value: u32, endpoint: &str) {
        if self.wants(kind) {
            self.send(kind, value, value, endpoint, None);
        }
    }

    /// Reports a lost connection, and why.
    #[inline]
    pub(crate) fn emit_disconnected(&self, fd: u32, endpoint: &str, reason: DisconnectReason) {
        if self.wants(EventKind::Disconnected) {
            self.send(EventKind::Disconnected, fd, fd, endpoint, Some(reason));
        }
    }

    /// Reports a completed handshake on the connection with descriptor `fd`: typed monitors
    /// get the descriptor, the wire feed 0, as libzmq sends.
    #[inline]
    pub(crate) fn emit_handshake_succeeded(&self, fd: u32, endpoint: &str) {
        if self.wants(EventKind::HandshakeSucceeded) {
            self.send(EventKind::HandshakeSucceeded, 0, fd, endpoint, None);
        }
    }

    #[inline]
    fn wants(&self, kind: EventKind) -> bool {
        self.mask.load(Ordering::Relaxed) & u32::from(kind.number()) != 0
    }

    /// Hands an event to the sinks that want it: `wire_value` to the wire feed,
    /// `typed_value` to the typed monitors (they differ where the typed event says more).
    #[cold]
    fn send(
        &self,
        kind: EventKind,
        wire_value: u32,
        typed_value: u32,
        endpoint: &str,
        reason: Option<DisconnectReason>,
    ) {
        // The mask may have changed since the unlocked look: the sinks' own are the truth.
        let sinks = self.lock();
        if let Some(feed) = &sinks.feed {
            feed.send(kind, wire_value, endpoint);
        }
        let wanted = sinks.queues.iter().filter(|q| q.events.contains(kind));
        let mut event = None;
        for queue in wanted {
            let event =
                event.get_or_insert_with(|| MonitorEvent::new(kind, typed_value, endpoint, reason));
            if let Some(event) = event {
                queue.push(event.clone());
            }
        }
    }

    /// A new typed monitor of the socket whose hub this is.
    pub(crate) fn monitor(
        &self,
        ctx: &ContextShared,
        link: &Arc<SocketLink>,
        events: EventSet,
    ) -> Result<Monitor> {
        if ctx.is_terminated() {
            return Err(Error::Terminated);
        }
        let queue = Arc::new(EventQueue::new(events));
        let mut sinks = self.lock();
        sinks.queues.push(queue.clone());
        self.mask.store(sinks.mask(), Ordering::Relaxed);
        drop(sinks);
        if link.is_closed() {
            queue.end();
        }
        Ok(Monitor::new(queue, Arc::downgrade(link)))
    }

    /// Stops reporting to a typed monitor (it was dropped).
    pub(super) fn remove(&self, queue: &Arc<EventQueue>) {
        let mut sinks = self.lock();
        sinks.queues.retain(|q| !Arc::ptr_eq(q, queue));
        self.mask.store(sinks.mask(), Ordering::Relaxed);
    }

    /// Starts, restarts, or with no endpoint stops the wire feed, as
    /// [`Socket::monitor_to`] documents.
    pub(crate) fn open_feed(
        &self,
        ctx: &Arc<ContextShared>,
        endpoint: Option<&str>,
        events: EventSet,
    ) -> Result<()> {
        let Some(endpoint) = endpoint else {
            self.stop_feed();
            return Ok(());
        };
        if !matches!(Endpoint::parse(endpoint)?, Endpoint::Inproc(_)) {
            return Err(Error::ProtocolNotSupported(endpoint.to_string()));
        }
        if ctx.is_terminated() {
            return Err(Error::Terminated);
        }
        // The old feed goes first, so that its endpoint can be bound again.
        self.stop_feed();
        let feed = Feed::open(
            Socket::new(ctx.clone(), SocketType::Pair)?,
            endpoint,
            events,
        )?;
        let mut sinks = self.lock();
        sinks.feed = Some(feed);
        self.mask.store(sinks.mask(), Ordering::Relaxed);
        Ok(())
    }

    /// Ends the wire feed with a MONITOR_STOPPED event, if one was asked for.
    fn stop_feed(&self) {
        let mut sinks = self.lock();
        let Some(old) = sinks.feed.take() else {
            return;
        };
        self.mask.store(sinks.mask(), Ordering::Relaxed);
        drop(sinks);
        old.send(EventKind::MonitorStopped, 0, "");
    }

    /// The socket closed: every sink gets its last event.
    pub(crate) fn stop(&self) {
        self.stop_feed();
        let mut sinks = self.lock();
        let queues = std::mem::take(&mut sinks.queues);
        self.mask.store(sinks.mask(), Ordering::Relaxed);
        drop(sinks);
        for queue in queues {
            queue.end();
        }
    }

    /// The context was shut down: readers waiting for events must return.
    pub(crate) fn terminate(&self) {
        for queue in &self.lock().queues {
            queue.terminate();
        }
    }
}
