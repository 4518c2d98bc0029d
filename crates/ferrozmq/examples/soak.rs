//! A mixed-pattern soak: REQ/REP, PUB/SUB, PUSH/PULL and ROUTER/DEALER, each over tcp and
//! ipc, all at once in one process, with the client side of every pair replaced every few
//! seconds (connection churn). Every few seconds it prints a sample of resident memory, open
//! descriptors, threads and messages moved; at the end it fails if memory or descriptors
//! kept growing.
//!
//! ```text
//! cargo run --release -p ferrozmq --example soak -- --seconds 600 --every 5
//! ```
//!
//! `scripts/soak.sh MINUTES` builds and runs it and keeps the log.
//!
//! "Kept growing" compares the second quarter of the run (after warm-up) with the last
//! quarter: the last quarter's median may exceed the second quarter's by at most 10 % plus
//! 4 MiB of memory, and by at most 4 descriptors. A leak of even a few bytes per message or
//! one descriptor per reconnection shows up over ten minutes; allocator noise does not.

use ferrozmq::{Context, Socket, SocketType, DEALER, PUB, PULL, PUSH, REP, REQ, ROUTER, SUB};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a client socket lives before it is closed and replaced.
const CHURN: Duration = Duration::from_secs(3);
/// Bounds every blocking call, so that the stop flag is seen promptly.
const TIMEOUT: Duration = Duration::from_millis(200);

struct Options {
    seconds: u64,
    every: u64,
}

fn options() -> Options {
    let mut options = Options {
        seconds: 60,
        every: 5,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse().ok());
        match (pair[0].as_str(), value) {
            ("--seconds", Some(v)) => options.seconds = v,
            ("--every", Some(v)) => options.every = v.max(1),
            _ => {
                eprintln!("usage: soak [--seconds N] [--every SECONDS_BETWEEN_SAMPLES]");
                std::process::exit(2);
            }
        }
    }
    options
}

/// Shared by every worker: the stop flag and the count of messages delivered.
#[derive(Clone)]
struct Run {
    stop: Arc<AtomicBool>,
    moved: Arc<AtomicU64>,
}

impl Run {
    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.moved.fetch_add(1, Ordering::Relaxed);
    }
}

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
    s.options().set_sndtimeo(Some(TIMEOUT)).expect("sndtimeo");
    s.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    s
}

/// Binds `kind` on a fresh endpoint of `transport`; returns it with the endpoint to connect to.
fn bound(ctx: &Context, kind: SocketType, transport: &str, name: &str) -> (Socket, String) {
    let s = socket(ctx, kind);
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_string(),
        _ => {
            let path = std::env::temp_dir()
                .join(format!("ferrozmq-soak-{}-{name}.sock", std::process::id()));
            let _ = std::fs::remove_file(&path);
            format!("ipc://{}", path.display())
        }
    };
    let endpoint = s.bind(&endpoint).expect("bind");
    (s, endpoint)
}

/// A payload that is sometimes empty, usually small and now and then large (shared, not
/// copied, on its way to the kernel).
fn payload(n: u64) -> Vec<u8> {
    let len = match n % 100 {
        0 => 0,
        1 => 64 * 1024,
        2..=9 => 1024,
        _ => 32,
    };
    vec![(n % 251) as u8; len]
}

/// Runs `session` with a fresh client socket of `kind` connected to `endpoint`, replacing
/// the socket every [`CHURN`], until the run stops.
fn churning_client(
    ctx: Context,
    kind: SocketType,
    endpoint: String,
    run: Run,
    session: impl Fn(&Socket, &Run, &mut u64) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut n = 0;
        while run.running() {
            let client = socket(&ctx, kind);
            if kind == SUB {
                client.subscribe(b"").expect("subscribe");
            }
            client.connect(&endpoint).expect("connect");
            let until = Instant::now() + CHURN;
            while run.running() && Instant::now() < until {
                session(&client, &run, &mut n);
            }
        }
    })
}

