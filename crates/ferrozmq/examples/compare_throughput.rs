//! PUSH→PULL throughput over tcp loopback (or inproc), ferrozmq and libzmq (the `zmq` crate)
//! side by side in one run, interleaved, as medians. A quick probe for profiling; the full
//! comparison is `ferrozmq bench compare`.
//!
//! `cargo run --release -p ferrozmq --example compare_throughput -- [MESSAGES] [SIZE] [ROUNDS] [tcp|inproc]`

use std::time::{Duration, Instant};

fn ferrozmq_round(count: usize, size: usize, inproc: bool) -> Duration {
    let ctx = ferrozmq::Context::new();
    let pull = ctx.socket(ferrozmq::PULL).expect("pull");
    let endpoint = pull.bind(bind_endpoint(inproc)).expect("bind");
    let shared = ctx.clone();
    let sender = std::thread::spawn(move || {
        // inproc needs one context; tcp gets one per side, like two processes.
        let ctx = if inproc {
            shared
        } else {
            ferrozmq::Context::new()
        };
        let push = ctx.socket(ferrozmq::PUSH).expect("push");
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

fn libzmq_round(count: usize, size: usize, inproc: bool) -> Duration {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL).expect("pull");
    pull.bind(bind_endpoint(inproc)).expect("bind");
    let endpoint = pull.get_last_endpoint().expect("endpoint").expect("utf8");
    let shared = ctx.clone();
    let sender = std::thread::spawn(move || {
        // inproc needs one context; tcp gets one per side, like two processes.
        let ctx = if inproc { shared } else { zmq::Context::new() };
        let push = ctx.socket(zmq::PUSH).expect("push");
        push.connect(&endpoint).expect("connect");
        let body = vec![7u8; size];
        for _ in 0..count {
            push.send(&body[..], 0).expect("send");
        }
    });
    pull.recv_msg(0).expect("first");
    let start = Instant::now();
    for _ in 1..count {
        pull.recv_msg(0).expect("recv");
    }
    let elapsed = start.elapsed();
    sender.join().expect("sender");
    elapsed
}

fn bind_endpoint(inproc: bool) -> &'static str {
    if inproc {
        "inproc://compare-throughput"
    } else {
        "tcp://127.0.0.1:*"
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let inproc = raw.get(3).is_some_and(|t| t == "inproc");
    let mut args = raw
        .iter()
        .take(3)
        .map(|a| a.parse::<usize>().expect("number"));
    let count = args.next().unwrap_or(2_000_000);
    let size = args.next().unwrap_or(64);
    let rounds = args.next().unwrap_or(5);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let f = (count - 1) as f64 / ferrozmq_round(count, size, inproc).as_secs_f64();
        let l = (count - 1) as f64 / libzmq_round(count, size, inproc).as_secs_f64();
        println!("round {round}: ferrozmq {f:>12.0} msg/s   libzmq {l:>12.0} msg/s");
        ours.push(f);
        theirs.push(l);
    }
    let (f, l) = (median(ours), median(theirs));
    println!(
        "median: ferrozmq {f:.0} msg/s, libzmq {l:.0} msg/s, ratio {:.2}",
        f / l
    );
}
