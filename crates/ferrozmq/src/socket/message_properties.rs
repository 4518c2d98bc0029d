//! Receiving a message with what its connection says about the peer (`zmq_msg_gets`); see
//! [`Properties`] for why the properties travel beside messages rather than in them.

use super::Socket;
use crate::error::Result;
use crate::message::Message;
use crate::properties::Properties;

impl Socket {
    /// Receives a part, like [`recv`](Self::recv), with the properties of the connection it
    /// came through: the peer's `Socket-Type` and `Identity`, the `User-Id` and metadata its
    /// ZAP handler gave it, its `Peer-Address`. Parts from inproc peers have none. (XPUB
    /// does not track where the messages its subscribers send come from: their properties
    /// are empty or another subscriber's.)
    ///
    /// ```
    /// use ferrozmq::{Context, PULL, PUSH};
    /// let ctx = Context::new();
    /// let pull = ctx.socket(PULL).unwrap();
    /// let endpoint = pull.bind("tcp://127.0.0.1:*").unwrap();
    /// let push = ctx.socket(PUSH).unwrap();
    /// push.connect(&endpoint).unwrap();
    /// push.send("job").unwrap();
    /// let (job, from) = pull.recv_with_properties().unwrap();
    /// assert_eq!(job, "job");
    /// assert_eq!(from.get_str("Socket-Type"), Some("PUSH"));
    /// ```
    pub fn recv_with_properties(&self) -> Result<(Message, Properties)> {
        let mut core = self.core();
        let part = core.recv(false)?;
        let properties = core.last_properties();
        Ok((Message::from_part(part), properties))
    }

    /// The properties of the connection the last part received came through (empty before
    /// the first, and for inproc peers): `zmq_msg_gets` on that part, for code that received
    /// it with [`recv`](Self::recv), [`try_recv`](Self::try_recv) or
    /// [`recv_multipart`](Self::recv_multipart). Looking costs one reference count; not
    /// looking costs nothing.
    pub fn last_properties(&self) -> Properties {
        self.core().last_properties()
    }
}
