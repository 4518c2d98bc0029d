//! REQ/REP round-trip latency over tcp loopback, ferrozmq and libzmq side by side,
//! interleaved rounds, reported as one-way latency (round trip / 2) medians.
//!
//! `cargo run --release -p ferrozmq --example compare_latency -- [ROUNDTRIPS] [SIZE] [ROUNDS]`

use std::time::{Duration, Instant};

fn ferrozmq_round(count: usize, size: usize) -> Duration {
    let ctx = ferrozmq::Context::new();
    let rep = ctx.socket(ferrozmq::REP).expect("rep");
    let endpoint = rep.bind("tcp://127.0.0.1:*").expect("bind");
    let client = std::thread::spawn(move || {
        let ctx = ferrozmq::Context::new();
        let req = ctx.socket(ferrozmq::REQ).expect("req");
        req.connect(&endpoint).expect("connect");
        let body = vec![7u8; size];
        req.send(&body[..]).expect("warm-up");
        req.recv().expect("warm-up");
        let start = Instant::now();
        for _ in 0..count {
            req.send(&body[..]).expect("send");
            req.recv().expect("recv");
        }
        start.elapsed()
    });
    for _ in 0..=count {
        let m = rep.recv().expect("recv");
        rep.send(m).expect("send");
    }
    client.join().expect("client")
}

fn libzmq_round(count: usize, size: usize) -> Duration {
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::REP).expect("rep");
    rep.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = rep.get_last_endpoint().expect("endpoint").expect("utf8");
    let client = std::thread::spawn(move || {
        let ctx = zmq::Context::new();
        let req = ctx.socket(zmq::REQ).expect("req");
        req.connect(&endpoint).expect("connect");
        let body = vec![7u8; size];
        req.send(&body[..], 0).expect("warm-up");
        req.recv_msg(0).expect("warm-up");
        let start = Instant::now();
        for _ in 0..count {
            req.send(&body[..], 0).expect("send");
            req.recv_msg(0).expect("recv");
        }
        start.elapsed()
    });
    for _ in 0..=count {
        let m = rep.recv_msg(0).expect("recv");
        rep.send(m, 0).expect("send");
    }
    client.join().expect("client")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("number"));
    let count = args.next().unwrap_or(20_000);
    let size = args.next().unwrap_or(64);
    let rounds = args.next().unwrap_or(5);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let f = ferrozmq_round(count, size).as_secs_f64() * 1e6 / count as f64 / 2.0;
        let l = libzmq_round(count, size).as_secs_f64() * 1e6 / count as f64 / 2.0;
        println!("round {round}: ferrozmq {f:>8.2} us   libzmq {l:>8.2} us (one way)");
        ours.push(f);
        theirs.push(l);
    }
    let (f, l) = (median(ours), median(theirs));
    println!(
        "median one-way latency: ferrozmq {f:.2} us, libzmq {l:.2} us, ratio {:.2}",
        f / l
    );
}
