//! Sending and receiving with an address beside the message: the thread-safe socket types
//! (SERVER, PEER; RADIO and DISH) carry no envelope parts.

use super::pattern::Address;
use super::{Socket, DONTWAIT, SNDMORE};
use crate::error::{Error, Result};
use bytes::Bytes;
use zmtp::{Message, SocketType};

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

fn single_part(flags: i32) -> Result<()> {
    if flags & SNDMORE != 0 {
        return Err(Error::InvalidArgument(
            "this socket type sends single-part messages only",
        ));
    }
    Ok(())
}

impl Socket {
    /// SERVER, PEER: sends a single-part message to the peer with this routing id. An
    /// unknown id fails with [`Error::HostUnreachable`]; a full peer blocks (or fails with
    /// [`Error::Again`] under [`DONTWAIT`]).
    ///
    /// ```
    /// use ferrozmq::{Context, CLIENT, SERVER};
    /// let ctx = Context::new();
    /// let server = ctx.socket(SERVER).unwrap();
    /// server.bind("inproc://addressed").unwrap();
    /// let client = ctx.socket(CLIENT).unwrap();
    /// client.connect("inproc://addressed").unwrap();
    /// client.send("hello", 0).unwrap();
    /// let (peer, request) = server.recv_from(0).unwrap();
    /// server.send_to(peer, request, 0).unwrap();
    /// assert_eq!(client.recv_bytes(0).unwrap(), b"hello");
    /// ```
    pub fn send_to<T: Into<Message>>(&self, routing_id: u32, data: T, flags: i32) -> Result<()> {
        single_part(flags)?;
        self.core().send_to(
            Address::Peer(routing_id),
            data.into(),
            flags & DONTWAIT != 0,
        )
    }

    /// SERVER, PEER: receives a single-part message and the routing id of the peer that
    /// sent it.
    pub fn recv_from(&self, flags: i32) -> Result<(u32, Message)> {
        let mut core = self.core();
        // Checked first: a message received for nothing would be lost.
        if !matches!(core.socket_type, SocketType::Server | SocketType::Peer) {
            return Err(Error::NotSupported);
        }
        match core.recv_from(flags & DONTWAIT != 0)? {
            (Address::Peer(routing_id), msg) => Ok((routing_id, msg)),
            (Address::Group(_), _) => Err(Error::NotSupported),
        }
    }

    /// RADIO: sends a single-part message to the dishes that joined `group` (1 to 255
    /// bytes, no NUL). Never blocks: a dish at its high-water mark misses the message, as a
    /// subscriber of a PUB does. Over udp every dish gets every group and keeps its own.
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
    /// radio.send_group("sun", "not for this dish", 0).unwrap();
    /// radio.send_group("rain", "umbrellas out", 0).unwrap();
    /// let (group, msg) = dish.recv_group(0).unwrap();
    /// assert_eq!((group.as_str(), &msg[..]), ("rain", &b"umbrellas out"[..]));
    /// ```
    pub fn send_group<T: Into<Message>>(&self, group: &str, data: T, flags: i32) -> Result<()> {
        single_part(flags)?;
        let group = Bytes::copy_from_slice(group_bytes(group)?);
        self.core()
            .send_to(Address::Group(group), data.into(), flags & DONTWAIT != 0)
    }

    /// DISH: receives a message of a joined group, and the group (as text; bytes that are
    /// not UTF-8 become U+FFFD). [`recv_msg`](Self::recv_msg) receives the message alone.
    pub fn recv_group(&self, flags: i32) -> Result<(String, Message)> {
        let mut core = self.core();
        // Checked first: a message received for nothing would be lost.
        if core.socket_type != SocketType::Dish {
            return Err(Error::NotSupported);
        }
        match core.recv_from(flags & DONTWAIT != 0)? {
            (Address::Group(group), msg) => Ok((String::from_utf8_lossy(&group).into_owned(), msg)),
            (Address::Peer(_), _) => Err(Error::NotSupported),
        }
    }

    /// PEER: connects like [`connect`](Self::connect) and returns the routing id the peer
    /// will have, so that messages can be sent to it at once (they queue until it answers).
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        let mut core = self.core();
        if core.socket_type != zmtp::SocketType::Peer {
            return Err(Error::NotSupported);
        }
        match core.connect_addressed(endpoint)? {
            Some(Address::Peer(routing_id)) => Ok(routing_id),
            _ => Err(Error::NotSupported),
        }
    }
}
