//! The typed event source: [`Monitor`], and what the socket keeps of it.

use super::queue::EventQueue;
use super::{EventKind, EventSet, MonitorEvent, MonitorHub};
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// One [`Monitor`]'s queue and the events it asked for: the socket's hub holds it while the
/// monitor lives.
pub(super) struct Subscriber {
    pub(super) events: EventSet,
    pub(super) queue: EventQueue<MonitorEvent>,
}

impl Subscriber {
    pub(super) fn new(events: EventSet) -> Subscriber {
        Subscriber {
            events,
            queue: EventQueue::new(Monitor::CAPACITY),
        }
    }

    /// Queues an event if it was asked for and there is room.
    pub(super) fn push(&self, event: MonitorEvent) {
        if self.events.contains(event.kind()) {
            self.queue.push(event);
        }
    }

    /// The socket closed: the last event (MONITOR_STOPPED, if asked for, whatever the
    /// room), then the end.
    pub(super) fn end(&self) {
        let stopped = self.events.contains(EventKind::MonitorStopped);
        self.queue
            .end(stopped.then_some(MonitorEvent::MonitorStopped));
    }
}

/// What happens to a socket's listeners and connections, as typed [`MonitorEvent`]s:
/// made by [`Socket::monitor`](crate::Socket::monitor).
///
/// Read it blocking ([`recv`](Self::recv)), with a timeout
/// ([`recv_timeout`](Self::recv_timeout)), without waiting ([`try_recv`](Self::try_recv)),
/// as an iterator ([`iter`](Self::iter), which ends when the socket closes), or from async
/// code as a [`Stream`](futures_core::Stream). A monitor may be read on another thread than its
/// socket's. Dropping it stops the reports.
///
/// Events never wait for their reader: a monitor holds up to [`CAPACITY`](Self::CAPACITY)
/// events, and those that come while it is full are dropped. When the socket closes, the
/// monitor gets [`MonitorEvent::MonitorStopped`] (if asked for) and then ends: reading
/// fails with [`Error::Closed`] and the iterator and stream end. Once the context is shut
/// down, reading fails with [`Error::Terminated`] after the events already queued.
///
/// ```
/// use ferrozmq::{Context, DisconnectReason, EventKind, MonitorEvent, PULL, PUSH};
/// use std::time::Duration;
/// let ctx = Context::new();
/// let pull = ctx.socket(PULL).unwrap();
/// let mut monitor = pull
///     .monitor(EventKind::HandshakeSucceeded | EventKind::Disconnected)
///     .unwrap();
/// let endpoint = pull.bind("tcp://127.0.0.1:*").unwrap();
///
/// let push = ctx.socket(PUSH).unwrap();
/// push.connect(&endpoint).unwrap();
/// let wait = Duration::from_secs(5);
/// let event = monitor.recv_timeout(wait).unwrap();
/// assert_eq!(event.kind(), EventKind::HandshakeSucceeded);
///
/// drop(push);
/// match monitor.recv_timeout(wait).unwrap() {
///     MonitorEvent::Disconnected { reason, .. } => {
///         assert_eq!(reason, DisconnectReason::PeerClosed)
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
pub struct Monitor {
    subscriber: Arc<Subscriber>,
    /// The socket's event hub, to stop reporting to this monitor when it is dropped. Weak:
    /// a monitor may outlive its socket, and must not keep it alive.
    hub: Weak<MonitorHub>,
}

impl Monitor {
    /// How many events a monitor holds for its reader; more are dropped.
    pub const CAPACITY: usize = 2000;

    pub(super) fn new(subscriber: Arc<Subscriber>, hub: Weak<MonitorHub>) -> Monitor {
        Monitor { subscriber, hub }
    }

    /// The next event; waits for one. Fails with [`Error::Closed`] once the socket has
    /// closed and every event was read, and with [`Error::Terminated`] when the context is
    /// shut down.
    pub fn recv(&mut self) -> Result<MonitorEvent> {
        self.recv_until(None)
    }

    /// The next event, if one comes within `timeout`: else [`Error::Again`]. Fails as
    /// [`recv`](Self::recv) does.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<MonitorEvent> {
        self.recv_until(Some(Instant::now() + timeout))
    }

    /// The next event if one is queued: else [`Error::Again`], at once. Fails as
    /// [`recv`](Self::recv) does.
    ///
    /// ```
    /// use ferrozmq::{Context, Error, EventSet, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// let mut monitor = pull.monitor(EventSet::ALL).unwrap();
    /// assert_eq!(monitor.try_recv(), Err(Error::Again));
    /// ```
    pub fn try_recv(&mut self) -> Result<MonitorEvent> {
        self.subscriber.queue.take()
    }

    /// The events as an iterator that waits for each; it ends once the socket has closed
    /// (after [`MonitorStopped`](MonitorEvent::MonitorStopped)) or the context is shut
    /// down.
    ///
    /// ```
    /// use ferrozmq::{Context, EventKind, EventSet, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// let mut monitor = pull.monitor(EventSet::ALL).unwrap();
    /// pull.bind("tcp://127.0.0.1:*").unwrap();
    /// drop(pull);
    /// let kinds: Vec<EventKind> = monitor.iter().map(|e| e.kind()).collect();
    /// assert_eq!(
    ///     kinds,
    ///     [EventKind::Listening, EventKind::Closed, EventKind::MonitorStopped]
    /// );
    /// ```
    pub fn iter(&mut self) -> impl Iterator<Item = MonitorEvent> + '_ {
        std::iter::from_fn(move || self.recv().ok())
    }

    /// The events this monitor reports.
    pub fn events(&self) -> EventSet {
        self.subscriber.events
    }

    /// How many events came while the monitor was full, and were dropped.
    #[cfg(test)]
    pub(crate) fn dropped(&self) -> u64 {
        self.subscriber.queue.dropped()
    }

    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<MonitorEvent> {
        self.subscriber.queue.take_until(deadline)
    }
}

/// The events as an async stream, under any executor; it ends when
/// [`iter`](Monitor::iter) would.
///
/// ```
/// use ferrozmq::{Context, EventKind, PULL};
/// use futures::StreamExt;
/// let ctx = Context::new();
/// let pull = ctx.socket(PULL).unwrap();
/// let mut monitor = pull.monitor(EventKind::Listening.into()).unwrap();
/// pull.bind("tcp://127.0.0.1:*").unwrap();
/// let event = futures::executor::block_on(monitor.next()).unwrap();
/// assert_eq!(event.kind(), EventKind::Listening);
/// ```
impl futures_core::Stream for Monitor {
    type Item = MonitorEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MonitorEvent>> {
        self.subscriber.queue.poll_take(cx)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.remove(&self.subscriber);
        }
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("events", &self.subscriber.events)
            .field("queued", &self.subscriber.queue.len())
            .field("dropped", &self.subscriber.queue.dropped())
            .finish()
    }
}
