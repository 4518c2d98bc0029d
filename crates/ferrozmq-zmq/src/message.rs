//! One message part, with a body the application may write to.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// One part of a message: its bytes, whether more parts follow it, and the properties of
/// the connection it came through.
///
/// A `Message` dereferences to `[u8]`, mutably too. A received body, or one made from
/// bytes, is ferrozmq's message as it is (never copied: large bodies are shared, small ones
/// stored inline); writing to it through `DerefMut` copies it into a buffer of its own
/// first. [`with_size`](Message::with_size) makes a zeroed buffer to write into.
///
/// ```
/// # use ferrozmq_zmq as zmq;
/// let mut msg = zmq::Message::with_size(5);
/// msg.copy_from_slice(b"hello");
/// msg[0] = b'H';
/// assert_eq!(msg.as_str(), Some("Hello"));
/// assert_eq!(format!("{msg:?}"), "[72, 101, 108, 108, 111]");
/// assert!(!msg.get_more());
/// ```
pub struct Message {
    body: Body,
    more: bool,
    properties: ferrozmq::Properties,
}

enum Body {
    /// As ferrozmq made it: received, or made from bytes.
    Frozen(ferrozmq::Message),
    /// A buffer the application writes to.
    Writable(Box<[u8]>),
}

impl Message {
    /// An empty part.
    pub fn new() -> Message {
        Message::from(ferrozmq::Message::new())
    }

    /// A part of `len` zero bytes, to write into.
    pub fn with_size(len: usize) -> Message {
        Message::writable(vec![0; len].into_boxed_slice())
    }

    /// [`with_size`](Message::with_size) under its old name.
    #[deprecated(since = "0.9.1", note = "Use `with_size` instead")]
    pub fn with_capacity(len: usize) -> Message {
        Message::with_size(len)
    }

    /// A part of `len` bytes. (In the `zmq` crate the bytes were left uninitialised; here
    /// they are zeros, which callers could not rely on either way.)
    ///
    /// # Safety
    ///
    /// None needed here; `unsafe` is kept so that code written for the `zmq` crate
    /// compiles unchanged.
    #[deprecated(since = "0.9.1", note = "Use `with_size` instead")]
    pub unsafe fn with_capacity_unallocated(len: usize) -> Message {
        Message::with_size(len)
    }

    /// A part holding a copy of `data`; the same as `Message::from(data)`.
    #[deprecated(since = "0.9.1", note = "Use the `From` trait instead")]
    pub fn from_slice(data: &[u8]) -> Message {
        Message::from(data)
    }

    fn writable(buffer: Box<[u8]>) -> Message {
        Message {
            body: Body::Writable(buffer),
            more: false,
            properties: ferrozmq::Properties::new(),
        }
    }

    /// A part just received, with the properties of its connection.
    pub(crate) fn received(part: ferrozmq::Message, properties: ferrozmq::Properties) -> Message {
        Message {
            more: part.more(),
            body: Body::Frozen(part),
            properties,
        }
    }

    /// The body as text, when it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self).ok()
    }

    /// For a received part: whether more parts of the same message follow
    /// (`zmq_msg_more`).
    pub fn get_more(&self) -> bool {
        self.more
    }

    /// A property of the connection a received part came through (`zmq_msg_gets`):
    /// `Socket-Type`, `Routing-Id` (or `Identity`), `Peer-Address`, `User-Id` and the
    /// metadata a ZAP handler added; names compare without regard to case. `None` for a
    /// property the connection does not have, a value that is not UTF-8, and parts from
    /// inproc peers or made by the application.
    ///
    /// ```
    /// # use ferrozmq_zmq as zmq;
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL).unwrap();
    /// pull.bind("tcp://127.0.0.1:*").unwrap();
    /// let push = ctx.socket(zmq::PUSH).unwrap();
    /// push.connect(&pull.get_last_endpoint().unwrap().unwrap()).unwrap();
    /// push.send("job", 0).unwrap();
    /// let mut msg = pull.recv_msg(0).unwrap();
    /// assert_eq!(msg.gets("Socket-Type"), Some("PUSH"));
    /// assert_eq!(msg.gets("Peer-Address"), Some("127.0.0.1"));
    /// ```
    pub fn gets<'a>(&'a mut self, property: &str) -> Option<&'a str> {
        self.properties.get_str(property)
    }
}

