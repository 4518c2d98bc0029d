//! Outgoing load balancing: each message goes whole to one writable pipe, pipes taking turns.

use super::round_robin::RoundRobin;
use super::PipeId;

/// Chooses the pipe for each outgoing message, round robin over the pipes that can take one.
///
/// All frames of a multipart message go to the same pipe. A pipe that is full leaves the
/// rotation until it is [`activate`](Self::activate)d again, and then waits behind every
/// pipe that has been waiting longer.
///
/// The socket's send path per frame:
///
/// ```text
/// if lb.dropping()           { discard the frame; lb.sent(more) }
/// else if let Some(pipe) = lb.next() {
///     if the message starts here and `pipe` is full { lb.deactivate(pipe); try again }
///     else { write the frame to `pipe`; lb.sent(more) }
/// } else                     { no pipe can take it: block or fail with EAGAIN }
/// ```
#[derive(Debug, Default)]
pub(crate) struct LoadBalancer {
    ring: RoundRobin,
    /// The pipe that was taking the current multipart message is gone: the rest of that
    /// message is discarded, because sending it elsewhere would deliver a truncated message.
    dropping: bool,
}

impl LoadBalancer {
    /// No pipes.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a new, writable pipe; it gets its first message after the pipes already waiting.
    pub(crate) fn attach(&mut self, pipe: PipeId) {
        self.ring.attach(pipe);
    }

    /// A full pipe became writable again; no-op if it is already active or unknown.
    pub(crate) fn activate(&mut self, pipe: PipeId) {
        self.ring.activate(pipe);
    }

    /// A pipe was found full; it gets no message until [`activate`](Self::activate)d.
    ///
    /// Meant for message starts only, as a message is never split across pipes. If `pipe`
    /// is nonetheless in the middle of a message, the rest of that message is dropped, as
    /// when the pipe is [`remove`](Self::remove)d.
    pub(crate) fn deactivate(&mut self, pipe: PipeId) {
        if self.ring.deactivate(pipe) {
            self.dropping = true;
        }
    }

    /// A pipe is gone. If it was in the middle of a message, the rest of that message is
    /// dropped: see [`dropping`](Self::dropping).
    pub(crate) fn remove(&mut self, pipe: PipeId) {
        if self.ring.remove(pipe) {
            self.dropping = true;
        }
    }

    /// The pipe the next frame goes to: the same pipe for all frames of a message, `None` when
    /// no pipe is writable or while [`dropping`](Self::dropping).
    pub(crate) fn next(&self) -> Option<PipeId> {
        if self.dropping {
            None
        } else {
            self.ring.current()
        }
    }

    /// Whether the frames being sent belong to a message whose pipe went away mid-message:
    /// they are to be discarded (and reported with [`sent`](Self::sent)), not sent anywhere.
    pub(crate) fn dropping(&self) -> bool {
        self.dropping
    }

    /// A frame was written to [`next`](Self::next), or discarded while
    /// [`dropping`](Self::dropping); `more` is its MORE flag. After the last frame of a
    /// message the next message goes to the next writable pipe, and dropping ends.
    pub(crate) fn sent(&mut self, more: bool) {
        if self.dropping {
            self.dropping = more;
        } else {
            self.ring.advance(more);
        }
    }

    /// Whether some pipe is writable.
    #[cfg(test)]
    pub(crate) fn has_active(&self) -> bool {
        self.ring.has_active()
    }

    /// How many pipes there are, writable or not.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether there are no pipes at all.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: PipeId = 0;
    const B: PipeId = 1;
    const C: PipeId = 2;

    fn balancer_of(pipes: &[PipeId]) -> LoadBalancer {
        let mut lb = LoadBalancer::new();
        for &pipe in pipes {
            lb.attach(pipe);
        }
        lb
    }

    /// Sends a message of `frames` frames and returns the pipe of each frame.
    fn send(lb: &mut LoadBalancer, frames: usize) -> Vec<Option<PipeId>> {
        (0..frames)
            .map(|i| {
                let pipe = lb.next();
                lb.sent(i + 1 < frames);
                pipe
            })
            .collect()
    }

