//! PUB: sends each message to every peer subscribed to a prefix of it, filtering on the
//! publisher side; a peer past its high-water mark misses the message, nobody blocks
//! (RFC 29).

use crate::patterns::{PipeId, SubscriptionTrie};
use crate::pipe::{Read, WriteError};
use crate::socket::pattern::{Pattern, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::{Kind, Message};

#[derive(Default)]
pub(crate) struct Publish {
    subscriptions: SubscriptionTrie,
    /// Pipes receiving the message being sent (fixed by its first part).
    targets: Vec<PipeId>,
    /// Inside a multipart message.
    more: bool,
}

impl Publish {
    /// Applies the subscriptions waiting in a pipe.
    fn read_subscriptions(&mut self, pipes: &mut PipeTable, id: PipeId) {
        loop {
            match pipes.end(id).read() {
                Read::Message(msg) => self.apply(&msg, id),
                Read::Empty => return,
                Read::Closed => {
                    self.forget(pipes, id);
                    return;
                }
            }
        }
    }

    fn apply(&mut self, msg: &Message, id: PipeId) {
        let (subscribe, prefix) = match msg.kind() {
            Kind::Subscribe => (true, msg.as_slice()),
            Kind::Cancel => (false, msg.as_slice()),
            // ZMTP 3.0 subscribers send subscriptions as messages starting with 1 or 0.
            Kind::Data => match msg.as_slice().split_first() {
                Some((&flag @ (0 | 1), prefix)) if !msg.more() => (flag == 1, prefix),
                _ => return,
            },
        };
        if subscribe {
            self.subscriptions.add(prefix, id);
        } else {
            self.subscriptions.remove(prefix, id);
        }
    }

    fn forget(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.subscriptions.remove_pipe(id, |_| {});
        self.targets.retain(|&t| t != id);
        pipes.retire(id);
    }
}

impl Pattern for Publish {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.read_subscriptions(pipes, id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.subscriptions.remove_pipe(id, |_| {});
        self.targets.retain(|&t| t != id);
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.read_subscriptions(pipes, id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn has_in(&mut self, _pipes: &mut PipeTable) -> bool {
        false
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        // A publisher never blocks: it drops for subscribers that cannot keep up.
        true
    }

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        if !self.more {
            self.subscriptions.matching(&msg, &mut self.targets);
        }
        let more = msg.more();
        let mut msg = Some(msg);
        let mut i = 0;
        while i < self.targets.len() {
            let id = self.targets[i];
            // The last target takes the message itself, the others a copy.
            let copy = if i + 1 == self.targets.len() {
                msg.take()
            } else {
                msg.clone()
            };
            let Some(copy) = copy else { break };
            match pipes.end(id).write(copy) {
                Ok(()) => {
                    if !more {
                        pipes.end(id).flush();
                    }
                    i += 1;
                }
                // A slow subscriber misses this message; the others still get it.
                Err(WriteError::Full(_)) => {
                    self.targets.swap_remove(i);
                }
                Err(WriteError::Closed(_)) => {
                    self.forget(pipes, id);
                }
            }
        }
        self.more = more;
        if !more {
            self.targets.clear();
        }
        Ok(())
    }

    fn recv(&mut self, _pipes: &mut PipeTable) -> Result<Message, RecvError> {
        Err(RecvError::Fail(Error::NotSupported))
    }
}
