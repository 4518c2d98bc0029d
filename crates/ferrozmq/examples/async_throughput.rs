//! PUSH→PULL throughput over tcp loopback, the async API against the blocking API in one
//! run, interleaved, as medians. Both use two threads, a sender and a receiver: blocking
//! calls in one case, a tokio current-thread runtime on each thread in the other; a third
//! figure runs both async ends as tasks of one tokio multi-thread runtime.
//!
//! `cargo run --release -p ferrozmq --example async_throughput -- [MESSAGES] [SIZE] [ROUNDS]`

use ferrozmq::{Context, PULL, PUSH};
use std::time::{Duration, Instant};

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

/// A bound PULL and the endpoint to connect to.
fn bound_pull(ctx: &Context) -> (ferrozmq::Socket, String) {
    let pull = ctx.socket(PULL).expect("pull");
    let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
    (pull, endpoint)
}

fn blocking_round(count: usize, size: usize) -> Duration {
    let ctx = Context::new();
    let (pull, endpoint) = bound_pull(&ctx);
    let sender = std::thread::spawn(move || {
        let ctx = Context::new();
        let push = ctx.socket(PUSH).expect("push");
        push.connect(&endpoint).expect("connect");
        let body = vec![7u8; size];
        for _ in 0..count {
            push.send(&body[..]).expect("send");
        }
    });
    pull.recv().expect("first");
    let start = Instant::now();
    for _ in 1..count {
        pull.recv().expect("recv");
    }
    let elapsed = start.elapsed();
    sender.join().expect("sender");
    elapsed
}

/// Sends `count` messages of `size` bytes from an async PUSH.
async fn send_all(endpoint: String, count: usize, size: usize) {
    let ctx = Context::new();
    let mut push = ctx.socket(PUSH).expect("push").into_async();
    push.connect(&endpoint).expect("connect");
    let body = vec![7u8; size];
    for _ in 0..count {
        push.send(&body[..]).await.expect("send");
    }
}

/// Receives `count` messages on an async PULL; the time from the first to the last.
async fn receive_all(pull: ferrozmq::Socket, count: usize) -> Duration {
    let mut pull = pull.into_async();
    pull.recv().await.expect("first");
    let start = Instant::now();
    for _ in 1..count {
        pull.recv().await.expect("recv");
    }
    start.elapsed()
}

fn async_round_two_threads(count: usize, size: usize) -> Duration {
    let ctx = Context::new();
    let (pull, endpoint) = bound_pull(&ctx);
    let sender = std::thread::spawn(move || {
        current_thread_runtime().block_on(send_all(endpoint, count, size));
    });
    let elapsed = current_thread_runtime().block_on(receive_all(pull, count));
    sender.join().expect("sender");
    elapsed
}

fn async_round_multi_thread(count: usize, size: usize) -> Duration {
    let ctx = Context::new();
    let (pull, endpoint) = bound_pull(&ctx);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let sender = tokio::spawn(send_all(endpoint, count, size));
        let elapsed = tokio::spawn(receive_all(pull, count))
            .await
            .expect("receiver");
        sender.await.expect("sender");
        elapsed
    })
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(|a, b| a.total_cmp(b));
    rates[rates.len() / 2]
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a number"));
    let count = args.next().unwrap_or(2_000_000);
    let size = args.next().unwrap_or(64);
    let rounds = args.next().unwrap_or(5);
    let rate = |elapsed: Duration| (count - 1) as f64 / elapsed.as_secs_f64();
    let (mut blocking, mut two_threads, mut multi) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let b = rate(blocking_round(count, size));
        let a = rate(async_round_two_threads(count, size));
        let m = rate(async_round_multi_thread(count, size));
        println!(
            "round {round}: blocking {b:>11.0} msg/s   async {a:>11.0} msg/s   \
             async multi-thread {m:>11.0} msg/s"
        );
        blocking.push(b);
        two_threads.push(a);
        multi.push(m);
    }
    let (b, a, m) = (median(blocking), median(two_threads), median(multi));
    println!(
        "median, {size} B messages: blocking {b:.0} msg/s, async {a:.0} msg/s (ratio {:.2}), \
         async multi-thread {m:.0} msg/s (ratio {:.2})",
        a / b,
        m / b
    );
}
