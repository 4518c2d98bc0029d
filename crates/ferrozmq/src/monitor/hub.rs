//! Where a socket's events go: to the typed monitors it made, and to libzmq's wire feed.

use super::feed::{Feed, FeedVersion};
use super::names::{ConnectionNames, NameBook, NameSlot};
use super::source::EventQueue;
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
    /// Every kind some sink asked for, plus [`NAMING`] while a version 2 feed runs; 0 while
    /// none listens; read without the lock.
    mask: AtomicU32,
    sinks: Mutex<Sinks>,
}

/// In [`MonitorHub::mask`]: a version 2 feed runs, which names both ends of connections,
/// so the events that tell about connections are looked at even when not reported.
const NAMING: u32 = 1 << 31;

/// Whether an event of this kind carries the descriptor of the listener or connection it
/// is about, which names it.
fn carries_descriptor(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Connected
            | EventKind::Accepted
            | EventKind::HandshakeSucceeded
            | EventKind::Disconnected
            | EventKind::Listening
            | EventKind::Closed
    )
}

#[derive(Default)]
struct Sinks {
    feed: Option<Feed>,
    queues: Vec<Arc<EventQueue>>,
    /// The endpoints of listeners and connections, while a version 2 feed runs.
    names: NameBook,
}

impl Sinks {
    fn mask(&self) -> u32 {
        let feed = self.feed.as_ref().map_or(0, |f| match f.version {
            FeedVersion::V1 => f.events.bits(),
            FeedVersion::V2 => f.events.bits() | NAMING,
        });
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

    /// Whether some sink wants the event, or a version 2 feed must learn from it.
    #[inline]
    fn wants(&self, kind: EventKind) -> bool {
        let mask = self.mask.load(Ordering::Relaxed);
        mask & u32::from(kind.number()) != 0 || (mask & NAMING != 0 && carries_descriptor(kind))
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
        let mut sinks = self.lock();
        let sinks = &mut *sinks;
        if let Some(feed) = &sinks.feed {
            match feed.version {
                FeedVersion::V1 => {
                    if feed.events.contains(kind) {
                        feed.send_v1(kind.number(), wire_value, endpoint);
                    }
                }
                FeedVersion::V2 => {
                    // Events about one connection or listener carry its descriptor.
                    let fd = carries_descriptor(kind).then_some(typed_value);
                    let names = sinks.names.observe(kind, fd, endpoint);
                    if feed.events.contains(kind) {
                        let number = u64::from(kind.number());
                        feed.send_v2(number, &[u64::from(wire_value)], &names);
                    }
                }
            }
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
    /// [`Socket::monitor_versioned`] documents.
    ///
    /// [`Socket::monitor_versioned`]: crate::Socket::monitor_versioned
    pub(crate) fn open_feed(
        &self,
        ctx: &Arc<ContextShared>,
        endpoint: Option<&str>,
        events: EventSet,
        version: FeedVersion,
        socket_type: SocketType,
    ) -> Result<()> {
        if !matches!(
            socket_type,
            SocketType::Pair | SocketType::Pub | SocketType::Push
        ) {
            return Err(Error::InvalidArgument(
                "a monitor feed goes out on a PAIR, PUB or PUSH socket",
            ));
        }
        if version == FeedVersion::V1 && events.includes(EventSet::PIPES_STATS) {
            return Err(Error::InvalidArgument(
                "pipe statistics are a version 2 monitor event",
            ));
        }
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
            Socket::new(ctx.clone(), socket_type)?,
            endpoint,
            events,
            version,
        )?;
        let mut sinks = self.lock();
        sinks.feed = Some(feed);
        sinks.names = NameBook::default();
        self.mask.store(sinks.mask(), Ordering::Relaxed);
        Ok(())
    }

    /// Ends the wire feed with a MONITOR_STOPPED event, if one was asked for.
    fn stop_feed(&self) {
        let mut sinks = self.lock();
        let Some(old) = sinks.feed.take() else {
            return;
        };
        sinks.names = NameBook::default();
        self.mask.store(sinks.mask(), Ordering::Relaxed);
        drop(sinks);
        if old.events.contains(EventKind::MonitorStopped) {
            let number = EventKind::MonitorStopped.number();
            match old.version {
                FeedVersion::V1 => old.send_v1(number, 0, ""),
                FeedVersion::V2 => {
                    old.send_v2(u64::from(number), &[0], &ConnectionNames::default())
                }
            }
        }
    }

    /// Whether a wire feed asks for pipe statistics.
    pub(crate) fn wants_pipes_stats(&self) -> bool {
        self.lock()
            .feed
            .as_ref()
            .is_some_and(|f| f.events.includes(EventSet::PIPES_STATS))
    }

    /// The socket attached a pipe that came through `endpoint`: where its connection's
    /// names will be found, while a version 2 feed runs and the endpoint is a listener's.
    pub(crate) fn pipe_attached(&self, endpoint: &str) -> Option<NameSlot> {
        if self.mask.load(Ordering::Relaxed) & NAMING == 0 {
            return None;
        }
        self.lock().names.attached(endpoint)
    }

    /// Sends one pipe statistics event per pipe to a feed that asked for them: the names
    /// of its connection, the messages queued towards the peer and from it.
    pub(crate) fn emit_pipes_stats<'a>(
        &self,
        pipes: impl IntoIterator<Item = (&'a str, Option<&'a NameSlot>, u64, u64)>,
    ) {
        let sinks = self.lock();
        let Some(feed) = sinks
            .feed
            .as_ref()
            .filter(|f| f.events.includes(EventSet::PIPES_STATS))
        else {
            return;
        };
        for (endpoint, slot, outbound, inbound) in pipes {
            let names = sinks.names.pipe_names(endpoint, slot);
            feed.send_v2(
                u64::from(EventSet::PIPES_STATS.bits()),
                &[outbound, inbound],
                &names,
            );
        }
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
