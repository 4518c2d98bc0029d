//! Options that make a socket speak up when peers come and go: ROUTER_NOTIFY,
//! HELLO_MSG, DISCONNECT_MSG and HICCUP_MSG (libzmq 4.3.5's drafts).
//!
//! The messages themselves are made where the event is seen: by the I/O thread for tcp and
//! ipc connections (`engine::peer_messages`), by the inproc join for inproc pipes.

use super::options::SocketOptions;
use crate::error::{Error, Result};
use bytes::Bytes;
use std::ops::{BitOr, BitOrAssign};
use zmtp::SocketType;

/// Which peer events a ROUTER reports with [`set_router_notify`](SocketOptions::set_router_notify)
/// (libzmq's `ZMQ_NOTIFY_*` bits). Combine them with `|`.
///
/// ```
/// use ferrozmq::RouterNotify;
/// let both = RouterNotify::CONNECT | RouterNotify::DISCONNECT;
/// assert_eq!(both.bits(), 3);
/// assert!(both.contains(RouterNotify::DISCONNECT));
/// assert_eq!(RouterNotify::from_bits(4), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouterNotify(u8);

impl RouterNotify {
    /// A peer completed its handshake (`ZMQ_NOTIFY_CONNECT`).
    pub const CONNECT: RouterNotify = RouterNotify(0x1);
    /// A peer's connection ended (`ZMQ_NOTIFY_DISCONNECT`).
    pub const DISCONNECT: RouterNotify = RouterNotify(0x2);

    const ALL: u8 = 0x3;

    /// No notifications (the default).
    pub const fn empty() -> RouterNotify {
        RouterNotify(0)
    }

    /// The set with libzmq's bits; `None` for unknown bits.
    pub const fn from_bits(bits: u32) -> Option<RouterNotify> {
        if bits & !(Self::ALL as u32) == 0 {
            Some(RouterNotify(bits as u8))
        } else {
            None
        }
    }

    /// libzmq's bits for the set.
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// Whether every event of `other` is in `self`.
    pub const fn contains(self, other: RouterNotify) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no event is reported.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for RouterNotify {
    type Output = RouterNotify;
    fn bitor(self, other: RouterNotify) -> RouterNotify {
        RouterNotify(self.0 | other.0)
    }
}

impl BitOrAssign for RouterNotify {
    fn bitor_assign(&mut self, other: RouterNotify) {
        self.0 |= other.0;
    }
}

impl std::fmt::Debug for RouterNotify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [(Self::CONNECT, "CONNECT"), (Self::DISCONNECT, "DISCONNECT")];
        let set: Vec<&str> = names
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        write!(f, "RouterNotify({})", set.join(" | "))
    }
}

/// An empty message clears the option, as libzmq's zero-length value does.
fn message_option(message: Option<&[u8]>) -> Option<Bytes> {
    message
        .filter(|m| !m.is_empty())
        .map(Bytes::copy_from_slice)
}

