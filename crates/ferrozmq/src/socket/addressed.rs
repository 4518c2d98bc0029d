//! Sending and receiving with an address beside the message: the thread-safe socket types
//! (SERVER, PEER; RADIO and DISH) carry no envelope parts.

use super::pattern::Address;
use super::{Socket, DONTWAIT, SNDMORE};
use crate::error::{Error, Result};
use zmtp::Message;

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
        if flags & SNDMORE != 0 {
            return Err(Error::InvalidArgument(
                "this socket type sends single-part messages only",
            ));
        }
        self.core().send_to(
            Address::Peer(routing_id),
            data.into(),
            flags & DONTWAIT != 0,
        )
    }

    /// SERVER, PEER: receives a single-part message and the routing id of the peer that
    /// sent it.
    pub fn recv_from(&self, flags: i32) -> Result<(u32, Message)> {
        match self.core().recv_from(flags & DONTWAIT != 0)? {
            (Address::Peer(routing_id), msg) => Ok((routing_id, msg)),
            (Address::Group(_), _) => Err(Error::NotSupported),
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
