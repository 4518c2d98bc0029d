//! DISH: receives the messages of the groups it joined, in turn from its radios (RFC 48).
//!
//! Joins and leaves go to every peer, and to each new one, so that radios filter. The DISH
//! filters again, exact match: udp radios send every group, and messages sent before a join
//! or leave reached a radio still arrive. On the pipe a message is two parts, the group
//! (with MORE) and the body; anything else, such as a multipart body, is dropped whole, as
//! the thread-safe types drop multipart messages.

use crate::patterns::{FairQueue, PipeId};
use crate::socket::pattern::{can_fair_queue, fair_queue, Address, Pattern, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use bytes::Bytes;
use std::collections::HashSet;
use zmtp::{Kind, Message};

#[derive(Default)]
pub(crate) struct Dish {
    fq: FairQueue,
    groups: HashSet<Bytes>,
    /// A group and body read ahead to answer [`Pattern::has_in`].
    prefetched: Option<(Message, Message)>,
}

impl Dish {
    /// The next message of a joined group, as its group and body parts.
    fn next_message(&mut self, pipes: &mut PipeTable) -> Option<(Message, Message)> {
        if let Some(received) = self.prefetched.take() {
            return Some(received);
        }
        loop {
            let (_, group) = fair_queue(&mut self.fq, pipes)?;
            if !group.more() {
                // A lone part carries no group.
                continue;
            }
            // The rest of a message is already here: parts travel together.
            let (_, body) = fair_queue(&mut self.fq, pipes)?;
            if body.more() {
                let mut more = true;
                while more {
                    more = fair_queue(&mut self.fq, pipes)?.1.more();
                }
                continue;
            }
            if group.kind() == Kind::Data && self.groups.contains(group.as_slice()) {
                return Some((group, body));
            }
        }
    }

    fn send_membership(pipes: &mut PipeTable, id: PipeId, group: &[u8], join: bool) {
        // Control traffic, bounded by the application's own calls; losing a join to a full
        // pipe would silently starve the group.
        pipes.end(id).send_control(Message::membership(group, join));
    }
}

impl Pattern for Dish {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.fq.attach(id);
        for group in &self.groups {
            Self::send_membership(pipes, id, group, true);
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
        self.next_message(pipes)
            .map(|(_, body)| body)
            .ok_or(RecvError::WouldBlock)
    }

    fn recv_from(&mut self, pipes: &mut PipeTable) -> Result<(Address, Message), RecvError> {
        self.next_message(pipes)
            .map(|(group, body)| (Address::Group(group.into_bytes()), body))
            .ok_or(RecvError::WouldBlock)
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        if self.prefetched.is_none() && can_fair_queue(&mut self.fq, pipes) {
            self.prefetched = self.next_message(pipes);
        }
        self.prefetched.is_some()
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        false
    }

    fn change_membership(
        &mut self,
        pipes: &mut PipeTable,
        group: &[u8],
        join: bool,
    ) -> Result<(), Error> {
        if join {
            if !self.groups.insert(Bytes::copy_from_slice(group)) {
                return Err(Error::InvalidArgument(
                    "this DISH has already joined the group",
                ));
            }
        } else {
            if !self.groups.remove(group) {
                return Err(Error::InvalidArgument("this DISH has not joined the group"));
            }
            // A message read ahead belongs to the group no more.
            if self
                .prefetched
                .as_ref()
                .is_some_and(|(prefetched, _)| prefetched.as_slice() == group)
            {
                self.prefetched = None;
            }
        }
        for id in pipes.ids() {
            Self::send_membership(pipes, id, group, join);
        }
        Ok(())
    }
}
