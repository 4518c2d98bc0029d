//! REQ: strictly alternates a request (sent round robin) and its reply (accepted only from
//! the peer the request went to), adding and removing the empty delimiter of the envelope
//! (RFC 28). REQ_RELAXED lifts the alternation (a new request abandons the old one);
//! REQ_CORRELATE tags each request with an id so only its own reply is accepted.

use super::dealer::Dealer;
use crate::patterns::PipeId;
use crate::socket::pattern::{
    can_fair_queue, can_load_balance, fair_queue, load_balance, Pattern, PatternOption, RecvError,
    SendError,
};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

/// Where a REQ stands; `peer` is the token of the pipe the request went to.
enum State {
    /// Ready to send a request.
    Idle,
    /// Sending the parts of a request.
    Sending { peer: u64 },
    /// Waiting for the reply.
    AwaitingReply { peer: u64 },
    /// Delivering the parts of the reply.
    Receiving,
}

pub(crate) struct Req {
    /// A REQ is a DEALER with an envelope and a state machine on top.
    dealer: Dealer,
    state: State,
    relaxed: bool,
    correlate: bool,
    /// The id of the request in flight, when correlating.
    request_id: u32,
}

impl Default for Req {
    fn default() -> Self {
        Req {
            dealer: Dealer::default(),
            state: State::Idle,
            relaxed: false,
            correlate: false,
            request_id: std::process::id().wrapping_mul(2_654_435_761),
        }
    }
}

impl Req {
    /// Reads and drops the remaining parts of a message.
    fn skip_rest(&mut self, pipes: &mut PipeTable, mut more: bool) {
        while more {
            match fair_queue(&mut self.dealer.fq, pipes) {
                Some((_, part)) => more = part.more(),
                None => return,
            }
        }
    }
}

impl Pattern for Req {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.dealer.attach(pipes, id);
    }

    fn detach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.dealer.detach(pipes, id);
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.dealer.readable(pipes, id);
    }

    fn writable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.dealer.writable(pipes, id);
    }

    fn set_option(&mut self, option: PatternOption) -> Result<(), Error> {
        match option {
            PatternOption::ReqRelaxed(on) => self.relaxed = on,
            PatternOption::ReqCorrelate(on) => self.correlate = on,
            other => return self.dealer.set_option(other),
        }
        Ok(())
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        match self.state {
            State::AwaitingReply { .. } | State::Receiving => {
                can_fair_queue(&mut self.dealer.fq, pipes)
            }
            State::Idle | State::Sending { .. } => false,
        }
    }

    fn has_out(&mut self, pipes: &mut PipeTable) -> bool {
        match self.state {
            // REQ_RELAXED: a new request may be sent while a reply is awaited.
            State::AwaitingReply { .. } | State::Receiving if !self.relaxed => false,
            _ => can_load_balance(&mut self.dealer.lb, pipes),
        }
    }

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        if self.relaxed && matches!(self.state, State::AwaitingReply { .. } | State::Receiving) {
            // The old request is abandoned; its reply, if it ever comes, is dropped.
            self.state = State::Idle;
        }
        let peer = match self.state {
            State::Idle => {
                let Some(id) = self.dealer.lb.next() else {
                    return Err(SendError::WouldBlock(msg));
                };
                // The envelope and the first part go to the same pipe: a message is sticky.
                let mut envelope = Vec::with_capacity(2);
                if self.correlate {
                    self.request_id = self.request_id.wrapping_add(1);
                    let tag = Message::from_slice(&self.request_id.to_ne_bytes());
                    envelope.push(tag.with_more(true));
                }
                envelope.push(Message::new().with_more(true));
                for part in envelope {
                    if let Err(e) = load_balance(&mut self.dealer.lb, pipes, part) {
                        return Err(match e {
                            SendError::WouldBlock(_) => SendError::WouldBlock(msg),
                            other => other,
                        });
                    }
                }
                match self.dealer.lb.next() {
                    Some(sticky) => pipes.token(sticky),
                    // The pipe died under the delimiter; the rest is dropped by the balancer.
                    None => pipes.token(id),
                }
            }
            State::Sending { peer } => peer,
            State::AwaitingReply { .. } | State::Receiving => {
                return Err(SendError::Fail(Error::State))
            }
        };
        let more = msg.more();
        load_balance(&mut self.dealer.lb, pipes, msg)?;
        self.state = if more {
            State::Sending { peer }
        } else {
            State::AwaitingReply { peer }
        };
        Ok(())
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        match self.state {
            State::Idle | State::Sending { .. } => Err(RecvError::Fail(Error::State)),
            State::Receiving => {
                let (_, part) =
                    fair_queue(&mut self.dealer.fq, pipes).ok_or(RecvError::WouldBlock)?;
                if !part.more() {
                    self.state = State::Idle;
                }
                Ok(part)
            }
            State::AwaitingReply { peer } => loop {
                let (id, mut first) =
                    fair_queue(&mut self.dealer.fq, pipes).ok_or(RecvError::WouldBlock)?;
                // Replies from other peers, to other requests, or without the delimiter are
                // dropped whole.
                let mut wanted = pipes.token(id) == peer;
                if wanted && self.correlate {
                    wanted = first.more() && first[..] == self.request_id.to_ne_bytes();
                    if wanted {
                        let Some((_, next)) = fair_queue(&mut self.dealer.fq, pipes) else {
                            continue;
                        };
                        first = next;
                    }
                }
                if !wanted || !first.is_empty() || !first.more() {
                    self.skip_rest(pipes, first.more());
                    continue;
                }
                let Some((_, body)) = fair_queue(&mut self.dealer.fq, pipes) else {
                    continue;
                };
                self.state = if body.more() {
                    State::Receiving
                } else {
                    State::Idle
                };
                return Ok(body);
            },
        }
    }
}
