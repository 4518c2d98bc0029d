//! Receiving a message with what its connection says about the peer (`zmq_msg_gets`); see
//! [`Properties`] for why the properties travel beside messages rather than in them.

use super::{Socket, DONTWAIT};
use crate::error::Result;
use crate::properties::Properties;
use zmtp::Message;

impl Socket {
    /// Receives a part, like [`recv_msg`](Self::recv_msg), with the properties of the
    /// connection it came through: the peer's `Socket-Type` and `Identity`, the `User-Id`
    /// and metadata its ZAP handler gave it, its `Peer-Address`. Parts from inproc peers
    /// have none. (XPUB does not track where the messages its subscribers send come from:
    /// their properties are empty or another subscriber's.)
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, PUSH};
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// pull.bind("tcp://127.0.0.1:*").unwrap();
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.connect(&pull.get_last_endpoint().unwrap().unwrap()).unwrap();
    /// push.send("job", 0).unwrap();
    /// let (job, from) = pull.recv_msg_with_properties(0).unwrap();
    /// assert_eq!(&job[..], b"job");
    /// assert_eq!(from.get_str("Socket-Type"), Some("PUSH"));
    /// ```
    pub fn recv_msg_with_properties(&self, flags: i32) -> Result<(Message, Properties)> {
        let mut core = self.core();
        let msg = core.recv(flags & DONTWAIT != 0)?;
        let properties = core.last_properties();
        Ok((msg, properties))
    }

    /// The properties of the connection the last part received came through (empty before
    /// the first, and for inproc peers): `zmq_msg_gets` on that part, for code that received
    /// it with [`recv_msg`](Self::recv_msg) or [`recv_multipart`](Self::recv_multipart).
    pub fn last_properties(&self) -> Properties {
        self.core().last_properties()
    }
}
