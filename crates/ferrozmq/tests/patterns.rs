//! The socket types' documented behaviour, over real transports.

use ferrozmq::{
    Context, Error, EventKind, Message, Socket, SocketType, PUB, PULL, PUSH, REP, REQ, SUB,
};
use std::time::{Duration, Instant};

fn socket(ctx: &Context, kind: SocketType) -> Socket {
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
    s
}

fn bind_any(s: &Socket, transport: &str) -> String {
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_string(),
        "ipc" => "ipc://*".to_string(),
        other => format!("inproc://{other}-{}", rand_suffix()),
    };
    s.bind(&endpoint).expect("bind");
    s.last_endpoint().expect("utf8")
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Waits until `sub` gets a message, publishing `probe` meanwhile (subscriptions take a
/// moment to reach the publisher).
fn await_subscription(publisher: &Socket, sub: &Socket, probe: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(
            Instant::now() < deadline,
            "subscription never reached the publisher"
        );
        publisher.send(probe).expect("publish");
        if sub.try_recv().is_ok() {
            while sub.try_recv().is_ok() {}
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The next message that is not a leftover probe.
fn recv_past_probes(sub: &Socket) -> String {
    loop {
        let text = sub
            .recv()
            .expect("recv")
            .as_str()
            .expect("utf8")
            .to_string();
        if !text.starts_with("probe") {
            return text;
        }
    }
}

#[test]
fn req_must_alternate_send_and_receive() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = bind_any(&rep, "tcp");
    let req = socket(&ctx, REQ);
    req.connect(&endpoint).expect("connect");
    assert!(matches!(req.recv(), Err(Error::State)));
    req.send("one").expect("first request");
    assert!(matches!(req.send("two"), Err(Error::State)));
    assert!(matches!(rep.send("early"), Err(Error::State)));
    assert_eq!(rep.recv().expect("request"), b"one");
    assert!(matches!(rep.recv(), Err(Error::State)));
    rep.send("reply").expect("reply");
    assert_eq!(req.recv().expect("reply"), b"reply");
    req.send("again").expect("next request after the reply");
}

#[test]
fn multipart_requests_and_replies_arrive_whole_on_every_transport() {
    for transport in ["tcp", "ipc", "inproc"] {
        let ctx = Context::new();
        let rep = socket(&ctx, REP);
        let endpoint = bind_any(&rep, transport);
        let req = socket(&ctx, REQ);
        req.connect(&endpoint).expect("connect");
        req.send_multipart(["a", "", "c"]).expect("request");
        let parts: Vec<Vec<u8>> = rep
            .recv_multipart()
            .expect("request")
            .iter()
            .map(|m| m.to_vec())
            .collect();
        assert_eq!(
            parts,
            vec![b"a".to_vec(), vec![], b"c".to_vec()],
            "{transport}"
        );
        rep.send_more("x").expect("reply part");
        rep.send(vec![9u8; 300]).expect("reply part");
        let reply = req.recv_multipart().expect("reply");
        assert_eq!(reply.len(), 2);
        assert!(reply[0].more() && !reply[1].more());
        assert_eq!(reply[1].len(), 300);
    }
}

#[test]
fn rep_serves_many_clients_each_getting_its_own_reply() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = bind_any(&rep, "tcp");
    let server = std::thread::spawn(move || {
        for _ in 0..30 {
            let request = rep.recv().map(Vec::from).expect("request");
            rep.send(request).expect("echo");
        }
    });
    let clients: Vec<_> = (0..3)
        .map(|c| {
            let endpoint = endpoint.clone();
            std::thread::spawn(move || {
                let ctx = Context::new();
                let req = socket(&ctx, REQ);
                req.connect(&endpoint).expect("connect");
                for i in 0..10 {
                    let text = format!("client {c} request {i}");
                    req.send(text.as_str()).expect("send");
                    assert_eq!(
                        req.recv()
                            .expect("reply")
                            .as_str()
                            .expect("utf8")
                            .to_string(),
                        text
                    );
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client");
    }
    server.join().expect("server");
}

#[test]
fn push_round_robins_whole_messages_across_pullers() {
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    let mut monitor = push
        .monitor(EventKind::HandshakeSucceeded.into())
        .expect("monitor");
    let endpoint = bind_any(&push, "tcp");
    let pulls: Vec<Socket> = (0..3)
        .map(|_| {
            let pull = socket(&ctx, PULL);
            pull.connect(&endpoint).expect("connect");
            pull
        })
        .collect();
    // All three must be connected before the first message picks a peer. A handshake is
    // reported once the socket has the connection's pipe.
    for _ in 0..3 {
        monitor
            .recv_timeout(Duration::from_secs(5))
            .expect("each puller's handshake");
    }
    for i in 0..30u8 {
        push.send_multipart([vec![i], vec![i; 3]]).expect("send");
    }
    for pull in &pulls {
        for _ in 0..10 {
            let parts = pull.recv_multipart().expect("each puller gets a third");
            assert_eq!(parts.len(), 2);
            assert_eq!(parts[1][..], [parts[0][0]; 3]);
        }
        assert!(matches!(pull.try_recv(), Err(Error::Again)));
    }
}

#[test]
fn pull_takes_from_busy_pushers_in_turn() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    pull.options().set_rcvhwm(10).expect("hwm");
    let endpoint = bind_any(&pull, "inproc");
    let pushes: Vec<Socket> = (0..3u8)
        .map(|_| {
            let push = socket(&ctx, PUSH);
            push.options().set_sndhwm(10).expect("hwm");
            push.connect(&endpoint).expect("connect");
            push
        })
        .collect();
    for (p, push) in pushes.iter().enumerate() {
        for _ in 0..5 {
            push.send(vec![p as u8]).expect("send");
        }
    }
    let order: Vec<u8> = (0..15)
        .map(|_| pull.recv().map(Vec::from).expect("recv")[0])
        .collect();
    for window in order.chunks(3) {
        let mut w = window.to_vec();
        w.sort();
        assert_eq!(
            w,
            vec![0, 1, 2],
            "fair queuing interleaves pushers: {order:?}"
        );
    }
}

#[test]
fn subscribers_get_only_their_prefixes_and_unsubscribe_stops_them() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let endpoint = bind_any(&publisher, "tcp");
    let weather = socket(&ctx, SUB);
    weather.subscribe(b"weather").expect("subscribe");
    weather.subscribe(b"probe").expect("subscribe");
    weather.connect(&endpoint).expect("connect");
    await_subscription(&publisher, &weather, "probe");

    publisher.send("news: nobody wants this").expect("send");
    publisher.send("weather: 晴").expect("send");
    assert_eq!(recv_past_probes(&weather), "weather: 晴");

    weather.unsubscribe(b"weather").expect("unsubscribe");
    // The cancel travels behind this probe subscription change.
    weather.unsubscribe(b"probe").expect("unsubscribe");
    weather.subscribe(b"probe2").expect("subscribe");
    await_subscription(&publisher, &weather, "probe2");
    publisher.send("weather: 雨").expect("send");
    publisher.send("end").expect("send");
    weather.subscribe(b"end").expect("subscribe");
    await_subscription(&publisher, &weather, "end");
    publisher.send("weather: 雨").expect("send");
    publisher.send("end").expect("send");
    assert_eq!(recv_past_probes(&weather), "end");
}

#[test]
fn publisher_never_blocks_and_a_stalled_subscriber_does_not_slow_the_others() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.options().set_sndhwm(100).expect("hwm");
    let endpoint = bind_any(&publisher, "inproc");
    let stalled = socket(&ctx, SUB);
    stalled.options().set_rcvhwm(100).expect("hwm");
    stalled.subscribe(b"").expect("subscribe");
    stalled.connect(&endpoint).expect("connect");
    let reader = socket(&ctx, SUB);
    // Unbounded, so that what the reader gets depends on the stalled subscriber only, not
    // on how quickly its thread is scheduled (with the default HWM it lost thousands on
    // one busy core).
    reader.options().set_rcvhwm(0).expect("hwm");
    reader.subscribe(b"").expect("subscribe");
    reader.connect(&endpoint).expect("connect");
    await_subscription(&publisher, &reader, "probe");
    while stalled.try_recv().is_ok() {}

    let consumer = std::thread::spawn(move || {
        let mut got = 0;
        while let Ok(m) = reader.recv() {
            if &m[..] == b"end" {
                break;
            }
            got += 1;
        }
        got
    });
    for i in 0..20_000u32 {
        // Never blocks, even though one subscriber reads nothing.
        publisher
            .try_send(&i.to_be_bytes()[..])
            .expect("publishing never blocks");
        if i % 1000 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    publisher.send("end").expect("end");
    let got = consumer.join().expect("consumer");
    assert_eq!(got, 20_000, "the reading subscriber got every message");
    let mut stalled_got = 0;
    while stalled.try_recv().is_ok() {
        stalled_got += 1;
    }
    assert!(
        stalled_got <= 201,
        "the stalled subscriber's queue is bounded by its HWMs: {stalled_got}"
    );
}

#[test]
fn publishing_with_no_subscriber_drops_everything() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let endpoint = bind_any(&publisher, "tcp");
    for _ in 0..10_000 {
        publisher.try_send("消息群发").expect("never blocks");
    }
    let sub = socket(&ctx, SUB);
    sub.subscribe(b"").expect("subscribe");
    sub.connect(&endpoint).expect("connect");
    await_subscription(&publisher, &sub, "after");
    assert!(matches!(sub.try_recv(), Err(Error::Again)));
}

#[test]
fn receive_timeout_and_dontwait_return_again() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    bind_any(&pull, "tcp");
    assert!(matches!(pull.try_recv(), Err(Error::Again)));
    pull.options()
        .set_rcvtimeo(Some(Duration::from_millis(50)))
        .expect("timeout");
    let start = Instant::now();
    assert!(matches!(pull.recv(), Err(Error::Again)));
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(50) && waited < Duration::from_secs(2));
}

