//! DGRAM (draft): raw udp datagrams through the one udp socket it binds. Both ways a message
//! is two parts, the peer's address as `ip:port` text (with MORE) and the body, which is
//! the datagram byte for byte (see [`peer_address`] for the address's exact form).
//!
//! [`peer_address`]: crate::engine::peer_address

use crate::engine::peer_address;
use crate::patterns::PipeId;
use crate::pipe::{Read, WriteError};
use crate::socket::pattern::{Pattern, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

/// Which part of an outgoing message comes next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Expect {
    #[default]
    Address,
    Body,
}

#[derive(Default)]
pub(crate) struct Dgram {
    /// The bound udp socket's pipe. As in libzmq a DGRAM uses its first bind: later ones
    /// are closed at once.
    socket: Option<PipeId>,
    next: Expect,
}

impl Dgram {
    fn lost(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.socket = None;
        self.next = Expect::Address;
        pipes.retire(id);
    }
}

impl Pattern for Dgram {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        match self.socket {
            Some(_) => pipes.retire(id),
            None => self.socket = Some(id),
        }
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        if self.socket == Some(id) {
            self.socket = None;
            self.next = Expect::Address;
        }
    }

    fn readable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        // Refused parts leave the message where it was: the right part may follow.
        match self.next {
            Expect::Address if !msg.more() => {
                return Err(SendError::Fail(Error::InvalidArgument(
                    "a DGRAM message starts with the peer's address, sent with MORE",
                )))
            }
            Expect::Address if peer_address::parse(msg.as_slice()).is_none() => {
                return Err(SendError::Fail(Error::InvalidArgument(
                    "a DGRAM address is a numeric ip:port",
                )))
            }
            Expect::Body if msg.more() => {
                return Err(SendError::Fail(Error::InvalidArgument(
                    "a DGRAM message is an address and one body part",
                )))
            }
            _ => {}
        }
        let Some(id) = self.socket else {
            return Err(SendError::WouldBlock(msg));
        };
        match pipes.end(id).offer(msg) {
            Ok(()) => {
                self.next = match self.next {
                    Expect::Address => Expect::Body,
                    Expect::Body => Expect::Address,
                };
                Ok(())
            }
            Err(WriteError::Full(msg)) => Err(SendError::WouldBlock(msg)),
            Err(WriteError::Closed(msg)) => {
                self.lost(pipes, id);
                Err(SendError::WouldBlock(msg))
            }
        }
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        let Some(id) = self.socket else {
            return Err(RecvError::WouldBlock);
        };
        match pipes.read(id) {
            Read::Message(msg) => Ok(msg),
            Read::Empty => Err(RecvError::WouldBlock),
            Read::Closed => {
                self.lost(pipes, id);
                Err(RecvError::WouldBlock)
            }
        }
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        let Some(id) = self.socket else { return false };
        let end = pipes.end(id);
        if end.poll_readable() {
            return true;
        }
        if end.is_finished() {
            self.lost(pipes, id);
        }
        false
    }

    fn has_out(&mut self, pipes: &mut PipeTable) -> bool {
        self.socket.is_some_and(|id| {
            // The body of a message under way is always admitted.
            self.next == Expect::Body || pipes.end(id).poll_writable()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{pipe, Limit, Notify, PipeEnd, PipeEvent, PipeLimits};
    use crate::socket::mailbox::PeerDetails;
    use crate::socket::pipes::Pipe;
    use bytes::Bytes;
    use std::sync::Arc;

    struct Quiet;

    impl Notify for Quiet {
        fn notify(&self, _token: u64, _event: PipeEvent) {}
    }

    /// Attaches a new udp socket's pipe holding at most `hwm` messages each way; returns
    /// the pipe and the engine's end.
    fn bind(dgram: &mut Dgram, pipes: &mut PipeTable, hwm: u64) -> (PipeId, PipeEnd) {
        let limits = PipeLimits {
            a_to_b: Limit::Messages(hwm),
            b_to_a: Limit::Messages(hwm),
        };
        let (mine, theirs) = pipe(Arc::new(Quiet), Arc::new(Quiet), limits);
        theirs.register(u64::MAX);
        let id = pipes.insert(Pipe {
            end: mine,
            peer: PeerDetails {
                routing_id: Bytes::new(),
                endpoint: Arc::from("udp://127.0.0.1:5559"),
            },
            names: None,
        });
        dgram.attach(pipes, id);
        (id, theirs)
    }

    fn part(bytes: &[u8], more: bool) -> Message {
        Message::from_slice(bytes).with_more(more)
    }

    fn refused(outcome: Result<(), SendError>) -> bool {
        matches!(outcome, Err(SendError::Fail(Error::InvalidArgument(_))))
    }

    fn engine_reads(end: &mut PipeEnd) -> Vec<(Vec<u8>, bool)> {
        let mut parts = Vec::new();
        while let Read::Message(msg) = end.read() {
            parts.push((msg.as_slice().to_vec(), msg.more()));
        }
        parts
    }

    #[test]
    fn a_message_is_an_address_with_more_then_one_body() {
        let mut dgram = Dgram::default();
        let mut pipes = PipeTable::default();
        let (_, mut engine) = bind(&mut dgram, &mut pipes, 10);
        assert!(refused(dgram.send(&mut pipes, part(b"127.0.0.1:9", false))));
        assert!(refused(dgram.send(&mut pipes, part(b"host:9", true))));
        assert!(dgram.send(&mut pipes, part(b"127.0.0.1:9", true)).is_ok());
        assert!(
            refused(dgram.send(&mut pipes, part(b"body", true))),
            "a third part"
        );
        assert!(dgram.has_out(&mut pipes));
        assert!(
            dgram.send(&mut pipes, part(b"body", false)).is_ok(),
            "the body may still follow the refused part"
        );
        assert_eq!(
            engine_reads(&mut engine),
            [(b"127.0.0.1:9".to_vec(), true), (b"body".to_vec(), false)]
        );
    }

    #[test]
    fn without_a_bound_socket_sends_wait_and_nothing_arrives() {
        let mut dgram = Dgram::default();
        let mut pipes = PipeTable::default();
        assert!(matches!(
            dgram.send(&mut pipes, part(b"127.0.0.1:9", true)),
            Err(SendError::WouldBlock(_))
        ));
        assert!(!dgram.has_out(&mut pipes));
        assert!(!dgram.has_in(&mut pipes));
    }

    #[test]
    fn a_full_pipe_holds_back_the_address_but_never_the_body() {
        let mut dgram = Dgram::default();
        let mut pipes = PipeTable::default();
        let (_, mut engine) = bind(&mut dgram, &mut pipes, 1);
        assert!(dgram.send(&mut pipes, part(b"127.0.0.1:9", true)).is_ok());
        assert!(dgram.send(&mut pipes, part(b"one", false)).is_ok());
        assert!(matches!(
            dgram.send(&mut pipes, part(b"127.0.0.1:9", true)),
            Err(SendError::WouldBlock(_))
        ));
        assert!(!dgram.has_out(&mut pipes));
        assert_eq!(engine_reads(&mut engine).len(), 2);
        assert!(dgram.send(&mut pipes, part(b"127.0.0.1:9", true)).is_ok());
        assert!(dgram.has_out(&mut pipes), "the body is admitted");
        assert!(dgram.send(&mut pipes, part(b"two", false)).is_ok());
    }

    #[test]
    fn receives_what_the_engine_delivers_part_by_part() {
        let mut dgram = Dgram::default();
        let mut pipes = PipeTable::default();
        let (_, mut engine) = bind(&mut dgram, &mut pipes, 10);
        assert!(!dgram.has_in(&mut pipes));
        assert!(engine.write(part(b"[::1]:7\0", true)).is_ok());
        assert!(engine.write(part(b"hello", false)).is_ok());
        engine.flush();
        assert!(dgram.has_in(&mut pipes));
        let address = dgram.recv(&mut pipes).ok().expect("address");
        assert_eq!(
            (address.as_slice(), address.more()),
            (&b"[::1]:7\0"[..], true)
        );
        let body = dgram.recv(&mut pipes).ok().expect("body");
        assert_eq!((body.as_slice(), body.more()), (&b"hello"[..], false));
        assert!(!dgram.has_in(&mut pipes));
    }

    #[test]
    fn a_second_bind_is_closed_and_the_first_keeps_serving() {
        let mut dgram = Dgram::default();
        let mut pipes = PipeTable::default();
        let (first, _engine) = bind(&mut dgram, &mut pipes, 10);
        let (second, _other) = bind(&mut dgram, &mut pipes, 10);
        assert_eq!(dgram.socket, Some(first));
        assert_ne!(first, second);
        assert!(dgram.send(&mut pipes, part(b"127.0.0.1:9", true)).is_ok());
    }
}
