//! Cancel safety: futures dropped at every point where they were pending lose no message
//! and duplicate none. Every message carries a sequence number, checked exactly once and in
//! order at the other end.

#[macro_use]
mod async_support;

use async_support::{bind_tcp, seq, seq_of, socket, yield_now, Runtime, TIMEOUT};
use ferrozmq::{proxy_async, AsyncSocket, Context, Socket, PULL, PUSH};
use futures::future::poll_immediate;
use futures::SinkExt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Messages received in each receive test.
const COUNT: u32 = 10_000;
/// Messages sent in each test that sends through a high-water mark of 1, where every
/// message waits for the one before it.
const LOCKSTEP_COUNT: u32 = 5_000;

on_every_runtime!(
    receives_dropped_whenever_pending_lose_and_duplicate_nothing,
    sends_dropped_whenever_pending_at_a_high_water_mark_of_1_send_each_message_once,
    a_proxy_dropped_whenever_pending_loses_nothing,
);

/// A blocking socket bounded by [`TIMEOUT`], for the thread at the other end.
fn blocking(ctx: &Context, kind: ferrozmq::SocketType) -> Socket {
    let socket = ctx.socket(kind).expect("socket");
    socket
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    socket
        .options()
        .set_rcvtimeo(Some(TIMEOUT))
        .expect("rcvtimeo");
    socket
        .options()
        .set_sndtimeo(Some(TIMEOUT))
        .expect("sndtimeo");
    socket
}

/// A thread that sends `COUNT` two-part messages, numbered, to `endpoint`, now and then
/// pausing so that the receiver runs dry and has to wait.
fn numbered_sender(endpoint: String) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let ctx = Context::new();
        let push = blocking(&ctx, PUSH);
        push.connect(&endpoint).expect("connect");
        for i in 0..COUNT {
            let padding = vec![b'.'; (i % 7) as usize];
            push.send_multipart([seq(i), padding]).expect("send");
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    })
}

