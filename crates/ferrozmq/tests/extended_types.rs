//! DEALER, ROUTER, PAIR, XPUB and XSUB, and the options that shape them.

use ferrozmq::{
    Context, Error, Socket, SocketType, DEALER, PAIR, PUB, REP, REQ, ROUTER, SUB, XPUB, XSUB,
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

fn bind(s: &Socket, transport: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_string(),
        _ => format!("inproc://ext-{}", N.fetch_add(1, Ordering::Relaxed)),
    };
    s.bind(&endpoint).expect("bind");
    s.last_endpoint().expect("utf8")
}

fn parts(s: &Socket) -> Vec<Vec<u8>> {
    s.recv_multipart()
        .expect("message")
        .iter()
        .map(|m| m.to_vec())
        .collect()
}

#[test]
fn router_prefixes_routing_ids_and_routes_replies_back() {
    for transport in ["tcp", "inproc"] {
        let ctx = Context::new();
        let router = socket(&ctx, ROUTER);
        let endpoint = bind(&router, transport);
        let named = socket(&ctx, DEALER);
        named.options().set_routing_id(b"worker-1").expect("id");
        named.connect(&endpoint).expect("connect");
        let anonymous = socket(&ctx, DEALER);
        anonymous.connect(&endpoint).expect("connect");

        named.send("from named").expect("send");
        assert_eq!(
            parts(&router),
            vec![b"worker-1".to_vec(), b"from named".to_vec()],
            "{transport}"
        );
        anonymous.send_multipart(["a", "b"]).expect("send");
        let got = parts(&router);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].len(), 5, "generated ids are 5 bytes");
        assert_eq!(got[0][0], 0, "generated ids start with a zero byte");
        router
            .send_multipart([&got[0][..], b"back"])
            .expect("reply");
        assert_eq!(parts(&anonymous), vec![b"back".to_vec()]);
        router
            .send_multipart([&b"worker-1"[..], b"to named"])
            .expect("send");
        assert_eq!(parts(&named), vec![b"to named".to_vec()]);
    }
}

/// libzmq accepts any routing id of 1 to 255 bytes, a leading zero byte included (the
/// zguide's examples set ten random bytes); a ROUTER routes by it like any other.
#[test]
fn a_routing_id_may_start_with_a_zero_byte_as_in_libzmq() {
    for transport in ["tcp", "inproc"] {
        let ctx = Context::new();
        let router = socket(&ctx, ROUTER);
        let endpoint = bind(&router, transport);
        let dealer = socket(&ctx, DEALER);
        dealer.options().set_routing_id([0, 7, 7]).expect("id");
        assert_eq!(dealer.options().routing_id(), [0, 7, 7]);
        dealer.connect(&endpoint).expect("connect");
        dealer.send("hello").expect("send");
        assert_eq!(
            parts(&router),
            vec![vec![0, 7, 7], b"hello".to_vec()],
            "{transport}"
        );
        router
            .send_multipart([&[0u8, 7, 7][..], b"back"])
            .expect("reply");
        assert_eq!(parts(&dealer), vec![b"back".to_vec()], "{transport}");
    }
    let too_long = [1u8; 256];
    let dealer = Context::new().socket(DEALER).expect("socket");
    assert!(dealer.options().set_routing_id([]).is_err());
    assert!(dealer.options().set_routing_id(too_long).is_err());
}

#[test]
fn router_drops_or_refuses_unroutable_messages() {
    let ctx = Context::new();
    let router = socket(&ctx, ROUTER);
    bind(&router, "inproc");
    router
        .send_multipart([&b"nobody"[..], b"lost"])
        .expect("silently dropped");
    router
        .options()
        .set_router_mandatory(true)
        .expect("mandatory");
    assert!(matches!(
        router.send_more("nobody"),
        Err(Error::HostUnreachable)
    ));
}

#[test]
fn rep_behind_a_router_dealer_broker_sees_the_envelope_through() {
    let ctx = Context::new();
    let frontend = socket(&ctx, ROUTER);
    let front = bind(&frontend, "tcp");
    let backend = socket(&ctx, DEALER);
    let back = bind(&backend, "tcp");
    std::thread::spawn(move || ferrozmq::proxy(&frontend, &backend));
    let worker = socket(&ctx, REP);
    worker.connect(&back).expect("connect");
    let client = socket(&ctx, REQ);
    client.connect(&front).expect("connect");
    for i in 0..5 {
        client.send(format!("request {i}")).expect("request");
        let request = worker
            .recv()
            .expect("request")
            .as_str()
            .expect("utf8")
            .to_string();
        worker.send(format!("reply to {request}")).expect("reply");
        assert_eq!(
            client
                .recv()
                .expect("reply")
                .as_str()
                .expect("utf8")
                .to_string(),
            format!("reply to request {i}")
        );
    }
}

