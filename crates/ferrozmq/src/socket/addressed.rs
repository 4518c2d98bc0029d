//! Sending and receiving with an address beside the message: the thread-safe socket types
//! carry no envelope parts. SERVER and PEER address peers by routing id, RADIO and DISH
//! address groups. Their messages are single-part, so these calls take whole messages.

use super::pattern::Address;
use super::Socket;
use crate::error::{Error, Result};
use crate::message::Message;
use bytes::Bytes;
use zmtp::SocketType;

/// The most bytes a RADIO/DISH group may have (`ZMQ_GROUP_MAX_LENGTH`).
const GROUP_MAX_LEN: usize = 255;

/// A group name as it travels: 1 to 255 bytes, none of them zero (RFC 48 allows any byte but
/// zero; libzmq's C API takes the name as a NUL-terminated string).
pub(super) fn group_bytes(group: &str) -> Result<&[u8]> {
    let bytes = group.as_bytes();
    if bytes.is_empty() || bytes.len() > GROUP_MAX_LEN || bytes.contains(&0) {
        return Err(Error::InvalidArgument(
            "a group is 1 to 255 bytes, without NUL",
        ));
    }
    Ok(bytes)
}

impl Socket {
    /// SERVER, PEER: sends a message to the peer with this routing id (as
    /// [`recv_from`](Self::recv_from) or [`connect_peer`](Self::connect_peer) gave it). An
    /// unknown id fails with [`Error::HostUnreachable`]; a full peer makes it wait as
    /// SNDTIMEO allows.
    ///
    /// ```
    /// use ferrozmq::{Context, CLIENT, SERVER};
    /// let ctx = Context::new();
    /// let server = ctx.socket(SERVER).unwrap();
    /// server.bind("inproc://addressed").unwrap();
    /// let client = ctx.socket(CLIENT).unwrap();
    /// client.connect("inproc://addressed").unwrap();
    /// client.send("hello").unwrap();
    /// let (peer, request) = server.recv_from().unwrap();
    /// server.send_to(peer, request).unwrap();
    /// assert_eq!(client.recv().unwrap(), "hello");
    /// ```
    pub fn send_to(&self, routing_id: u32, msg: impl Into<Message>) -> Result<()> {
        self.send_addressed(Address::Peer(routing_id), msg.into(), false)
    }

    /// [`send_to`](Self::send_to) if the peer has room now, else [`Error::Again`] at once.
    pub fn try_send_to(&self, routing_id: u32, msg: impl Into<Message>) -> Result<()> {
        self.send_addressed(Address::Peer(routing_id), msg.into(), true)
    }

    /// SERVER, PEER: receives a message and the routing id of the peer that sent it
    /// (`zmq_msg_routing_id`), waiting as RCVTIMEO allows.
    pub fn recv_from(&self) -> Result<(u32, Message)> {
        self.recv_from_peer(false)
    }

    /// [`recv_from`](Self::recv_from) if a message is here, else [`Error::Again`] at once.
    pub fn try_recv_from(&self) -> Result<(u32, Message)> {
        self.recv_from_peer(true)
    }

    /// RADIO: sends a message to the dishes that joined `group` (1 to 255 bytes, no NUL).
    /// Never blocks: a dish at its high-water mark misses the message, as a subscriber of a
    /// PUB does. Over udp every dish gets every group and keeps its own.
    ///
    /// ```
    /// use ferrozmq::{Context, DISH, RADIO};
    /// let ctx = Context::new();
    /// let radio = ctx.socket(RADIO).unwrap();
    /// radio.bind("inproc://weather").unwrap();
    /// let dish = ctx.socket(DISH).unwrap();
    /// dish.join("rain").unwrap();
    /// dish.connect("inproc://weather").unwrap();
    ///
    /// radio.send_group("sun", "not for this dish").unwrap();
    /// radio.send_group("rain", "umbrellas out").unwrap();
    /// let (group, msg) = dish.recv_group().unwrap();
    /// assert_eq!((group.as_str(), msg.as_str()), ("rain", Some("umbrellas out")));
    /// ```
    pub fn send_group(&self, group: &str, msg: impl Into<Message>) -> Result<()> {
        let group = Bytes::copy_from_slice(group_bytes(group)?);
        self.send_addressed(Address::Group(group), msg.into(), false)
    }

    /// [`send_group`](Self::send_group) under `ZMQ_DONTWAIT`: the same, since a RADIO never
    /// waits; kept for code that passes the flag along.
    pub fn try_send_group(&self, group: &str, msg: impl Into<Message>) -> Result<()> {
        let group = Bytes::copy_from_slice(group_bytes(group)?);
        self.send_addressed(Address::Group(group), msg.into(), true)
    }

