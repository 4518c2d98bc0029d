//! The seed's subscriber (its two clients are the same program): prints every broadcast.
//!
//! `cargo run -p ferrozmq --example pubsub_client`, with `pubsub_server` running. Broadcasts
//! sent before the client subscribed are not seen: publish-subscribe keeps nothing for
//! absent subscribers.

use ferrozmq::{Context, SUB};

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let socket = context.socket(SUB)?;
    socket.connect("tcp://localhost:5555")?;
    // The filter (消息过滤): an empty prefix lets every message through.
    socket.subscribe(b"")?;

    loop {
        let response = socket.recv()?;
        println!("response: {}", String::from_utf8_lossy(&response));
    }
}