#[test]
fn unsupported_directions_are_refused() {
    let ctx = Context::new();
    assert!(matches!(socket(&ctx, PUB).recv(), Err(Error::NotSupported)));
    assert!(matches!(
        socket(&ctx, SUB).send("x"),
        Err(Error::NotSupported)
    ));
    assert!(matches!(
        socket(&ctx, PUSH).recv(),
        Err(Error::NotSupported)
    ));
    assert!(matches!(
        socket(&ctx, PULL).send("x"),
        Err(Error::NotSupported)
    ));
    assert!(matches!(
        socket(&ctx, PULL).subscribe(b"x"),
        Err(Error::NotSupported)
    ));
}

#[test]
fn endpoints_are_checked_and_reported() {
    let ctx = Context::new();
    let a = socket(&ctx, PULL);
    let endpoint = bind_any(&a, "tcp");
    assert!(endpoint.starts_with("tcp://127.0.0.1:") && !endpoint.ends_with(":*"));
    let b = socket(&ctx, PULL);
    assert!(matches!(b.bind(&endpoint), Err(Error::AddrInUse(_))));
    assert!(matches!(b.bind("bogus"), Err(Error::InvalidEndpoint(_))));
    assert!(matches!(
        b.bind("udp://1.2.3.4:5"),
        Err(Error::ProtocolNotSupported(_))
    ));
    assert!(matches!(
        b.connect("tcp://no.such.host.invalid:5"),
        Err(Error::AddrNotAvailable(_))
    ));
    assert!(matches!(
        b.unbind("tcp://127.0.0.1:1"),
        Err(Error::NoSuchEndpoint(_))
    ));
    a.bind("inproc://dup").expect("inproc bind");
    assert!(matches!(b.bind("inproc://dup"), Err(Error::AddrInUse(_))));
    // Unbind releases the port at once.
    a.unbind(&endpoint).expect("unbind");
    b.bind(&endpoint).expect("rebind right after unbind");
}

