//! DEALER: sends round robin and receives in turn, with no envelope of its own (RFC 28).

use crate::patterns::{FairQueue, LoadBalancer, PipeId};
use crate::socket::pattern::{
    can_fair_queue, can_load_balance, fair_queue, load_balance, Pattern, PatternOption, RecvError,
    SendError,
};
use crate::socket::pipes::PipeTable;
use crate::Error;
use zmtp::Message;

#[derive(Default)]
pub(crate) struct Dealer {
    pub(super) lb: LoadBalancer,
    pub(super) fq: FairQueue,
    /// PROBE_ROUTER: greet each new peer with an empty message.
    probe: bool,
}

impl Pattern for Dealer {
    fn attach(&mut self, pipes: &mut PipeTable, id: PipeId) {
        if self.probe {
            pipes.end(id).send_control(Message::new());
        }
        self.lb.attach(id);
        self.fq.attach(id);
    }

    fn detach(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.lb.remove(id);
        self.fq.remove(id);
    }

    fn readable(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _pipes: &mut PipeTable, id: PipeId) {
        self.lb.activate(id);
    }

    fn send(&mut self, pipes: &mut PipeTable, msg: Message) -> Result<(), SendError> {
        load_balance(&mut self.lb, pipes, msg)
    }

    fn recv(&mut self, pipes: &mut PipeTable) -> Result<Message, RecvError> {
        fair_queue(&mut self.fq, pipes)
            .map(|(_, msg)| msg)
            .ok_or(RecvError::WouldBlock)
    }

    fn set_option(&mut self, option: PatternOption) -> Result<(), Error> {
        match option {
            PatternOption::ProbeRouter(on) => self.probe = on,
            _ => {
                return Err(Error::InvalidArgument(
                    "this option does not apply to DEALER",
                ))
            }
        }
        Ok(())
    }

    fn has_in(&mut self, pipes: &mut PipeTable) -> bool {
        can_fair_queue(&mut self.fq, pipes)
    }

    fn has_out(&mut self, pipes: &mut PipeTable) -> bool {
        can_load_balance(&mut self.lb, pipes)
    }
}
