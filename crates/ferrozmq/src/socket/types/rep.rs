//! REP: receives a request (in turn from its peers), hands the body to the application and
//! sends the reply back along the request's envelope to the peer it came from (RFC 28).

use crate::patterns::{FairQueue, PipeId};
use crate::pipe::WriteError;
use crate::socket::pattern::{
    can_fair_queue, fair_queue, retire_unless_unread, Pattern, RecvError, SendError,
};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

/// Where a REP stands; `peer` is the token of the pipe the request came from.
enum State {
    /// Ready to receive a request.
    Idle,
    /// Delivering the parts of a request.
    Receiving { peer: u64 },
    /// The application owes a reply.
    Replying { peer: u64 },
    /// Sending the parts of the reply (`deliver` false: the peer is gone or full, so the
    /// reply is dropped, as a ROUTER drops unroutable messages).
    Sending { peer: u64, deliver: bool },
}

pub(crate) struct Rep {
    fq: FairQueue,
    state: State,
    /// The request's envelope (routing parts up to and including the empty delimiter).
    envelope: Vec<Message>,
}

impl Default for Rep {
    fn default() -> Self {
        Rep {
            fq: FairQueue::default(),
            state: State::Idle,
            envelope: Vec::new(),
        }
    }
}

impl Rep {
    /// Reads one request up to its first body part; drops malformed ones (no delimiter).
    fn next_request(&mut self, pipes: &mut PipeTable) -> Option<(u64, Message)> {
        'requests: loop {
            self.envelope.clear();
            let (id, mut part) = fair_queue(&mut self.fq, pipes)?;
            loop {
                if !part.more() {
                    // The message ended inside its envelope.
                    continue 'requests;
                }
                let delimiter = part.is_empty();
                self.envelope.push(part);
                let (_, next) = fair_queue(&mut self.fq, pipes)?;
                if delimiter {
                    return Some((pipes.token(id), next));
                }
                part = next;
            }
        }
    }

    fn write(pipes: &mut PipeTable, peer: u64, msg: Message) -> bool {
        let Some(id) = pipes.resolve(peer) else {
            return false;
        };
        match pipes.end(id).send(msg) {
            Ok(()) => true,
            Err(WriteError::Full(_)) => false,
            Err(WriteError::Closed(_)) => {
                retire_unless_unread(pipes, id);
                false
            }
        }
    }
}

impl Pattern for Rep {
    fn attach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.attach(id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.remove(id);
    }

    fn readable(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, _id: PipeId) {}

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        match self.state {
            State::Idle | State::Receiving { .. } => can_fair_queue(&mut self.fq, pipes),
            State::Replying { .. } | State::Sending { .. } => false,
        }
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        // A reply never blocks: one the peer cannot take is dropped.
        matches!(self.state, State::Replying { .. } | State::Sending { .. })
    }

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        let more = msg.more();
        let (peer, deliver) = match self.state {
            State::Replying { peer } => {
                let mut deliver = true;
                for part in std::mem::take(&mut self.envelope) {
                    deliver = deliver && Self::write(pipes, peer, part);
                }
                (peer, deliver)
            }
            State::Sending { peer, deliver } => (peer, deliver),
            State::Idle | State::Receiving { .. } => return Err(SendError::Fail(Error::State)),
        };
        let deliver = deliver && Self::write(pipes, peer, msg);
        self.state = if more {
            State::Sending { peer, deliver }
        } else {
            State::Idle
        };
        Ok(())
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        let (peer, part) = match self.state {
            State::Idle => self.next_request(pipes).ok_or(RecvError::WouldBlock)?,
            State::Receiving { peer } => {
                let (_, part) = fair_queue(&mut self.fq, pipes).ok_or(RecvError::WouldBlock)?;
                (peer, part)
            }
            State::Replying { .. } | State::Sending { .. } => {
                return Err(RecvError::Fail(Error::State))
            }
        };
        self.state = if part.more() {
            State::Receiving { peer }
        } else {
            State::Replying { peer }
        };
        Ok(part)
    }
}