#[test]
fn ipc_names_the_kernel_cannot_take_are_refused_as_libzmq_refuses_them() {
    let ctx = Context::new();
    let s = socket(&ctx, ferrozmq::PAIR);
    assert!(matches!(s.bind("ipc://@"), Err(Error::InvalidEndpoint(_))));
    let too_long = format!("ipc://{}", "a".repeat(108));
    for attempt in [s.bind(&too_long).map(drop), s.connect(&too_long)] {
        match attempt {
            Err(e) => assert_eq!(e.errno(), libc::ENAMETOOLONG, "{e}"),
            Ok(()) => panic!("a 108-byte ipc path was taken"),
        }
    }
}

#[test]
fn an_endpoint_bound_by_wildcard_is_unbound_by_its_own_name_only() {
    let ctx = Context::new();
    let s = socket(&ctx, PULL);
    for wildcard in ["tcp://127.0.0.1:*", "ipc://*"] {
        let bound = s.bind(wildcard).expect("bind");
        assert!(
            matches!(s.unbind(wildcard), Err(Error::NoSuchEndpoint(_))),
            "{wildcard}"
        );
        s.unbind(&bound).expect("unbind by the name bound");
    }
}

#[test]
fn wildcard_localhost_and_ipv6_endpoints_work() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let port = rep
        .bind("tcp://*:*")
        .expect("wildcard bind")
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    let req = socket(&ctx, REQ);
    req.connect(&format!("tcp://localhost:{port}"))
        .expect("connect by name");
    req.send("hi").expect("send");
    assert_eq!(rep.recv().expect("recv"), b"hi");
    rep.send("ok").expect("reply");
    assert_eq!(req.recv().expect("reply"), b"ok");

    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let pull = socket(&ctx, PULL);
        let endpoint = pull.bind("tcp://[::1]:*").expect("ipv6 bind");
        assert!(endpoint.starts_with("tcp://[::1]:"));
        let push = socket(&ctx, PUSH);
        push.connect(&endpoint).expect("ipv6 connect");
        push.send("v6").expect("send");
        assert_eq!(pull.recv().expect("recv"), b"v6");
    }
}

