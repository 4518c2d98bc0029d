//! The socket: its type, endpoints, sending and receiving.

use crate::context::OpenSocket;
use crate::error::Error;
use crate::message::Message;
use crate::{Result, DONTWAIT, SNDMORE};

/// A socket's type: which pattern it takes part in.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let ctx = zmq::Context::new();
/// let socket = ctx.socket(zmq::SocketType::REQ).unwrap(); // or just zmq::REQ
/// assert_eq!(socket.get_socket_type(), Ok(zmq::REQ));
/// ```
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketType {
    /// Exclusive pair: one peer, both directions.
    PAIR,
    /// Publisher: broadcasts to subscribers.
    PUB,
    /// Subscriber: receives what publishers send, filtered by its subscriptions.
    SUB,
    /// Requester: sends a request, then receives its reply.
    REQ,
    /// Replier: receives a request, then sends its reply.
    REP,
    /// Dealer: sends round robin and receives in turn, without envelopes.
    DEALER,
    /// Router: receives with, and sends by, the peer's routing id.
    ROUTER,
    /// Puller: receives work from pushers in turn.
    PULL,
    /// Pusher: sends work round robin to pullers.
    PUSH,
    /// Extended publisher: a PUB that hands subscriptions to the application.
    XPUB,
    /// Extended subscriber: a SUB whose subscriptions are messages.
    XSUB,
    /// Raw tcp peers that speak no ZMTP: each message is a routing id and bytes.
    STREAM,
}

impl SocketType {
    /// ferrozmq's type.
    pub(crate) fn native(self) -> ferrozmq::SocketType {
        use ferrozmq::SocketType as Native;
        match self {
            SocketType::PAIR => Native::Pair,
            SocketType::PUB => Native::Pub,
            SocketType::SUB => Native::Sub,
            SocketType::REQ => Native::Req,
            SocketType::REP => Native::Rep,
            SocketType::DEALER => Native::Dealer,
            SocketType::ROUTER => Native::Router,
            SocketType::PULL => Native::Pull,
            SocketType::PUSH => Native::Push,
            SocketType::XPUB => Native::XPub,
            SocketType::XSUB => Native::XSub,
            SocketType::STREAM => Native::Stream,
        }
    }
}

/// A socket's security mechanism (`ZMQ_MECHANISM`), as
/// [`Socket::get_mechanism`] reports it.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// No security (the default).
    ZMQ_NULL,
    /// A username and password, in clear.
    ZMQ_PLAIN,
    /// Encryption and authentication with CURVE keys.
    ZMQ_CURVE,
    /// Kerberos; never reported, as GSSAPI is not available.
    ZMQ_GSSAPI,
}

/// What [`Socket::send`] sends: anything that converts into a [`Message`] (text, byte
/// slices, vectors, boxed slices, messages, and references to those).
pub trait Sendable {
    /// Sends `self` on `socket` with the given flags ([`SNDMORE`], [`DONTWAIT`]).
    fn send(self, socket: &Socket, flags: i32) -> Result<()>;
}

impl<T> Sendable for T
where
    T: Into<Message>,
{
    fn send(self, socket: &Socket, flags: i32) -> Result<()> {
        let part = ferrozmq::Message::from(self.into());
        Ok(socket.native().send_with(part, send_flags(flags))?)
    }
}

fn send_flags(flags: i32) -> ferrozmq::SendFlags {
    let mut native = ferrozmq::SendFlags::empty();
    if flags & DONTWAIT != 0 {
        native |= ferrozmq::SendFlags::DONTWAIT;
    }
    if flags & SNDMORE != 0 {
        native |= ferrozmq::SendFlags::MORE;
    }
    native
}

/// A socket (`zmq_socket`), made by [`Context::socket`](crate::Context::socket).
///
/// It may move between threads but not be shared by them (it is `Send`, not `Sync`).
/// Dropping it closes it; messages still queued go out in the background for as long as
/// LINGER allows.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let ctx = zmq::Context::new();
/// let pull = ctx.socket(zmq::PULL).unwrap();
/// pull.bind("inproc://jobs").unwrap();
/// let push = ctx.socket(zmq::PUSH).unwrap();
/// push.connect("inproc://jobs").unwrap();
/// push.send_multipart(["key", "value"], 0).unwrap();
/// assert_eq!(pull.recv_multipart(0).unwrap(), [b"key".to_vec(), b"value".to_vec()]);
/// ```
pub struct Socket {
    pub(crate) handle: Box<Handle>,
}

/// What a socket is made of; boxed, so that it has an address of its own to hand out as
/// a raw pointer (see [`Socket::into_raw`]).
pub(crate) struct Handle {
    pub(crate) socket: ferrozmq::Socket,
    pub(crate) socket_type: SocketType,
    /// Dropped after the socket: counts it closed for `Context::destroy`.
    _open: OpenSocket,
}

