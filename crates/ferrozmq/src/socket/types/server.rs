//! SERVER and PEER: single-part messages, each received with the routing id of the peer it
//! came from and sent to the peer a routing id names (RFC 41, RFC 51). The routing ids are
//! numbers the socket gives its peers; a PEER also learns the id of each peer it connects
//! to, so it can speak first.

use crate::patterns::{FairQueue, PipeId};
use crate::pipe::WriteError;
use crate::socket::pattern::{
    can_fair_queue, discard_input, fair_queue, retire_unless_unread, Address, Pattern, RecvError,
    SendError,
};
use crate::socket::pipes::PipeTable;
use crate::Error;
use std::collections::HashMap;
use zmtp::Message;

pub(crate) struct Server {
    fq: FairQueue,
    by_id: HashMap<u32, PipeId>,
    by_pipe: HashMap<PipeId, u32>,
    next_id: u32,
    /// A message read ahead to answer [`Pattern::has_in`].
    prefetched: Option<(Address, Message)>,
}

impl Default for Server {
    fn default() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        Server {
            fq: FairQueue::default(),
            by_id: HashMap::new(),
            by_pipe: HashMap::new(),
            next_id: h.finish() as u32,
            prefetched: None,
        }
    }
}

impl Server {
    /// A fresh routing id: never 0 (libzmq's "no routing id"), never one in use.
    fn new_id(&mut self) -> u32 {
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            if self.next_id != 0 && !self.by_id.contains_key(&self.next_id) {
                return self.next_id;
            }
        }
    }

    fn next_message(&mut self, pipes: &mut PipeTable) -> Option<(Address, Message)> {
        if let Some(received) = self.prefetched.take() {
            return Some(received);
        }
        loop {
            let (id, msg) = fair_queue(&mut self.fq, pipes)?;
            if msg.more() {
                // Multipart messages are refused whole; the rest is already here.
                let mut more = true;
                while more {
                    more = fair_queue(&mut self.fq, pipes)?.1.more();
                }
                continue;
            }
            if let Some(&routing_id) = self.by_pipe.get(&id) {
                return Some((Address::Peer(routing_id), msg));
            }
        }
    }
}

impl Pattern for Server {
    fn attach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        let routing_id = self.new_id();
        self.by_id.insert(routing_id, id);
        self.by_pipe.insert(id, routing_id);
        self.fq.attach(id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.remove(id);
        if let Some(routing_id) = self.by_pipe.remove(&id) {
            self.by_id.remove(&routing_id);
        }
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        if self.by_pipe.contains_key(&id) {
            self.fq.activate(id);
        } else {
            discard_input(pipes, id);
        }
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, _pipes: &mut PipeTable, _msg: Message) -> Result<(), SendError> {
        Err(SendError::Fail(Error::InvalidArgument(
            "this socket type sends to a routing id: use send_to",
        )))
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        self.next_message(pipes)
            .map(|(_, msg)| msg)
            .ok_or(RecvError::WouldBlock)
    }

    fn send_to(
        &mut self,
        pipes: &mut PipeTable,
        to: &Address,
        msg: Message,
    ) -> Result<(), SendError> {
        if msg.more() {
            return Err(SendError::Fail(Error::InvalidArgument(
                "this socket type sends single-part messages only",
            )));
        }
        let Address::Peer(routing_id) = to else {
            return Err(SendError::Fail(Error::InvalidArgument(
                "this socket type addresses peers, not groups",
            )));
        };
        let Some(&id) = self.by_id.get(routing_id) else {
            return Err(SendError::Fail(Error::HostUnreachable));
        };
        let end = pipes.end(id);
        match end.offer(msg) {
            Ok(()) => Ok(()),
            Err(WriteError::Full(msg)) => Err(SendError::WouldBlock(msg)),
            Err(WriteError::Closed(_)) => {
                retire_unless_unread(pipes, id);
                Err(SendError::Fail(Error::HostUnreachable))
            }
        }
    }

    fn recv_from(&mut self, pipes: &mut PipeTable) -> Result<(Address, Message), RecvError> {
        self.next_message(pipes).ok_or(RecvError::WouldBlock)
    }

    fn disconnect_peer(&mut self, pipes: &mut PipeTable, routing_id: u32) -> Result<(), Error> {
        let id = self
            .by_id
            .remove(&routing_id)
            .ok_or(Error::HostUnreachable)?;
        self.by_pipe.remove(&id);
        self.fq.remove(id);
        // What that peer sent and the application has not read goes with it.
        if self
            .prefetched
            .as_ref()
            .is_some_and(|(from, _)| *from == Address::Peer(routing_id))
        {
            self.prefetched = None;
        }
        pipes.retire(id);
        Ok(())
    }

    fn address_of(&self, id: PipeId) -> Option<Address> {
        self.by_pipe.get(&id).map(|&r| Address::Peer(r))
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        if self.prefetched.is_none() && can_fair_queue(&mut self.fq, pipes) {
            self.prefetched = self.next_message(pipes);
        }
        self.prefetched.is_some()
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        // Only the routing id tells whether a send would block.
        true
    }
}
