//! Bounds on one inbound message as a whole: how many parts, how many bytes in all.
//!
//! A frame size limit bounds each part, but a message is not delivered until its last part
//! arrives, so a peer that sends MORE-flagged parts for ever makes the receiver hold every
//! one of them. The budget counts the parts of the message under way and refuses the frame
//! that would take it over either bound, from its header, before its body is buffered.

use crate::error::ProtocolError;

/// The parts and bytes of the inbound message under way, and their bounds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MessageBudget {
    max_parts: u64,
    max_bytes: u64,
    /// Parts of the message under way received so far (all with MORE).
    parts: u64,
    /// Their bytes.
    bytes: u64,
}

impl MessageBudget {
    /// `None` is no bound. A bound of 0 parts admits single-part messages only in name: a
    /// message has at least one part, so it is taken as 1.
    pub(crate) fn new(max_parts: Option<u64>, max_bytes: Option<u64>) -> Self {
        MessageBudget {
            max_parts: max_parts.map_or(u64::MAX, |m| m.max(1)),
            max_bytes: max_bytes.unwrap_or(u64::MAX),
            parts: 0,
            bytes: 0,
        }
    }

    /// Whether a part of `len` bytes fits in the message under way. Looks only: a frame may
    /// be checked again while its body arrives.
    #[inline]
    pub(crate) fn check(&self, len: u64) -> Result<(), ProtocolError> {
        if self.parts >= self.max_parts {
            return Err(ProtocolError::TooManyParts {
                max: self.max_parts,
            });
        }
        let total = self.bytes.saturating_add(len);
        if total > self.max_bytes {
            return Err(ProtocolError::MultipartTooLarge {
                len: total,
                max: self.max_bytes,
            });
        }
        Ok(())
    }

    /// [`check`](Self::check), then [`take`](Self::take): a part that has arrived. A
    /// single-part message, the common case, costs two comparisons.
    #[inline]
    pub(crate) fn admit(&mut self, len: u64, more: bool) -> Result<(), ProtocolError> {
        if !more && self.parts == 0 && len <= self.max_bytes {
            return Ok(());
        }
        self.check(len)?;
        self.take(len, more);
        Ok(())
    }

    /// What the parts of the message under way hold: their bytes, and the size of a
    /// [`Message`](crate::Message) for each.
    pub(crate) fn held(&self) -> u64 {
        let bookkeeping = std::mem::size_of::<crate::Message>() as u64;
        self.bytes
            .saturating_add(self.parts.saturating_mul(bookkeeping))
    }

    /// Counts a part taken; the last part of a message starts the count afresh.
    #[inline]
    pub(crate) fn take(&mut self, len: u64, more: bool) {
        if more {
            self.parts += 1;
            self.bytes = self.bytes.saturating_add(len);
        } else {
            self.parts = 0;
            self.bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_over_either_bound_is_refused_and_a_last_part_resets() {
        let mut budget = MessageBudget::new(Some(3), Some(100));
        for _ in 0..2 {
            budget.check(10).unwrap();
            budget.take(10, true);
        }
        budget.check(80).unwrap();
        assert_eq!(
            budget.check(81),
            Err(ProtocolError::MultipartTooLarge { len: 101, max: 100 })
        );
        budget.take(80, true);
        assert_eq!(budget.check(0), Err(ProtocolError::TooManyParts { max: 3 }));
        // A whole message of three parts was fine; the next starts from nothing.
        let mut budget = MessageBudget::new(Some(3), Some(100));
        budget.take(50, true);
        budget.take(50, false);
        budget.check(100).unwrap();
    }

    #[test]
    fn no_bounds_admit_anything() {
        let mut budget = MessageBudget::new(None, None);
        for _ in 0..1000 {
            budget.check(u64::MAX / 2).unwrap();
            budget.take(u64::MAX / 2, true);
        }
    }
}
