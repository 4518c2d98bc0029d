//! STREAM: raw byte streams to peers that speak no ZMTP (libzmq's `ZMQ_STREAM`). Each
//! connection is a pipe named by a routing id the socket makes up (or the one
//! CONNECT_ROUTING_ID gave it). What arrives is delivered as `[routing id, bytes]`; what is
//! sent as `[routing id, bytes]` is written to that connection, and `[routing id, empty]`
//! closes it. The I/O thread's raw mode (`engine::raw`) moves the bytes; on its side of the
//! pipe a message is one chunk of the byte stream, and an empty one marks a connection
//! made or lost (STREAM_NOTIFY).

use crate::patterns::{Assignment, FairQueue, PipeId, RoutingTable};
use crate::pipe::WriteError;
use crate::socket::pattern::{can_fair_queue, fair_queue, Pattern, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use bytes::Bytes;
use zmtp::Message;

/// Where an outgoing message stands.
enum Outgoing {
    /// The next part is a routing id.
    Address,
    /// The next part is the data for this pipe; `None` drops it (the routing id came
    /// without the more flag, so it addressed nothing).
    Data(Option<PipeId>),
}

pub(crate) struct Stream {
    fq: FairQueue,
    table: RoutingTable,
    /// The data part whose routing id was just delivered.
    held: Option<Message>,
    outgoing: Outgoing,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            fq: FairQueue::default(),
            table: RoutingTable::new(generated_id_seed()),
            held: None,
            outgoing: Outgoing::Address,
        }
    }
}

/// A per-socket starting point for generated routing ids, so that a restarted process does
/// not hand out the ids its predecessor's peers were known by.
fn generated_id_seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish() as u32
}

impl Pattern for Stream {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        let Some(pipe) = pipes.get(id) else { return };
        let chosen = pipe.peer.routing_id.clone();
        // A CONNECT_ROUTING_ID already in use names nothing new: the connection gets an
        // id of its own rather than stealing the other one's traffic.
        if let Assignment::Refused = self.table.assign(id, &chosen, false) {
            self.table.assign(id, b"", false);
        }
        self.fq.attach(id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.remove(id);
        self.table.remove(id);
        if let Outgoing::Data(Some(target)) = self.outgoing {
            if target == id {
                self.outgoing = Outgoing::Data(None);
            }
        }
    }

    fn readable(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        match self.outgoing {
            Outgoing::Address => {
                if !msg.more() {
                    // A routing id alone: the data part after it goes nowhere.
                    self.outgoing = Outgoing::Data(None);
                    return Ok(());
                }
                let Some(target) = self.table.lookup(msg.as_slice()) else {
                    return Err(SendError::Fail(Error::HostUnreachable));
                };
                if pipes.end(target).peer_closed() && !pipes.end(target).has_message() {
                    // The connection is gone and the application has read all it sent,
                    // its disconnect notification included.
                    self.forget(pipes, target);
                    return Err(SendError::Fail(Error::HostUnreachable));
                }
                // Asking for room also arranges to hear when it comes, so a blocking send
                // waits for this connection rather than dropping its bytes.
                if !pipes.end(target).poll_writable() {
                    return Err(SendError::WouldBlock(msg));
                }
                self.outgoing = Outgoing::Data(Some(target));
                Ok(())
            }
            Outgoing::Data(target) => {
                self.outgoing = Outgoing::Address;
                let Some(id) = target else { return Ok(()) };
                if msg.is_empty() {
                    // The application closes the connection: the I/O thread writes what
                    // was queued before and then closes it.
                    self.forget(pipes, id);
                    return Ok(());
                }
                // The more flag means nothing on a data part: each is one write.
                match pipes.end(id).send(msg.with_more(false)) {
                    Ok(()) | Err(WriteError::Full(_)) => {}
                    Err(WriteError::Closed(_)) => {
                        if !pipes.end(id).has_message() {
                            self.forget(pipes, id);
                        }
                    }
                }
                Ok(())
            }
        }
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        if let Some(data) = self.held.take() {
            return Ok(data.with_more(false));
        }
        let (id, data) = fair_queue(&mut self.fq, pipes).ok_or(RecvError::WouldBlock)?;
        let Some(routing_id) = self.table.id_of(id) else {
            // Not reachable: every attached pipe is named.
            return Err(RecvError::WouldBlock);
        };
        let address = Message::from_bytes(routing_id.clone()).with_more(true);
        self.held = Some(data);
        Ok(address)
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        self.held.is_some() || can_fair_queue(&mut self.fq, pipes)
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        // Only a full connection blocks a send, and only the routing id can tell which.
        true
    }

    fn routing_id_of(&self, id: PipeId) -> Option<Bytes> {
        self.table.id_of(id).cloned()
    }
}

impl Stream {
    /// Drops a connection from the routing state and has the socket close its pipe.
    fn forget(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.fq.remove(id);
        self.table.remove(id);
        pipes.retire(id);
    }
}
