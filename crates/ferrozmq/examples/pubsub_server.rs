//! The seed's publisher: broadcasts "消息群发" every second to whoever subscribes.
//!
//! `cargo run -p ferrozmq --example pubsub_server`, then `pubsub_client` in one or more
//! other terminals.

use ferrozmq::{Context, PUB};
use std::time::Duration;

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let socket = context.socket(PUB)?;
    socket.bind("tcp://*:5555")?;

    loop {
        println!("发送消息");
        socket.send("消息群发")?;
        std::thread::sleep(Duration::from_secs(1));
    }
}
