//! The socket types as state machines, driven in memory: each test gives a [`Pattern`]
//! in-memory pipes to peers it plays itself, and checks what the type routes where — no
//! network, no I/O thread, no clock. The integration suites check the same behaviours over
//! real connections; these pin the routing decisions down one step at a time.

mod envelopes;
mod publishing;
mod routing;
mod single_part;

use super::pattern_for;
use crate::error::Error;
use crate::patterns::PipeId;
use crate::pipe::{pipe, Limit, Notify, PipeEnd, PipeEvent, PipeLimits, Read};
use crate::socket::mailbox::PeerDetails;
use crate::socket::pattern::{self, Address, Pattern, PatternOption, RecvError, SendError};
use crate::socket::pipes::{Pipe, PipeTable};
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use zmtp::{Kind, Message, SocketType};

/// The pipe events a socket's ends report, kept until the socket looks (its mailbox).
#[derive(Default)]
struct Mailbox(Mutex<Vec<(u64, PipeEvent)>>);

impl Notify for Mailbox {
    fn notify(&self, token: u64, event: PipeEvent) {
        self.0.lock().unwrap().push((token, event));
    }
}

/// A peer's end reports to nobody: the tests read it when they choose.
struct Unwatched;

impl Notify for Unwatched {
    fn notify(&self, _token: u64, _event: PipeEvent) {}
}

/// A socket type with its pipe table, handling pipe events the way the socket does
/// (`SocketCore`): before each call, and retiring the pipes the pattern found dead after it.
struct Socket {
    pattern: Box<dyn Pattern>,
    pipes: PipeTable,
    mailbox: Arc<Mailbox>,
}

/// The far end of one of the socket's pipes: what a connection (or inproc peer) would do.
struct Peer {
    id: PipeId,
    end: PipeEnd,
}

/// A message as a list of parts.
type Parts = Vec<Vec<u8>>;

impl Socket {
    fn new(socket_type: SocketType) -> Self {
        Socket {
            pattern: pattern_for(socket_type).unwrap_or_else(|_| panic!("{socket_type:?}")),
            pipes: PipeTable::default(),
            mailbox: Arc::default(),
        }
    }

    fn with(mut self, option: PatternOption) -> Self {
        assert!(self.pattern.set_option(option).is_ok());
        self
    }

    /// A new peer announcing `routing_id`, with `hwm` messages each way (0: unlimited).
    fn connect(&mut self, routing_id: &[u8], hwm: u64) -> Peer {
        self.connect_from(routing_id, "tcp://peer", hwm)
    }

    fn connect_from(&mut self, routing_id: &[u8], endpoint: &str, hwm: u64) -> Peer {
        self.process_events();
        let limits = PipeLimits {
            a_to_b: Limit::Messages(hwm),
            b_to_a: Limit::Messages(hwm),
        };
        let (mine, theirs) = pipe(self.mailbox.clone(), Arc::new(Unwatched), limits);
        theirs.register(u64::MAX);
        let pipe = Pipe {
            end: mine,
            peer: PeerDetails {
                routing_id: Bytes::copy_from_slice(routing_id),
                endpoint: Arc::from(endpoint),
            },
            names: None,
        };
        let id = pattern::attach_pipe(&mut *self.pattern, &mut self.pipes, pipe);
        Peer { id, end: theirs }
    }

    /// Hands the pattern what happened on its pipes since it last looked.
    fn process_events(&mut self) {
        let events = std::mem::take(&mut *self.mailbox.0.lock().unwrap());
        for (token, event) in events {
            pattern::on_pipe_event(&mut *self.pattern, &mut self.pipes, token, event);
        }
        self.reap();
    }

    fn reap(&mut self) {
        pattern::reap(&mut *self.pattern, &mut self.pipes);
    }

    /// Whether the pattern still holds a pipe to this peer.
    fn holds(&mut self, id: PipeId) -> bool {
        self.process_events();
        self.pipes.get(id).is_some()
    }

    fn send_part(&mut self, msg: Message) -> Result<(), SendError> {
        self.process_events();
        let sent = self.pattern.send(&mut self.pipes, msg);
        self.reap();
        sent
    }

    /// Sends a whole message; every part must be taken.
    fn send(&mut self, parts: &[&[u8]]) {
        if let Err(e) = self.try_send(parts) {
            panic!("send of {parts:?} refused: {}", describe_send(&e));
        }
    }

    /// Sends the parts of a message, stopping at the first one refused.
    fn try_send(&mut self, parts: &[&[u8]]) -> Result<(), SendError> {
        for (i, part) in parts.iter().enumerate() {
            self.send_part(Message::from_slice(part).with_more(i + 1 < parts.len()))?;
        }
        Ok(())
    }

