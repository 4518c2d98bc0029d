//! The message part applications send and receive: bytes, and whether more parts follow.
//!
//! Inside the library a part also says what it means to the protocol (data, or a
//! SUBSCRIBE, CANCEL, JOIN or LEAVE travelling between sockets and connections). That kind
//! never reaches this type: a [`Message`] is always application data, so an application can
//! neither see a protocol command nor put one on the wire.

use bytes::Bytes;
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// One part of a (possibly multipart) message: its bytes, and for a received part whether
/// more parts of the same message follow ([`more`](Self::more)).
///
/// Small bodies (up to 69 bytes) are stored inside the value, so making, queueing and
/// dropping them never touches the allocator; larger ones are reference-counted [`Bytes`],
/// so a message published to many subscribers is never copied. Converting from [`Bytes`],
/// a `Vec<u8>` or a `String` takes the buffer over without copying it (small ones are
/// copied inline instead, which is cheaper to move through queues).
///
/// A `Message` dereferences to `[u8]`, so slice methods work on it directly; two messages
/// compare equal when their bytes are equal, and a message compares with byte strings and
/// text directly.
///
/// ```
/// use ferrozmq::Message;
/// let msg = Message::from("Are you OK?");
/// assert_eq!(msg.len(), 11);
/// assert_eq!(msg.as_str(), Some("Are you OK?"));
/// assert!(msg.starts_with(b"Are"));
/// assert_eq!(msg, "Are you OK?");
/// assert_eq!(msg, b"Are you OK?");
/// assert!(!msg.more()); // only received parts can have more after them
/// ```
///
/// Protocol commands cannot be made from here; the constructors of subscriptions and group
/// memberships belong to the library's insides:
///
/// ```compile_fail,E0599
/// let subscribe = ferrozmq::Message::subscription(b"topic", true);
/// ```
///
/// ```compile_fail,E0599
/// let join = ferrozmq::Message::membership(b"group", true);
/// ```
#[derive(Clone, Default)]
#[repr(transparent)]
pub struct Message(zmtp::Message);

impl Message {
    /// An empty part, as the REQ/REP envelope delimiter is.
    ///
    /// ```
    /// assert!(ferrozmq::Message::new().is_empty());
    /// ```
    pub const fn new() -> Message {
        Message(zmtp::Message::new())
    }

    /// A part holding a copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Message {
        Message(zmtp::Message::from_slice(bytes))
    }

    /// The body's length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the body is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The body.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The body as text, when it is UTF-8.
    ///
    /// ```
    /// use ferrozmq::Message;
    /// assert_eq!(Message::from("测试消息").as_str(), Some("测试消息"));
    /// assert_eq!(Message::from(vec![0xff, 0xfe]).as_str(), None);
    /// ```
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_str()
    }

    /// For a received part: whether more parts of the same message follow it
    /// (`zmq_msg_more`). A part made by the application says false; how a sent part is
    /// marked is up to the send call ([`Socket::send_more`](crate::Socket::send_more)).
    ///
    /// ```
    /// use ferrozmq::{Context, PAIR};
    /// let ctx = Context::new();
    /// let a = ctx.socket(PAIR).unwrap();
    /// a.bind("inproc://message-more").unwrap();
    /// let b = ctx.socket(PAIR).unwrap();
    /// b.connect("inproc://message-more").unwrap();
    /// a.send_more("key").unwrap();
    /// a.send("value").unwrap();
    /// assert!(b.recv().unwrap().more());
    /// assert!(!b.recv().unwrap().more());
    /// ```
    #[inline]
    pub fn more(&self) -> bool {
        self.0.more()
    }

    /// The body as a vector (one copy).
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_slice().to_vec()
    }

    /// The body as [`Bytes`]: free for large bodies, one copy for small (inline) ones.
    pub fn into_bytes(self) -> Bytes {
        self.0.into_bytes()
    }

    /// The part as the library moves it.
    #[inline]
    pub(crate) fn into_part(self) -> zmtp::Message {
        self.0
    }

    /// A part the library received, for the application: always data, whatever kind it
    /// had inside the library, so that a protocol command can neither be seen by an
    /// application nor be sent on by one (one bit cleared; no cost worth measuring).
    #[inline]
    pub(crate) fn from_part(part: zmtp::Message) -> Message {
        Message(part.into_data())
    }
}

