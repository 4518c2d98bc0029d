//! Incoming fair queuing: whole messages are taken from the pipes that have some, in turn.

use super::round_robin::RoundRobin;
use super::PipeId;

/// Chooses the pipe each incoming message is read from, round robin over the pipes that have
/// data, so that one busy peer cannot starve the others.
///
/// All frames of a multipart message come from the same pipe. A pipe found empty leaves the
/// rotation until it is [`activate`](Self::activate)d again, and then waits behind every pipe
/// that has been waiting longer.
///
/// The socket's receive path per frame:
///
/// ```text
/// while let Some(pipe) = fq.next() {
///     match read a frame from `pipe` {
///         Some(frame) => { fq.received(frame.more); return frame }
///         None => fq.deactivate(pipe),   // empty at a message start
///     }
/// }
/// nothing to read: block or fail with EAGAIN
/// ```
#[derive(Debug, Default)]
pub(crate) struct FairQueue {
    ring: RoundRobin,
}

impl FairQueue {
    /// No pipes.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a new pipe, taken to have data; it is read after the pipes already waiting.
    pub(crate) fn attach(&mut self, pipe: PipeId) {
        self.ring.attach(pipe);
    }

    /// An empty pipe has data again; no-op if it is already active or unknown.
    pub(crate) fn activate(&mut self, pipe: PipeId) {
        self.ring.activate(pipe);
    }

    /// A pipe was found empty; it is not read until [`activate`](Self::activate)d.
    ///
    /// Meant for message starts only: pipes carry whole messages, so one cannot run dry in
    /// the middle of one. If it nonetheless happens, the message is taken as ended, as when
    /// the pipe is [`remove`](Self::remove)d.
    pub(crate) fn deactivate(&mut self, pipe: PipeId) {
        self.ring.deactivate(pipe);
    }

    /// A pipe is gone. Returns true when it was in the middle of handing over a message,
    /// which is thereby cut short: its remaining frames will never come, and the next frame
    /// read starts a message from another pipe.
    pub(crate) fn remove(&mut self, pipe: PipeId) -> bool {
        self.ring.remove(pipe)
    }

    /// The pipe to read the next frame from: the same pipe for all frames of a message,
    /// `None` when no pipe has data.
    pub(crate) fn next(&self) -> Option<PipeId> {
        self.ring.current()
    }

    /// A frame was read from [`next`](Self::next); `more` is its MORE flag. After the last
    /// frame of a message the next message is taken from the next pipe with data.
    pub(crate) fn received(&mut self, more: bool) {
        self.ring.advance(more);
    }

    /// Whether some pipe may have data.
    #[cfg(test)]
    pub(crate) fn has_active(&self) -> bool {
        self.ring.has_active()
    }

    /// How many pipes there are, with data or not.
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
    use std::collections::VecDeque;

    const A: PipeId = 0;
    const B: PipeId = 1;
    const C: PipeId = 2;

    /// Pipes holding queued messages, each a list of frames; a frame is (pipe, message number).
    struct Peers {
        queues: Vec<VecDeque<Vec<(PipeId, usize)>>>,
    }

    impl Peers {
        /// `messages[p]` lists the frame counts of the messages queued in pipe `p`.
        fn new(messages: &[&[usize]]) -> Self {
            let queues = messages
                .iter()
                .enumerate()
                .map(|(pipe, counts)| {
                    counts
                        .iter()
                        .enumerate()
                        .map(|(n, &frames)| vec![(pipe, n); frames])
                        .collect()
                })
                .collect();
            Self { queues }
        }

        /// Receives frames as a socket would until no pipe has data.
        fn drain(&mut self, fq: &mut FairQueue) -> Vec<(PipeId, usize)> {
            let mut received = Vec::new();
            while let Some(pipe) = fq.next() {
                let queue = &mut self.queues[pipe];
                let Some(message) = queue.front_mut() else {
                    fq.deactivate(pipe);
                    continue;
                };
                received.push(message.remove(0));
                let more = !message.is_empty();
                if !more {
                    queue.pop_front();
                }
                fq.received(more);
            }
            received
        }
    }

    fn queue_of(pipes: &[PipeId]) -> FairQueue {
        let mut fq = FairQueue::new();
        for &pipe in pipes {
            fq.attach(pipe);
        }
        fq
    }

    #[test]
    fn messages_are_taken_from_pipes_in_turn() {
        let mut fq = queue_of(&[A, B, C]);
        let mut peers = Peers::new(&[&[1, 1], &[1, 1], &[1, 1]]);
        let from: Vec<_> = peers.drain(&mut fq).iter().map(|f| f.0).collect();
        assert_eq!(from, [A, B, C, A, B, C]);
        assert!(!fq.has_active());
    }

    #[test]
    fn a_busy_pipe_does_not_starve_the_others() {
        let mut fq = queue_of(&[A, B]);
        let mut peers = Peers::new(&[&[1; 5], &[1]]);
        let from: Vec<_> = peers.drain(&mut fq).iter().map(|f| f.0).collect();
        assert_eq!(from, [A, B, A, A, A, A]);
    }

    #[test]
    fn all_frames_of_a_message_come_from_one_pipe() {
        let mut fq = queue_of(&[A, B]);
        let mut peers = Peers::new(&[&[3, 1], &[2]]);
        assert_eq!(
            peers.drain(&mut fq),
            [(A, 0), (A, 0), (A, 0), (B, 0), (B, 0), (A, 1)]
        );
    }

    #[test]
    fn an_empty_pipe_is_skipped_until_it_has_data_again() {
        let mut fq = queue_of(&[A, B, C]);
        fq.received(false);
        fq.deactivate(B);
        assert_eq!(fq.next(), Some(C));
        fq.received(false);
        assert_eq!(fq.next(), Some(A));
        fq.received(false);
        fq.activate(B);
        let order: Vec<_> = (0..6)
            .map(|_| {
                let pipe = fq.next();
                fq.received(false);
                pipe
            })
            .collect();
        assert_eq!(order, [C, A, B, C, A, B].map(Some));
    }

    #[test]
    fn a_pipe_attached_later_is_read_after_those_waiting() {
        let mut fq = queue_of(&[A, B]);
        fq.received(false);
        fq.attach(C);
        let mut peers = Peers::new(&[&[1], &[1], &[1]]);
        let from: Vec<_> = peers.drain(&mut fq).iter().map(|f| f.0).collect();
        assert_eq!(from, [B, A, C]);
    }

    #[test]
    fn removing_the_pipe_mid_message_reports_the_cut() {
        let mut fq = queue_of(&[A, B]);
        fq.received(true);
        assert!(fq.remove(A));
        assert_eq!(fq.next(), Some(B));
        assert!(!fq.remove(B));
        assert!(fq.is_empty());
        assert_eq!(fq.len(), 0);
        assert_eq!(fq.next(), None);
    }

    #[test]
    fn removing_another_pipe_mid_message_keeps_reading_the_message() {
        let mut fq = queue_of(&[A, B, C]);
        fq.received(true);
        assert!(!fq.remove(B));
        assert_eq!(fq.next(), Some(A));
        fq.received(false);
        assert_eq!(fq.next(), Some(C));
        assert_eq!(fq.len(), 2);
    }
}