    fn send_to(&mut self, to: Address, body: &[u8]) -> Result<(), SendError> {
        self.process_events();
        let sent = self
            .pattern
            .send_to(&mut self.pipes, &to, Message::from_slice(body));
        self.reap();
        sent
    }

    /// SUB's subscribe, XPUB_MANUAL's apply.
    fn subscribe(&mut self, prefix: &[u8], on: bool) -> Result<(), Error> {
        self.process_events();
        self.pattern.subscribe(&mut self.pipes, prefix, on)
    }

    /// DISH's join (`true`) and leave.
    fn join(&mut self, group: &[u8], join: bool) -> Result<(), Error> {
        self.process_events();
        self.pattern.change_membership(&mut self.pipes, group, join)
    }

    fn recv_part(&mut self) -> Result<Message, RecvError> {
        self.process_events();
        let received = self.pattern.recv(&mut self.pipes);
        self.reap();
        received
    }

    /// The next whole message, `None` when there is none now.
    fn recv(&mut self) -> Option<Parts> {
        let first = match self.recv_part() {
            Ok(part) => part,
            Err(RecvError::WouldBlock) => return None,
            Err(RecvError::Fail(e)) => panic!("recv failed: {e}"),
        };
        let mut more = first.more();
        let mut parts = vec![first.as_slice().to_vec()];
        while more {
            let Ok(part) = self.recv_part() else {
                panic!("a message ended half way: {parts:?}");
            };
            more = part.more();
            parts.push(part.as_slice().to_vec());
        }
        Some(parts)
    }

    fn recv_from(&mut self) -> Option<(Address, Vec<u8>)> {
        self.process_events();
        let received = self.pattern.recv_from(&mut self.pipes);
        self.reap();
        match received {
            Ok((from, msg)) => Some((from, msg.as_slice().to_vec())),
            Err(RecvError::WouldBlock) => None,
            Err(RecvError::Fail(e)) => panic!("recv_from failed: {e}"),
        }
    }

    fn has_in(&mut self) -> bool {
        self.process_events();
        let has = self.pattern.has_in(&mut self.pipes);
        self.reap();
        has
    }

    fn has_out(&mut self) -> bool {
        self.process_events();
        let has = self.pattern.has_out(&mut self.pipes);
        self.reap();
        has
    }
}

fn describe_send(e: &SendError) -> String {
    match e {
        SendError::WouldBlock(_) => "would block".into(),
        SendError::Fail(e) => e.to_string(),
    }
}

fn would_block<T>(outcome: Result<T, SendError>) -> bool {
    matches!(outcome, Err(SendError::WouldBlock(_)))
}

fn failed_with<T>(outcome: Result<T, SendError>, expected: fn(&Error) -> bool) -> bool {
    matches!(outcome, Err(SendError::Fail(ref e)) if expected(e))
}

impl Peer {
    /// Sends a whole message towards the socket.
    fn send(&mut self, parts: &[&[u8]]) {
        for (i, part) in parts.iter().enumerate() {
            let msg = Message::from_slice(part).with_more(i + 1 < parts.len());
            assert!(self.end.send(msg).is_ok(), "the peer's pipe refused a part");
        }
    }

    /// Sends a control message (subscription, join) towards the socket.
    fn send_control(&mut self, msg: Message) {
        self.end.send_control(msg);
    }

    /// The next message part the socket sent, with its kind.
    fn recv_part(&mut self) -> Option<Message> {
        match self.end.read() {
            Read::Message(msg) => Some(msg),
            Read::Empty | Read::Closed => None,
        }
    }

    /// The next whole message the socket sent.
    fn recv(&mut self) -> Option<Parts> {
        let first = self.recv_part()?;
        let mut more = first.more();
        let mut parts = vec![first.as_slice().to_vec()];
        while more {
            let part = self
                .recv_part()
                .expect("parts of a message travel together");
            more = part.more();
            parts.push(part.as_slice().to_vec());
        }
        Some(parts)
    }

    /// Every whole message waiting.
    fn recv_all(&mut self) -> Vec<Parts> {
        std::iter::from_fn(|| self.recv()).collect()
    }

    /// Subscriptions and cancellations (or joins and leaves) the socket sent, in order, as
    /// `(on, prefix)`; other messages are skipped.
    fn control_messages(&mut self) -> Vec<(Kind, Vec<u8>)> {
        std::iter::from_fn(|| self.recv_part())
            .filter(|m| m.kind() != Kind::Data)
            .map(|m| (m.kind(), m.as_slice().to_vec()))
            .collect()
    }
}

/// A message of `parts`, for comparisons.
fn msg(parts: &[&[u8]]) -> Parts {
    parts.iter().map(|p| p.to_vec()).collect()
}
