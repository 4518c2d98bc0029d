//! PUSH: sends round robin to the PULL peers, blocks when all of them are full (RFC 30).

use crate::patterns::{LoadBalancer, PipeId};
use crate::socket::pattern::{
    can_load_balance, discard_input, load_balance, Pattern, RecvError, SendError,
};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

#[derive(Default)]
pub(crate) struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn attach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.lb.attach(id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.lb.remove(id);
    }

    fn readable(&mut self, pipes: &mut PipeTable, id: PipeId) {
        discard_input(pipes, id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.lb.activate(id);
    }

    fn has_in(&mut self, _pipes: &mut PipeTable) -> bool {
        false
    }

    fn has_out(&mut self, pipes: &mut PipeTable) -> bool {
        can_load_balance(&mut self.lb, pipes)
    }

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        load_balance(&mut self.lb, pipes, msg)
    }

    fn recv(&mut self, _pipes: &mut PipeTable) -> Result<Message, RecvError> {
        Err(RecvError::Fail(Error::NotSupported))
    }
}
