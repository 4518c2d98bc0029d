//! The seed's pipeline, async under tokio: a ventilator task pushes 100 tasks, three
//! worker tasks pass each one on (as the seed's worker does), and a sink collects them
//! all; the program ends when the last arrives.
//!
//! `cargo run -p ferrozmq --example async_pipeline`

use ferrozmq::{AsyncSocket, Context, PULL, PUSH};

const TASKS: usize = 100;
const WORKERS: usize = 3;

/// Passes every message from `receiver` on to `sender`, until a socket fails.
async fn work(
    id: usize,
    mut receiver: AsyncSocket,
    mut sender: AsyncSocket,
) -> ferrozmq::Result<()> {
    loop {
        let data = receiver.recv().await?;
        println!("worker {id} 正在转发...");
        sender.send(data).await?;
    }
}

#[tokio::main]
async fn main() -> ferrozmq::Result<()> {
    let context = Context::new();

    let mut ventilator = context.socket(PUSH)?.into_async();
    let tasks_endpoint = ventilator.bind("tcp://127.0.0.1:*")?;
    let mut sink = context.socket(PULL)?.into_async();
    let results_endpoint = sink.bind("tcp://127.0.0.1:*")?;

    for id in 0..WORKERS {
        let receiver = context.socket(PULL)?.into_async();
        receiver.connect(&tasks_endpoint)?;
        let sender = context.socket(PUSH)?.into_async();
        sender.connect(&results_endpoint)?;
        tokio::spawn(work(id, receiver, sender));
    }

    // The ventilator may close before its last tasks are out: LINGER (by default, for
    // ever) lets the I/O thread deliver them.
    tokio::spawn(async move {
        for n in 0..TASKS {
            ventilator.send(format!("task {n}")).await?;
        }
        ferrozmq::Result::Ok(())
    });

    for _ in 0..TASKS {
        let result = sink.recv().await?;
        println!("sink 收到: {}", String::from_utf8_lossy(&result));
    }
    println!("all {TASKS} tasks done");
    Ok(())
}
