//! Whether what a socket sends can reach anyone, over real tcp: waiting for subscribers
//! before publishing (`Socket::wait_for_subscribers`), counting what no connection has
//! taken (`Socket::unsent`), and telling connections apart in monitor events (the
//! descriptor a completed handshake carries).
//!
//! Every wait is bounded, and every socket has LINGER 0.

use ferrozmq::{
    Context, Error, EventKind, MonitorEvent, Socket, SocketType, DISH, PUB, PULL, PUSH, RADIO, SUB,
    XPUB,
};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);
/// Long enough for a subscription that is coming to arrive on loopback.
const SHORT: Duration = Duration::from_millis(300);

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
    s
}

fn subscriber(ctx: &Context, endpoint: &str, prefix: &str) -> Socket {
    let sub = socket(ctx, SUB);
    sub.subscribe(prefix).expect("subscribe");
    sub.connect(endpoint).expect("connect");
    sub
}

#[test]
fn a_publisher_that_waited_for_its_subscribers_reaches_each_with_its_first_message() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let endpoint = publisher.bind("tcp://127.0.0.1:*").expect("bind");
    let subscribers = [
        subscriber(&ctx, &endpoint, ""),
        subscriber(&ctx, &endpoint, "weather"),
    ];
    publisher
        .wait_for_subscribers(2, Some(TIMEOUT))
        .expect("both subscriptions arrive");
    publisher.send("weather: 晴").expect("send");
    for sub in &subscribers {
        assert_eq!(sub.recv().expect("the first message"), "weather: 晴");
    }
}

#[test]
fn waiting_for_more_subscribers_than_there_are_times_out() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let endpoint = publisher.bind("tcp://127.0.0.1:*").expect("bind");
    let _one = subscriber(&ctx, &endpoint, "");
    let started = Instant::now();
    assert_eq!(
        publisher.wait_for_subscribers(2, Some(SHORT)),
        Err(Error::Again)
    );
    assert!(started.elapsed() >= SHORT);
    // The one that is there counts.
    publisher
        .wait_for_subscribers(1, Some(TIMEOUT))
        .expect("one subscriber");
}

#[test]
fn a_connected_peer_without_a_subscription_is_no_subscriber() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let endpoint = publisher.bind("tcp://127.0.0.1:*").expect("bind");
    let silent = socket(&ctx, SUB);
    silent.connect(&endpoint).expect("connect");
    assert_eq!(
        publisher.wait_for_subscribers(1, Some(SHORT)),
        Err(Error::Again)
    );
    silent.subscribe("late").expect("subscribe");
    publisher
        .wait_for_subscribers(1, Some(TIMEOUT))
        .expect("subscribed now");
}

