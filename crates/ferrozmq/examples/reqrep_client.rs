//! The seed's request-reply client: asks "Are you OK?" once and prints the answer.
//!
//! `cargo run -p ferrozmq --example reqrep_client`, with `reqrep_server` running.

use ferrozmq::{Context, REQ};

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let socket = context.socket(REQ)?;
    socket.connect("tcp://localhost:5555")?;

    socket.send("Are you OK?")?;
    let response = socket.recv()?;
    println!("response: {}", String::from_utf8_lossy(&response));
    Ok(())
}