/// Binds a PULL and returns its endpoint, with a thread that receives `LOCKSTEP_COUNT`
/// three-part messages on it, checking that each comes once, whole and in order, and
/// counting them in `received`. It reads slowly, so that a sender at its high-water mark
/// has to wait.
fn numbered_receiver(ctx: &Context, received: Arc<AtomicU32>) -> (String, JoinHandle<()>) {
    let pull = blocking(ctx, PULL);
    pull.options().set_rcvhwm(1).expect("hwm");
    let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
    let receiver = std::thread::spawn(move || {
        for i in 0..LOCKSTEP_COUNT {
            let parts = pull.recv_multipart().expect("a message within the timeout");
            assert_eq!(parts.len(), 3, "message {i} came whole");
            assert_eq!(seq_of(&parts[0]), i, "each message once, in order");
            received.store(i + 1, Ordering::Release);
            if i % 200 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    (endpoint, receiver)
}

/// Fails the test when the count of messages through stands still for [`TIMEOUT`]: that is
/// a lost wake-up. (A bound on the whole run instead would also fail a run that only went
/// slowly, as thousands of dropped futures do on a loaded machine.)
struct Progress {
    what: &'static str,
    count: u32,
    since: Instant,
}

impl Progress {
    fn watch(what: &'static str) -> Progress {
        Progress {
            what,
            count: 0,
            since: Instant::now(),
        }
    }

    fn check(&mut self, count: u32) {
        if count != self.count {
            self.count = count;
            self.since = Instant::now();
        }
        assert!(
            self.since.elapsed() < TIMEOUT,
            "{}: stuck at {count} for {TIMEOUT:?}",
            self.what
        );
    }
}

/// Whether the next pending future is dropped by a timer, once it has registered its waker
/// and perhaps been woken (one time in four), rather than right after its first pending
/// poll. Timers round up to a millisecond under tokio: used sparingly, they keep the tests
/// quick.
fn timer_turn(dropped: u32) -> bool {
    dropped % 4 == 3
}

/// Checks a received message against the next sequence number.
fn check_next(received: ferrozmq::Result<Vec<ferrozmq::Message>>, next: &mut u32) {
    let parts = received.expect("recv");
    assert_eq!(parts.len(), 2);
    assert_eq!(seq_of(&parts[0]), *next, "each message once, in order");
    *next += 1;
}

async fn receives_dropped_whenever_pending_lose_and_duplicate_nothing(rt: Runtime) {
    let ctx = Context::new();
    let mut pull = socket(&ctx, PULL);
    let sender = numbered_sender(bind_tcp(&pull));
    let (mut next, mut dropped) = (0, 0);
    let mut progress = Progress::watch("every message");
    while next < COUNT {
        progress.check(next);
        let received = if timer_turn(dropped) {
            rt.timeout(Duration::from_micros(100), pull.recv_multipart())
                .await
        } else {
            poll_immediate(pull.recv_multipart()).await
        };
        match received {
            Some(received) => check_next(received, &mut next),
            None => {
                dropped += 1;
                yield_now().await;
            }
        }
    }
    sender.join().expect("sender");
    assert!(dropped > 0, "some receives were dropped while pending");
    let more = rt.timeout(Duration::from_millis(50), pull.recv()).await;
    assert!(more.is_none(), "nothing more: {more:?}");
}

async fn sends_dropped_whenever_pending_at_a_high_water_mark_of_1_send_each_message_once(
    rt: Runtime,
) {
    let ctx = Context::new();
    let (endpoint, receiver) = numbered_receiver(&ctx, Arc::default());
    let mut push = socket(&ctx, PUSH);
    push.options().set_sndhwm(1).expect("hwm");
    push.connect(&endpoint).expect("connect");
    let mut dropped = 0;
    let mut progress = Progress::watch("every message");
    for i in 0..LOCKSTEP_COUNT {
        // Retried with the same number until a send completes: a dropped send that had
        // sent anything would show as a duplicate.
        loop {
            progress.check(i);
            let parts = vec![seq(i).into(), "a".into(), "b".into()];
            let sent = if timer_turn(dropped) {
                let send = push.send_multipart(parts);
                rt.timeout(Duration::from_micros(100), send).await
            } else if i % 2 == 0 {
                poll_immediate(push.send_multipart(parts)).await
            } else {
                // A `feed` that completes has queued the message in the socket; one
                // dropped while pending has not.
                poll_immediate(SinkExt::feed(&mut push, parts)).await
            };
            match sent {
                Some(sent) => {
                    sent.expect("send");
                    break;
                }
                None => {
                    dropped += 1;
                    yield_now().await;
                }
            }
        }
    }
    rt.within("the flush", push.flush()).await.expect("flush");
    receiver.join().expect("receiver");
    assert!(dropped > 0, "some sends were dropped while pending");
}

async fn a_proxy_dropped_whenever_pending_loses_nothing(rt: Runtime) {
    let ctx = Context::new();
    let received = Arc::new(AtomicU32::new(0));
    let (sink_endpoint, receiver) = numbered_receiver(&ctx, received.clone());
    let mut front = socket(&ctx, PULL);
    let sender = {
        let source_endpoint = bind_tcp(&front);
        std::thread::spawn(move || {
            let ctx = Context::new();
            let push = blocking(&ctx, PUSH);
            push.connect(&source_endpoint).expect("connect");
            for i in 0..LOCKSTEP_COUNT {
                push.send_multipart([seq(i), b"a".to_vec(), b"b".to_vec()])
                    .expect("send");
            }
        })
    };
    let mut back: AsyncSocket = socket(&ctx, PUSH);
    back.options().set_sndhwm(1).expect("hwm");
    back.connect(&sink_endpoint).expect("connect");
    let mut restarts = 0u32;
    let mut progress = Progress::watch("every message through the proxy");
    loop {
        let through = received.load(Ordering::Acquire);
        if through == LOCKSTEP_COUNT {
            break;
        }
        progress.check(through);
        let stopped = if timer_turn(restarts) {
            let proxy = proxy_async(&mut front, &mut back);
            rt.timeout(Duration::from_micros(100), proxy).await
        } else {
            poll_immediate(proxy_async(&mut front, &mut back)).await
        };
        assert!(stopped.is_none(), "the proxy stopped: {stopped:?}");
        restarts += 1;
        yield_now().await;
    }
    sender.join().expect("sender");
    receiver.join().expect("receiver");
    assert!(restarts > 1, "the proxy was dropped while pending");
}

/// With tokio's `select!`, a receive races a timer that fires constantly and a yield that
/// completes on the next poll: most receive futures are dropped unfinished.
async fn receives_racing_a_constant_timer_in_tokio_select(_rt: Runtime) {
    let ctx = Context::new();
    let mut pull = socket(&ctx, PULL);
    let sender = numbered_sender(bind_tcp(&pull));
    let mut timer = tokio::time::interval(Duration::from_micros(50));
    let (mut next, mut dropped) = (0, 0u64);
    // Each message puts the deadline off: it catches a receive that stopped, not a slow
    // run (see `Progress`).
    let deadline = tokio::time::sleep(TIMEOUT);
    tokio::pin!(deadline);
    while next < COUNT {
        tokio::select! {
            received = pull.recv_multipart() => {
                check_next(received, &mut next);
                deadline.as_mut().reset(tokio::time::Instant::now() + TIMEOUT);
            }
            _ = timer.tick() => dropped += 1,
            _ = tokio::task::yield_now() => dropped += 1,
            _ = &mut deadline => panic!("stuck at {next} messages for {TIMEOUT:?}"),
        }
    }
    sender.join().expect("sender");
    assert!(dropped > 0, "some receives were dropped");
    let more = tokio::time::timeout(Duration::from_millis(50), pull.recv()).await;
    assert!(more.is_err(), "nothing more: {more:?}");
}

/// A send at a high-water mark of 1 races a constant timer in tokio's `select!`.
async fn sends_racing_a_constant_timer_in_tokio_select(_rt: Runtime) {
    let ctx = Context::new();
    let (endpoint, receiver) = numbered_receiver(&ctx, Arc::default());
    let mut push = socket(&ctx, PUSH);
    push.options().set_sndhwm(1).expect("hwm");
    push.connect(&endpoint).expect("connect");
    let mut timer = tokio::time::interval(Duration::from_micros(50));
    let mut dropped = 0u64;
    // Each message puts the deadline off (see `Progress`).
    let deadline = tokio::time::sleep(TIMEOUT);
    tokio::pin!(deadline);
    let mut i = 0;
    while i < LOCKSTEP_COUNT {
        tokio::select! {
            sent = push.send_multipart([seq(i), b"a".to_vec(), b"b".to_vec()]) => {
                sent.expect("send");
                i += 1;
                deadline.as_mut().reset(tokio::time::Instant::now() + TIMEOUT);
            }
            _ = timer.tick() => dropped += 1,
            _ = tokio::task::yield_now() => dropped += 1,
            _ = &mut deadline => panic!("stuck at {i} messages sent for {TIMEOUT:?}"),
        }
    }
    receiver.join().expect("receiver");
    assert!(dropped > 0, "some sends were dropped");
}

mod tokio_select {
    use super::async_support::Runtime;

    #[test]
    fn receives_racing_a_constant_timer_on_the_multi_thread_runtime() {
        Runtime::TokioMultiThread.run(super::receives_racing_a_constant_timer_in_tokio_select);
    }

    #[test]
    fn receives_racing_a_constant_timer_on_the_current_thread_runtime() {
        Runtime::TokioCurrentThread.run(super::receives_racing_a_constant_timer_in_tokio_select);
    }

    #[test]
    fn sends_racing_a_constant_timer_on_the_multi_thread_runtime() {
        Runtime::TokioMultiThread.run(super::sends_racing_a_constant_timer_in_tokio_select);
    }

    #[test]
    fn sends_racing_a_constant_timer_on_the_current_thread_runtime() {
        Runtime::TokioCurrentThread.run(super::sends_racing_a_constant_timer_in_tokio_select);
    }
}
