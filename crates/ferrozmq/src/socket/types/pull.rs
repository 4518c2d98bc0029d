//! PULL: receives from the PUSH peers in turn (RFC 30).

use crate::patterns::{FairQueue, PipeId};
use crate::socket::pattern::{can_fair_queue, fair_queue, Pattern, RecvError, SendError};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

#[derive(Default)]
pub(crate) struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
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
        can_fair_queue(&mut self.fq, pipes)
    }

    fn has_out(&mut self, _pipes: &mut PipeTable) -> bool {
        false
    }

    fn send(&mut self, _pipes: &mut PipeTable, _msg: Message) -> Result<(), SendError> {
        Err(SendError::Fail(Error::NotSupported))
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        fair_queue(&mut self.fq, pipes)
            .map(|(_, msg)| msg)
            .ok_or(RecvError::WouldBlock)
    }
}