impl Default for Message {
    fn default() -> Message {
        Message::new()
    }
}

impl Deref for Message {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.body {
            Body::Frozen(part) => part,
            Body::Writable(buffer) => buffer,
        }
    }
}

impl DerefMut for Message {
    fn deref_mut(&mut self) -> &mut [u8] {
        if let Body::Frozen(part) = &self.body {
            self.body = Body::Writable(part.as_slice().into());
        }
        match &mut self.body {
            Body::Writable(buffer) => buffer,
            Body::Frozen(_) => unreachable!("made writable above"),
        }
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Message {}

impl fmt::Debug for Message {
    /// The bytes, as a slice of numbers (the `zmq` crate's format).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self[..], f)
    }
}

impl From<&[u8]> for Message {
    /// A copy of the bytes.
    fn from(data: &[u8]) -> Message {
        Message::from(ferrozmq::Message::from_slice(data))
    }
}

impl From<Vec<u8>> for Message {
    /// The vector's buffer, taken over.
    fn from(data: Vec<u8>) -> Message {
        Message::from(ferrozmq::Message::from(data))
    }
}

impl From<Box<[u8]>> for Message {
    /// The boxed buffer, taken over.
    fn from(data: Box<[u8]>) -> Message {
        Message::from(ferrozmq::Message::from(data))
    }
}

impl From<&str> for Message {
    /// A copy of the text's bytes.
    fn from(text: &str) -> Message {
        Message::from(text.as_bytes())
    }
}

impl From<&String> for Message {
    /// A copy of the text's bytes.
    fn from(text: &String) -> Message {
        Message::from(text.as_bytes())
    }
}

impl<T> From<&T> for Message
where
    T: Into<Message> + Clone,
{
    /// What `T` converts into, from a clone of it: so `&Vec<u8>` and `&&str` can be sent.
    fn from(value: &T) -> Message {
        value.clone().into()
    }
}

impl From<ferrozmq::Message> for Message {
    /// A message of ferrozmq's own API, as it is.
    fn from(part: ferrozmq::Message) -> Message {
        Message {
            more: part.more(),
            body: Body::Frozen(part),
            properties: ferrozmq::Properties::new(),
        }
    }
}

impl From<Message> for ferrozmq::Message {
    /// The part for ferrozmq's own API, with no copy.
    fn from(msg: Message) -> ferrozmq::Message {
        match msg.body {
            Body::Frozen(part) => part,
            Body::Writable(buffer) => ferrozmq::Message::from(buffer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_to_a_shared_body_copies_it_first() {
        let original = ferrozmq::Message::from(vec![7u8; 100]);
        let mut msg = Message::from(original.clone());
        msg[0] = 1;
        assert_eq!(msg[0], 1);
        assert_eq!(original[0], 7, "the shared body is untouched");
        let sent = ferrozmq::Message::from(msg);
        assert_eq!(sent.len(), 100);
        assert_eq!(sent[..2], [1, 7]);
    }

    #[test]
    fn conversions_keep_the_bytes() {
        let text = String::from("text");
        let bytes = vec![1u8, 2, 3];
        assert_eq!(Message::from(&text), Message::from("text"));
        assert_eq!(Message::from(&bytes)[..], [1, 2, 3]);
        assert_eq!(Message::from(&"x")[..], *b"x");
        assert_eq!(Message::from(bytes.into_boxed_slice())[..], [1, 2, 3]);
        assert_eq!(Message::with_size(3)[..], [0, 0, 0]);
        assert!(Message::new().is_empty());
        assert_ne!(Message::from("a"), Message::from("b"));
    }

    #[test]
    fn parts_made_here_have_no_properties() {
        let mut msg = Message::from("local");
        assert_eq!(msg.gets("Socket-Type"), None);
    }
}
