//! One message part (a ZMTP frame body plus its flags), stored inline when small.

use bytes::Bytes;
use std::fmt;
use std::ops::Deref;

/// Bodies up to this many bytes live inside the [`Message`] itself, so creating, queueing and
/// dropping them never touches the allocator. Chosen so that a whole `Message` is 72 bytes:
/// a 64-byte payload, the usual benchmark size, still fits.
pub const INLINE_CAPACITY: usize = 69;

/// One part of a (possibly multipart) message: a body and its MORE flag.
///
/// A ZeroMQ message is a sequence of parts; every part but the last carries [`more`](Self::more).
/// Small bodies are stored inline (no allocation); larger ones are reference-counted [`Bytes`],
/// so cloning a message for many subscribers never copies a large payload.
///
/// ```
/// use ferrozmq_zmtp::Message;
/// let mut part = Message::from("Are you OK?");
/// part.set_more(true);
/// assert_eq!(&part[..], b"Are you OK?");
/// assert!(part.more());
/// ```
#[derive(Clone)]
pub struct Message {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        flags: u8,
        data: [u8; INLINE_CAPACITY],
    },
    Shared {
        flags: u8,
        bytes: Bytes,
    },
}

/// What a part means to the protocol layer. Applications only ever see [`Kind::Data`];
/// the other kinds travel between sockets and connections inside the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Application data.
    Data,
    /// A subscription request; the body is the topic prefix.
    Subscribe,
    /// A subscription cancellation; the body is the topic prefix.
    Cancel,
    /// A RADIO/DISH group membership request; the body is the group.
    Join,
    /// A RADIO/DISH group membership cancellation; the body is the group.
    Leave,
}

const MORE: u8 = 0x01;
const SUBSCRIBE: u8 = 0x10;
const CANCEL: u8 = 0x20;
const JOIN: u8 = 0x30;
const LEAVE: u8 = 0x40;
const KIND_MASK: u8 = 0x70;

impl Message {
    /// An empty, final part.
    pub const fn new() -> Self {
        Message {
            repr: Repr::Inline {
                len: 0,
                flags: 0,
                data: [0; INLINE_CAPACITY],
            },
        }
    }

    /// A part holding a copy of `body`.
    pub fn from_slice(body: &[u8]) -> Self {
        if body.len() <= INLINE_CAPACITY {
            let mut data = [0; INLINE_CAPACITY];
            data[..body.len()].copy_from_slice(body);
            Message {
                repr: Repr::Inline {
                    len: body.len() as u8,
                    flags: 0,
                    data,
                },
            }
        } else {
            let bytes = if body.len() <= crate::block::MAX_BLOCK_BODY {
                crate::block::copy(body)
            } else if body.len() >= crate::recycled::MIN_RECYCLED {
                crate::recycled::copy(body)
            } else {
                Bytes::copy_from_slice(body)
            };
            Message {
                repr: Repr::Shared { flags: 0, bytes },
            }
        }
    }

    /// A part that shares `bytes` without copying (small bodies are copied inline instead,
    /// which is cheaper to move through queues than a reference count).
    pub fn from_bytes(bytes: Bytes) -> Self {
        if bytes.len() <= INLINE_CAPACITY {
            Self::from_slice(&bytes)
        } else {
            Message {
                repr: Repr::Shared { flags: 0, bytes },
            }
        }
    }

    /// A subscription (or cancellation) for `prefix`, as SUB sockets send upstream.
    pub fn subscription(prefix: &[u8], subscribe: bool) -> Self {
        let mut msg = Self::from_slice(prefix);
        *msg.flags_mut() |= if subscribe { SUBSCRIBE } else { CANCEL };
        msg
    }

    /// A request to join (or leave) a RADIO/DISH group, as DISH sockets send upstream.
    pub fn membership(group: &[u8], join: bool) -> Self {
        let mut msg = Self::from_slice(group);
        *msg.flags_mut() |= if join { JOIN } else { LEAVE };
        msg
    }