impl SocketOptions<'_> {
    /// ROUTER: receive `[routing id, empty part]` when a tcp or ipc peer completes its
    /// handshake ([`RouterNotify::CONNECT`]) and when its connection ends
    /// ([`RouterNotify::DISCONNECT`]) (`ZMQ_ROUTER_NOTIFY`, default none). A disconnect
    /// notification comes after every message that peer sent; a message the peer had only
    /// partly sent is dropped. inproc peers are not reported, as in libzmq. Applies to the
    /// binds and connects made after it is set. Other socket types refuse it with
    /// [`Error::InvalidArgument`].
    ///
    /// ```
    /// use ferrozmq::{Context, RouterNotify, DEALER, ROUTER};
    /// let ctx = Context::new();
    /// let router = ctx.socket(ROUTER).unwrap();
    /// router.options().set_router_notify(RouterNotify::CONNECT | RouterNotify::DISCONNECT).unwrap();
    /// router.bind("tcp://127.0.0.1:*").unwrap();
    /// let dealer = ctx.socket(DEALER).unwrap();
    /// dealer.options().set_routing_id("d1").unwrap();
    /// dealer.connect(&router.last_endpoint().unwrap()).unwrap();
    /// let notice = router.recv_multipart().unwrap();
    /// assert_eq!(notice.len(), 2);
    /// assert_eq!(notice[0], "d1");
    /// assert!(notice[1].is_empty());
    /// ```
    pub fn set_router_notify(&self, notify: RouterNotify) -> Result<()> {
        let mut core = self.core();
        if core.socket_type != SocketType::Router {
            return Err(Error::InvalidArgument(
                "ROUTER_NOTIFY applies to ROUTER only",
            ));
        }
        core.options.router_notify = notify;
        Ok(())
    }

    /// See [`set_router_notify`](Self::set_router_notify); none on other socket types.
    pub fn router_notify(&self) -> RouterNotify {
        self.core().options.router_notify
    }

    /// ROUTER, DEALER, CLIENT, SERVER, PEER: send this message to each new peer before
    /// anything else, on every connection made or accepted, reconnections too
    /// (`ZMQ_HELLO_MSG`, libzmq 4.3.5 draft; default none, `None` or an empty message
    /// stops it). Applies to the binds and connects made after it is set. Other socket
    /// types refuse it with [`Error::InvalidArgument`].
    ///
    /// ```
    /// use ferrozmq::{Context, DEALER, ROUTER};
    /// let ctx = Context::new();
    /// let router = ctx.socket(ROUTER).unwrap();
    /// router.options().set_hello_msg(Some(b"welcome")).unwrap();
    /// router.bind("inproc://hello-doc").unwrap();
    /// let dealer = ctx.socket(DEALER).unwrap();
    /// dealer.connect("inproc://hello-doc").unwrap();
    /// assert_eq!(dealer.recv().unwrap(), "welcome");
    /// ```
    pub fn set_hello_msg(&self, hello: Option<&[u8]>) -> Result<()> {
        use SocketType::*;
        let mut core = self.core();
        if !matches!(core.socket_type, Router | Dealer | Client | Server | Peer) {
            return Err(Error::InvalidArgument(
                "HELLO_MSG applies to ROUTER, DEALER, CLIENT, SERVER and PEER",
            ));
        }
        core.options.hello_msg = message_option(hello);
        Ok(())
    }

    /// See [`set_hello_msg`](Self::set_hello_msg).
    pub fn hello_msg(&self) -> Option<Bytes> {
        self.core().options.hello_msg.clone()
    }

    /// ROUTER, SERVER, PEER: receive this message from a peer that connected to this
    /// socket (over tcp, ipc or inproc) when its connection ends, after everything it sent
    /// (`ZMQ_DISCONNECT_MSG`, libzmq 4.3.5 draft; default none, `None` or an empty message
    /// stops it). A ROUTER receives it behind the peer's routing id, a SERVER with the
    /// peer's routing id. Combined with heartbeats it also reports peers that went silent.
    /// Applies to the binds made after it is set. Other socket types refuse it with
    /// [`Error::InvalidArgument`].
    pub fn set_disconnect_msg(&self, farewell: Option<&[u8]>) -> Result<()> {
        use SocketType::*;
        let mut core = self.core();
        if !matches!(core.socket_type, Router | Server | Peer) {
            return Err(Error::InvalidArgument(
                "DISCONNECT_MSG applies to ROUTER, SERVER and PEER",
            ));
        }
        core.options.disconnect_msg = message_option(farewell);
        Ok(())
    }

    /// See [`set_disconnect_msg`](Self::set_disconnect_msg).
    pub fn disconnect_msg(&self) -> Option<Bytes> {
        self.core().options.disconnect_msg.clone()
    }

    /// DEALER, CLIENT, PEER: receive this message, as if from the peer, when a tcp or ipc
    /// connection this socket made drops and is to be made again (`ZMQ_HICCUP_MSG`,
    /// libzmq 4.3.5 draft; default none, `None` or an empty message stops it): the
    /// application learns that the peer may have lost its state. Applies to the connects
    /// made after it is set. Other socket types refuse it with [`Error::InvalidArgument`].
    pub fn set_hiccup_msg(&self, hiccup: Option<&[u8]>) -> Result<()> {
        use SocketType::*;
        let mut core = self.core();
        if !matches!(core.socket_type, Dealer | Client | Peer) {
            return Err(Error::InvalidArgument(
                "HICCUP_MSG applies to DEALER, CLIENT and PEER",
            ));
        }
        core.options.hiccup_msg = message_option(hiccup);
        Ok(())
    }

    /// See [`set_hiccup_msg`](Self::set_hiccup_msg).
    pub fn hiccup_msg(&self) -> Option<Bytes> {
        self.core().options.hiccup_msg.clone()
    }
}