#[test]
fn pair_talks_both_ways_with_one_peer() {
    for transport in ["tcp", "inproc"] {
        let ctx = Context::new();
        let a = socket(&ctx, PAIR);
        let endpoint = bind(&a, transport);
        let b = socket(&ctx, PAIR);
        b.connect(&endpoint).expect("connect");
        a.send("ping").expect("send");
        assert_eq!(b.recv().expect("recv"), b"ping");
        b.send_multipart(["po", "ng"]).expect("send");
        assert_eq!(parts(&a), vec![b"po".to_vec(), b"ng".to_vec()]);
    }
}

#[test]
fn xpub_hands_subscriptions_to_the_application() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    let endpoint = bind(&xpub, "tcp");
    let sub = socket(&ctx, SUB);
    sub.connect(&endpoint).expect("connect");
    sub.subscribe(b"news").expect("subscribe");
    assert_eq!(xpub.recv().expect("notice"), b"\x01news");
    let second = socket(&ctx, SUB);
    second.connect(&endpoint).expect("connect");
    second.subscribe(b"news").expect("subscribe");
    second.subscribe(b"sport").expect("subscribe");
    // Not verbose: the duplicate "news" is not news.
    assert_eq!(xpub.recv().expect("notice"), b"\x01sport");
    xpub.send("news: 消息群发").expect("publish");
    assert_eq!(sub.recv().expect("recv"), "news: 消息群发".as_bytes());
    drop(second);
    // Its "sport" had no other subscriber: the application hears it went away.
    assert_eq!(xpub.recv().expect("notice"), b"\x00sport");
}

#[test]
fn xpub_verbose_and_welcome_message() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    xpub.options().set_xpub_verbose(true).expect("verbose");
    xpub.options()
        .set_xpub_welcome_msg(Some(b"welcome"))
        .expect("welcome");
    let endpoint = bind(&xpub, "inproc");
    let mut subscribers = Vec::new();
    for _ in 0..2 {
        let sub = socket(&ctx, SUB);
        sub.subscribe(b"welcome").expect("subscribe");
        sub.connect(&endpoint).expect("connect");
        assert_eq!(xpub.recv().expect("notice"), b"\x01welcome");
        assert_eq!(sub.recv().expect("welcome"), b"welcome");
        subscribers.push(sub);
    }
}

#[test]
fn xsub_sends_subscriptions_as_messages_and_forwards_through_a_proxy() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let upstream = bind(&publisher, "tcp");
    let xsub = socket(&ctx, XSUB);
    xsub.connect(&upstream).expect("connect");
    let xpub = socket(&ctx, XPUB);
    let downstream = bind(&xpub, "tcp");
    std::thread::spawn(move || ferrozmq::proxy(&xsub, &xpub));
    let sub = socket(&ctx, SUB);
    sub.subscribe(b"A").expect("subscribe");
    sub.options()
        .set_rcvtimeo(Some(Duration::from_millis(50)))
        .expect("rcvtimeo");
    sub.connect(&downstream).expect("connect");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(
            Instant::now() < deadline,
            "nothing came through the forwarder"
        );
        publisher.send("B filtered").expect("send");
        publisher.send("A through").expect("send");
        if let Ok(m) = sub.recv().map(Vec::from) {
            assert_eq!(m, b"A through");
            break;
        }
    }
}

#[test]
fn req_relaxed_and_correlate_recover_from_a_lost_reply() {
    let ctx = Context::new();
    let router = socket(&ctx, ROUTER);
    let endpoint = bind(&router, "tcp");
    let req = socket(&ctx, REQ);
    req.options().set_req_relaxed(true).expect("relaxed");
    req.options().set_req_correlate(true).expect("correlate");
    req.connect(&endpoint).expect("connect");
    req.send("first").expect("first");
    let first = parts(&router);
    assert_eq!(first.len(), 4, "id, request id, delimiter, body");
    // The server never answers "first"; the client asks again.
    req.send("second").expect("a relaxed REQ may send again");
    let second = parts(&router);
    // A late reply to the first request is dropped, the reply to the second is delivered.
    router
        .send_multipart([&first[0], &first[1], &first[2], &b"late"[..]])
        .expect("late reply");
    router
        .send_multipart([&second[0], &second[1], &second[2], &b"answer"[..]])
        .expect("reply");
    assert_eq!(req.recv().expect("reply"), b"answer");
    let strict = socket(&ctx, REQ);
    strict.connect(&endpoint).expect("connect");
    strict.send("x").expect("send");
    assert!(matches!(strict.try_send("y"), Err(Error::State)));
}

