//! The seed's request-reply server: prints every request and answers "I am OK!".
//!
//! `cargo run -p ferrozmq --example reqrep_server`, then `reqrep_client` in another
//! terminal.

use ferrozmq::{Context, REP};

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let socket = context.socket(REP)?;
    socket.bind("tcp://*:5555")?;

    loop {
        let message = socket.recv()?;
        println!("Received: {}", String::from_utf8_lossy(&message));
        socket.send("I am OK!")?;
    }
}