#[test]
fn a_subscriber_that_leaves_no_longer_counts() {
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    let endpoint = publisher.bind("tcp://127.0.0.1:*").expect("bind");
    let sub = subscriber(&ctx, &endpoint, "");
    publisher
        .wait_for_subscribers(1, Some(TIMEOUT))
        .expect("subscribed");
    drop(sub);
    // The publisher notices the connection is gone after a moment.
    let deadline = Instant::now() + TIMEOUT;
    while publisher
        .wait_for_subscribers(1, Some(Duration::ZERO))
        .is_ok()
    {
        assert!(Instant::now() < deadline, "the subscriber still counts");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_xpub_counts_each_subscriber_of_a_prefix_it_announces_once() {
    let ctx = Context::new();
    let xpub = socket(&ctx, XPUB);
    let endpoint = xpub.bind("tcp://127.0.0.1:*").expect("bind");
    let _subs = [
        subscriber(&ctx, &endpoint, "same"),
        subscriber(&ctx, &endpoint, "same"),
    ];
    xpub.wait_for_subscribers(2, Some(TIMEOUT))
        .expect("both subscribers count");
    // Not verbose: the application hears of the prefix once.
    assert_eq!(xpub.recv().expect("notice"), b"\x01same"[..]);
    assert_eq!(xpub.try_recv(), Err(Error::Again));
}

#[test]
fn a_radio_counts_the_dishes_that_joined_a_group() {
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    let endpoint = dish.bind("tcp://127.0.0.1:*").expect("bind");
    let radio = socket(&ctx, RADIO);
    radio.connect(&endpoint).expect("connect");
    assert_eq!(
        radio.wait_for_subscribers(1, Some(SHORT)),
        Err(Error::Again)
    );
    dish.join("weather").expect("join");
    radio
        .wait_for_subscribers(1, Some(TIMEOUT))
        .expect("the dish joined");
    radio.send_group("weather", "rain").expect("send");
    assert_eq!(dish.recv_group().expect("recv").1, "rain");
}

#[test]
fn only_publishing_types_have_subscribers() {
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    assert_eq!(
        push.wait_for_subscribers(0, Some(Duration::ZERO)),
        Err(Error::NotSupported)
    );
}

#[test]
fn messages_for_a_peer_that_never_completes_its_handshake_stay_unsent() {
    // A listener the kernel completes connections for, and nobody ever reads.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.connect(&format!("tcp://{}", silent.local_addr().expect("address")))
        .expect("connect");
    for i in 0..3 {
        push.send(format!("message {i}")).expect("queued");
    }
    thread::sleep(SHORT);
    assert_eq!(push.unsent(), 3);
}

#[test]
fn messages_a_peer_took_are_no_longer_unsent() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
    let push = socket(&ctx, PUSH);
    // Sent before the connection exists: they wait in the queue.
    push.connect(&endpoint).expect("connect");
    for i in 0..3 {
        push.send(format!("message {i}")).expect("queued");
    }
    let deadline = Instant::now() + TIMEOUT;
    while push.unsent() > 0 {
        assert!(Instant::now() < deadline, "{} still unsent", push.unsent());
        thread::sleep(Duration::from_millis(10));
    }
    for i in 0..3 {
        assert_eq!(pull.recv().expect("recv"), format!("message {i}").as_str());
    }
}

#[test]
fn a_completed_handshake_names_the_descriptor_of_its_connection() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let mut monitor = pull
        .monitor(EventKind::Accepted | EventKind::HandshakeSucceeded | EventKind::Disconnected)
        .expect("monitor");
    let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    let accepted = match monitor.recv_timeout(TIMEOUT).expect("accepted") {
        MonitorEvent::Accepted { fd, .. } => fd,
        other => panic!("expected ACCEPTED, got {other:?}"),
    };
    match monitor.recv_timeout(TIMEOUT).expect("handshake") {
        event @ MonitorEvent::HandshakeSucceeded { fd, .. } => {
            assert_eq!(fd, accepted);
            // The wire feed's value is libzmq's: 0.
            assert_eq!(event.value(), 0);
        }
        other => panic!("expected HANDSHAKE_SUCCEEDED, got {other:?}"),
    }
    drop(push);
    match monitor.recv_timeout(TIMEOUT).expect("disconnected") {
        MonitorEvent::Disconnected { fd, .. } => assert_eq!(fd, accepted),
        other => panic!("expected DISCONNECTED, got {other:?}"),
    }
}

#[test]
fn a_peer_whose_handshake_was_reported_gets_its_share_at_once() {
    // Once a monitor reported both handshakes, the two next messages go one to each peer:
    // the event comes after the socket has the new connection's pipe.
    for _ in 0..20 {
        let ctx = Context::new();
        let push = socket(&ctx, PUSH);
        let mut monitor = push
            .monitor(EventKind::HandshakeSucceeded.into())
            .expect("monitor");
        let endpoint = push.bind("tcp://127.0.0.1:*").expect("bind");
        let pulls = [socket(&ctx, PULL), socket(&ctx, PULL)];
        for pull in &pulls {
            pull.connect(&endpoint).expect("connect");
        }
        for _ in 0..2 {
            monitor.recv_timeout(TIMEOUT).expect("a handshake");
        }
        push.send("one").expect("send");
        push.send("two").expect("send");
        for pull in &pulls {
            pull.recv().expect("each peer gets one");
        }
    }
}