#[test]
fn shutdown_wakes_a_blocked_receiver_with_terminated() {
    let ctx = Context::new();
    let pull = ctx.socket(PULL).expect("socket");
    pull.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    bind_any(&pull, "tcp");
    let blocked = std::thread::spawn(move || pull.recv().map(|_| ()));
    std::thread::sleep(Duration::from_millis(50));
    ctx.shutdown();
    assert!(matches!(
        blocked.join().expect("thread"),
        Err(Error::Terminated)
    ));
    assert!(matches!(ctx.socket(PUSH), Err(Error::Terminated)));
}

#[test]
fn large_and_empty_messages_round_trip() {
    for transport in ["tcp", "ipc", "inproc"] {
        let ctx = Context::new();
        let pull = socket(&ctx, PULL);
        let endpoint = bind_any(&pull, transport);
        let push = socket(&ctx, PUSH);
        push.connect(&endpoint).expect("connect");
        let big: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| i as u8).collect();
        for body in [vec![], vec![1u8; 255], vec![2u8; 256], big.clone()] {
            push.send(body.clone()).expect("send");
            let got: Message = pull.recv().expect("recv");
            assert_eq!(got.len(), body.len(), "{transport}");
            assert!(got[..] == body[..], "{transport}: body differs");
        }
    }
}

/// Sends empty parts without waiting until the socket refuses one; how many it took.
fn fill(s: &Socket) -> usize {
    let mut sent = 0;
    while sent < 100_000 && s.try_send("").is_ok() {
        sent += 1;
    }
    sent
}

#[test]
fn an_inproc_connect_before_the_bind_gets_the_binder_s_high_water_mark_at_the_bind() {
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.options().set_sndhwm(1).expect("sndhwm");
    push.connect("inproc://early-hwm").expect("connect");
    assert_eq!(
        fill(&push),
        1,
        "before the bind: the connector's mark alone"
    );
    let pull = socket(&ctx, PULL);
    pull.options().set_rcvhwm(2).expect("rcvhwm");
    pull.bind("inproc://early-hwm").expect("bind");
    assert_eq!(
        fill(&push),
        2,
        "after the bind: both marks, as libzmq adds them"
    );
    let unlimited = socket(&ctx, PULL);
    unlimited.options().set_rcvhwm(0).expect("rcvhwm");
    let other = socket(&ctx, PUSH);
    other.options().set_sndhwm(1).expect("sndhwm");
    other.connect("inproc://early-unlimited").expect("connect");
    unlimited.bind("inproc://early-unlimited").expect("bind");
    assert_eq!(
        fill(&other),
        100_000,
        "an unlimited side makes the pipe unlimited"
    );
}

#[test]
fn messages_sent_to_an_inproc_name_before_its_bind_outlive_their_sender() {
    let ctx = Context::new();
    let push = ctx.socket(PUSH).expect("push");
    push.connect("inproc://early-close").expect("connect");
    push.send("queued before the bind").expect("send");
    drop(push);
    let pull = socket(&ctx, PULL);
    pull.bind("inproc://early-close").expect("bind");
    assert_eq!(pull.recv().expect("recv"), "queued before the bind");
}

#[test]
fn a_changed_high_water_mark_applies_to_existing_connections() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    pull.options().set_rcvhwm(1).expect("rcvhwm");
    let endpoint = bind_any(&pull, "live-hwm");
    let push = socket(&ctx, PUSH);
    push.options().set_sndhwm(1).expect("sndhwm");
    push.connect(&endpoint).expect("connect");
    assert_eq!(fill(&push), 2);
    push.options().set_sndhwm(5).expect("raise");
    assert_eq!(fill(&push), 4, "raised: room at once");
    pull.options().set_rcvhwm(3).expect("raise the other side");
    assert_eq!(fill(&push), 2);
    push.options().set_sndhwm(1).expect("lower");
    assert_eq!(fill(&push), 0, "lowered below what is queued: nothing more");
    let mut received = 0;
    while pull.try_recv().is_ok() {
        received += 1;
    }
    assert_eq!(received, 8, "lowering drops nothing already queued");
}

#[test]
fn inproc_joins_any_two_socket_types_as_libzmq_does() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let endpoint = bind_any(&pull, "any-types");
    // A PAIR and a PULL could never agree over tcp (the handshake refuses them); inproc
    // has no handshake and libzmq joins them.
    let pair = socket(&ctx, ferrozmq::PAIR);
    pair.connect(&endpoint).expect("connect");
    pair.send("foobar").expect("send");
    assert_eq!(pull.recv().expect("recv"), "foobar");
}
