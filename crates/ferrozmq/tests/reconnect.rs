//! The seed's reliability promises: connecting sockets retry for ever, messages queued for
//! an absent peer wait for it, and peers that come back are served again.

use ferrozmq::{Context, Error, EventKind, Monitor, Socket, PUB, PULL, PUSH, REP, REQ, SUB};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A tcp endpoint on a port that was free a moment ago (tests need to re-bind it).
fn free_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("probe port");
    format!("tcp://{}", listener.local_addr().expect("addr"))
}

fn socket(ctx: &Context, kind: ferrozmq::SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .expect("rcvtimeo");
    s.options()
        .set_sndtimeo(Some(Duration::from_secs(5)))
        .expect("sndtimeo");
    s.options()
        .set_reconnect_ivl(Some(Duration::from_millis(20)))
        .expect("reconnect");
    s
}

/// Waits until `monitor` reports that a connection ended (the socket knows its peer is
/// gone: what it sends from now on waits for the next peer).
fn wait_disconnected(monitor: &mut Monitor) {
    let event = monitor
        .recv_timeout(Duration::from_secs(5))
        .expect("the connection's end is reported");
    assert_eq!(event.kind(), EventKind::Disconnected);
}

fn recv_u32(s: &Socket) -> u32 {
    let m = s.recv().expect("message within timeout");
    u32::from_be_bytes(m[..].try_into().expect("4-byte body"))
}

#[test]
fn push_that_connects_before_its_peer_binds_delivers_everything_once_it_comes() {
    let ctx = Context::new();
    let endpoint = free_endpoint();
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    for i in 0..500u32 {
        push.try_send(&i.to_be_bytes()[..])
            .expect("queued while no peer exists");
    }
    std::thread::sleep(Duration::from_millis(100));
    let pull = socket(&ctx, PULL);
    pull.bind(&endpoint).expect("bind");
    for i in 0..500u32 {
        assert_eq!(recv_u32(&pull), i);
    }
}

#[test]
fn push_blocks_at_its_high_water_mark_while_the_peer_is_absent() {
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.options().set_sndhwm(10).expect("hwm");
    push.connect(&free_endpoint()).expect("connect");
    for i in 0..10u32 {
        push.try_send(&i.to_be_bytes()[..]).expect("below hwm");
    }
    assert!(matches!(push.try_send("x"), Err(Error::Again)));
    push.options()
        .set_sndtimeo(Some(Duration::from_millis(50)))
        .expect("sndtimeo");
    let start = Instant::now();
    assert!(matches!(push.send("x"), Err(Error::Again)));
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn messages_queued_while_the_puller_is_gone_flow_after_it_returns() {
    let ctx = Context::new();
    let endpoint = free_endpoint();
    let push = socket(&ctx, PUSH);
    let mut monitor = push
        .monitor(EventKind::Disconnected.into())
        .expect("monitor");
    push.connect(&endpoint).expect("connect");

    let first = socket(&ctx, PULL);
    first.bind(&endpoint).expect("bind");
    for i in 0..100u32 {
        push.send(&i.to_be_bytes()[..]).expect("send");
    }
    for i in 0..100u32 {
        assert_eq!(recv_u32(&first), i);
    }
    drop(first);
    // Let the PUSH see the connection end: what it writes into a connection whose peer is
    // already gone is lost with it, in any ZeroMQ.
    wait_disconnected(&mut monitor);

    // Nobody listens now: these wait in the PUSH's queue.
    for i in 100..200u32 {
        push.try_send(&i.to_be_bytes()[..]).expect("queued");
    }
    std::thread::sleep(Duration::from_millis(100));
    let second = socket(&ctx, PULL);
    second.bind(&endpoint).expect("rebind");
    for i in 100..200u32 {
        assert_eq!(recv_u32(&second), i);
    }
    assert!(matches!(second.try_recv(), Err(Error::Again)));
}

#[test]
fn req_gets_answers_from_a_rep_that_restarted() {
    let ctx = Context::new();
    let endpoint = free_endpoint();
    let req = socket(&ctx, REQ);
    let mut monitor = req
        .monitor(EventKind::Disconnected.into())
        .expect("monitor");
    req.connect(&endpoint).expect("connect");
    for round in 0..3 {
        let rep = socket(&ctx, REP);
        rep.bind(&endpoint).expect("bind");
        req.send("Are you OK?").expect("send");
        assert_eq!(rep.recv().expect("request"), b"Are you OK?");
        rep.send(format!("I am OK! {round}")).expect("reply");
        assert_eq!(
            req.recv()
                .expect("reply")
                .as_str()
                .expect("utf8")
                .to_string(),
            format!("I am OK! {round}")
        );
        drop(rep);
        // A request written before the REQ sees the connection end would be lost with it.
        wait_disconnected(&mut monitor);
    }
}

#[test]
fn sub_resubscribes_to_a_publisher_that_restarted() {
    let ctx = Context::new();
    let endpoint = free_endpoint();
    let sub = socket(&ctx, SUB);
    sub.subscribe(b"news").expect("subscribe");
    sub.options()
        .set_rcvtimeo(Some(Duration::from_millis(20)))
        .expect("rcvtimeo");
    sub.connect(&endpoint).expect("connect");
    for _ in 0..2 {
        let publisher = socket(&ctx, PUB);
        publisher.bind(&endpoint).expect("bind");
        let deadline = Instant::now() + Duration::from_secs(5);
        let got = loop {
            assert!(Instant::now() < deadline, "no message after restart");
            publisher.send("weather: filtered out").expect("send");
            publisher.send("news: 消息群发").expect("send");
            if let Ok(m) = sub.recv() {
                break m;
            }
        };
        assert_eq!(got, "news: 消息群发");
    }
}

#[test]
fn inproc_connect_before_bind_is_served_once_bound() {
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.connect("inproc://later").expect("connect first");
    push.send("early").expect("queued");
    let pull = socket(&ctx, PULL);
    pull.bind("inproc://later").expect("bind");
    assert_eq!(pull.recv().expect("early message"), b"early");
}
