//! The I/O thread's timers: a heap of wake-ups, earliest first, at most one pending per handler.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

/// The handlers' wake-ups. A handler has at most one pending wake-up that no earlier one
/// covers: asking again for a later time while an earlier wake-up is pending adds nothing
/// (the handler checks all its deadlines when called, and asks for the next then). So a
/// peer whose every PING pushes a heartbeat deadline back cannot grow the heap.
#[derive(Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    /// The earliest pending wake-up of each handler.
    armed: HashMap<u64, Instant>,
}

impl Timers {
    pub(super) fn arm(&mut self, token: u64, when: Instant) {
        match self.armed.get(&token) {
            Some(&armed) if armed <= when => {}
            _ => {
                self.armed.insert(token, when);
                self.heap.push(Reverse((when, token)));
            }
        }
    }

    /// When the next wake-up is due.
    pub(super) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((when, _))| *when)
    }

    /// The token of a handler due at `now`, if any.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<u64> {
        let Reverse((when, token)) = *self.heap.peek()?;
        if when > now {
            return None;
        }
        self.heap.pop();
        if self.armed.get(&token) == Some(&when) {
            self.armed.remove(&token);
        }
        Some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_later_wake_up_adds_nothing_while_an_earlier_one_is_pending() {
        let mut timers = Timers::default();
        let start = Instant::now();
        for i in 0..10_000u64 {
            timers.arm(7, start + Duration::from_millis(100 + i));
        }
        assert_eq!(
            timers.heap.len(),
            1,
            "one wake-up for a deadline pushed back"
        );
        // An earlier one is kept.
        timers.arm(7, start + Duration::from_millis(50));
        timers.arm(8, start + Duration::from_millis(60));
        assert_eq!(timers.next(), Some(start + Duration::from_millis(50)));
        assert_eq!(timers.pop_due(start), None, "nothing due yet");
        let later = start + Duration::from_secs(1);
        let mut fired = Vec::new();
        while let Some(token) = timers.pop_due(later) {
            fired.push(token);
        }
        assert_eq!(fired, [7, 8, 7]);
        assert!(timers.armed.is_empty(), "every armed wake-up fired");
        // Once fired, the handler may ask again.
        timers.arm(7, later);
        assert_eq!(timers.heap.len(), 1);
    }
}
