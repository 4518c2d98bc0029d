//! The per-type behaviour of a socket, and the steps the types share.

use super::pipes::{Pipe, PipeTable};
use crate::error::Error;
use crate::patterns::{FairQueue, LoadBalancer, PipeId};
use crate::pipe::{PipeEvent, Read, WriteError};
use bytes::Bytes;
use zmtp::Message;

/// Why a send did not complete.
pub(crate) enum SendError {
    /// No pipe can take the message now; it comes back to be retried after a wait.
    WouldBlock(Message),
    /// The send is refused for good.
    Fail(Error),
}

/// Why a receive did not complete.
pub(crate) enum RecvError {
    /// Nothing to receive now.
    WouldBlock,
    /// The receive is refused for good.
    Fail(Error),
}

/// Where a message of the thread-safe socket types goes or comes from: those types carry
/// no envelope parts, so the address travels beside the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Address {
    /// A peer of a SERVER or PEER socket, by the routing id the socket gave it.
    Peer(u32),
    /// A RADIO/DISH group.
    Group(Bytes),
}

/// A socket option that changes how a pattern routes messages, forwarded to it by
/// [`Pattern::set_option`].
#[derive(Clone, Debug)]
pub(crate) enum PatternOption {
    /// ROUTER: an unroutable message is an error instead of a silent drop.
    RouterMandatory(bool),
    /// ROUTER: a new peer announcing a routing id in use takes it over.
    RouterHandover(bool),
    /// ROUTER, DEALER: greet every new peer with an empty message.
    ProbeRouter(bool),
    /// XPUB: pass every subscription to the application, not only new ones.
    XpubVerbose(bool),
    /// XPUB: pass every subscription and cancellation to the application.
    XpubVerboser(bool),
    /// XPUB: subscriptions take effect only when the application applies them.
    XpubManual(bool),
    /// XPUB: send this message to every new subscriber.
    XpubWelcome(Option<Message>),
    /// XPUB: block (or fail with `Again`) rather than drop for a full subscriber.
    XpubNodrop(bool),
    /// REQ: tag requests with an id and accept only the reply carrying it.
    ReqCorrelate(bool),
    /// REQ: allow a new request before the reply to the last one.
    ReqRelaxed(bool),
    /// PUB, XPUB, SUB: deliver what does *not* match the subscriptions.
    InvertMatching(bool),
    /// XPUB, XSUB: of a multipart message, only the first part may be a subscription.
    OnlyFirstSubscribe(bool),
    /// XPUB: manual mode, and the first message after a subscription goes to its pipe only.
    XpubManualLastValue(bool),
}