    /// The body.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.repr {
            Repr::Inline { len, data, .. } => &data[..*len as usize],
            Repr::Shared { bytes, .. } => bytes,
        }
    }

    /// Length of the body in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Inline { len, .. } => *len as usize,
            Repr::Shared { bytes, .. } => bytes.len(),
        }
    }

    /// True when the body is empty (as the REQ/REP envelope delimiter is).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when more parts of the same message follow this one.
    #[inline]
    pub fn more(&self) -> bool {
        self.flags() & MORE != 0
    }

    /// Marks whether more parts follow.
    #[inline]
    pub fn set_more(&mut self, more: bool) {
        let flags = self.flags_mut();
        if more {
            *flags |= MORE;
        } else {
            *flags &= !MORE;
        }
    }

    /// Builder form of [`set_more`](Self::set_more).
    #[inline]
    pub fn with_more(mut self, more: bool) -> Self {
        self.set_more(more);
        self
    }

    /// The same body and MORE flag as application data ([`Kind::Data`]): what the part
    /// meant to the protocol layer, if anything, is dropped. The library applies it to
    /// every part it hands to an application, so that no protocol command can be seen
    /// there, or sent on from there.
    #[inline]
    pub fn into_data(mut self) -> Self {
        *self.flags_mut() &= !KIND_MASK;
        self
    }

    /// What the part means to the protocol layer.
    #[inline]
    pub fn kind(&self) -> Kind {
        match self.flags() & KIND_MASK {
            SUBSCRIBE => Kind::Subscribe,
            CANCEL => Kind::Cancel,
            JOIN => Kind::Join,
            LEAVE => Kind::Leave,
            _ => Kind::Data,
        }
    }

    /// The body as [`Bytes`]: free for large bodies, one copy for inline ones.
    pub fn into_bytes(self) -> Bytes {
        match self.repr {
            Repr::Inline { len, data, .. } => Bytes::copy_from_slice(&data[..len as usize]),
            Repr::Shared { bytes, .. } => bytes,
        }
    }

    /// The body as [`Bytes`] when it is shared (large), `None` when stored inline.
    /// Writers use it to hand big bodies to the kernel without copying them.
    #[inline]
    pub fn shared_bytes(&self) -> Option<&Bytes> {
        match &self.repr {
            Repr::Shared { bytes, .. } => Some(bytes),
            Repr::Inline { .. } => None,
        }
    }

    #[inline]
    fn flags(&self) -> u8 {
        match &self.repr {
            Repr::Inline { flags, .. } | Repr::Shared { flags, .. } => *flags,
        }
    }

    #[inline]
    fn flags_mut(&mut self) -> &mut u8 {
        match &mut self.repr {
            Repr::Inline { flags, .. } | Repr::Shared { flags, .. } => flags,
        }
    }

    /// Returns the body as text when it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_slice()).ok()
    }
}

impl Default for Message {
    fn default() -> Self {
        Self::new()
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

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.flags() == other.flags() && self.as_slice() == other.as_slice()
    }
}

impl Eq for Message {}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Message");
        match self.as_str() {
            Some(text) => s.field("body", &text),
            None => s.field("body", &self.as_slice()),
        };
        s.field("more", &self.more());
        if self.kind() != Kind::Data {
            s.field("kind", &self.kind());
        }
        s.finish()
    }
}

impl From<&[u8]> for Message {
    fn from(body: &[u8]) -> Self {
        Self::from_slice(body)
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(body: &[u8; N]) -> Self {
        Self::from_slice(body)
    }
}

impl From<&str> for Message {
    fn from(body: &str) -> Self {
        Self::from_slice(body.as_bytes())
    }
}

impl From<&String> for Message {
    fn from(body: &String) -> Self {
        Self::from_slice(body.as_bytes())
    }
}

impl From<String> for Message {
    fn from(body: String) -> Self {
        Self::from(body.into_bytes())
    }
}

impl From<Vec<u8>> for Message {
    fn from(body: Vec<u8>) -> Self {
        Self::from_bytes(Bytes::from(body))
    }
}

impl From<Bytes> for Message {
    fn from(body: Bytes) -> Self {
        Self::from_bytes(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_stays_72_bytes() {
        assert_eq!(std::mem::size_of::<Message>(), 72);
    }

    #[test]
    fn small_bodies_are_inline_and_large_ones_shared() {
        let small = Message::from_slice(&[7; INLINE_CAPACITY]);
        assert!(small.shared_bytes().is_none());
        let large = Message::from_slice(&[7; INLINE_CAPACITY + 1]);
        assert_eq!(
            large.shared_bytes().map(Bytes::len),
            Some(INLINE_CAPACITY + 1)
        );
        assert_eq!(large.len(), INLINE_CAPACITY + 1);
    }

    #[test]
    fn more_flag_round_trips_in_both_representations() {
        for len in [0, 5, 1000] {
            let mut m = Message::from(vec![1u8; len]);
            assert!(!m.more());
            m.set_more(true);
            assert!(m.more());
            assert_eq!(m.len(), len);
            m.set_more(false);
            assert!(!m.more());
        }
    }

    #[test]
    fn subscription_kind_is_kept_apart_from_more() {
        let mut sub = Message::subscription(b"topic", true);
        assert_eq!(sub.kind(), Kind::Subscribe);
        sub.set_more(true);
        assert_eq!(sub.kind(), Kind::Subscribe);
        assert_eq!(Message::subscription(b"", false).kind(), Kind::Cancel);
        assert_eq!(Message::from("x").kind(), Kind::Data);
        assert_eq!(Message::membership(b"g", true).kind(), Kind::Join);
        assert_eq!(
            Message::membership(b"g", false).with_more(true).kind(),
            Kind::Leave
        );
    }

    #[test]
    fn into_data_drops_the_kind_and_keeps_more() {
        let part = Message::subscription(b"topic", true)
            .with_more(true)
            .into_data();
        assert_eq!(part.kind(), Kind::Data);
        assert!(part.more());
        assert_eq!(&part[..], b"topic");
    }

    #[test]
    fn equality_compares_body_and_flags() {
        assert_eq!(Message::from("a"), Message::from(b"a".to_vec()));
        assert_ne!(Message::from("a"), Message::from("a").with_more(true));
    }
}
