//! What the reactor asks of the handlers it drives (sessions, raw STREAM connections, udp
//! sockets), and what a handler may ask of the reactor while it runs: the contract between
//! the I/O thread's loop and the pumps, in one place so that neither side's file is needed
//! to read the other's.

use super::timers::Timers;
use super::{IoThread, Owner};
use crate::pipe::PipeEvent;
use mio::Registry;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// What the reactor does with a handler after an event.
pub(super) enum Step {
    Keep,
    Remove,
}

/// What the poller said about a descriptor.
#[derive(Clone, Copy, Debug)]
pub(super) struct Readiness {
    /// Bytes (or an end of stream, or an error) wait to be read.
    pub(super) readable: bool,
    /// The descriptor takes writes (or has failed).
    pub(super) writable: bool,
    /// The peer shut its side down or the descriptor failed: reading until "would block"
    /// is the only way to see it, since no further event will say so.
    pub(super) hung_up: bool,
}

impl Readiness {
    /// Another turn for a handler whose budget ran out: try both ways.
    pub(super) const AGAIN: Readiness = Readiness {
        readable: true,
        writable: true,
        hung_up: false,
    };
}

/// A handler that moves messages between a socket's pipe and the network: a ZMTP
/// [`Session`](super::session::Session) over a byte stream, or a udp
/// [`Datagram`](super::datagram::Datagram) socket. The reactor calls it for
/// every event on its descriptor, its pipe and its timers, and drops it on [`Step::Remove`].
pub(super) trait MessagePump {
    /// The socket and endpoint served.
    fn owner(&self) -> &Owner;
    /// Readiness of the descriptor (or [`Readiness::AGAIN`], after a budget ran out).
    fn on_ready(&mut self, readiness: Readiness, ctx: &mut Ctx<'_>) -> Step;
    /// An event on the pipe.
    fn on_pipe(&mut self, event: PipeEvent, ctx: &mut Ctx<'_>) -> Step;
    /// The socket closed or dropped this endpoint.
    fn on_close(&mut self, ctx: &mut Ctx<'_>) -> Step;
    /// A time asked for with [`Ctx::wake_at`] came (or passed).
    fn on_timer(&mut self, now: Instant, ctx: &mut Ctx<'_>) -> Step;
    /// The reactor drops the handler: release the descriptor.
    fn shutdown(&mut self, registry: &Registry);
}

/// What a session may ask of the reactor while it runs.
pub(super) struct Ctx<'a> {
    pub(super) registry: &'a Registry,
    pub(super) io: &'a Arc<IoThread>,
    pub(super) token: u64,
    pub(super) timers: &'a mut Timers,
    pub(super) runnable: &'a mut VecDeque<u64>,
}

impl Ctx<'_> {
    /// Calls the handler back at `when` (it checks its own deadlines then).
    pub(super) fn wake_at(&mut self, when: Instant) {
        self.timers.arm(self.token, when);
    }

    /// Runs the handler again after the other ready handlers had their turn.
    pub(super) fn run_again(&mut self) {
        self.runnable.push_back(self.token);
    }
}
