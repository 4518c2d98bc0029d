//! Waiting on many sockets and file descriptors at once.
//!
//! * [`poll`]: `zmq_poll`, a one-shot wait over a list of [`PollItem`]s, in the shape of the
//!   `zmq` crate's; it looks at every item each call.
//! * [`Poller`]: `zmq_poller`, long-lived registrations where a wait costs what is ready.
//! * [`Socket::events`](crate::Socket::events) and
//!   [`Socket::fd`](crate::Socket::fd): `ZMQ_EVENTS` and `ZMQ_FD`, to drive a
//!   socket from a foreign event loop.
//!
//! All are level-triggered except `ZMQ_FD`, which follows libzmq's edge-like contract.
//! They learn about sockets by observing the socket's wake-up signal
//! (`crate::signal::Observer`), beside the socket's own blocking calls.

mod events;
mod item;
pub(crate) mod os;
mod poller;
mod readiness_fd;
mod wake;

pub use events::{PollEvents, POLLERR, POLLIN, POLLOUT};
pub use item::{poll, PollItem};
pub use poller::{Poller, PollerEvent};
pub(crate) use readiness_fd::ReadinessSlot;