    /// DISH: receives a message of a joined group, and the group (`zmq_msg_group`; bytes
    /// that are not UTF-8 become U+FFFD), waiting as RCVTIMEO allows.
    /// [`recv`](Self::recv) receives the message alone.
    pub fn recv_group(&self) -> Result<(String, Message)> {
        self.recv_from_group(false)
    }

    /// [`recv_group`](Self::recv_group) if a message is here, else [`Error::Again`] at once.
    pub fn try_recv_group(&self) -> Result<(String, Message)> {
        self.recv_from_group(true)
    }

    /// SERVER, PEER: closes the connection of the peer with this routing id, dropping what
    /// it sent that was not received yet (`zmq_disconnect_peer`, libzmq's draft API after
    /// 4.3.5). Sends to that id fail with [`Error::HostUnreachable`] from then on; a peer
    /// that comes back gets a new id. A connection this PEER made with
    /// [`connect_peer`](Self::connect_peer) is not made again. An unknown id fails with
    /// [`Error::HostUnreachable`], another socket type with [`Error::NotSupported`].
    ///
    /// ```
    /// use ferrozmq::{Context, Error, CLIENT, SERVER};
    /// let ctx = Context::new();
    /// let server = ctx.socket(SERVER).unwrap();
    /// server.bind("inproc://disconnect-peer").unwrap();
    /// let client = ctx.socket(CLIENT).unwrap();
    /// client.connect("inproc://disconnect-peer").unwrap();
    /// client.send("hello").unwrap();
    /// let (peer, _) = server.recv_from().unwrap();
    /// server.disconnect_peer(peer).unwrap();
    /// assert_eq!(server.send_to(peer, "bye").err(), Some(Error::HostUnreachable));
    /// ```
    pub fn disconnect_peer(&self, routing_id: u32) -> Result<()> {
        self.core().disconnect_peer(routing_id)
    }

    /// PEER: connects like [`connect`](Self::connect) and returns the routing id the peer
    /// will have, so that messages can be sent to it at once (they queue until it answers)
    /// (`zmq_connect_peer`).
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        let mut core = self.core();
        if core.socket_type != SocketType::Peer {
            return Err(Error::NotSupported);
        }
        match core.connect_addressed(endpoint)? {
            Some(Address::Peer(routing_id)) => Ok(routing_id),
            _ => Err(Error::NotSupported),
        }
    }

    /// ROUTER: whether the peer known by `routing_id` can take a message now, so that a
    /// send to it would not wait (ROUTER_MANDATORY) or be dropped (without it)
    /// (`zmq_socket_get_peer_state`, draft: its `ZMQ_POLLOUT`). An id no peer has fails
    /// with [`Error::HostUnreachable`]; other socket types with [`Error::NotSupported`].
    ///
    /// ```
    /// use ferrozmq::{Context, Error, DEALER, ROUTER};
    /// let ctx = Context::new();
    /// let router = ctx.socket(ROUTER).unwrap();
    /// router.bind("inproc://peer-state").unwrap();
    /// let dealer = ctx.socket(DEALER).unwrap();
    /// dealer.options().set_routing_id(b"D").unwrap();
    /// dealer.connect("inproc://peer-state").unwrap();
    /// dealer.send("hi").unwrap();
    /// router.recv_multipart().unwrap();
    /// assert!(router.peer_writable(b"D").unwrap());
    /// assert!(matches!(router.peer_writable(b"nobody"), Err(Error::HostUnreachable)));
    /// ```
    pub fn peer_writable(&self, routing_id: &[u8]) -> Result<bool> {
        self.core().peer_writable(routing_id)
    }

    fn send_addressed(&self, to: Address, msg: Message, dont_wait: bool) -> Result<()> {
        let part = msg.into_part().with_more(false);
        self.core().send_to(to, part, dont_wait)
    }

    fn recv_from_peer(&self, dont_wait: bool) -> Result<(u32, Message)> {
        let mut core = self.core();
        // Checked first: a message received for nothing would be lost.
        if !matches!(core.socket_type, SocketType::Server | SocketType::Peer) {
            return Err(Error::NotSupported);
        }
        match core.recv_from(dont_wait)? {
            (Address::Peer(routing_id), part) => Ok((routing_id, Message::from_part(part))),
            (Address::Group(_), _) => Err(Error::NotSupported),
        }
    }

    fn recv_from_group(&self, dont_wait: bool) -> Result<(String, Message)> {
        let mut core = self.core();
        // Checked first: a message received for nothing would be lost.
        if core.socket_type != SocketType::Dish {
            return Err(Error::NotSupported);
        }
        match core.recv_from(dont_wait)? {
            (Address::Group(group), part) => Ok((
                String::from_utf8_lossy(&group).into_owned(),
                Message::from_part(part),
            )),
            (Address::Peer(_), _) => Err(Error::NotSupported),
        }
    }
}
