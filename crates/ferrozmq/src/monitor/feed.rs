//! libzmq's wire feed as an adapter over the event queue: one thread per context takes each
//! feed's events from its queue and sends them, as frames in either of libzmq's layouts, on
//! the PAIR, PUB or PUSH socket bound where the application asked.

use super::names::ConnectionNames;
use super::queue::EventQueue;
use super::{wire, wire_v2, EventKind, EventSet, MonitorEvent};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::signal::Signal;
use crate::socket::Socket;
use std::sync::{Arc, Mutex, MutexGuard};

/// The layout of a wire feed: libzmq's `event_version`.
///
/// ```
/// assert_eq!(ferrozmq::FeedVersion::V2.number(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeedVersion {
    /// Two parts per event: 16-bit number and 32-bit value, then one endpoint
    /// ([`WireEvent`](crate::WireEvent)); libzmq's stable layout.
    V1,
    /// 64-bit number, a count of 64-bit values, the values, then the local and the remote
    /// endpoint ([`WireEventV2`](crate::WireEventV2)); a draft in libzmq.
    V2,
}

impl FeedVersion {
    /// libzmq's number for the version.
    pub const fn number(self) -> i32 {
        match self {
            FeedVersion::V1 => 1,
            FeedVersion::V2 => 2,
        }
    }
}

/// What the pump turns into one message.
pub(super) enum FeedItem {
    /// An event; `names` are both ends of its connection (version 2 only).
    Event {
        event: MonitorEvent,
        names: ConnectionNames,
    },
    /// Pipe statistics of one pipe (version 2 only): whole messages queued towards the
    /// peer, and from it.
    PipeStats {
        outbound: u64,
        inbound: u64,
        names: ConnectionNames,
    },
}

/// A running wire feed: the queue the socket's threads push to, served with every other
/// feed of the context by the context's [`FeedPump`].
///
/// Neither the I/O threads nor the monitored socket ever touch the feed's socket: they push
/// typed events, which costs a short lock and never waits. The pump sends each with
/// `try_send`, so an event that finds the socket's pipe at its high-water mark (SNDHWM plus
/// the reader's RCVHWM, 2000 by default), or no reader connected, is dropped, as libzmq's
/// monitor drops it. Events wait in the queue only while the pump is busy; it holds up to
/// [`Feed::CAPACITY`], and drops what comes while it is full.
pub(super) struct Feed {
    pub(super) events: EventSet,
    pub(super) version: FeedVersion,
    outlet: Arc<Outlet>,
    pump: Arc<FeedPump>,
}

impl Feed {
    /// How many events wait for the pump at most.
    pub(super) const CAPACITY: usize = 2000;

    /// Binds `socket` (with LINGER 0) where the feed goes out, and hands it to the
    /// context's pump. `endpoint` must be `inproc://` (checked by the caller).
    pub(super) fn open(
        pump: &Arc<FeedPump>,
        socket: Socket,
        endpoint: &str,
        events: EventSet,
        version: FeedVersion,
    ) -> Result<Feed> {
        socket
            .options()
            .set_linger(Some(std::time::Duration::ZERO))?;
        socket.bind(endpoint)?;
        let outlet = Arc::new(Outlet {
            queue: EventQueue::new(Feed::CAPACITY),
            version,
            socket: Mutex::new(Some(socket)),
        });
        if let Err(e) = pump.add(&outlet) {
            // Closes the socket: its endpoint is free again.
            drop(outlet.take_socket());
            return Err(e);
        }
        Ok(Feed {
            events,
            version,
            outlet,
            pump: pump.clone(),
        })
    }

    /// Hands an item to the pump; dropped if the feed's queue is full.
    pub(super) fn push(&self, item: FeedItem) {
        if self.outlet.queue.push(item) {
            self.pump.signal.notify();
        }
    }

    /// A handle that sends what the feed holds on the caller's thread (see [`Flush`]).
    pub(super) fn flush_handle(&self) -> Flush {
        Flush(self.outlet.clone())
    }
}

/// Sends a feed's queued items on the caller's thread, as the pump would: what a call of
/// the application (`bind`) reports is on the feed's socket when the call returns, as with
/// libzmq, whose socket sends such events from the calling thread, instead of a moment
/// later when the pump gets round to it.
///
/// It takes the outlet's lock, as the pump does, so items still go out in the order they
/// were queued, the I/O threads' among them; it waits at most for the pump's current batch
/// ([`BATCH`] `try_send`s), and sends with `try_send` too: an item that finds no room is
/// dropped, never waited for. Run it with no hub lock held (the pump takes no hub lock).
pub(super) struct Flush(Arc<Outlet>);

impl Flush {
    pub(super) fn run(self) {
        self.0.send(Feed::CAPACITY);
    }
}