impl Socket {
    pub(crate) fn new(
        socket: ferrozmq::Socket,
        open: OpenSocket,
        socket_type: SocketType,
    ) -> Socket {
        Socket {
            handle: Box::new(Handle {
                socket,
                socket_type,
                _open: open,
            }),
        }
    }

    /// The socket of ferrozmq's own API underneath, for what this API does not say.
    ///
    /// ```
    /// # use ferrozmq_zmq as zmq;
    /// let push = zmq::Context::new().socket(zmq::PUSH).unwrap();
    /// push.native().options().set_sndhwm(10).unwrap();
    /// assert_eq!(push.get_sndhwm(), Ok(10));
    /// ```
    pub fn native(&self) -> &ferrozmq::Socket {
        &self.handle.socket
    }

    /// Accepts connections on an endpoint (`tcp://*:5555`, `tcp://127.0.0.1:*` for any
    /// port, `ipc:///tmp/x`, `inproc://name`); [`get_last_endpoint`](Self::get_last_endpoint)
    /// tells the endpoint as bound.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.native().bind(endpoint)?;
        Ok(())
    }

    /// Stops accepting on an endpoint bound before.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        Ok(self.native().unbind(endpoint)?)
    }

    /// Connects to an endpoint; the connection is made, and remade, in the background.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        Ok(self.native().connect(endpoint)?)
    }

    /// Stops connecting to an endpoint connected before ([`Error::ENOENT`] for another).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        Ok(self.native().disconnect(endpoint)?)
    }

    /// Sends the socket's events of the kinds in `events` (a mask of
    /// [`SocketEvent`](crate::SocketEvent)s) to a PAIR socket that connects to
    /// `monitor_endpoint`, which must be `inproc://` ([`Error::EPROTONOSUPPORT`] else)
    /// (`zmq_socket_monitor`). Each event is two parts: six bytes (the event number as a
    /// native-endian u16, its value as a native-endian u32), then the endpoint.
    pub fn monitor(&self, monitor_endpoint: &str, events: i32) -> Result<()> {
        let events = u32::try_from(events)
            .ok()
            .and_then(ferrozmq::EventSet::from_bits)
            .ok_or(Error::EINVAL)?;
        Ok(self.native().monitor_to(Some(monitor_endpoint), events)?)
    }

    /// Sends a part: [`SNDMORE`] in `flags` if more parts of the same message follow,
    /// [`DONTWAIT`] to fail with [`Error::EAGAIN`] rather than wait for room.
    pub fn send<T>(&self, data: T, flags: i32) -> Result<()>
    where
        T: Sendable,
    {
        data.send(self, flags)
    }

    /// Sends a [`Message`].
    #[deprecated(since = "0.9.0", note = "Use `send` instead")]
    pub fn send_msg(&self, msg: Message, flags: i32) -> Result<()> {
        self.send(msg, flags)
    }

    /// Sends text.
    #[deprecated(since = "0.9.0", note = "Use `send` instead")]
    pub fn send_str(&self, data: &str, flags: i32) -> Result<()> {
        self.send(data, flags)
    }

    /// Sends every part of a message, each but the last with [`SNDMORE`] added to `flags`.
    pub fn send_multipart<I, T>(&self, iter: I, flags: i32) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        let mut parts = iter.into_iter().peekable();
        while let Some(part) = parts.next() {
            let more = if parts.peek().is_some() { SNDMORE } else { 0 };
            self.send(part.into(), flags | more)?;
        }
        Ok(())
    }

    fn recv_part(&self, flags: i32) -> Result<ferrozmq::Message> {
        let socket = self.native();
        Ok(if flags & DONTWAIT != 0 {
            socket.try_recv()?
        } else {
            socket.recv()?
        })
    }

    /// Receives a part into `msg`, replacing what it held; [`DONTWAIT`] in `flags` fails
    /// with [`Error::EAGAIN`] rather than wait.
    pub fn recv(&self, msg: &mut Message, flags: i32) -> Result<()> {
        let part = self.recv_part(flags)?;
        *msg = Message::received(part, self.native().last_properties());
        Ok(())
    }

    /// Receives a part into `bytes`, cut to their length; returns the part's whole length,
    /// which may be more than was copied.
    pub fn recv_into(&self, bytes: &mut [u8], flags: i32) -> Result<usize> {
        let part = self.recv_part(flags)?;
        let len = part.len().min(bytes.len());
        bytes[..len].copy_from_slice(&part[..len]);
        Ok(part.len())
    }

    /// Receives a part as a new [`Message`].
    pub fn recv_msg(&self, flags: i32) -> Result<Message> {
        let mut msg = Message::new();
        self.recv(&mut msg, flags)?;
        Ok(msg)
    }

    /// Receives a part's bytes.
    pub fn recv_bytes(&self, flags: i32) -> Result<Vec<u8>> {
        Ok(Vec::from(self.recv_part(flags)?))
    }

    /// Receives a part as text: `Ok(Err(bytes))` when it is not UTF-8.
    pub fn recv_string(&self, flags: i32) -> Result<std::result::Result<String, Vec<u8>>> {
        let bytes = self.recv_bytes(flags)?;
        Ok(String::from_utf8(bytes).map_err(|e| e.into_bytes()))
    }

    /// Receives every part of the next message (or the rest of one partly received).
    pub fn recv_multipart(&self, flags: i32) -> Result<Vec<Vec<u8>>> {
        let socket = self.native();
        let parts = if flags & DONTWAIT != 0 {
            socket.try_recv_multipart()?
        } else {
            socket.recv_multipart()?
        };
        Ok(parts.into_iter().map(Vec::from).collect())
    }

    /// The socket's type (`ZMQ_TYPE`).
    pub fn get_socket_type(&self) -> Result<SocketType> {
        Ok(self.handle.socket_type)
    }

    /// Whether the last part received has more parts after it (`ZMQ_RCVMORE`).
    pub fn get_rcvmore(&self) -> Result<bool> {
        Ok(self.native().rcvmore())
    }
}

