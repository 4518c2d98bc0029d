//! The wire monitor feeds of one context share one thread. A file of its own: it counts the
//! process's threads, which tests running beside it in one process would disturb.

use ferrozmq::{Context, EventKind, Socket, WireEvent, PAIR, PULL};
use std::time::{Duration, Instant};

/// How many threads of the process are named `ferrozmq-monitor` (the kernel keeps 15 bytes
/// of a thread's name; a new thread names itself once it runs).
fn feed_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| "ferrozmq-monitor".starts_with(name.trim_end()))
        .count()
}

/// Waits until `done` holds, for up to five seconds.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

fn next(reader: &Socket) -> WireEvent {
    WireEvent::recv(reader).expect("a monitor event within the timeout")
}

#[test]
fn fifty_feeds_of_one_context_share_one_thread_and_each_gets_its_own_events() {
    const FEEDS: usize = 50;
    assert_eq!(feed_threads(), 0);
    let ctx = Context::new();
    let feeds: Vec<(Socket, Socket)> = (0..FEEDS)
        .map(|i| {
            let watched = ctx.socket(PULL).unwrap();
            let endpoint = format!("inproc://feed-thread-{i}");
            watched
                .monitor_to(
                    Some(&endpoint),
                    EventKind::Listening | EventKind::Closed | EventKind::MonitorStopped,
                )
                .unwrap();
            let reader = ctx.socket(PAIR).unwrap();
            reader
                .options()
                .set_rcvtimeo(Some(Duration::from_secs(5)))
                .unwrap();
            reader.connect(&endpoint).unwrap();
            (watched, reader)
        })
        .collect();
    // A new thread names itself once it runs.
    assert!(
        eventually(|| feed_threads() == 1),
        "{} threads serve the feeds",
        feed_threads()
    );

    let bound: Vec<String> = feeds
        .iter()
        .map(|(watched, _)| watched.bind("tcp://127.0.0.1:*").unwrap())
        .collect();
    for ((_, reader), endpoint) in feeds.iter().zip(&bound) {
        let event = next(reader);
        assert_eq!(
            (event.kind, &event.endpoint),
            (EventKind::Listening, endpoint)
        );
    }
    assert_eq!(feed_threads(), 1);

    for ((watched, reader), endpoint) in feeds.into_iter().zip(&bound) {
        drop(watched);
        let closed = next(&reader);
        assert_eq!(
            (closed.kind, &closed.endpoint),
            (EventKind::Closed, endpoint)
        );
        assert_eq!(next(&reader).kind, EventKind::MonitorStopped);
    }
    // With no feed left, the thread ends.
    assert!(
        eventually(|| feed_threads() == 0),
        "the feed thread lingers"
    );
    // And the next feed starts one again.
    let watched = ctx.socket(PULL).unwrap();
    watched
        .monitor_to(Some("inproc://feed-thread-again"), EventKind::Closed.into())
        .unwrap();
    assert!(eventually(|| feed_threads() == 1), "no feed thread");
    drop(watched);
    assert!(
        eventually(|| feed_threads() == 0),
        "the feed thread lingers"
    );
}