#[test]
fn a_relaxed_req_awaiting_a_reply_can_send_and_says_so() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = bind(&rep, "inproc");
    let relaxed = socket(&ctx, REQ);
    relaxed.options().set_req_relaxed(true).expect("relaxed");
    relaxed.connect(&endpoint).expect("connect");
    let strict = socket(&ctx, REQ);
    strict.connect(&endpoint).expect("connect");
    for req in [&relaxed, &strict] {
        assert_eq!(req.events().expect("events"), ferrozmq::POLLOUT);
        req.send("request").expect("send");
    }
    // ZMQ_EVENTS says what a send would do: a relaxed REQ may send again, a strict one not.
    assert_eq!(relaxed.events().expect("events"), ferrozmq::POLLOUT);
    assert_eq!(
        strict.events().expect("events"),
        ferrozmq::PollEvents::empty()
    );
}

#[test]
fn a_probing_router_greets_the_router_it_connects_to_without_being_called_again() {
    let ctx = Context::new();
    let server = socket(&ctx, ROUTER);
    let endpoint = bind(&server, "tcp");
    let client = socket(&ctx, ROUTER);
    client.options().set_routing_id("X").expect("routing id");
    client.options().set_probe_router(true).expect("probe");
    client.connect(&endpoint).expect("connect");
    // The client is not called again: its probe must go out on its own.
    assert_eq!(parts(&server), [b"X".to_vec(), Vec::new()]);
    server.send_more("X").expect("address");
    server.send("Hello").expect("reply");
    let reply = parts(&client);
    assert_eq!(reply.len(), 2, "generated id, body");
    assert_eq!(reply[1], b"Hello");
    // One probe per connection, not one more when the client attaches the pipe.
    server
        .options()
        .set_rcvtimeo(Some(Duration::from_millis(200)))
        .expect("timeout");
    assert!(matches!(server.recv(), Err(Error::Again)));
}

#[test]
fn options_for_other_types_are_refused() {
    let ctx = Context::new();
    assert!(matches!(
        socket(&ctx, DEALER).options().set_router_mandatory(true),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        socket(&ctx, PUB).options().set_xpub_verbose(true),
        Err(Error::InvalidArgument(_))
    ));
    assert!(socket(&ctx, PUB).options().set_xpub_nodrop(true).is_ok());
}

#[test]
fn steerable_proxy_pauses_resumes_reports_and_terminates() {
    use ferrozmq::{PULL, PUSH};
    let ctx = Context::new();
    let front = socket(&ctx, PULL);
    let front_endpoint = bind(&front, "inproc");
    let back = socket(&ctx, PUSH);
    let back_endpoint = bind(&back, "inproc");
    let control = socket(&ctx, PAIR);
    let control_endpoint = bind(&control, "inproc");
    let broker =
        std::thread::spawn(move || ferrozmq::proxy_steerable(&front, &back, None, &control));
    let steer = socket(&ctx, PAIR);
    steer.connect(&control_endpoint).expect("connect");
    let producer = socket(&ctx, PUSH);
    producer.connect(&front_endpoint).expect("connect");
    let consumer = socket(&ctx, PULL);
    consumer.connect(&back_endpoint).expect("connect");

    // A message of two parts counts once in the statistics, as in libzmq.
    producer.send_more("o").expect("send");
    producer.send("ne").expect("send");
    assert_eq!(parts(&consumer), [b"o".to_vec(), b"ne".to_vec()]);
    steer.send("PAUSE").expect("pause");
    // Statistics are answered even while paused, after the pause took effect.
    steer.send("STATISTICS").expect("statistics");
    let stats: Vec<u64> = steer
        .recv_multipart()
        .expect("statistics")
        .iter()
        .map(|p| u64::from_ne_bytes(p[..].try_into().expect("8 bytes")))
        .collect();
    assert_eq!(stats, vec![1, 3, 0, 0, 0, 0, 1, 3]);
    producer.send("two").expect("send");
    consumer
        .options()
        .set_rcvtimeo(Some(Duration::from_millis(100)))
        .expect("timeout");
    assert!(matches!(consumer.recv(), Err(Error::Again)), "paused");
    steer.send("RESUME").expect("resume");
    consumer
        .options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .expect("timeout");
    assert_eq!(consumer.recv().expect("forwarded"), b"two");
    steer.send("TERMINATE").expect("terminate");
    broker
        .join()
        .expect("broker thread")
        .expect("proxy returns Ok on TERMINATE");
}

