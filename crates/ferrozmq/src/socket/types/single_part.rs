//! The thread-safe types that are a classic type restricted to single-part messages
//! (RFC 37, "Thread-Safe Socket Types"): CLIENT is a DEALER, SCATTER a PUSH, GATHER a PULL,
//! CHANNEL a PAIR. Sending a multipart message is refused; multipart messages received from
//! the wire are dropped whole.

use crate::patterns::PipeId;
use crate::socket::pattern::{Pattern, PatternOption, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

pub(crate) struct SinglePart<P> {
    inner: P,
    /// A single-part message read ahead to answer [`Pattern::has_in`].
    prefetched: Option<Message>,
}

impl<P: Default> Default for SinglePart<P> {
    fn default() -> Self {
        SinglePart {
            inner: P::default(),
            prefetched: None,
        }
    }
}

impl<P: Pattern> SinglePart<P> {
    fn next_message(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        if let Some(msg) = self.prefetched.take() {
            return Ok(msg);
        }
        loop {
            let msg = self.inner.recv(pipes)?;
            if !msg.more() {
                return Ok(msg);
            }
            // The rest of a multipart message is already here: parts travel together.
            let mut more = true;
            while more {
                more = self.inner.recv(pipes)?.more();
            }
        }
    }
}

impl<P: Pattern> Pattern for SinglePart<P> {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.inner.attach(pipes, id);
    }

    fn detach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.inner.detach(pipes, id);
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.inner.readable(pipes, id);
    }

    fn writable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        self.inner.writable(pipes, id);
    }

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        if msg.more() {
            return Err(SendError::Fail(Error::InvalidArgument(
                "this socket type sends single-part messages only",
            )));
        }
        self.inner.send(pipes, msg)
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        self.next_message(pipes)
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        if self.prefetched.is_none() {
            self.prefetched = self.next_message(pipes).ok();
        }
        self.prefetched.is_some()
    }

    fn has_out(&mut self, pipes: &mut PipeTable) -> bool {
        self.inner.has_out(pipes)
    }

    fn set_option(&mut self, option: PatternOption) -> Result<(), Error> {
        self.inner.set_option(option)
    }
}
