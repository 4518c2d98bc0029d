//! A forwarder: publishers connect to its XSUB, subscribers to its XPUB, and the proxy
//! between them passes messages down and subscriptions up, so the publisher still filters
//! for every subscriber however many forwarders stand between them.
//!
//! `cargo run -p ferrozmq --example forwarder_xsub_xpub`

use ferrozmq::{Context, Error, PUB, SUB, XPUB, XSUB};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const TOPICS: [&str; 2] = ["weather", "sport"];
const UPDATES: usize = 3;

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let upstream = context.socket(XSUB)?;
    upstream.bind("inproc://publishers")?;
    let downstream = context.socket(XPUB)?;
    downstream.bind("inproc://subscribers")?;
    let forwarder = thread::spawn(move || ferrozmq::proxy(&upstream, &downstream));

    let subscribers: Vec<_> = TOPICS
        .into_iter()
        .map(|topic| {
            let context = context.clone();
            thread::spawn(move || subscriber(&context, topic))
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let publisher = {
        let (context, done) = (context.clone(), done.clone());
        thread::spawn(move || publisher(&context, &done))
    };

    for subscriber in subscribers {
        subscriber.join().expect("subscriber thread")?;
    }
    done.store(true, Ordering::Relaxed);
    publisher.join().expect("publisher thread")?;
    context.shutdown();
    match forwarder.join().expect("forwarder thread") {
        Err(Error::Terminated) => Ok(()),
        other => other,
    }
}

/// Publishes every topic in turn until the subscribers have what they wanted. It cannot
/// know when a subscriber has joined (that is PUB-SUB), so it simply keeps publishing.
fn publisher(context: &Context, done: &AtomicBool) -> ferrozmq::Result<()> {
    let socket = context.socket(PUB)?;
    socket.connect("inproc://publishers")?;
    let mut n = 0;
    while !done.load(Ordering::Relaxed) && n < 1000 {
        for topic in TOPICS {
            socket.send(format!("{topic} update {n}"))?;
        }
        n += 1;
        thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

fn subscriber(context: &Context, topic: &str) -> ferrozmq::Result<()> {
    let socket = context.socket(SUB)?;
    socket.subscribe(topic.as_bytes())?;
    socket
        .options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))?;
    socket.connect("inproc://subscribers")?;
    for _ in 0..UPDATES {
        let update = socket.recv()?;
        println!(
            "{topic} subscriber got: {}",
            update.as_str().unwrap_or_default()
        );
    }
    Ok(())
}
