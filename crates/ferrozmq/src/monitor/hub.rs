//! Where a socket's events go: the event queues of the typed monitors it made, and of
//! libzmq's wire feed.

use super::feed::{Feed, FeedItem, FeedVersion};
use super::names::{NameBook, NameSlot};
use super::source::Subscriber;
use super::{DisconnectReason, EventKind, EventSet, Monitor, MonitorEvent};
use crate::context::ContextShared;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::socket::Socket;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use zmtp::SocketType;

/// A socket's event sinks, each an event queue with one reader. The socket and its I/O
/// threads push typed events here; nothing here refers back to the socket, so a monitor
/// or a feed never keeps a closed socket alive. An unmonitored socket pays one atomic load
/// per event.
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
    monitors: Vec<Arc<Subscriber>>,
    /// The endpoints of listeners and connections, while a version 2 feed runs.
    names: NameBook,
    /// The socket closed: new monitors end at once.
    closed: bool,
    /// The context was shut down: new monitors' readers must not wait.
    terminated: bool,
}

impl Sinks {
    fn mask(&self) -> u32 {
        let feed = self.feed.as_ref().map_or(0, |f| match f.version {
            FeedVersion::V1 => f.events.bits(),
            FeedVersion::V2 => f.events.bits() | NAMING,
        });
        self.monitors
            .iter()
            .fold(feed, |mask, m| mask | m.events.bits())
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

    /// Reports an event raised by a call of the application, on its thread: unlike
    /// [`emit`](Self::emit), the wire feed's socket has it (and whatever the feed held
    /// before it) when this returns, as libzmq's LISTENING and BIND_FAILED are there when
    /// `zmq_bind` returns. Never blocks on a reader: a full feed drops, as always.
    pub(crate) fn emit_now(&self, kind: EventKind, value: u32, endpoint: &str) {
        if !self.wants(kind) {
            return;
        }
        self.send(kind, value, value, endpoint, None);
        let flush = self.lock().feed.as_ref().map(|f| f.flush_handle());
        // Outside the hub's lock: the I/O threads report under it meanwhile.
        if let Some(flush) = flush {
            flush.run();
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
        let Some(event) = MonitorEvent::new(kind, typed_value, endpoint, reason) else {
            return;
        };
        // The wire feed sends the value libzmq sends, which the typed event gives back.
        debug_assert_eq!(event.value(), wire_value);
        if let Some(feed) = &sinks.feed {
            let names = match feed.version {
                FeedVersion::V1 => Default::default(),
                // Events about one connection or listener carry its descriptor.
                FeedVersion::V2 => {
                    let fd = carries_descriptor(kind).then_some(typed_value);
                    sinks.names.observe(kind, fd, endpoint)
                }
            };
            if feed.events.contains(kind) {
                feed.push(FeedItem::Event {
                    event: event.clone(),
                    names,
                });
            }
        }
        for monitor in &sinks.monitors {
            monitor.push(event.clone());
        }
    }

    /// A new typed monitor of the socket whose hub this is.
    pub(crate) fn monitor(
        self: &Arc<Self>,
        ctx: &ContextShared,
        events: EventSet,
    ) -> Result<Monitor> {
        if ctx.is_terminated() {
            return Err(Error::Terminated);
        }
        let subscriber = Arc::new(Subscriber::new(events));
        let mut sinks = self.lock();
        if sinks.closed {
            subscriber.end();
        } else {
            sinks.monitors.push(subscriber.clone());
            self.mask.store(sinks.mask(), Ordering::Relaxed);
        }
        if sinks.terminated {
            subscriber.queue.terminate();
        }
        drop(sinks);
        Ok(Monitor::new(subscriber, Arc::downgrade(self)))
    }

    /// Stops reporting to a typed monitor (it was dropped).
    pub(super) fn remove(&self, subscriber: &Arc<Subscriber>) {
        let mut sinks = self.lock();
        sinks.monitors.retain(|m| !Arc::ptr_eq(m, subscriber));
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
            ctx.feed_pump(),
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
        // Outside the lock: the feed sends what it still holds, and closes its socket.
        drop(old);
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
            feed.push(FeedItem::PipeStats {
                outbound,
                inbound,
                names: sinks.names.pipe_names(endpoint, slot),
            });
        }
    }

    /// The socket closed: every sink gets its last event.
    pub(crate) fn stop(&self) {
        self.stop_feed();
        let mut sinks = self.lock();
        sinks.closed = true;
        let monitors = std::mem::take(&mut sinks.monitors);
        self.mask.store(sinks.mask(), Ordering::Relaxed);
        drop(sinks);
        for monitor in monitors {
            monitor.end();
        }
    }

    /// The context was shut down: typed monitors' readers waiting for events must return.
    /// The wire feed goes on until the socket closes (its sends fail once its own socket is
    /// shut down too); the context waits for that socket anyway.
    pub(crate) fn terminate(&self) {
        let mut sinks = self.lock();
        sinks.terminated = true;
        for monitor in &sinks.monitors {
            monitor.queue.terminate();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Context, EventKind, EventSet, MonitorEvent, WireEvent, PAIR, PULL, PUSH};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Waits until `done` holds, for up to five seconds.
    fn eventually(mut done: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        done()
    }

    #[test]
    fn a_closed_socket_with_monitors_and_a_feed_attached_is_freed() {
        let ctx = Context::new();
        let socket = ctx.socket(PULL).unwrap();
        let mut monitor = socket.monitor(EventSet::ALL).unwrap();
        socket
            .monitor_to(Some("inproc://freed-feed"), EventSet::ALL)
            .unwrap();
        let reader = ctx.socket(PAIR).unwrap();
        reader.connect("inproc://freed-feed").unwrap();
        let endpoint = socket.bind("tcp://127.0.0.1:*").unwrap();
        socket.bind("inproc://freed-socket").unwrap();
        let peer = ctx.socket(PUSH).unwrap();
        peer.connect(&endpoint).unwrap();
        let wait = Duration::from_secs(5);
        let handshake = std::iter::from_fn(|| monitor.recv_timeout(wait).ok())
            .find(|e| e.kind() == EventKind::HandshakeSucceeded);
        assert!(handshake.is_some(), "the peer never connected");

        let link = Arc::downgrade(&socket.link());
        let hub = Arc::downgrade(&socket.link().monitor);
        drop(socket);
        drop(peer);
        // The I/O thread lets go of the socket once its connections and listener are gone.
        assert!(eventually(|| link.strong_count() == 0), "the socket leaked");
        assert_eq!(hub.strong_count(), 0, "the event hub leaked");
        // The monitor outlives its socket, reads what was queued, and then ends.
        let kinds: Vec<EventKind> = monitor.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds.last(), Some(&EventKind::MonitorStopped));
        // The feed's socket is closed too: its endpoint is free, and its events stay readable.
        reader
            .options()
            .set_rcvtimeo(Some(Duration::from_secs(5)))
            .unwrap();
        let stopped = std::iter::from_fn(|| WireEvent::recv(&reader).ok())
            .find(|e| e.kind == EventKind::MonitorStopped);
        assert!(stopped.is_some(), "the feed never said it stopped");
        let rebind = ctx.socket(PAIR).unwrap();
        rebind.bind("inproc://freed-feed").unwrap();
    }

    #[test]
    fn closing_a_monitored_socket_of_a_shut_down_context_ends_its_feed_at_once() {
        let ctx = Context::new();
        let socket = ctx.socket(PULL).unwrap();
        socket
            .monitor_to(Some("inproc://shut-down-feed"), EventSet::ALL)
            .unwrap();
        let reader = ctx.socket(PAIR).unwrap();
        reader
            .options()
            .set_rcvtimeo(Some(Duration::from_secs(5)))
            .unwrap();
        reader.connect("inproc://shut-down-feed").unwrap();
        socket.bind("tcp://127.0.0.1:*").unwrap();
        assert_eq!(WireEvent::recv(&reader).unwrap().kind, EventKind::Listening);
        ctx.shutdown();
        // The feed's socket is shut down too: the close must neither wait for it to send
        // nor for the feed thread.
        let (closed, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(socket);
            closed.send(()).unwrap();
        });
        assert!(
            done.recv_timeout(Duration::from_secs(5)).is_ok(),
            "closing the monitored socket hangs"
        );
        drop(reader);
        drop(ctx);
    }

    #[test]
    fn a_monitor_nobody_reads_keeps_the_oldest_events_and_counts_the_rest() {
        let ctx = Context::new();
        let socket = ctx.socket(PULL).unwrap();
        let mut monitor = socket.monitor(EventKind::BindFailed.into()).unwrap();
        let taken = ctx.socket(PULL).unwrap();
        let endpoint = taken.bind("tcp://127.0.0.1:*").unwrap();
        let extra = 25;
        for _ in 0..crate::Monitor::CAPACITY + extra {
            assert!(socket.bind(&endpoint).is_err());
        }
        assert_eq!(monitor.dropped(), extra as u64);
        let queued: Vec<MonitorEvent> = std::iter::from_fn(|| monitor.try_recv().ok()).collect();
        assert_eq!(queued.len(), crate::Monitor::CAPACITY);
        assert!(queued.iter().all(
            |e| matches!(e, MonitorEvent::BindFailed { errno, .. } if *errno == crate::sys::errno::EADDRINUSE)
        ));
    }
}
