//! The seed's pipeline server (the ventilator): pushes "测试消息" every second.
//!
//! Start `pipeline_sink`, `pipeline_worker` and this, each with
//! `cargo run -p ferrozmq --example NAME`, in any order: the connecting sides keep trying
//! until their peer binds, and the ventilator's first send waits for a worker.

use ferrozmq::{Context, PUSH};
use std::time::Duration;

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let socket = context.socket(PUSH)?;
    socket.bind("tcp://*:5557")?;

    loop {
        socket.send("测试消息")?;
        println!("已发送");
        std::thread::sleep(Duration::from_secs(1));
    }
}
