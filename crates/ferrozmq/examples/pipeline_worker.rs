//! The seed's pipeline worker: passes each message from the ventilator on to the sink.
//!
//! `cargo run -p ferrozmq --example pipeline_worker`, with `pipeline_ventilator` and
//! `pipeline_sink` running; start several to share the work. The command
//! `ferrozmq proxy pull '>tcp://127.0.0.1:5557' push '>tcp://127.0.0.1:5558'` does the same
//! without the printing.

use ferrozmq::{Context, PULL, PUSH};

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();

    let receiver = context.socket(PULL)?;
    receiver.connect("tcp://127.0.0.1:5557")?;

    let sender = context.socket(PUSH)?;
    sender.connect("tcp://127.0.0.1:5558")?;

    loop {
        let data = receiver.recv()?;
        println!("正在转发...");
        sender.send(data)?;
    }
}