#[test]
fn a_proxy_whose_backend_has_no_peer_still_hears_its_control_socket() {
    use ferrozmq::{PUSH, SUB};
    let ctx = Context::new();
    let front = socket(&ctx, SUB);
    front.subscribe("").expect("subscribe");
    let front_endpoint = bind(&front, "inproc");
    // Nobody ever pulls from the backend: it can take no message.
    let back = socket(&ctx, PUSH);
    bind(&back, "inproc");
    let control = socket(&ctx, PAIR);
    let control_endpoint = bind(&control, "inproc");
    let broker =
        std::thread::spawn(move || ferrozmq::proxy_steerable(&front, &back, None, &control));
    let publisher = socket(&ctx, ferrozmq::PUB);
    publisher.connect(&front_endpoint).expect("connect");
    // The messages must reach the proxy: its subscription first.
    publisher
        .wait_for_subscribers(1, Some(Duration::from_secs(5)))
        .expect("the proxy's front subscribes");
    for _ in 0..3 {
        publisher.send("for nobody").expect("publish");
    }
    std::thread::sleep(Duration::from_millis(100));
    let steer = socket(&ctx, PAIR);
    steer.connect(&control_endpoint).expect("connect");
    steer.send("TERMINATE").expect("terminate");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !broker.is_finished() {
        assert!(Instant::now() < deadline, "the proxy never heard TERMINATE");
        std::thread::sleep(Duration::from_millis(10));
    }
    broker
        .join()
        .expect("broker thread")
        .expect("proxy returns Ok on TERMINATE");
}

#[test]
fn a_proxy_on_one_rep_socket_echoes_each_request() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = bind(&rep, "tcp");
    let control = socket(&ctx, PAIR);
    let control_endpoint = bind(&control, "inproc");
    let broker = std::thread::spawn(move || ferrozmq::proxy_steerable(&rep, &rep, None, &control));
    let req = socket(&ctx, REQ);
    req.connect(&endpoint).expect("connect");
    for request in ["msg1", "msg22"] {
        req.send(request).expect("request");
        assert_eq!(req.recv().expect("echo"), request);
    }
    let steer = socket(&ctx, PAIR);
    steer.connect(&control_endpoint).expect("connect");
    steer.send("TERMINATE").expect("terminate");
    broker.join().expect("broker").expect("Ok on TERMINATE");
}

#[test]
fn a_pair_at_its_high_water_mark_resumes_as_soon_as_the_peer_reads() {
    let ctx = Context::new();
    let a = socket(&ctx, PAIR);
    a.options().set_sndhwm(1).expect("hwm");
    a.options().set_rcvhwm(1).expect("hwm");
    let endpoint = bind(&a, "tcp");
    let b = socket(&ctx, PAIR);
    b.options().set_sndhwm(1).expect("hwm");
    b.options().set_rcvhwm(1).expect("hwm");
    b.connect(&endpoint).expect("connect");
    let reader = std::thread::spawn(move || {
        for i in 0..5000u32 {
            assert_eq!(b.recv().map(Vec::from).expect("recv"), i.to_be_bytes());
        }
    });
    // Every send may find the pipe full: none may wait for a wake-up that never comes.
    for i in 0..5000u32 {
        a.send(&i.to_be_bytes()[..]).expect("send within SNDTIMEO");
    }
    reader.join().expect("reader");
}

/// XPUB_NODROP meets its mark the way libzmq's does: by the subscriber side's
/// acknowledgements the publisher has taken in, so a publisher running ahead gets EAGAIN
/// even while the I/O thread moves every message into the kernel at once (libzmq's
/// test_hwm_pubsub), and nothing is lost: a blocking send waits for the acknowledgement
/// instead, and every message arrives.
#[test]
fn xpub_nodrop_meets_its_mark_ahead_of_a_fast_connection_and_loses_nothing() {
    let ctx = Context::new();
    let publisher = socket(&ctx, XPUB);
    publisher.options().set_sndhwm(2_000).expect("hwm");
    publisher.options().set_xpub_nodrop(true).expect("nodrop");
    let endpoint = bind(&publisher, "tcp");
    let subscriber = socket(&ctx, SUB);
    subscriber.subscribe(b"").expect("subscribe");
    subscriber.connect(&endpoint).expect("connect");
    assert_eq!(parts(&publisher), [vec![1u8]]);

    let (mut sent, mut refused) = (0, 0);
    while sent < 6_000 {
        match publisher.try_send(Vec::new()) {
            Ok(()) => sent += 1,
            Err(Error::Again) => {
                refused += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("send: {e}"),
        }
    }
    assert!(
        refused > 0,
        "6,000 messages at SNDHWM 2,000 were never refused"
    );
    // Blocking sends wait for the acknowledgement rather than fail or drop.
    for _ in 0..6_000 {
        publisher.send(Vec::new()).expect("blocking send");
    }
    publisher.send("end").expect("end");
    let mut received = 0;
    loop {
        let msg = subscriber.recv().expect("every message arrives");
        if &msg[..] == b"end" {
            break;
        }
        received += 1;
    }
    assert_eq!(received, 12_000);
}