/// What makes a REQ a REQ: how messages are routed to and from pipes. Implementations are
/// plain state machines over the socket's [`PipeTable`]; they never block. A pipe found dead
/// is dropped from the implementation's own state and handed to [`PipeTable::retire`]; the
/// socket then removes it and calls [`Pattern::detach`] (which must tolerate that).
pub(crate) trait Pattern: Send {
    /// A new pipe.
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId);
    /// A pipe is going away; forget it.
    fn detach(&mut self, pipes: &mut PipeTable, id: PipeId);
    /// A pipe has messages again.
    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId);
    /// A pipe has room again.
    fn writable(&mut self, pipes: &mut PipeTable, id: PipeId);
    /// Sends one message part.
    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError>;
    /// Receives one message part.
    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError>;
    /// Whether [`recv`](Self::recv) would return a part now (`ZMQ_POLLIN`).
    fn has_in(&mut self, pipes: &mut PipeTable) -> bool;
    /// Whether [`send`](Self::send) would accept a part now (`ZMQ_POLLOUT`).
    fn has_out(&mut self, pipes: &mut PipeTable) -> bool;
    /// Adds or cancels a subscription (SUB; XPUB in manual mode).
    fn subscribe(
        &mut self,
        _pipes: &mut PipeTable,
        _prefix: &[u8],
        _on: bool,
    ) -> Result<(), Error> {
        Err(Error::NotSupported)
    }
    /// Joins (`join == true`) or leaves a group (DISH).
    fn change_membership(
        &mut self,
        _pipes: &mut PipeTable,
        _group: &[u8],
        _join: bool,
    ) -> Result<(), Error> {
        Err(Error::NotSupported)
    }
    /// Sends a single-part message to an address (SERVER, PEER, RADIO).
    fn send_to(
        &mut self,
        _pipes: &mut PipeTable,
        _to: &Address,
        _msg: Message,
    ) -> Result<(), SendError> {
        Err(SendError::Fail(Error::NotSupported))
    }
    /// Receives a single-part message with its address (SERVER, PEER, DISH).
    fn recv_from(&mut self, _pipes: &mut PipeTable) -> Result<(Address, Message), RecvError> {
        Err(RecvError::Fail(Error::NotSupported))
    }
    /// SERVER, PEER: drops the peer with this routing id, closing its connection;
    /// [`Error::HostUnreachable`] when no peer has it.
    fn disconnect_peer(&mut self, _pipes: &mut PipeTable, _routing_id: u32) -> Result<(), Error> {
        Err(Error::NotSupported)
    }
    /// The address a pipe's peer goes by (PEER: the routing id of a connection it made).
    fn address_of(&self, _id: PipeId) -> Option<Address> {
        None
    }
    /// The routing id a pipe is known by (STREAM: the id of a connection it made, which
    /// the socket reports as its own ROUTING_ID, as libzmq does).
    fn routing_id_of(&self, _id: PipeId) -> Option<Bytes> {
        None
    }
    /// PUB, XPUB, RADIO: how many peers have said what they want (subscribed to a prefix,
    /// joined a group) and so can be sent something. `None` for the types whose peers say
    /// nothing of the kind.
    fn subscribers(&self) -> Option<usize> {
        None
    }
    /// PUB, XPUB, SUB, XSUB: how many distinct prefixes are subscribed (for publishers:
    /// subscribed by some peer, and in manual mode applied). `None` for the other types.
    fn topics_count(&self) -> Option<usize> {
        None
    }
    /// ROUTER: whether the peer known by `routing_id` has room for a message now (the
    /// pipe asks to be heard of when it makes room); [`Error::HostUnreachable`] for an id
    /// no peer has. Other types: [`Error::NotSupported`].
    fn peer_writable(&mut self, _pipes: &mut PipeTable, _routing_id: &[u8]) -> Result<bool, Error> {
        Err(Error::NotSupported)
    }
    /// Applies a routing option; types it does not concern refuse it, as libzmq does.
    fn set_option(&mut self, _option: PatternOption) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "this option does not apply to this socket type",
        ))
    }
}

/// Sends a part to the pipe whose turn it is; whole messages go round robin, and a full pipe
/// is skipped until it has room.
pub(crate) fn load_balance(
    lb: &mut LoadBalancer,
    pipes: &mut PipeTable,
    msg: Message,
) -> Result<(), SendError> {
    if lb.dropping() {
        // The pipe this message was going to died mid-message: the rest goes nowhere.
        lb.sent(msg.more());
        return Ok(());
    }
    let mut msg = msg;
    while let Some(id) = lb.next() {
        let more = msg.more();
        let end = pipes.end(id);
        match end.offer(msg) {
            Ok(()) => {
                lb.sent(more);
                return Ok(());
            }
            Err(WriteError::Full(m)) => {
                msg = m;
                lb.deactivate(id);
            }
            Err(WriteError::Closed(m)) => {
                msg = m;
                lb.remove(id);
                retire_unless_unread(pipes, id);
                if lb.dropping() {
                    lb.sent(msg.more());
                    return Ok(());
                }
            }
        }
    }
    Err(SendError::WouldBlock(msg))
}

