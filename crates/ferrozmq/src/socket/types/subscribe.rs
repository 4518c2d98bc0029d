//! SUB: receives the messages matching its subscriptions, in turn from its publishers
//! (RFC 29). Subscriptions travel upstream so publishers filter; the SUB filters again,
//! because messages sent before a subscription change reached the publisher still arrive.

use crate::patterns::{FairQueue, PipeId, SubscriptionSet};
use crate::socket::pattern::{fair_queue, Pattern, PatternOption, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::{Kind, Message};

#[derive(Default)]
pub(crate) struct Subscribe {
    fq: FairQueue,
    subscriptions: SubscriptionSet,
    /// Inside a matching multipart message: its remaining parts are delivered unchecked.
    delivering: bool,
    /// A matching first part read ahead to answer [`Pattern::has_in`].
    prefetched: Option<Message>,
    /// INVERT_MATCHING: deliver what matches no subscription.
    invert: bool,
}

impl Subscribe {
    /// The next part to deliver: the rest of a matching message, or the first part of the
    /// next message that matches; non-matching messages are dropped whole.
    fn next_part(&mut self, pipes: &mut PipeTable) -> Option<Message> {
        if let Some(part) = self.prefetched.take() {
            return Some(part);
        }
        let mut skipping = false;
        while let Some((_, msg)) = fair_queue(&mut self.fq, pipes) {
            if self.delivering {
                self.delivering = msg.more();
                return Some(msg);
            }
            if skipping {
                skipping = msg.more();
                continue;
            }
            if msg.kind() == Kind::Data && self.subscriptions.matches(&msg) != self.invert {
                self.delivering = msg.more();
                return Some(msg);
            }
            skipping = msg.more();
        }
        None
    }

    fn send_subscription(pipes: &mut PipeTable, id: PipeId, prefix: &[u8], on: bool) {
        // Subscriptions are control traffic, bounded by the application's own calls; losing
        // one to a full pipe would silently stop (or never stop) a stream.
        pipes
            .end(id)
            .send_control(Message::subscription(prefix, on));
    }
}

impl Pattern for Subscribe {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.fq.attach(id);
        for prefix in self.subscriptions.prefixes() {
            Self::send_subscription(pipes, id, prefix, true);
        }
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.remove(id);
    }

    fn readable(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, _pipes: &mut PipeTable, _msg: Message) -> Result<(), SendError> {
        Err(SendError::Fail(Error::NotSupported))
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        self.next_part(pipes).ok_or(RecvError::WouldBlock)
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        if self.prefetched.is_none() {
            self.prefetched = self.next_part(pipes);
        }
        self.prefetched.is_some()
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        false
    }

    fn topics_count(&self) -> Option<usize> {
        Some(self.subscriptions.len())
    }

    fn set_option(&mut self, option: PatternOption) -> Result<(), Error> {
        match option {
            PatternOption::InvertMatching(on) => self.invert = on,
            _ => return Err(Error::InvalidArgument("this option does not apply to SUB")),
        }
        Ok(())
    }

    fn subscribe(&mut self, pipes: &mut PipeTable, prefix: &[u8], on: bool) -> Result<(), Error> {
        // Every subscribe goes upstream, as libzmq's SUB sends them (a verbose XPUB shows
        // each); publishers count a prefix once per peer, so only the last cancel follows.
        let tell = if on {
            self.subscriptions.add(prefix);
            true
        } else {
            self.subscriptions.remove(prefix)
        };
        if tell {
            for id in pipes.ids() {
                Self::send_subscription(pipes, id, prefix, on);
            }
        }
        Ok(())
    }
}