/// Dropping the feed ends it: MONITOR_STOPPED goes out last if it was asked for; the drop
/// returns once the feed's socket is closed and its endpoint free to bind again.
///
/// It never waits for the pump to get round to it: it sends what is left itself and closes
/// the socket on its own thread. It waits only for the outlet's lock, which the pump holds
/// for at most [`BATCH`] `try_send`s, none of which can block or drop a feed; so the drop
/// cannot deadlock, whether it runs on an application thread, an I/O thread or the pump's,
/// and whether or not the context is shut down (sends then fail at once).
impl Drop for Feed {
    fn drop(&mut self) {
        let stopped = self
            .events
            .contains(EventKind::MonitorStopped)
            .then(|| FeedItem::Event {
                event: MonitorEvent::MonitorStopped,
                names: ConnectionNames::default(),
            });
        self.outlet.queue.end(stopped);
        // Once the outlet's lock is ours, what is still queued comes after all the pump
        // sent, and MONITOR_STOPPED after it.
        self.outlet.send(usize::MAX);
        let socket = self.outlet.take_socket();
        self.pump.remove(&self.outlet);
        drop(socket);
    }
}

/// One feed as the pump sees it: its queue, and its socket while the feed runs.
struct Outlet {
    queue: EventQueue<FeedItem>,
    version: FeedVersion,
    /// `None` once the feed ended. Locked while items are taken and sent, so that they go
    /// out in the order they were queued, whoever sends them.
    socket: Mutex<Option<Socket>>,
}

impl Outlet {
    fn lock(&self) -> MutexGuard<'_, Option<Socket>> {
        self.socket.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends up to `limit` queued items; whether it sent any.
    fn send(&self, limit: usize) -> bool {
        let socket = self.lock();
        let Some(socket) = socket.as_ref() else {
            return false;
        };
        let mut sent = 0;
        while sent < limit {
            let Ok(item) = self.queue.take() else {
                break;
            };
            // A reader that is behind or absent loses the event (see `Feed`).
            let _ = socket.try_send_multipart(encode(item, self.version));
            sent += 1;
        }
        sent > 0
    }

    fn take_socket(&self) -> Option<Socket> {
        self.lock().take()
    }
}

/// How many items the pump sends from one feed before it turns to the next, so that a busy
/// feed cannot hold up the others.
const BATCH: usize = 64;

/// The one thread that sends the wire feeds of a context, and the feeds it serves.
///
/// The thread starts with the context's first feed and ends when it has no feed left (not
/// with the context): an application that stops monitoring keeps no idle thread, and the
/// thread refers to the pump alone, never to the context, so it keeps no context alive.
/// While a feed runs, its socket holds the context, which holds the pump, which holds the
/// feed: the ring is broken when the feed ends, which the monitored socket's close does.
///
/// It takes up to [`BATCH`] items from each feed in turn and sleeps when no feed has any;
/// each feed keeps its own bounded queue, so a noisy feed drops its own events, never
/// another's.
pub(crate) struct FeedPump {
    outlets: Mutex<Outlets>,
    /// Notified when an item is queued or a feed leaves.
    signal: Signal,
}

#[derive(Default)]
struct Outlets {
    list: Vec<Arc<Outlet>>,
    /// A thread serves the list; it clears this as it ends, with the lock held.
    running: bool,
}

impl Default for FeedPump {
    fn default() -> FeedPump {
        FeedPump {
            outlets: Mutex::default(),
            signal: Signal::new(),
        }
    }
}

impl FeedPump {
    fn lock(&self) -> MutexGuard<'_, Outlets> {
        self.outlets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Serves `outlet` from now on, starting the thread if none runs.
    fn add(self: &Arc<Self>, outlet: &Arc<Outlet>) -> Result<()> {
        let mut outlets = self.lock();
        if !outlets.running {
            let pump = self.clone();
            std::thread::Builder::new()
                .name("ferrozmq-monitor".into())
                .spawn(move || pump.run())
                .map_err(Error::from)?;
            outlets.running = true;
        }
        outlets.list.push(outlet.clone());
        Ok(())
    }

    /// Stops serving `outlet`.
    fn remove(&self, outlet: &Arc<Outlet>) {
        self.lock().list.retain(|o| !Arc::ptr_eq(o, outlet));
        // The thread may have nothing left to serve, and end.
        self.signal.notify();
    }

    /// The thread: sends what the feeds queue until none is left.
    fn run(&self) {
        let mut outlets = Vec::new();
        loop {
            {
                let mut state = self.lock();
                if state.list.is_empty() {
                    state.running = false;
                    return;
                }
                outlets.clone_from(&state.list);
            }
            let mut busy = false;
            for outlet in &outlets {
                busy |= outlet.send(BATCH);
            }
            outlets.clear();
            if !busy {
                // An item queued since the feed was looked at has notified: no wake is lost.
                self.signal.wait(None);
            }
        }
    }
}

/// The frames of one item in the feed's layout.
fn encode(item: FeedItem, version: FeedVersion) -> Vec<Message> {
    match (item, version) {
        (FeedItem::Event { event, .. }, FeedVersion::V1) => {
            wire::encode(event.kind().number(), event.value(), event.endpoint()).into()
        }
        (FeedItem::Event { event, names }, FeedVersion::V2) => wire_v2::encode(
            u64::from(event.kind().number()),
            &[u64::from(event.value())],
            &names.local,
            &names.remote,
        ),
        (
            FeedItem::PipeStats {
                outbound,
                inbound,
                names,
            },
            _,
        ) => wire_v2::encode(
            u64::from(EventSet::PIPES_STATS.bits()),
            &[outbound, inbound],
            &names.local,
            &names.remote,
        ),
    }
}
