//! XSUB: a SUB whose subscriptions are messages: the application sends `\x01prefix` to
//! subscribe and `\x00prefix` to cancel, and may send other messages upstream (RFC 29).
//! Received messages are not filtered here; the publisher filters.

use crate::patterns::{FairQueue, PipeId, SubscriptionSet};
use crate::pipe::WriteError;
use crate::socket::pattern::{
    can_fair_queue, fair_queue, Pattern, PatternOption, RecvError, SendError,
};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::{Kind, Message};

#[derive(Default)]
pub(crate) struct XSub {
    fq: FairQueue,
    subscriptions: SubscriptionSet,
    /// Pipes receiving the upstream message being sent.
    targets: Vec<PipeId>,
    /// Inside a multipart message being sent upstream.
    sending: bool,
    /// ONLY_FIRST_SUBSCRIBE: the first part of a multipart message may be a subscription.
    only_first: bool,
}

/// Writes control traffic to every pipe, whatever the high-water mark.
fn tell_all(pipes: &mut PipeTable, msg: &Message) {
    for id in pipes.ids() {
        pipes.end(id).send_control(msg.clone());
    }
}

impl Pattern for XSub {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.fq.attach(id);
        let end = pipes.end(id);
        for prefix in self.subscriptions.prefixes() {
            end.send_control(Message::subscription(prefix, true));
        }
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.remove(id);
        self.targets.retain(|&t| t != id);
    }

    fn readable(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        if !self.sending && !msg.more() && msg.kind() == Kind::Data {
            match msg.as_slice().split_first() {
                Some((1, prefix)) => {
                    // Every subscribe goes upstream (publishers count a prefix once per
                    // peer); the count here decides when a cancel must follow.
                    self.subscriptions.add(prefix);
                    tell_all(pipes, &Message::subscription(prefix, true));
                    return Ok(());
                }
                Some((0, prefix)) => {
                    if self.subscriptions.remove(prefix) {
                        tell_all(pipes, &Message::subscription(prefix, false));
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
        if !self.sending && self.only_first && msg.more() && msg.kind() == Kind::Data {
            // The message travels whole, as data, for the publisher to read its first part
            // the same way; the subscription is remembered here for reconnections.
            match msg.as_slice().split_first() {
                Some((1, prefix)) => {
                    self.subscriptions.add(prefix);
                }
                Some((0, prefix)) => {
                    self.subscriptions.remove(prefix);
                }
                _ => {}
            }
        }
        // Any other message goes to every publisher; a full one misses it.
        if !self.sending {
            self.targets = pipes.ids();
        }
        let more = msg.more();
        for &id in &self.targets {
            match pipes.end(id).send(msg.clone()) {
                Ok(()) | Err(WriteError::Full(_)) => {}
                Err(WriteError::Closed(_)) => pipes.retire(id),
            }
        }
        self.sending = more;
        Ok(())
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        loop {
            let (_, msg) = fair_queue(&mut self.fq, pipes).ok_or(RecvError::WouldBlock)?;
            // A publisher has no business sending subscriptions down.
            if msg.kind() == Kind::Data {
                return Ok(msg);
            }
        }
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        can_fair_queue(&mut self.fq, pipes)
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        true
    }

    fn topics_count(&self) -> Option<usize> {
        Some(self.subscriptions.len())
    }

    fn set_option(&mut self, option: PatternOption) -> Result<(), Error> {
        match option {
            PatternOption::OnlyFirstSubscribe(on) => self.only_first = on,
            _ => return Err(Error::InvalidArgument("this option does not apply to XSUB")),
        }
        Ok(())
    }
}
