//! The seed's publish-subscribe pair, async under tokio: a publisher task broadcasts
//! "消息群发" every 100 ms over tcp, and two subscriber tasks print what they receive;
//! the program ends once each has received five messages.
//!
//! `cargo run -p ferrozmq --example async_pubsub`

use ferrozmq::{AsyncSocket, Context, PUB, SUB};
use std::time::Duration;

/// Publishes for ever, every 100 ms.
async fn publish(mut publisher: AsyncSocket) -> ferrozmq::Result<()> {
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    loop {
        ticks.tick().await;
        println!("发送消息");
        publisher.send("消息群发").await?;
    }
}

/// Receives and prints five messages.
async fn subscribe(name: &str, mut subscriber: AsyncSocket) -> ferrozmq::Result<()> {
    for _ in 0..5 {
        let message = subscriber.recv().await?;
        println!("{name} 收到消息: {}", String::from_utf8_lossy(&message));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ferrozmq::Result<()> {
    let context = Context::new();

    let publisher = context.socket(PUB)?.into_async();
    let endpoint = publisher.bind("tcp://127.0.0.1:*")?;

    let mut subscribers = Vec::new();
    for name in ["subscriber 1", "subscriber 2"] {
        let subscriber = context.socket(SUB)?.into_async();
        subscriber.subscribe(b"")?;
        subscriber.connect(&endpoint)?;
        subscribers.push(tokio::spawn(subscribe(name, subscriber)));
    }
    // Messages published before a subscriber's connection is up are not for it: publishing
    // goes on until both have had their five.
    let publisher = tokio::spawn(publish(publisher));
    for subscriber in subscribers {
        subscriber.await.expect("subscriber task")?;
    }
    publisher.abort();
    Ok(())
}
