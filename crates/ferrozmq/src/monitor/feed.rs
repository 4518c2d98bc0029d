//! libzmq's wire feed as an adapter over the event queue: a thread of its own takes the
//! socket's events from a queue and sends them, as frames in either of libzmq's layouts, on
//! the PAIR, PUB or PUSH socket bound where the application asked.

use super::names::ConnectionNames;
use super::queue::EventQueue;
use super::{wire, wire_v2, EventKind, EventSet, MonitorEvent};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::socket::Socket;
use std::sync::Arc;
use std::thread::JoinHandle;

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

/// What the feed's thread turns into one message.
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

/// A running wire feed: the queue the socket's threads push to, and the thread that sends
/// what it holds.
///
/// Neither the I/O threads nor the monitored socket ever touch the feed's socket: they push
/// typed events, which costs a short lock and never waits. The thread sends each with
/// `try_send`, so an event that finds the socket's pipe at its high-water mark (SNDHWM plus
/// the reader's RCVHWM, 2000 by default), or no reader connected, is dropped, as libzmq's
/// monitor drops it. Events wait in the queue only while the thread is busy; it holds up to
/// [`Feed::CAPACITY`], and drops what comes while it is full.
pub(super) struct Feed {
    pub(super) events: EventSet,
    pub(super) version: FeedVersion,
    queue: Arc<EventQueue<FeedItem>>,
    /// Taken when the feed ends.
    sender: Option<JoinHandle<()>>,
}

impl Feed {
    /// How many events wait for the feed's thread at most.
    pub(super) const CAPACITY: usize = 2000;

    /// Binds `socket` (with LINGER 0) where the feed goes out, and starts its thread.
    /// `endpoint` must be `inproc://` (checked by the caller).
    pub(super) fn open(
        socket: Socket,
        endpoint: &str,
        events: EventSet,
        version: FeedVersion,
    ) -> Result<Feed> {
        socket
            .options()
            .set_linger(Some(std::time::Duration::ZERO))?;
        socket.bind(endpoint)?;
        let queue = Arc::new(EventQueue::new(Feed::CAPACITY));
        let sender = {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("ferrozmq-monitor".into())
                .spawn(move || send_until_end(&socket, &queue, version))
                .map_err(Error::from)?
        };
        Ok(Feed {
            events,
            version,
            queue,
            sender: Some(sender),
        })
    }

    /// Hands an item to the feed's thread; dropped if its queue is full.
    pub(super) fn push(&self, item: FeedItem) {
        self.queue.push(item);
    }
}

/// Dropping the feed ends it: MONITOR_STOPPED goes out last if it was asked for; the drop
/// returns once the feed's socket is closed and its endpoint free to bind again.
impl Drop for Feed {
    fn drop(&mut self) {
        let stopped = self
            .events
            .contains(EventKind::MonitorStopped)
            .then(|| FeedItem::Event {
                event: MonitorEvent::MonitorStopped,
                names: ConnectionNames::default(),
            });
        self.queue.end(stopped);
        // The thread never waits on anything but the queue, which has just ended.
        if let Some(sender) = self.sender.take() {
            let _ = sender.join();
        }
    }
}

/// The feed's thread: sends what the queue holds until it ends (the monitored socket
/// closed, or the feed was replaced). The context's end does not stop it: the monitored
/// socket still reports its closing, and the context waits for that socket anyway.
fn send_until_end(socket: &Socket, queue: &EventQueue<FeedItem>, version: FeedVersion) {
    while let Ok(item) = queue.take_until(None) {
        // A reader that is behind or absent loses the event (see `Feed`).
        let _ = socket.try_send_multipart(encode(item, version));
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
