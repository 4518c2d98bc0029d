//! The flags of [`Socket::send_with`](crate::Socket::send_with).

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// How to send a part: a set of [`MORE`](Self::MORE) and [`DONTWAIT`](Self::DONTWAIT), for
/// [`Socket::send_with`](crate::Socket::send_with). Code that knows what it wants calls
/// [`send`](crate::Socket::send), [`send_more`](crate::Socket::send_more) or
/// [`try_send`](crate::Socket::try_send) instead; this is for code that decides at run time,
/// such as a forwarder passing on each part's [`more`](crate::Message::more).
///
/// ```
/// use ferrozmq::SendFlags;
/// let flags = SendFlags::MORE | SendFlags::DONTWAIT;
/// assert!(flags.contains(SendFlags::MORE));
/// assert!(!SendFlags::empty().contains(SendFlags::DONTWAIT));
/// assert_eq!(SendFlags::more_if(false), SendFlags::empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SendFlags(u8);

impl SendFlags {
    /// Never block: fail with [`Error::Again`](crate::Error::Again) when the part cannot be
    /// queued now (`ZMQ_DONTWAIT`).
    pub const DONTWAIT: SendFlags = SendFlags(1);
    /// More parts of this message follow (`ZMQ_SNDMORE`).
    pub const MORE: SendFlags = SendFlags(2);

    /// No flag: a final part, waiting as long as the send timeout allows.
    pub const fn empty() -> SendFlags {
        SendFlags(0)
    }

    /// [`MORE`](Self::MORE) when `more`, else no flag.
    pub const fn more_if(more: bool) -> SendFlags {
        SendFlags(if more { Self::MORE.0 } else { 0 })
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: SendFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for SendFlags {
    type Output = SendFlags;
    fn bitor(self, other: SendFlags) -> SendFlags {
        SendFlags(self.0 | other.0)
    }
}

impl BitOrAssign for SendFlags {
    fn bitor_assign(&mut self, other: SendFlags) {
        self.0 |= other.0;
    }
}

impl fmt::Debug for SendFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.contains(Self::MORE), self.contains(Self::DONTWAIT)) {
            (false, false) => f.write_str("SendFlags(empty)"),
            (true, false) => f.write_str("SendFlags(MORE)"),
            (false, true) => f.write_str("SendFlags(DONTWAIT)"),
            (true, true) => f.write_str("SendFlags(MORE | DONTWAIT)"),
        }
    }
}
