//! ROUTER: receives each message prefixed with the routing id of the peer it came from, and
//! sends each message to the peer its first part names (RFC 28).

use crate::patterns::{Assignment, FairQueue, PipeId, RoutingTable};
use crate::pipe::WriteError;
use crate::socket::pattern::{
    can_fair_queue, discard_input, fair_queue, retire_unless_unread, Pattern, PatternOption,
    RecvError, SendError,
};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

/// Where an outgoing message stands.
enum Outgoing {
    /// The next part is a routing id.
    Address,
    /// Parts go to this pipe; `None` drops them (unroutable, or the peer is full).
    Body(Option<PipeId>),
}

pub(crate) struct Router {
    fq: FairQueue,
    table: RoutingTable,
    /// Pipes whose peer announced an id in use (without handover): kept, never read.
    ignored: Vec<PipeId>,
    /// The first part of the message whose routing id was just delivered.
    held: Option<Message>,
    /// Inside a message being delivered.
    receiving: bool,
    outgoing: Outgoing,
    mandatory: bool,
    handover: bool,
    probe: bool,
}

impl Default for Router {
    fn default() -> Self {
        Router {
            fq: FairQueue::default(),
            table: RoutingTable::new(generated_id_seed()),
            ignored: Vec::new(),
            held: None,
            receiving: false,
            outgoing: Outgoing::Address,
            mandatory: false,
            handover: false,
            probe: false,
        }
    }
}

/// A per-socket starting point for generated routing ids, so that a restarted process does
/// not hand out the ids its predecessor's peers may still hold.
fn generated_id_seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish() as u32
}

impl Pattern for Router {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        let Some(pipe) = pipes.get(id) else { return };
        let announced = pipe.peer.routing_id.clone();
        match self.table.assign(id, &announced, self.handover) {
            Assignment::Assigned(_) => self.fq.attach(id),
            Assignment::TookOver { displaced, .. } => {
                self.fq.remove(displaced);
                pipes.retire(displaced);
                self.fq.attach(id);
            }
            Assignment::Refused => {
                self.ignored.push(id);
                return;
            }
        }
        // A connection's own pipe was probed by its I/O thread already (see `Session`).
        if self.probe && !pipes.end(id).has_written() {
            pipes.end(id).send_control(Message::new());
        }
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.remove(id);
        self.table.remove(id);
        self.ignored.retain(|&p| p != id);
        if let Outgoing::Body(Some(target)) = self.outgoing {
            if target == id {
                self.outgoing = Outgoing::Body(None);
            }
        }
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        if self.ignored.contains(&id) {
            discard_input(pipes, id);
        } else {
            self.fq.activate(id);
        }
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        match self.outgoing {
            Outgoing::Address => {
                if !msg.more() {
                    // A routing id with nothing after it addresses nothing.
                    return Ok(());
                }
                // Only a ROUTER_MANDATORY send waits for room, and so asks to hear of it.
                let has_room = |id: PipeId, pipes: &mut PipeTable| {
                    if self.mandatory {
                        pipes.end(id).poll_writable()
                    } else {
                        pipes.end(id).has_room()
                    }
                };
                let target = match self.table.lookup(&msg) {
                    Some(id) if has_room(id, pipes) => Some(id),
                    Some(_) if self.mandatory => return Err(SendError::WouldBlock(msg)),
                    None if self.mandatory => return Err(SendError::Fail(Error::HostUnreachable)),
                    // Full: the message is dropped too (`id` names it in a trace event).
                    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
                    Some(id) => {
                        crate::trace::event!(
                            debug,
                            socket_type = "ROUTER",
                            endpoint = pipes.endpoint(id),
                            "message dropped at the high-water mark"
                        );
                        None
                    }
                    // Unroutable: the message is dropped, as ROUTER does.
                    None => None,
                };
                self.outgoing = Outgoing::Body(target);
                Ok(())
            }
            Outgoing::Body(target) => {
                let more = msg.more();
                if let Some(id) = target {
                    match pipes.end(id).send(msg) {
                        Ok(()) => {}
                        Err(WriteError::Full(_)) => {
                            crate::trace::event!(
                                debug,
                                socket_type = "ROUTER",
                                endpoint = pipes.endpoint(id),
                                "message dropped at the high-water mark"
                            );
                            self.outgoing = Outgoing::Body(None);
                        }
                        Err(WriteError::Closed(_)) => {
                            if retire_unless_unread(pipes, id) {
                                self.fq.remove(id);
                                self.table.remove(id);
                            }
                            self.outgoing = Outgoing::Body(None);
                        }
                    }
                }
                if !more {
                    self.outgoing = Outgoing::Address;
                }
                Ok(())
            }
        }
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        if let Some(first) = self.held.take() {
            self.receiving = first.more();
            return Ok(first);
        }
        let (id, part) = fair_queue(&mut self.fq, pipes).ok_or(RecvError::WouldBlock)?;
        if self.receiving {
            self.receiving = part.more();
            return Ok(part);
        }
        let Some(routing_id) = self.table.id_of(id) else {
            // Not reachable: only named pipes are queued.
            return Err(RecvError::WouldBlock);
        };
        let address = Message::from_bytes(routing_id.clone()).with_more(true);
        self.held = Some(part);
        Ok(address)
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        self.held.is_some() || can_fair_queue(&mut self.fq, pipes)
    }

    fn peer_writable(&mut self, pipes: &mut PipeTable, routing_id: &[u8]) -> Result<bool, Error> {
        let id = self
            .table
            .lookup(routing_id)
            .ok_or(Error::HostUnreachable)?;
        Ok(pipes.end(id).poll_writable())
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        // Sending never blocks, except to a full peer with ROUTER_MANDATORY, which only the
        // routing id can tell.
        true
    }

    fn set_option(&mut self, option: PatternOption) -> Result<(), Error> {
        match option {
            PatternOption::RouterMandatory(on) => self.mandatory = on,
            PatternOption::RouterHandover(on) => self.handover = on,
            PatternOption::ProbeRouter(on) => self.probe = on,
            _ => {
                return Err(Error::InvalidArgument(
                    "this option does not apply to ROUTER",
                ))
            }
        }
        Ok(())
    }
}
