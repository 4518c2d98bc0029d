//! RADIO: sends each message to the peers that joined its group, matched exactly (RFC 48);
//! a peer past its high-water mark misses the message, nobody blocks.
//!
//! Over tcp, ipc and inproc each DISH says which groups it joins; a udp peer says nothing,
//! so it gets every group and the DISH behind it filters. A message travels on the pipe as
//! two parts, the group (with MORE) and the body: the connection writes them as two ZMTP
//! frames (RFC 37), the udp socket as one datagram.

use crate::patterns::PipeId;
use crate::pipe::{Read, WriteError};
use crate::socket::pattern::{Address, Pattern, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use bytes::Bytes;
use std::collections::HashMap;
use zmtp::{Kind, Message};

#[derive(Default)]
pub(crate) struct Radio {
    /// The pipes that joined each group.
    members: HashMap<Bytes, Vec<PipeId>>,
    /// Pipes to udp peers, which get every group.
    udp_pipes: Vec<PipeId>,
    /// The pipes the message being sent goes to (kept to reuse its allocation).
    targets: Vec<PipeId>,
}

impl Radio {
    /// Reads what a dish sent: joins and leaves steer distribution, anything else is
    /// dropped (RFC 48: a RADIO discards what dishes send it).
    fn read_upstream(&mut self, pipes: &mut PipeTable, id: PipeId) {
        loop {
            match pipes.end(id).read() {
                Read::Message(msg) => match msg.kind() {
                    Kind::Join => self.join(&msg, id),
                    Kind::Leave => self.leave(&msg, id),
                    Kind::Data | Kind::Subscribe | Kind::Cancel => {}
                },
                Read::Empty => return,
                Read::Closed => {
                    self.forget(id);
                    pipes.retire(id);
                    return;
                }
            }
        }
    }

    fn join(&mut self, group: &[u8], id: PipeId) {
        match self.members.get_mut(group) {
            Some(members) if members.contains(&id) => {}
            Some(members) => members.push(id),
            None => {
                self.members.insert(Bytes::copy_from_slice(group), vec![id]);
            }
        }
    }

    fn leave(&mut self, group: &[u8], id: PipeId) {
        if let Some(members) = self.members.get_mut(group) {
            members.retain(|&member| member != id);
            if members.is_empty() {
                self.members.remove(group);
            }
        }
    }

    /// Drops a pipe and every group it joined.
    fn forget(&mut self, id: PipeId) {
        self.members.retain(|_, members| {
            members.retain(|&member| member != id);
            !members.is_empty()
        });
        self.udp_pipes.retain(|&pipe| pipe != id);
    }
}

impl Pattern for Radio {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        if pipes.get(id).is_some_and(|pipe| pipe.peer.is_udp()) {
            self.udp_pipes.push(id);
        }
        self.read_upstream(pipes, id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.forget(id);
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.read_upstream(pipes, id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, _pipes: &mut PipeTable, _msg: Message) -> Result<(), SendError> {
        Err(SendError::Fail(Error::InvalidArgument(
            "RADIO sends to a group: use send_group",
        )))
    }

    fn recv(&mut self, _pipes: &mut PipeTable) -> Result<Message, RecvError> {
        Err(RecvError::Fail(Error::NotSupported))
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
        let Address::Group(group) = to else {
            return Err(SendError::Fail(Error::InvalidArgument(
                "RADIO addresses groups, not peers",
            )));
        };
        self.targets.clear();
        if let Some(members) = self.members.get(group) {
            self.targets.extend_from_slice(members);
        }
        self.targets.extend_from_slice(&self.udp_pipes);
        let group_part = Message::from_bytes(group.clone()).with_more(true);
        for i in 0..self.targets.len() {
            let id = self.targets[i];
            let end = pipes.end(id);
            match end.write(group_part.clone()) {
                // Past the first part the high-water mark admits the rest of a message; a
                // pipe closing in between is found on the next send.
                Ok(()) => {
                    let _ = end.send(msg.clone());
                }
                // A slow dish misses this message; the others still get it.
                Err(WriteError::Full(_)) => {
                    crate::trace::event!(
                        debug,
                        socket_type = "RADIO",
                        endpoint = pipes.endpoint(id),
                        "message dropped at the high-water mark"
                    );
                }
                Err(WriteError::Closed(_)) => pipes.retire(id),
            }
        }
        Ok(())
    }

    fn has_in(&mut self, _pipes: &mut PipeTable) -> bool {
        false
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        // A radio never blocks.
        true
    }

    fn subscribers(&self) -> Option<usize> {
        let mut joined: Vec<PipeId> = self.members.values().flatten().copied().collect();
        joined.sort_unstable();
        joined.dedup();
        Some(joined.len() + self.udp_pipes.len())
    }
}
