//! The readiness bit set shared by `poll`, `Poller` and `Socket::events`.

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign};

/// What a socket or descriptor is ready for, or what to wait for: a set of [`POLLIN`],
/// [`POLLOUT`] and [`POLLERR`], with libzmq's bit values (`ZMQ_POLLIN` = 1, `ZMQ_POLLOUT`
/// = 2, `ZMQ_POLLERR` = 4), as in the `zmq` crate.
///
/// ```
/// use ferrozmq::{PollEvents, POLLIN, POLLOUT};
/// let both = POLLIN | POLLOUT;
/// assert!(both.contains(POLLIN));
/// assert_eq!(both & POLLOUT, POLLOUT);
/// assert!((both & ferrozmq::POLLERR).is_empty());
/// assert_eq!(both.bits(), 3);
/// assert_eq!(PollEvents::from_bits_truncate(0x7f), both | ferrozmq::POLLERR);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PollEvents(i16);

impl PollEvents {
    /// A message can be received (sockets), or data read (descriptors).
    pub const POLLIN: PollEvents = PollEvents(1);
    /// A message can be sent (sockets), or data written (descriptors).
    pub const POLLOUT: PollEvents = PollEvents(2);
    /// An error or hang-up on a descriptor; sockets never report it.
    pub const POLLERR: PollEvents = PollEvents(4);

    const ALL: i16 = 1 | 2 | 4;

    /// The empty set.
    pub const fn empty() -> PollEvents {
        PollEvents(0)
    }

    /// The libzmq bit values.
    pub const fn bits(self) -> i16 {
        self.0
    }

    /// The set with the given libzmq bit values; unknown bits are dropped.
    pub const fn from_bits_truncate(bits: i16) -> PollEvents {
        PollEvents(bits & Self::ALL)
    }

    /// Whether every event of `other` is in `self`.
    pub const fn contains(self, other: PollEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` and `other` share an event.
    pub const fn intersects(self, other: PollEvents) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no event is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Shorthand for [`PollEvents::POLLIN`], as in the `zmq` crate.
pub const POLLIN: PollEvents = PollEvents::POLLIN;
/// Shorthand for [`PollEvents::POLLOUT`], as in the `zmq` crate.
pub const POLLOUT: PollEvents = PollEvents::POLLOUT;
/// Shorthand for [`PollEvents::POLLERR`], as in the `zmq` crate.
pub const POLLERR: PollEvents = PollEvents::POLLERR;

impl BitOr for PollEvents {
    type Output = PollEvents;
    fn bitor(self, other: PollEvents) -> PollEvents {
        PollEvents(self.0 | other.0)
    }
}

impl BitOrAssign for PollEvents {
    fn bitor_assign(&mut self, other: PollEvents) {
        self.0 |= other.0;
    }
}

impl BitAnd for PollEvents {
    type Output = PollEvents;
    fn bitand(self, other: PollEvents) -> PollEvents {
        PollEvents(self.0 & other.0)
    }
}

impl BitAndAssign for PollEvents {
    fn bitand_assign(&mut self, other: PollEvents) {
        self.0 &= other.0;
    }
}

impl fmt::Debug for PollEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (POLLIN, "POLLIN"),
            (POLLOUT, "POLLOUT"),
            (POLLERR, "POLLERR"),
        ];
        let mut first = true;
        for (event, name) in names {
            if self.contains(event) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_events() {
        assert_eq!(format!("{:?}", POLLIN | POLLERR), "POLLIN | POLLERR");
        assert_eq!(format!("{:?}", PollEvents::empty()), "(empty)");
    }

    #[test]
    fn and_assign_keeps_the_common_events() {
        let mut events = POLLIN | POLLOUT;
        events &= POLLOUT | POLLERR;
        assert_eq!(events, POLLOUT);
    }
}
