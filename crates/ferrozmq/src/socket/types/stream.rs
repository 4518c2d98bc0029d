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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{pipe, Limit, Notify, PipeEnd, PipeEvent, PipeLimits, Read};
    use crate::socket::mailbox::PeerDetails;
    use crate::socket::pipes::Pipe;
    use std::sync::Arc;

    struct Quiet;

    impl Notify for Quiet {
        fn notify(&self, _token: u64, _event: PipeEvent) {}
    }

    /// A STREAM with one connection per entry of `ids` (empty: a generated id); returns
    /// the engine's ends, in order.
    fn stream_with(ids: &[&[u8]], hwm: u64) -> (Stream, PipeTable, Vec<(PipeId, PipeEnd)>) {
        let mut stream = Stream::default();
        let mut pipes = PipeTable::default();
        let mut engines = Vec::new();
        for id in ids {
            let limits = PipeLimits {
                a_to_b: Limit::Messages(hwm),
                b_to_a: Limit::Messages(hwm),
            };
            let (mine, theirs) = pipe(Arc::new(Quiet), Arc::new(Quiet), limits);
            theirs.register(u64::MAX);
            let pid = pipes.insert(Pipe {
                end: mine,
                peer: PeerDetails {
                    routing_id: Bytes::copy_from_slice(id),
                    endpoint: Arc::from("tcp://test"),
                },
                names: None,
            });
            stream.attach(&mut pipes, pid);
            engines.push((pid, theirs));
        }
        (stream, pipes, engines)
    }

    fn read_all(end: &mut PipeEnd) -> Vec<Message> {
        let mut out = Vec::new();
        while let Read::Message(m) = end.read() {
            out.push(m);
        }
        out
    }

    #[test]
    fn each_chunk_arrives_after_its_connection_s_routing_id() {
        let (mut stream, mut pipes, mut engines) = stream_with(&[b"", b"named"], 10);
        assert!(engines[1].1.send(Message::from_slice(b"bytes")).is_ok());
        let id = stream.recv(&mut pipes).ok().unwrap();
        assert_eq!(id.as_slice(), b"named");
        assert!(id.more());
        let data = stream.recv(&mut pipes).ok().unwrap();
        assert_eq!(data.as_slice(), b"bytes");
        assert!(!data.more());
        assert!(!stream.has_in(&mut pipes));
        let generated = stream.routing_id_of(engines[0].0).unwrap();
        assert_eq!(generated.len(), 5);
        assert_eq!(generated[0], 0, "generated ids start with a zero byte");
    }

    #[test]
    fn a_connect_routing_id_in_use_gets_a_generated_one() {
        let (stream, _pipes, engines) = stream_with(&[b"twice", b"twice"], 10);
        assert_eq!(stream.routing_id_of(engines[0].0).unwrap(), "twice");
        let second = stream.routing_id_of(engines[1].0).unwrap();
        assert_ne!(second, "twice");
        assert_eq!(second[0], 0);
    }

    #[test]
    fn data_goes_to_the_named_connection_as_one_last_part() {
        let (mut stream, mut pipes, mut engines) = stream_with(&[b"a", b"b"], 10);
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"b").with_more(true))
            .is_ok());
        // The more flag means nothing on data: it ends the message.
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"to b").with_more(true))
            .is_ok());
        let got = read_all(&mut engines[1].1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_slice(), b"to b");
        assert!(!got[0].more());
        assert!(read_all(&mut engines[0].1).is_empty());
    }

    #[test]
    fn unknown_routing_id_is_host_unreachable() {
        let (mut stream, mut pipes, _engines) = stream_with(&[b"a"], 10);
        let sent = stream.send(&mut pipes, Message::from_slice(b"z").with_more(true));
        assert!(matches!(sent, Err(SendError::Fail(Error::HostUnreachable))));
    }

    #[test]
    fn a_routing_id_without_more_makes_the_next_part_go_nowhere() {
        let (mut stream, mut pipes, mut engines) = stream_with(&[b"a"], 10);
        assert!(stream.send(&mut pipes, Message::from_slice(b"a")).is_ok());
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"lost"))
            .is_ok());
        assert!(read_all(&mut engines[0].1).is_empty());
        // And the part after that is a routing id again.
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"a").with_more(true))
            .is_ok());
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"kept"))
            .is_ok());
        assert_eq!(read_all(&mut engines[0].1)[0].as_slice(), b"kept");
    }

    #[test]
    fn empty_data_lets_go_of_the_connection() {
        let (mut stream, mut pipes, _engines) = stream_with(&[b"a"], 10);
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"a").with_more(true))
            .is_ok());
        assert!(stream.send(&mut pipes, Message::new()).is_ok());
        assert!(pipes.has_retired(), "the socket closes the pipe");
        let again = stream.send(&mut pipes, Message::from_slice(b"a").with_more(true));
        assert!(matches!(
            again,
            Err(SendError::Fail(Error::HostUnreachable))
        ));
    }

    #[test]
    fn a_full_connection_makes_the_send_wait() {
        let (mut stream, mut pipes, _engines) = stream_with(&[b"a"], 1);
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"a").with_more(true))
            .is_ok());
        assert!(stream.send(&mut pipes, Message::from_slice(b"1")).is_ok());
        let blocked = stream.send(&mut pipes, Message::from_slice(b"a").with_more(true));
        assert!(matches!(blocked, Err(SendError::WouldBlock(_))));
    }

    #[test]
    fn a_lost_connection_is_unreachable_once_its_news_is_read() {
        let (mut stream, mut pipes, mut engines) = stream_with(&[b"a"], 10);
        let (_, mut engine) = engines.pop().unwrap();
        assert!(engine.send(Message::new()).is_ok());
        drop(engine);
        // The disconnect notification is still to be read: the id still routes.
        assert!(stream
            .send(&mut pipes, Message::from_slice(b"a").with_more(true))
            .is_ok());
        assert!(stream.send(&mut pipes, Message::from_slice(b"x")).is_ok());
        assert_eq!(stream.recv(&mut pipes).ok().unwrap().as_slice(), b"a");
        assert!(stream.recv(&mut pipes).ok().unwrap().is_empty());
        let after = stream.send(&mut pipes, Message::from_slice(b"a").with_more(true));
        assert!(matches!(
            after,
            Err(SendError::Fail(Error::HostUnreachable))
        ));
    }
}
