//! The seed's pipeline client (the sink): prints every result the workers send.
//!
//! `cargo run -p ferrozmq --example pipeline_sink`, with `pipeline_worker` and
//! `pipeline_ventilator` running.

use ferrozmq::{Context, PULL};

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let socket = context.socket(PULL)?;
    socket.bind("tcp://*:5558")?;

    loop {
        let response = socket.recv()?;
        println!("response: {}", String::from_utf8_lossy(&response));
    }
}
