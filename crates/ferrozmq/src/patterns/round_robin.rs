//! Taking turns among the pipes that are ready, one whole message per turn: the shared core
//! of [`LoadBalancer`](super::LoadBalancer) and [`FairQueue`](super::FairQueue).

use super::PipeId;

/// The pipes of a socket in turn order, with the ones ready for I/O ("active") kept in front.
///
/// The active pipes form a queue that starts at the pipe whose turn it is. A pipe that is
/// attached or becomes active again joins at the back of that queue, and a served pipe goes
/// to the back too, so while a pipe waits no other pipe is served twice, whatever the order
/// of activations. Keeping that order shifts part of the active run on each activation and
/// deactivation (a memmove of one word per pipe), which happens on high-water-mark
/// transitions, not per message.
#[derive(Debug, Default)]
pub(super) struct RoundRobin {
    /// `pipes[..active]` are active, in turn order; the rest are inactive, in no order.
    pipes: Vec<PipeId>,
    /// How many pipes at the front of `pipes` are active.
    active: usize,
    /// Index in `pipes` of the pipe whose turn it is; below `active` unless `active` is 0.
    current: usize,
    /// The current pipe is in the middle of a multipart message, so the turn cannot pass.
    more: bool,
}

impl RoundRobin {
    /// Adds a new pipe as active, last in turn.
    pub(super) fn attach(&mut self, pipe: PipeId) {
        debug_assert!(!self.pipes.contains(&pipe), "pipe {pipe} attached twice");
        self.pipes.push(pipe);
        self.enter_active(self.pipes.len() - 1);
    }

    /// Makes an inactive pipe active again, last in turn; does nothing for an active or an
    /// unknown pipe.
    pub(super) fn activate(&mut self, pipe: PipeId) {
        if let Some(index) = self.position(pipe) {
            if index >= self.active {
                self.enter_active(index);
            }
        }
    }

    /// Makes an active pipe inactive; does nothing for an inactive or unknown pipe.
    ///
    /// Returns true when the pipe was in the middle of a message: that message cannot go on
    /// through another pipe, so the turn passes and the caller decides what the cut means.
    pub(super) fn deactivate(&mut self, pipe: PipeId) -> bool {
        match self.position(pipe) {
            Some(index) if index < self.active => self.leave_active(index),
            _ => false,
        }
    }

    /// Forgets a pipe; does nothing for an unknown pipe.
    ///
    /// Returns true when the pipe was in the middle of a message, as for
    /// [`deactivate`](Self::deactivate).
    pub(super) fn remove(&mut self, pipe: PipeId) -> bool {
        let Some(mut index) = self.position(pipe) else {
            return false;
        };
        let mut interrupted = false;
        if index < self.active {
            interrupted = self.leave_active(index);
            index = self.active;
        }
        // Inactive pipes have no order to keep.
        self.pipes.swap_remove(index);
        interrupted
    }

    /// The pipe whose turn it is, `None` when no pipe is active.
    pub(super) fn current(&self) -> Option<PipeId> {
        self.pipes[..self.active].get(self.current).copied()
    }

    /// One frame went through [`current`](Self::current); after the last frame of a message
    /// (`more` false) the turn passes to the next active pipe.
    pub(super) fn advance(&mut self, more: bool) {
        if self.active == 0 {
            return;
        }
        self.more = more;
        if !more {
            self.current += 1;
            if self.current == self.active {
                self.current = 0;
            }
        }
    }

    /// Whether some pipe is active.
    #[cfg(test)]
    pub(super) fn has_active(&self) -> bool {
        self.active > 0
    }