fn start(ctx: &Context, transport: &'static str, run: &Run) -> Vec<JoinHandle<()>> {
    let mut workers = Vec::new();

    // REQ/REP: a reply for every request; a lost reply (a REQ replaced mid-request) only
    // costs that REQ.
    let (rep, endpoint) = bound(ctx, REP, transport, "rep");
    let r = run.clone();
    workers.push(std::thread::spawn(move || {
        while r.running() {
            if let Ok(request) = rep.recv() {
                let _ = rep.send(request);
            }
        }
    }));
    workers.push(churning_client(
        ctx.clone(),
        REQ,
        endpoint,
        run.clone(),
        |req, run, n| {
            *n += 1;
            if req.send(payload(*n)).is_ok() && req.recv().is_ok() {
                run.count();
            }
        },
    ));

    // PUB/SUB: the publisher never waits; subscribers come and go.
    let (publisher, endpoint) = bound(ctx, PUB, transport, "pub");
    let r = run.clone();
    workers.push(std::thread::spawn(move || {
        let mut n = 0;
        while r.running() {
            n += 1;
            let _ = publisher.send(payload(n));
            if n % 64 == 0 {
                // Leaves the subscribers time to keep up most of the time.
                std::thread::sleep(Duration::from_micros(500));
            }
        }
    }));
    workers.push(churning_client(
        ctx.clone(),
        SUB,
        endpoint,
        run.clone(),
        |sub, run, _| {
            if sub.recv().is_ok() {
                run.count();
            }
        },
    ));

    // PUSH/PULL: the pushers are the churning side, as in a pool of producers.
    let (pull, endpoint) = bound(ctx, PULL, transport, "pull");
    let r = run.clone();
    workers.push(std::thread::spawn(move || {
        while r.running() {
            if pull.recv().is_ok() {
                r.count();
            }
        }
    }));
    workers.push(churning_client(
        ctx.clone(),
        PUSH,
        endpoint,
        run.clone(),
        |push, _, n| {
            *n += 1;
            let _ = push.send(payload(*n));
        },
    ));

    // ROUTER/DEALER: the ROUTER echoes to whoever asked, with multipart messages.
    let (router, endpoint) = bound(ctx, ROUTER, transport, "router");
    let r = run.clone();
    workers.push(std::thread::spawn(move || {
        while r.running() {
            if let Ok(parts) = router.recv_multipart() {
                let _ = router.send_multipart(parts);
            }
        }
    }));
    workers.push(churning_client(
        ctx.clone(),
        DEALER,
        endpoint,
        run.clone(),
        |dealer, run, n| {
            *n += 1;
            let body = payload(*n);
            if dealer.send_multipart([&b"head"[..], &body[..]]).is_ok()
                && dealer.recv_multipart().is_ok()
            {
                run.count();
            }
        },
    ));
    workers
}

fn count_dir(dir: &str) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| d.count() as u64)
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[derive(Clone, Copy)]
struct Sample {
    seconds: u64,
    rss_kib: u64,
    fds: u64,
    threads: u64,
    moved: u64,
}

fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// Whether a resource kept growing: last quarter against second quarter (see the module
/// documentation). Returns the two medians and the verdict.
fn grew(
    samples: &[Sample],
    field: fn(&Sample) -> u64,
    slack: impl Fn(u64) -> u64,
) -> (u64, u64, bool) {
    let q = samples.len() / 4;
    let early = median(samples[q..2 * q].iter().map(field).collect());
    let late = median(samples[samples.len() - q..].iter().map(field).collect());
    (early, late, late > early + slack(early))
}

fn main() {
    let options = options();
    let ctx = Context::new();
    let run = Run {
        stop: Arc::new(AtomicBool::new(false)),
        moved: Arc::new(AtomicU64::new(0)),
    };
    let mut workers = start(&ctx, "tcp", &run);
    workers.extend(start(&ctx, "ipc", &run));
    println!(
        "soak: REQ/REP, PUB/SUB, PUSH/PULL, ROUTER/DEALER over tcp and ipc for {} s, a sample every {} s",
        options.seconds, options.every
    );
    println!(
        "{:>8} {:>10} {:>6} {:>8} {:>14} {:>12}",
        "seconds", "rss_kib", "fds", "threads", "messages", "per_second"
    );
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut last = (Duration::ZERO, 0);
    let mut next = started;
    while started.elapsed() < Duration::from_secs(options.seconds) {
        next += Duration::from_secs(options.every);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let now = started.elapsed();
        let sample = Sample {
            seconds: now.as_secs(),
            rss_kib: rss_kib(),
            fds: count_dir("/proc/self/fd"),
            threads: count_dir("/proc/self/task"),
            moved: run.moved.load(Ordering::Relaxed),
        };
        println!(
            "{:>8} {:>10} {:>6} {:>8} {:>14} {:>12}",
            sample.seconds,
            sample.rss_kib,
            sample.fds,
            sample.threads,
            sample.moved,
            // Over the time that really passed: a busy machine may delay a sample.
            ((sample.moved - last.1) as f64 / (now - last.0).as_secs_f64().max(1e-3)) as u64
        );
        last = (now, sample.moved);
        samples.push(sample);
    }
    run.stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    let (first, last) = (samples.first().copied(), samples.last().copied());
    let (Some(first), Some(last)) = (first, last) else {
        eprintln!("soak: too short for a single sample");
        std::process::exit(2);
    };
    println!(
        "summary: {} samples over {} s; rss {} -> {} KiB (min {}, max {}); fds {} -> {} (max {}); threads {} -> {}; {} messages ({}/s)",
        samples.len(),
        last.seconds,
        first.rss_kib,
        last.rss_kib,
        samples.iter().map(|s| s.rss_kib).min().unwrap_or(0),
        samples.iter().map(|s| s.rss_kib).max().unwrap_or(0),
        first.fds,
        last.fds,
        samples.iter().map(|s| s.fds).max().unwrap_or(0),
        first.threads,
        last.threads,
        last.moved,
        last.moved / last.seconds.max(1)
    );
    if samples.len() < 8 {
        println!("verdict: too few samples to judge growth (need 8)");
        return;
    }
    let (rss_early, rss_late, rss_grew) = grew(&samples, |s| s.rss_kib, |early| early / 10 + 4096);
    let (fds_early, fds_late, fds_grew) = grew(&samples, |s| s.fds, |_| 4);
    println!(
        "verdict: rss median {rss_early} -> {rss_late} KiB{}, fds median {fds_early} -> {fds_late}{}",
        if rss_grew { " GROWING" } else { " steady" },
        if fds_grew { " GROWING" } else { " steady" }
    );
    if rss_grew || fds_grew {
        std::process::exit(1);
    }
}