impl Deref for Message {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Message {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for Message {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Message {}

impl Hash for Message {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialEq<[u8]> for Message {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for Message {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Message {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Message {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for Message {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<str> for Message {
    fn eq(&self, other: &str) -> bool {
        self.as_slice() == other.as_bytes()
    }
}

impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        self.as_slice() == other.as_bytes()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Message");
        match self.as_str() {
            Some(text) => s.field("body", &text),
            None => s.field("body", &self.as_slice()),
        };
        s.field("more", &self.more()).finish()
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Message {
        Message::from_slice(bytes)
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(bytes: &[u8; N]) -> Message {
        Message::from_slice(bytes)
    }
}

impl<const N: usize> From<[u8; N]> for Message {
    fn from(bytes: [u8; N]) -> Message {
        Message::from_slice(&bytes)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Message {
        Message(zmtp::Message::from(bytes))
    }
}

impl From<&Vec<u8>> for Message {
    fn from(bytes: &Vec<u8>) -> Message {
        Message::from_slice(bytes)
    }
}

impl From<Box<[u8]>> for Message {
    fn from(bytes: Box<[u8]>) -> Message {
        Message::from(Vec::from(bytes))
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Message {
        Message(zmtp::Message::from_bytes(bytes))
    }
}

impl From<&Bytes> for Message {
    fn from(bytes: &Bytes) -> Message {
        Message::from(bytes.clone())
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::from_slice(text.as_bytes())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::from(text.into_bytes())
    }
}

impl From<&String> for Message {
    fn from(text: &String) -> Message {
        Message::from_slice(text.as_bytes())
    }
}

impl From<&Message> for Message {
    /// A copy of the part: cheap (large bodies are shared, not copied). The copy is a
    /// fresh part to send: whether more parts follow is up to the send call.
    fn from(msg: &Message) -> Message {
        msg.clone()
    }
}

impl From<Message> for Bytes {
    fn from(msg: Message) -> Bytes {
        msg.into_bytes()
    }
}

impl From<Message> for Vec<u8> {
    fn from(msg: Message) -> Vec<u8> {
        msg.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_as_small_as_the_part_it_wraps() {
        assert_eq!(std::mem::size_of::<Message>(), 72);
    }

    #[test]
    fn conversions_keep_the_bytes() {
        let expected = b"0123456789".repeat(10);
        let made = [
            Message::from(expected.as_slice()),
            Message::from(expected.clone()),
            Message::from(&expected),
            Message::from(expected.clone().into_boxed_slice()),
            Message::from(Bytes::from(expected.clone())),
            Message::from(String::from_utf8(expected.clone()).unwrap()),
        ];
        for msg in made {
            assert_eq!(msg, expected);
            assert_eq!(Vec::from(msg.clone()), expected);
            assert_eq!(Bytes::from(msg), expected);
        }
        assert_eq!(Message::from([1u8, 2]), [1u8, 2]);
        assert_eq!(Message::from(&[1u8, 2]), &[1u8, 2]);
    }

    #[test]
    fn a_protocol_command_handed_out_becomes_plain_data() {
        for command in [
            zmtp::Message::subscription(b"topic", true),
            zmtp::Message::subscription(b"topic", false),
            zmtp::Message::membership(b"group", true),
            zmtp::Message::membership(b"group", false),
        ] {
            let handed_out = Message::from_part(command.with_more(true));
            assert!(handed_out.more());
            let sent_back = handed_out.into_part();
            assert_eq!(sent_back.kind(), zmtp::Kind::Data, "{sent_back:?}");
        }
    }

    #[test]
    fn equality_is_about_the_bytes_only() {
        let received = Message::from_part(zmtp::Message::from("a").with_more(true));
        assert!(received.more());
        assert_eq!(received, Message::from("a"));
        assert_ne!(received, Message::from("b"));
    }
}