    fn send_singles(lb: &mut LoadBalancer, n: usize) -> Vec<PipeId> {
        (0..n).flat_map(|_| send(lb, 1)).flatten().collect()
    }

    #[test]
    fn single_frame_messages_go_round_robin() {
        let mut lb = balancer_of(&[A, B, C]);
        assert_eq!(send_singles(&mut lb, 6), [A, B, C, A, B, C]);
    }

    #[test]
    fn all_frames_of_a_message_go_to_one_pipe() {
        let mut lb = balancer_of(&[A, B]);
        assert_eq!(send(&mut lb, 3), [Some(A); 3]);
        assert_eq!(send(&mut lb, 2), [Some(B); 2]);
        assert_eq!(send(&mut lb, 1), [Some(A)]);
    }

    #[test]
    fn a_full_pipe_is_skipped_until_it_is_writable_again() {
        let mut lb = balancer_of(&[A, B, C]);
        assert_eq!(send_singles(&mut lb, 1), [A]);
        lb.deactivate(B);
        assert_eq!(send_singles(&mut lb, 4), [C, A, C, A]);
        lb.activate(B);
        assert_eq!(send_singles(&mut lb, 6), [C, A, B, C, A, B]);
    }

    #[test]
    fn nothing_is_writable_when_every_pipe_is_full() {
        let mut lb = balancer_of(&[A, B]);
        lb.deactivate(A);
        lb.deactivate(B);
        assert!(!lb.has_active());
        assert_eq!(lb.next(), None);
        lb.activate(B);
        assert!(lb.has_active());
        assert_eq!(send_singles(&mut lb, 2), [B, B]);
    }

    #[test]
    fn no_pipes_means_nowhere_to_send() {
        let lb = LoadBalancer::new();
        assert!(lb.is_empty());
        assert_eq!(lb.len(), 0);
        assert_eq!(lb.next(), None);
        assert!(!lb.dropping());
    }

    #[test]
    fn pipes_becoming_writable_in_any_order_are_all_served() {
        let mut lb = balancer_of(&[A, B, C]);
        for pipe in [A, B, C] {
            lb.deactivate(pipe);
        }
        for pipe in [C, A, B] {
            lb.activate(pipe);
        }
        let mut sent = send_singles(&mut lb, 3);
        sent.sort_unstable();
        assert_eq!(sent, [A, B, C]);
    }

    #[test]
    fn the_rest_of_a_message_is_dropped_when_its_pipe_goes_away() {
        let mut lb = balancer_of(&[A, B]);
        assert_eq!(lb.next(), Some(A));
        lb.sent(true);
        lb.remove(A);
        assert!(lb.dropping());
        assert_eq!(lb.next(), None);
        lb.sent(true);
        assert!(lb.dropping());
        lb.sent(false);
        assert!(!lb.dropping());
        assert_eq!(send(&mut lb, 2), [Some(B); 2]);
    }

    #[test]
    fn removing_another_pipe_mid_message_does_not_drop() {
        let mut lb = balancer_of(&[A, B, C]);
        lb.sent(true);
        lb.remove(B);
        assert!(!lb.dropping());
        assert_eq!(lb.next(), Some(A));
        lb.sent(false);
        assert_eq!(send_singles(&mut lb, 2), [C, A]);
    }

    #[test]
    fn removing_a_pipe_between_messages_does_not_drop() {
        let mut lb = balancer_of(&[A, B]);
        lb.remove(A);
        assert!(!lb.dropping());
        assert_eq!(send_singles(&mut lb, 2), [B, B]);
        assert_eq!(lb.len(), 1);
    }

    #[test]
    fn deactivating_the_pipe_mid_message_drops_the_rest_of_it() {
        let mut lb = balancer_of(&[A, B]);
        lb.sent(true);
        lb.deactivate(A);
        assert!(lb.dropping());
        lb.sent(false);
        assert_eq!(send_singles(&mut lb, 2), [B, B]);
        // A rejoins behind B, whose turn it is.
        lb.activate(A);
        assert_eq!(send_singles(&mut lb, 3), [B, A, B]);
    }
}