/// Whether some pipe of a load balancer admits a message now; full pipes are set aside
/// until they make room, as a send would.
pub(crate) fn can_load_balance(lb: &mut LoadBalancer, pipes: &mut PipeTable) -> bool {
    if lb.dropping() {
        return true;
    }
    while let Some(id) = lb.next() {
        if pipes.end(id).poll_writable() {
            return true;
        }
        lb.deactivate(id);
    }
    false
}

/// Whether some pipe of a fair queue has a part now; empty pipes are set aside until
/// messages arrive, and finished ones retired, as a receive would.
pub(crate) fn can_fair_queue(fq: &mut FairQueue, pipes: &mut PipeTable) -> bool {
    while let Some(id) = fq.next() {
        let end = pipes.end(id);
        if end.poll_readable() {
            return true;
        }
        if end.is_finished() {
            fq.remove(id);
            pipes.retire(id);
        } else {
            fq.deactivate(id);
        }
    }
    false
}

/// Receives the next part from the pipes with messages, whole messages in turn.
pub(crate) fn fair_queue(fq: &mut FairQueue, pipes: &mut PipeTable) -> Option<(PipeId, Message)> {
    while let Some(id) = fq.next() {
        match pipes.read(id) {
            Read::Message(msg) => {
                fq.received(msg.more());
                return Some((id, msg));
            }
            Read::Empty => fq.deactivate(id),
            Read::Closed => {
                fq.remove(id);
                pipes.retire(id);
            }
        }
    }
    None
}

/// A send found the pipe's peer gone: retires the pipe unless messages from that peer are
/// still waiting to be read (requests from a peer that left are still delivered, as in
/// libzmq; the receive that finds the pipe drained retires it then). True if retired.
pub(crate) fn retire_unless_unread(pipes: &mut PipeTable, id: PipeId) -> bool {
    if pipes.end(id).has_message() {
        return false;
    }
    pipes.retire(id);
    true
}

/// Reads and discards what a pipe holds (a peer sending to a socket that never reads),
/// retiring the pipe once its peer has closed.
pub(crate) fn discard_input(pipes: &mut PipeTable, id: PipeId) {
    loop {
        match pipes.end(id).read() {
            Read::Message(_) => {}
            Read::Empty => return,
            Read::Closed => {
                pipes.retire(id);
                return;
            }
        }
    }
}

/// Tells `pattern` what happened on the pipe registered with `token` (nothing, if the pipe
/// is gone already). The socket and the socket types' unit tests both go through here.
#[inline]
pub(crate) fn on_pipe_event(
    pattern: &mut dyn Pattern,
    pipes: &mut PipeTable,
    token: u64,
    event: PipeEvent,
) {
    let Some(id) = pipes.resolve(token) else {
        return;
    };
    match event {
        PipeEvent::Readable => pattern.readable(pipes, id),
        PipeEvent::Writable => {
            pipes.end(id).take_peer_progress();
            pattern.writable(pipes, id)
        }
        PipeEvent::Closed => {
            // Let the pattern read what is left; it retires the pipe once the pipe reports
            // closed.
            pattern.readable(pipes, id);
            pattern.writable(pipes, id);
        }
    }
}

/// Hands `pipe` to `pattern`, which then reads what came before the pipe was registered.
pub(crate) fn attach_pipe(pattern: &mut dyn Pattern, pipes: &mut PipeTable, pipe: Pipe) -> PipeId {
    let id = pipes.insert(pipe);
    pattern.attach(pipes, id);
    // Messages (or a close) may have come before the pipe was registered.
    pattern.readable(pipes, id);
    reap(pattern, pipes);
    id
}

/// Removes the pipes the pattern found dead, telling it of each.
pub(crate) fn reap(pattern: &mut dyn Pattern, pipes: &mut PipeTable) {
    while pipes.has_retired() {
        for id in pipes.take_retired() {
            pattern.detach(pipes, id);
            pipes.remove(id);
        }
    }
}
