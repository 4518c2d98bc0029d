//! What a socket shares with the threads that serve it: its identity, its mailbox and the
//! signal it sleeps on, and where its monitor events go.

use crate::monitor::MonitorHub;
use crate::pipe::{Notify, PipeEnd, PipeEvent};
use crate::signal::{Observer, ObserverId, Signal, Woken};
use bytes::Bytes;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use zmtp::SocketType;

/// Who is at the other end of a new pipe.
#[derive(Clone, Debug)]
pub(crate) struct PeerDetails {
    /// The routing id the peer goes by: what it announced (its `Identity` property, or an
    /// inproc peer's ROUTING_ID), or what CONNECT_ROUTING_ID assigned. Empty when none.
    pub(crate) routing_id: Bytes,
    /// The endpoint the pipe came through, for diagnostics.
    pub(crate) endpoint: Arc<str>,
}

impl PeerDetails {
    /// Whether the pipe leads to a udp socket, whose peers never say what they want sent
    /// (a RADIO sends them every group).
    pub(crate) fn is_udp(&self) -> bool {
        self.endpoint.starts_with("udp://")
    }
}

/// Something that happened to a socket while it was not looking.
pub(crate) enum SocketEvent {
    /// A new pipe: an accepted connection finished its handshake, or an inproc peer
    /// connected.
    Attach(PipeEnd, PeerDetails),
    /// Something happened on a pipe the socket registered with `token`.
    Pipe { token: u64, event: PipeEvent },
}

struct Queue {
    events: Vec<SocketEvent>,
    closed: bool,
}

/// The part of a socket other threads may reach: the I/O threads (which post new pipes,
/// read LINGER and the type, report events), peer sockets' pipes (which notify), the
/// context (which terminates) and pollers (which observe the signal). What only the
/// socket's owner uses (ZMQ_FD, the pipes, the options) stays in the socket.
pub(crate) struct SocketLink {
    pub(crate) socket_type: SocketType,
    /// LINGER, read by connections when the socket closes.
    pub(crate) linger: AtomicI32,
    queue: Mutex<Queue>,
    pending: AtomicBool,
    signal: Signal,
    /// Set when the context shuts down: blocked calls must return.
    terminated: AtomicBool,
    /// Where the socket's monitor events go, if anywhere: its typed monitors and libzmq's
    /// wire feed. Shared with the monitors (weakly), which never reach the rest of the link.
    pub(crate) monitor: Arc<MonitorHub>,
}

impl SocketLink {
    pub(crate) fn new(socket_type: SocketType, linger: i32) -> Self {
        SocketLink {
            socket_type,
            linger: AtomicI32::new(linger),
            queue: Mutex::new(Queue {
                events: Vec::new(),
                closed: false,
            }),
            pending: AtomicBool::new(false),
            signal: Signal::new(),
            terminated: AtomicBool::new(false),
            monitor: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers an event and wakes the socket. Events for a closed socket are dropped at
    /// once (dropping a pipe end closes it, so its other side learns the socket is gone).
    pub(crate) fn post(&self, event: SocketEvent) {
        let mut queue = self.lock();
        if queue.closed {
            drop(queue);
            drop(event);
            return;
        }
        queue.events.push(event);
        self.pending.store(true, Ordering::Release);
        drop(queue);
        self.signal.notify();
    }

    /// True when events are waiting.
    #[inline]
    pub(crate) fn has_events(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Moves the waiting events into `into`.
    pub(crate) fn take_events(&self, into: &mut Vec<SocketEvent>) {
        let mut queue = self.lock();
        self.pending.store(false, Ordering::Relaxed);
        std::mem::swap(&mut queue.events, into);
    }

    /// Refuses further events and returns those still waiting, to be dropped by the caller
    /// outside the lock.
    pub(crate) fn close(&self) -> Vec<SocketEvent> {
        let mut queue = self.lock();
        queue.closed = true;
        std::mem::take(&mut queue.events)
    }

    /// True once the socket has closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Sleeps until an event arrives or `deadline` passes; false on timeout.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        self.signal.wait(deadline)
    }

    /// [`wait`](Self::wait), but also ends when `fd` is readable (see
    /// [`Signal::wait_or_readable`]); `None` when this thread cannot wait so.
    pub(crate) fn wait_or_readable(
        &self,
        deadline: Option<Instant>,
        fd: std::os::fd::RawFd,
    ) -> Option<Woken> {
        self.signal.wait_or_readable(deadline, fd)
    }

    /// The async form of [`wait`](Self::wait).
    pub(crate) fn poll_wait(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.signal.poll_wait(cx)
    }

    /// Marks the context terminated and wakes the socket, and its monitors' readers.
    pub(crate) fn terminate(&self) {
        self.terminated.store(true, Ordering::Release);
        self.signal.notify();
        self.monitor.terminate();
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::Acquire)
    }

    /// Has `observer` hear every wake-up of the socket (see [`Signal::add_observer`]).
    pub(crate) fn add_observer(&self, observer: Arc<dyn Observer>) -> ObserverId {
        self.signal.add_observer(observer)
    }

    /// Undoes [`add_observer`](Self::add_observer).
    pub(crate) fn remove_observer(&self, id: ObserverId) {
        self.signal.remove_observer(id);
    }

    /// The owner is about to act on the socket itself (see [`Signal::owner_acted`]).
    #[inline]
    pub(crate) fn owner_acted(&self) {
        self.signal.owner_acted();
    }
}

impl Notify for SocketLink {
    fn notify(&self, token: u64, event: PipeEvent) {
        self.post(SocketEvent::Pipe { token, event });
    }
}

/// A notify target that is not known yet: an inproc connection made before the bind. Events
/// before the target is set are dropped; the binder inspects the pipe when it attaches it.
#[derive(Default)]
pub(crate) struct DeferredTarget(std::sync::OnceLock<Arc<SocketLink>>);

impl DeferredTarget {
    pub(crate) fn set(&self, link: Arc<SocketLink>) {
        let _ = self.0.set(link);
    }
}

impl Notify for DeferredTarget {
    fn notify(&self, token: u64, event: PipeEvent) {
        if let Some(link) = self.0.get() {
            link.notify(token, event);
        }
    }
}
