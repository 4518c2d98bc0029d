//! The typed event source: [`Monitor`], and the queue the engine fills for it.

use super::{EventKind, EventSet, MonitorEvent};
use crate::error::{Error, Result};
use crate::signal::Signal;
use crate::socket::mailbox::SocketLink;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Events for one [`Monitor`], filled by the socket's threads, read by the monitor's.
pub(super) struct EventQueue {
    pub(super) events: EventSet,
    state: Mutex<QueueState>,
    signal: Signal,
}

#[derive(Default)]
struct QueueState {
    queued: VecDeque<MonitorEvent>,
    /// The socket closed: no event will come after those queued.
    ended: bool,
    /// The socket's context was shut down.
    terminated: bool,
}

impl EventQueue {
    pub(super) fn new(events: EventSet) -> EventQueue {
        EventQueue {
            events,
            state: Mutex::new(QueueState::default()),
            signal: Signal::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event if it was asked for and there is room. Never blocks on the reader.
    pub(super) fn push(&self, event: MonitorEvent) {
        if !self.events.contains(event.kind()) {
            return;
        }
        let mut state = self.lock();
        if state.ended || state.queued.len() >= Monitor::CAPACITY {
            return;
        }
        state.queued.push_back(event);
        drop(state);
        self.signal.notify();
    }

    /// The socket closed: the last event (MONITOR_STOPPED, if asked for, whatever the
    /// room), then the end.
    pub(super) fn end(&self) {
        let mut state = self.lock();
        if state.ended {
            return;
        }
        if self.events.contains(EventKind::MonitorStopped) {
            state.queued.push_back(MonitorEvent::MonitorStopped);
        }
        state.ended = true;
        drop(state);
        self.signal.notify();
    }

    pub(super) fn terminate(&self) {
        self.lock().terminated = true;
        self.signal.notify();
    }

    /// The next event; [`Error::Again`] while none is queued.
    fn take(&self) -> Result<MonitorEvent> {
        let mut state = self.lock();
        match state.queued.pop_front() {
            Some(event) => Ok(event),
            None if state.ended => Err(Error::Closed),
            None if state.terminated => Err(Error::Terminated),
            None => Err(Error::Again),
        }
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
    queue: Arc<EventQueue>,
    /// The socket's shared half, to stop reporting to this monitor when it is dropped.
    socket: Weak<SocketLink>,
}

impl Monitor {
    /// How many events a monitor holds for its reader; more are dropped.
    pub const CAPACITY: usize = 2000;

    pub(super) fn new(queue: Arc<EventQueue>, socket: Weak<SocketLink>) -> Monitor {
        Monitor { queue, socket }
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
        self.queue.take()
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
        self.queue.events
    }

    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<MonitorEvent> {
        loop {
            match self.queue.take() {
                Err(Error::Again) => {}
                done => return done,
            }
            if !self.queue.signal.wait(deadline) {
                // One last look: an event may have come with the deadline.
                return self.queue.take();
            }
        }
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
        loop {
            match self.queue.take() {
                Ok(event) => return Poll::Ready(Some(event)),
                Err(Error::Again) => {}
                Err(_) => return Poll::Ready(None),
            }
            if self.queue.signal.poll_wait(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if let Some(socket) = self.socket.upgrade() {
            socket.monitor.remove(&self.queue);
        }
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("events", &self.queue.events)
            .field("queued", &self.queue.lock().queued.len())
            .finish()
    }
}