    /// How many pipes there are, active or not.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.pipes.len()
    }

    /// Whether there are no pipes at all.
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.pipes.is_empty()
    }

    fn position(&self, pipe: PipeId) -> Option<usize> {
        self.pipes.iter().position(|&p| p == pipe)
    }

    /// Moves the inactive pipe at `index` into the active run, just before the pipe whose
    /// turn it is: cyclically, that is the back of the queue.
    fn enter_active(&mut self, index: usize) {
        self.pipes.swap(index, self.active);
        self.pipes[self.current..=self.active].rotate_right(1);
        if self.active > 0 {
            self.current += 1;
        }
        self.active += 1;
    }

    /// Moves the active pipe at `index` to the front of the inactive ones, keeping the turn
    /// order of the others and the turn on the pipe that had it (or on the successor of the
    /// leaving pipe, if it had the turn). Returns whether a message was cut.
    fn leave_active(&mut self, index: usize) -> bool {
        let had_turn = index == self.current;
        self.pipes[index..self.active].rotate_left(1);
        self.active -= 1;
        if index < self.current {
            self.current -= 1;
        }
        if self.current >= self.active {
            self.current = 0;
        }
        let interrupted = had_turn && self.more;
        if interrupted {
            self.more = false;
        }
        interrupted
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_rng::TestRng;
    use super::*;

    /// The next `n` turns of single-frame messages.
    fn turns(ring: &mut RoundRobin, n: usize) -> Vec<PipeId> {
        (0..n)
            .map(|_| {
                let pipe = ring.current().expect("an active pipe");
                ring.advance(false);
                pipe
            })
            .collect()
    }

    fn ring_of(pipes: &[PipeId]) -> RoundRobin {
        let mut ring = RoundRobin::default();
        for &pipe in pipes {
            ring.attach(pipe);
        }
        ring
    }

    #[test]
    fn turns_go_around_in_attach_order() {
        let mut ring = ring_of(&[1, 2, 3]);
        assert_eq!(turns(&mut ring, 7), [1, 2, 3, 1, 2, 3, 1]);
    }

    #[test]
    fn no_active_pipe_means_no_turn() {
        let mut ring = ring_of(&[4]);
        ring.deactivate(4);
        assert_eq!(ring.current(), None);
        assert!(!ring.has_active());
        ring.advance(false);
        assert_eq!(ring.current(), None);
        assert_eq!(ring.len(), 1);
    }

    #[test]
    fn deactivating_a_pipe_that_already_had_its_turn_keeps_the_turn() {
        let mut ring = ring_of(&[1, 2, 3, 4]);
        assert_eq!(turns(&mut ring, 2), [1, 2]);
        ring.deactivate(1);
        assert_eq!(turns(&mut ring, 6), [3, 4, 2, 3, 4, 2]);
    }

    #[test]
    fn deactivating_the_pipe_with_the_turn_passes_it_to_the_successor() {
        let mut ring = ring_of(&[1, 2, 3, 4]);
        assert_eq!(turns(&mut ring, 1), [1]);
        ring.deactivate(2);
        assert_eq!(turns(&mut ring, 3), [3, 4, 1]);
    }

    #[test]
    fn deactivating_the_last_pipe_with_the_turn_wraps_around() {
        let mut ring = ring_of(&[1, 2, 3]);
        assert_eq!(turns(&mut ring, 2), [1, 2]);
        ring.deactivate(3);
        assert_eq!(turns(&mut ring, 3), [1, 2, 1]);
    }

    #[test]
    fn a_reactivated_pipe_joins_the_back_of_the_queue() {
        let mut ring = ring_of(&[1, 2, 3, 4]);
        ring.deactivate(2);
        assert_eq!(turns(&mut ring, 2), [1, 3]);
        ring.activate(2);
        assert_eq!(turns(&mut ring, 8), [4, 1, 3, 2, 4, 1, 3, 2]);
    }

    #[test]
    fn a_pipe_attached_mid_round_waits_for_everyone_else() {
        let mut ring = ring_of(&[1, 2, 3]);
        assert_eq!(turns(&mut ring, 1), [1]);
        ring.attach(4);
        assert_eq!(turns(&mut ring, 8), [2, 3, 1, 4, 2, 3, 1, 4]);
    }

    #[test]
    fn activating_an_active_or_unknown_pipe_changes_nothing() {
        let mut ring = ring_of(&[1, 2, 3]);
        ring.activate(2);
        ring.activate(9);
        assert_eq!(turns(&mut ring, 6), [1, 2, 3, 1, 2, 3]);
        assert_eq!(ring.len(), 3);
    }

    #[test]
    fn deactivating_an_inactive_or_unknown_pipe_changes_nothing() {
        let mut ring = ring_of(&[1, 2, 3]);
        ring.deactivate(2);
        assert!(!ring.deactivate(2));
        assert!(!ring.deactivate(9));
        assert_eq!(turns(&mut ring, 4), [1, 3, 1, 3]);
    }

    #[test]
    fn the_turn_stays_on_a_pipe_until_its_message_ends() {
        let mut ring = ring_of(&[1, 2]);
        ring.advance(true);
        ring.advance(true);
        assert_eq!(ring.current(), Some(1));
        ring.advance(false);
        assert_eq!(ring.current(), Some(2));
    }

    #[test]
    fn others_leaving_mid_message_keep_the_turn_on_the_sending_pipe() {
        let mut ring = ring_of(&[1, 2, 3]);
        ring.advance(false);
        ring.advance(true);
        assert_eq!(ring.current(), Some(2));
        assert!(!ring.deactivate(1));
        assert!(!ring.remove(3));
        ring.attach(5);
        assert_eq!(ring.current(), Some(2));
        ring.advance(false);
        assert_eq!(turns(&mut ring, 3), [5, 2, 5]);
    }

    #[test]
    fn removing_the_pipe_mid_message_reports_the_cut_and_passes_the_turn() {
        let mut ring = ring_of(&[1, 2, 3]);
        ring.advance(true);
        assert!(ring.remove(1));
        assert_eq!(ring.current(), Some(2));
        // The cut message is over: the next frame starts a message.
        ring.advance(false);
        assert_eq!(ring.current(), Some(3));
    }

    #[test]
    fn removing_the_pipe_between_messages_is_no_cut() {
        let mut ring = ring_of(&[1, 2]);
        assert!(!ring.remove(1));
        assert!(!ring.remove(7));
        assert_eq!(turns(&mut ring, 2), [2, 2]);
        assert!(!ring.remove(2));
        assert!(ring.is_empty());
        assert_eq!(ring.current(), None);
    }

    #[test]
    fn removing_inactive_pipes_keeps_the_rest_intact() {
        let mut ring = ring_of(&[1, 2, 3, 4]);
        ring.deactivate(1);
        ring.deactivate(3);
        ring.remove(1);
        assert_eq!(turns(&mut ring, 4), [2, 4, 2, 4]);
        ring.activate(3);
        assert_eq!(turns(&mut ring, 3), [2, 4, 3]);
    }

    #[test]
    fn no_pipe_is_served_twice_while_another_waits_whatever_the_activations() {
        const PIPES: usize = 12;
        let mut ring = ring_of(&(0..PIPES).collect::<Vec<_>>());
        let mut active = [true; PIPES];
        // served_since[p]: pipes served since p began waiting (became active or was served).
        let mut served_since = [0u64; PIPES];
        let mut rng = TestRng::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..100_000 {
            let pipe = rng.below(PIPES);
            match rng.below(4) {
                0 => {
                    ring.deactivate(pipe);
                    active[pipe] = false;
                }
                1 => {
                    if !active[pipe] {
                        served_since[pipe] = 0;
                    }
                    ring.activate(pipe);
                    active[pipe] = true;
                }
                _ => {
                    let Some(served) = ring.current() else {
                        assert!(active.iter().all(|&a| !a));
                        continue;
                    };
                    assert!(active[served]);
                    ring.advance(false);
                    for waiting in (0..PIPES).filter(|&p| active[p] && p != served) {
                        let bit = 1 << served;
                        assert_eq!(
                            served_since[waiting] & bit,
                            0,
                            "{served} overtook {waiting} twice"
                        );
                        served_since[waiting] |= bit;
                    }
                    served_since[served] = 0;
                }
            }
        }
    }
}
