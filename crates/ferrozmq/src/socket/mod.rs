//! The public socket.

// First: rustdoc lists a type's impl blocks in the order it meets them (child modules
// before the parent's own items), and the everyday calls should lead `Socket`'s page, the
// options every socket type has `SocketOptions`'.
mod calls;
mod options;

mod addressed;
mod connection_options;
mod core;
mod delivery;
pub(crate) mod mailbox;
mod message_properties;
mod pattern;
mod peer_messages;
mod pipes;
mod routing_options;
mod security_options;
mod send_flags;
mod socks_options;
mod types;
mod wss_options;

use crate::context::ContextShared;
use crate::error::{Error, Result};
pub use connection_options::ReconnectStop;
use core::SocketCore;
pub(crate) use core::TrySend;
pub use options::SocketOptions;
pub use peer_messages::RouterNotify;
pub use security_options::Mechanism;
pub use send_flags::SendFlags;
use std::cell::RefCell;
use std::sync::Arc;
use zmtp::SocketType;

/// A ZeroMQ socket.
///
/// Made by [`Context::socket`](crate::Context::socket). Like a libzmq socket, a `Socket` may
/// move between threads (`Send`) but is used by one thread at a time (not `Sync`: the
/// compiler refuses to share one, so two threads can never race on it); its methods take
/// `&self`. Dropping it closes it; messages still queued for peers are delivered in the
/// background for as long as LINGER allows
/// ([`set_linger`](SocketOptions::set_linger)).
///
/// The everyday calls come first: [`bind`](Self::bind) and [`connect`](Self::connect),
/// the `send` family ([`send`](Self::send) a final part, [`send_more`](Self::send_more) a
/// part with more to follow, [`try_send`](Self::try_send) without waiting,
/// [`send_multipart`](Self::send_multipart) a whole message), the `recv` family,
/// [`subscribe`](Self::subscribe), then the [`options`](Self::options) and the
/// [`monitor`](Self::monitor). Blocking calls wait as long as the socket's SNDTIMEO or
/// RCVTIMEO allows (for ever by default) and then fail with [`Error::Again`], as `try_`
/// calls do at once.
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// let ctx = ferrozmq::Context::new();
/// shared(&ctx.socket(ferrozmq::PUSH).unwrap()); // a Socket is not Sync
/// ```
///
/// ```
/// use ferrozmq::{Context, REP, REQ};
/// let ctx = Context::new();
/// let server = ctx.socket(REP).unwrap();
/// server.bind("inproc://hello").unwrap();
/// let client = ctx.socket(REQ).unwrap();
/// client.connect("inproc://hello").unwrap();
///
/// client.send("Are you OK?").unwrap();
/// assert_eq!(server.recv().unwrap(), "Are you OK?");
/// server.send("I am OK!").unwrap();
/// assert_eq!(client.recv().unwrap(), "I am OK!");
/// ```
pub struct Socket {
    core: RefCell<SocketCore>,
    /// ZMQ_FD, once asked for ([`fd`](Self::fd)).
    pub(crate) readiness_fd: RefCell<crate::poll::ReadinessSlot>,
}

// ---- What the library needs from a socket ----
impl Socket {
    pub(crate) fn new(ctx: Arc<ContextShared>, socket_type: SocketType) -> Result<Socket> {
        Ok(Socket {
            core: RefCell::new(SocketCore::new(ctx, socket_type)?),
            readiness_fd: RefCell::default(),
        })
    }

    fn core(&self) -> std::cell::RefMut<'_, SocketCore> {
        let core = self.core.borrow_mut();
        // Every public operation passes here, and some change what the socket is ready for
        // with no peer involved (a REP that replied may be readable again at once): pollers
        // holding the socket must look at it again (see `crate::poll`).
        core.link.owner_acted();
        core
    }

    /// Sends a part if the socket can take it now; a part it has no room for comes back
    /// (the async API keeps it and retries once woken).
    pub(crate) fn offer(&self, part: zmtp::Message) -> Result<TrySend> {
        self.core().try_send(part)
    }

    /// SERVER, PEER: [`offer`](Self::offer) to the peer with this routing id.
    pub(crate) fn offer_to(&self, routing_id: u32, part: zmtp::Message) -> Result<TrySend> {
        self.core()
            .try_send_to(&pattern::Address::Peer(routing_id), part)
    }

    /// RADIO: [`offer`](Self::offer) to a group's dishes.
    pub(crate) fn offer_to_group(&self, group: &str, part: zmtp::Message) -> Result<TrySend> {
        let group = bytes::Bytes::copy_from_slice(addressed::group_bytes(group)?);
        self.core()
            .try_send_to(&pattern::Address::Group(group), part)
    }

    /// What the socket could do now (`ZMQ_EVENTS`). Unlike the public operations, this does
    /// not count as the owner acting on the socket: pollers call it.
    pub(crate) fn readiness(&self) -> Result<crate::poll::PollEvents> {
        let readiness = self.core.borrow_mut().poll_events()?;
        let mut events = crate::poll::PollEvents::empty();
        if readiness.readable {
            events |= crate::poll::POLLIN;
        }
        if readiness.writable {
            events |= crate::poll::POLLOUT;
        }
        Ok(events)
    }

    /// The part of the socket that other threads, and pollers, reach.
    pub(crate) fn link(&self) -> Arc<mailbox::SocketLink> {
        self.core.borrow().link.clone()
    }
}

/// Blocks until one of `sockets` has had something happen to it (a message arrived, a peer
/// made room or went away), or until `deadline`. Returns false on timeout.
pub(crate) fn wait_any(sockets: &[&Socket], deadline: Option<std::time::Instant>) -> Result<bool> {
    let waker = crate::signal::thread_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    loop {
        for socket in sockets {
            let core = socket.core.borrow();
            if core.link.is_terminated() {
                return Err(Error::Terminated);
            }
            if core.link.poll_wait(&mut cx).is_ready() {
                return Ok(true);
            }
        }
        match deadline {
            None => std::thread::park(),
            Some(deadline) => {
                let now = std::time::Instant::now();
                if now >= deadline {
                    return Ok(false);
                }
                std::thread::park_timeout(deadline - now);
            }
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let core = self.core.get_mut();
        self.readiness_fd.get_mut().close(&core.link);
        core.close();
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.core.try_borrow() {
            Ok(core) => f
                .debug_struct("Socket")
                .field("type", &core.socket_type)
                .field("last_endpoint", &core.last_endpoint)
                .finish(),
            Err(_) => f.write_str("Socket { .. }"),
        }
    }
}
