//! How the cost of a wait grows with the number of registered sockets when one is ready:
//! `Poller` looks at what is ready, `poll` at every item.
//!
//! Two measures per size, both with inproc PULL sockets and one message at a time:
//! * *same thread*: the message is sent, then the wait is timed. No thread wakes, so this
//!   is the poller's own bookkeeping.
//! * *round trip*: another thread sends on request and the waiter sleeps until the message
//!   arrives, so this adds two thread wake-ups.
//!
//! ```text
//! cargo run --release --example poller_scale
//! ```

use ferrozmq::{Context, PollItem, Poller, Result, Socket, POLLIN, PULL, PUSH};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const SIZES: [usize; 3] = [1, 100, 1000];
const SAME_THREAD_WAITS: u32 = 20_000;
const ROUND_TRIPS: u32 = 2_000;

/// `n` bound PULL sockets and a PUSH connected to each.
fn sockets(ctx: &Context, n: usize) -> Result<(Vec<Socket>, Vec<Socket>)> {
    let mut pulls = Vec::with_capacity(n);
    let mut pushes = Vec::with_capacity(n);
    for i in 0..n {
        let endpoint = format!("inproc://poller-scale-{n}-{i}");
        let pull = ctx.socket(PULL)?;
        pull.options().set_linger(Some(Duration::ZERO))?;
        pull.bind(&endpoint)?;
        let push = ctx.socket(PUSH)?;
        push.options().set_linger(Some(Duration::ZERO))?;
        push.connect(&endpoint)?;
        pulls.push(pull);
        pushes.push(push);
    }
    Ok((pulls, pushes))
}

/// Which socket gets the `i`th message: spread over all of them.
fn pick(i: u32, n: usize) -> usize {
    (i as usize * 7919) % n
}

/// How a benchmark waits until the `expected` socket is readable.
trait Waiter {
    fn wait_for(&mut self, expected: usize) -> Result<()>;
}

struct WithPoller<'a> {
    poller: Poller<&'a Socket>,
    events: Vec<ferrozmq::PollerEvent>,
}

impl<'a> WithPoller<'a> {
    fn new(pulls: &'a [Socket]) -> Result<Self> {
        let mut poller = Poller::new();
        for (token, pull) in pulls.iter().enumerate() {
            poller.add(pull, POLLIN, token)?;
        }
        Ok(WithPoller {
            poller,
            events: Vec::new(),
        })
    }
}

impl Waiter for WithPoller<'_> {
    fn wait_for(&mut self, expected: usize) -> Result<()> {
        self.poller.wait(&mut self.events, None)?;
        assert_eq!(self.events.len(), 1);
        assert_eq!(self.events[0].token(), expected);
        Ok(())
    }
}

struct WithPoll<'a> {
    items: Vec<PollItem<'a>>,
}

impl Waiter for WithPoll<'_> {
    fn wait_for(&mut self, expected: usize) -> Result<()> {
        assert_eq!(ferrozmq::poll(&mut self.items, None)?, 1);
        assert!(self.items[expected].is_readable());
        Ok(())
    }
}

/// Mean time of a wait that finds one message already sent.
fn same_thread(pulls: &[Socket], pushes: &[Socket], waiter: &mut dyn Waiter) -> Result<Duration> {
    let n = pulls.len();
    let mut total = Duration::ZERO;
    for i in 0..SAME_THREAD_WAITS {
        let k = pick(i, n);
        pushes[k].send("x")?;
        let start = Instant::now();
        waiter.wait_for(k)?;
        total += start.elapsed();
        pulls[k].recv()?;
    }
    Ok(total / SAME_THREAD_WAITS)
}

/// Mean time from asking another thread to send to having waited for the message. The
/// sending sockets go to that thread and come back.
fn round_trip(
    pulls: &[Socket],
    pushes: Vec<Socket>,
    waiter: &mut dyn Waiter,
) -> Result<(Duration, Vec<Socket>)> {
    let n = pulls.len();
    let (ask, asked) = mpsc::channel::<usize>();
    let sender = thread::spawn(move || -> Result<Vec<Socket>> {
        for k in asked {
            pushes[k].send("x")?;
        }
        Ok(pushes)
    });
    let start = Instant::now();
    for i in 0..ROUND_TRIPS {
        let k = pick(i, n);
        // Fails only if the sender died, which its join below reports.
        let _ = ask.send(k);
        waiter.wait_for(k)?;
        pulls[k].recv()?;
    }
    let elapsed = start.elapsed();
    drop(ask);
    let pushes = sender.join().expect("the sender thread panicked")?;
    Ok((elapsed / ROUND_TRIPS, pushes))
}

fn micros(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

fn main() -> Result<()> {
    println!(
        "{:>8} | {:>14} | {:>14} | {:>14} | {:>14}",
        "sockets", "Poller", "poll", "Poller", "poll"
    );
    println!(
        "{:>8} | {:>14} | {:>14} | {:>14} | {:>14}",
        "", "same thread", "same thread", "round trip", "round trip"
    );
    println!("{}", "-".repeat(8 + 4 * 17));
    for n in SIZES {
        let ctx = Context::new();
        let (pulls, pushes) = sockets(&ctx, n)?;
        let poller_same = same_thread(&pulls, &pushes, &mut WithPoller::new(&pulls)?)?;
        let mut with_poll = WithPoll {
            items: pulls.iter().map(|s| s.as_poll_item(POLLIN)).collect(),
        };
        let poll_same = same_thread(&pulls, &pushes, &mut with_poll)?;

        let (poller_trip, pushes) = round_trip(&pulls, pushes, &mut WithPoller::new(&pulls)?)?;
        let (poll_trip, _pushes) = round_trip(&pulls, pushes, &mut with_poll)?;
        println!(
            "{:>8} | {:>14} | {:>14} | {:>14} | {:>14}",
            n,
            micros(poller_same),
            micros(poll_same),
            micros(poller_trip),
            micros(poll_trip)
        );
    }
    Ok(())
}
