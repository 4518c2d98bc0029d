//! Closing and ending: LINGER at close, context options, and what may cross threads.

use ferrozmq::{Context, Error, Socket, PULL, PUSH};
use std::time::{Duration, Instant};

fn unreachable_endpoint() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe a free port");
    format!("tcp://{}", probe.local_addr().expect("addr"))
}

/// A context whose only socket, a PUSH, holds `queued` messages for a peer that never
/// comes; returns how long dropping both takes.
fn time_to_end_with_undeliverable_messages(linger: Duration) -> Duration {
    let ctx = Context::new();
    let push = ctx.socket(PUSH).expect("push");
    push.options().set_linger(Some(linger)).expect("linger");
    push.connect(&unreachable_endpoint()).expect("connect");
    for _ in 0..10 {
        push.send("undeliverable").expect("queued");
    }
    let start = Instant::now();
    drop(push);
    drop(ctx);
    start.elapsed()
}

#[test]
fn linger_zero_drops_queued_messages_at_once() {
    assert!(time_to_end_with_undeliverable_messages(Duration::ZERO) < Duration::from_millis(500));
}

#[test]
fn a_positive_linger_waits_that_long_then_drops() {
    let waited = time_to_end_with_undeliverable_messages(Duration::from_millis(300));
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
}

#[test]
fn infinite_linger_delivers_everything_after_close() {
    let receiving = Context::new();
    let pull = receiving.socket(PULL).expect("pull");
    pull.options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .expect("timeout");
    let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
    {
        let sending = Context::new();
        let push = sending.socket(PUSH).expect("push");
        push.connect(&endpoint).expect("connect");
        for i in 0..2000u32 {
            push.send(&i.to_be_bytes()[..]).expect("send");
        }
        // Closed at once, with most messages still queued: LINGER -1 (the default) keeps
        // the context's drop waiting until they are delivered.
    }
    for i in 0..2000u32 {
        assert_eq!(
            pull.recv().map(Vec::from).expect("delivered after close"),
            i.to_be_bytes()
        );
    }
}

#[test]
fn max_sockets_caps_the_open_sockets() {
    let ctx = Context::new();
    ctx.set_max_sockets(2).expect("max");
    assert_eq!(ctx.max_sockets(), 2);
    let a = ctx.socket(PUSH).expect("first");
    let _b = ctx.socket(PUSH).expect("second");
    assert!(matches!(ctx.socket(PUSH), Err(Error::TooManySockets)));
    drop(a);
    ctx.socket(PUSH).expect("room again after a close");
    assert!(ctx.set_max_sockets(0).is_err());
}

#[test]
fn a_context_that_is_not_blocky_gives_sockets_zero_linger() {
    let ctx = Context::new();
    assert!(ctx.blocky());
    ctx.set_blocky(false);
    let push = ctx.socket(PUSH).expect("push");
    assert_eq!(push.options().linger(), Some(Duration::ZERO));
    push.connect(&unreachable_endpoint()).expect("connect");
    push.send("dropped at the end").expect("queued");
    let start = Instant::now();
    drop(push);
    drop(ctx);
    assert!(start.elapsed() < Duration::from_millis(500));
}

#[test]
fn a_context_without_io_threads_is_inproc_only() {
    let ctx = Context::new();
    ctx.set_io_threads(0).expect("io threads");
    assert_eq!(ctx.io_threads(), 0);
    let pull = ctx.socket(PULL).expect("pull");
    pull.bind("inproc://no-io-threads")
        .expect("inproc needs no I/O thread");
    let push = ctx.socket(PUSH).expect("push");
    push.connect("inproc://no-io-threads").expect("connect");
    push.send("over inproc").expect("send");
    assert_eq!(pull.recv().expect("recv"), "over inproc");

    let err = pull
        .bind("tcp://127.0.0.1:*")
        .expect_err("tcp needs an I/O thread");
    assert_eq!(err, Error::NoIoThread);
    assert_eq!(err.errno(), 156_384_712 + 54, "EMTHREAD");
    let ipc = format!("ipc:///tmp/ferrozmq-no-io-{}", std::process::id());
    assert_eq!(push.connect(&ipc), Err(Error::NoIoThread));
}

#[test]
fn an_affinity_naming_no_thread_of_the_context_fails_with_no_io_thread() {
    let ctx = Context::with_io_threads(2);
    let pull = ctx.socket(PULL).expect("pull");
    pull.options().set_affinity(1 << 2).expect("affinity");
    assert_eq!(pull.bind("tcp://127.0.0.1:*"), Err(Error::NoIoThread));
    pull.options().set_affinity(1 << 1).expect("affinity");
    let endpoint = pull
        .bind("tcp://127.0.0.1:*")
        .expect("the second thread exists");
    let push = ctx.socket(PUSH).expect("push");
    push.options().set_affinity(1).expect("affinity");
    push.connect(&endpoint).expect("connect");
    push.send("across threads 0 and 1").expect("send");
    assert_eq!(pull.recv().expect("recv"), "across threads 0 and 1");
}

#[test]
fn io_threads_can_be_chosen_before_first_use() {
    let ctx = Context::with_io_threads(3);
    assert_eq!(ctx.io_threads(), 3);
    ctx.set_io_threads(2).expect("io threads");
    let pull = ctx.socket(PULL).expect("pull");
    pull.bind("tcp://127.0.0.1:*").expect("bind");
    // A thread takes its name once it runs: look until both have.
    let named_io_threads = || {
        std::fs::read_dir("/proc/self/task")
            .expect("proc")
            .filter_map(Result::ok)
            .filter(|t| {
                std::fs::read_to_string(t.path().join("comm"))
                    .is_ok_and(|name| name.starts_with("ferrozmq-io"))
            })
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while named_io_threads() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let threads = named_io_threads();
    assert!(
        threads >= 2,
        "two I/O threads run ({threads} ferrozmq-io threads)"
    );
}

#[test]
fn sockets_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Socket>();
    assert_send::<Context>();
    let ctx = Context::new();
    let pull = ctx.socket(PULL).expect("pull");
    pull.bind("inproc://moved").expect("bind");
    let push = ctx.socket(PUSH).expect("push");
    push.connect("inproc://moved").expect("connect");
    let moved = std::thread::spawn(move || {
        push.send("from another thread").expect("send");
        push
    });
    let _push = moved.join().expect("thread");
    assert_eq!(pull.recv().expect("recv"), b"from another thread");
}