#[cfg(unix)]
impl std::os::unix::io::AsRawFd for Socket {
    /// The socket's `ZMQ_FD` ([`Socket::get_fd`]).
    ///
    /// # Panics
    ///
    /// When the descriptor cannot be made (the process is out of descriptors, or the
    /// context has ended), as in the `zmq` crate.
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        match self.get_fd() {
            Ok(fd) => fd,
            Err(e) => panic!("the socket's ZMQ_FD: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Context, Error, DONTWAIT, PAIR, SNDMORE, STREAM};

    fn pair(name: &str) -> (crate::Socket, crate::Socket) {
        let ctx = Context::new();
        let a = ctx.socket(PAIR).unwrap();
        a.bind(&format!("inproc://{name}")).unwrap();
        let b = ctx.socket(PAIR).unwrap();
        b.connect(&format!("inproc://{name}")).unwrap();
        (a, b)
    }

    #[test]
    fn recv_into_cuts_and_tells_the_whole_length() {
        let (a, b) = pair("recv-into");
        a.send("0123456789", 0).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(b.recv_into(&mut buf, 0), Ok(10));
        assert_eq!(&buf, b"0123");
    }

    #[test]
    fn flags_mark_parts_and_refuse_to_wait() {
        let (a, b) = pair("flags");
        assert_eq!(b.recv_msg(DONTWAIT), Err(Error::EAGAIN));
        a.send("head", SNDMORE).unwrap();
        a.send(vec![1u8, 2], 0).unwrap();
        let head = b.recv_msg(0).unwrap();
        assert!(head.get_more());
        assert_eq!(b.get_rcvmore(), Ok(true));
        let tail = b.recv_msg(DONTWAIT).unwrap();
        assert!(!tail.get_more());
        assert_eq!(tail[..], [1, 2]);
    }

    #[test]
    fn multipart_with_dontwait_sends_whole_messages() {
        let (a, b) = pair("multipart");
        a.send_multipart(vec!["a", "b", "c"], DONTWAIT).unwrap();
        assert_eq!(b.recv_multipart(DONTWAIT).unwrap(), [b"a", b"b", b"c"]);
        assert_eq!(b.recv_multipart(DONTWAIT), Err(Error::EAGAIN));
    }

    #[test]
    fn stream_sockets_exchange_raw_bytes() {
        use std::io::{Read, Write};
        let ctx = Context::new();
        let server = ctx.socket(STREAM).unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = server.get_last_endpoint().unwrap().unwrap();
        let mut peer = std::net::TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
        peer.write_all(b"raw").unwrap();
        let connected = server.recv_multipart(0).unwrap();
        assert!(connected[1].is_empty(), "the connection is announced");
        let data = server.recv_multipart(0).unwrap();
        assert_eq!(data[1], b"raw");
        server.send(&data[0], SNDMORE).unwrap();
        server.send("back", 0).unwrap();
        let mut back = [0u8; 4];
        peer.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"back");
    }

    #[test]
    fn monitor_masks_beyond_the_events_are_invalid() {
        let (a, _b) = pair("monitor-mask");
        assert_eq!(a.monitor("inproc://m", -1), Err(Error::EINVAL));
        assert_eq!(a.monitor("inproc://m", 0x1_0000), Err(Error::EINVAL));
        assert_eq!(
            a.monitor("tcp://127.0.0.1:1", 0),
            Err(Error::EPROTONOSUPPORT)
        );
    }
}
