//! PAIR: one peer only, messages both ways, blocking at the high-water mark (RFC 31).

use crate::patterns::PipeId;
use crate::pipe::{Read, WriteError};
use crate::socket::pattern::{Pattern, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use zmtp::Message;

#[derive(Default)]
pub(crate) struct Pair {
    /// The one peer; later connections are turned away while it lives.
    peer: Option<PipeId>,
}

impl Pattern for Pair {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        match self.peer {
            // The peer reconnected: its old connection is gone, the new one takes over.
            Some(old) if pipes.end(old).peer_closed() => {
                pipes.retire(old);
                self.peer = Some(id);
            }
            Some(_) => pipes.retire(id),
            None => self.peer = Some(id),
        }
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        if self.peer == Some(id) {
            self.peer = None;
        }
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        // A closed pipe with nothing left to read frees the place for the next peer.
        let end = pipes.end(id);
        if self.peer == Some(id) && end.peer_closed() && !end.has_message() {
            self.peer = None;
            pipes.retire(id);
        }
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        let Some(id) = self.peer else {
            return Err(SendError::WouldBlock(msg));
        };
        let end = pipes.end(id);
        match end.offer(msg) {
            Ok(()) => Ok(()),
            Err(WriteError::Full(msg)) => Err(SendError::WouldBlock(msg)),
            Err(WriteError::Closed(msg)) => {
                self.peer = None;
                pipes.retire(id);
                Err(SendError::WouldBlock(msg))
            }
        }
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        let Some(id) = self.peer else {
            return Err(RecvError::WouldBlock);
        };
        match pipes.read(id) {
            Read::Message(msg) => Ok(msg),
            Read::Empty => Err(RecvError::WouldBlock),
            Read::Closed => {
                self.peer = None;
                pipes.retire(id);
                Err(RecvError::WouldBlock)
            }
        }
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        let Some(id) = self.peer else { return false };
        let end = pipes.end(id);
        if end.poll_readable() {
            return true;
        }
        if end.is_finished() {
            self.peer = None;
            pipes.retire(id);
        }
        false
    }

    fn has_out(&mut self, pipes: &mut PipeTable) -> bool {
        self.peer.is_some_and(|id| pipes.end(id).poll_writable())
    }
}
