//! Options about connections, each shown by its effect over real tcp: heartbeats that
//! detect a silent peer, the peer's PING TTL honoured, CONFLATE keeping the newest
//! message, RECONNECT_STOP, the reconnection back-off, and the system socket knobs.

mod common;

use common::{frame, RawPeer};
use ferrozmq::{
    Context, EventKind, EventSet, Monitor, MonitorEvent, ReconnectStop, Socket, SocketType, DEALER,
    PULL, PUSH, ROUTER,
};
use std::net::TcpListener;
use std::os::fd::RawFd;
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

/// `watched`'s events.
fn watch(watched: &Socket) -> Monitor {
    watched.monitor(EventSet::ALL).expect("monitor")
}

/// The next event of `kind`, skipping others; panics after the deadline.
fn wait_for(feed: &mut Monitor, kind: EventKind, within: Duration) -> MonitorEvent {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no {kind:?} event in time");
        if let Ok(event) = feed.recv_timeout(left) {
            if event.kind() == kind {
                return event;
            }
        }
    }
}

fn raw_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let endpoint = format!("tcp://{}", listener.local_addr().expect("addr"));
    (listener, endpoint)
}

fn accept(listener: &TcpListener) -> RawPeer {
    listener.set_nonblocking(false).expect("blocking accept");
    let (stream, _) = listener.accept().expect("accept");
    RawPeer::from_stream(stream)
}

#[test]
fn heartbeats_ping_and_drop_a_peer_that_went_silent() {
    let ctx = Context::new();
    let dealer = socket(&ctx, DEALER);
    dealer
        .options()
        .set_heartbeat_ivl(Duration::from_millis(50))
        .expect("ivl");
    dealer
        .options()
        .set_heartbeat_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    dealer
        .options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect");
    let mut feed = watch(&dealer);
    let (listener, endpoint) = raw_listener();
    dealer.connect(&endpoint).expect("connect");
    let mut peer = accept(&listener);
    peer.handshake("ROUTER", 1);
    let ping = peer.read_frame();
    assert!(
        ping.is_command() && ping.body.starts_with(b"\x04PING"),
        "a PING comes"
    );
    // The peer now says nothing at all, as a frozen process would.
    let started = Instant::now();
    wait_for(&mut feed, EventKind::Disconnected, Duration::from_secs(5));
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "dropped within about HEARTBEAT_TIMEOUT, not after {waited:?}"
    );
    // And the connection is replaced.
    let mut replacement = accept(&listener);
    replacement.handshake("ROUTER", 1);
    wait_for(
        &mut feed,
        EventKind::HandshakeSucceeded,
        Duration::from_secs(5),
    );
}

#[test]
fn a_peer_asking_for_a_ttl_is_dropped_when_it_falls_silent() {
    let ctx = Context::new();
    let router = socket(&ctx, ROUTER);
    let endpoint = router.bind("tcp://127.0.0.1:*").expect("bind");
    let mut peer = RawPeer::connect(&endpoint);
    peer.handshake("DEALER", 1);
    // PING with a TTL of 3 tenths of a second, and an empty context.
    peer.write(&frame(0x04, b"\x04PING\x00\x03"));
    let pong = peer.read_frame();
    assert!(
        pong.is_command() && pong.body == b"\x04PONG",
        "the PING is answered"
    );
    peer.read_until_closed()
        .expect("the ROUTER hangs up once the TTL passes in silence");
}

#[test]
fn ping_contexts_are_echoed() {
    let ctx = Context::new();
    let router = socket(&ctx, ROUTER);
    let endpoint = router.bind("tcp://127.0.0.1:*").expect("bind");
    let mut peer = RawPeer::connect(&endpoint);
    peer.handshake("DEALER", 1);
    peer.write(&frame(0x04, b"\x04PING\x00\x00hello"));
    let pong = peer.read_frame();
    assert_eq!(pong.body, b"\x04PONGhello");
}

#[test]
fn conflate_keeps_only_the_newest_message() {
    let ctx = Context::new();
    // inproc: the sends fill the pipe itself, all before the receive looks.
    let pull = socket(&ctx, PULL);
    pull.options().set_conflate(true).expect("conflate");
    let endpoint = pull.bind("inproc://conflate").expect("bind");
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    for i in 1..=100u32 {
        push.send(&i.to_be_bytes()[..]).expect("send");
    }
    only_the_newest_is_there(&pull, "inproc");

    // tcp: a peer writes the 100 messages with a PING behind them. The socket reads its
    // connection in order, so the PONG says all 100 have arrived (a pause instead would be
    // too short on a loaded machine).
    let pull = socket(&ctx, PULL);
    pull.options().set_conflate(true).expect("conflate");
    let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
    let mut peer = RawPeer::connect(&endpoint);
    peer.handshake("PUSH", 1);
    let mut burst = Vec::new();
    for i in 1..=100u32 {
        burst.extend_from_slice(&frame(0, &i.to_be_bytes()));
    }
    burst.extend_from_slice(&frame(0x04, b"\x04PING\x00\x00all sent"));
    peer.write(&burst);
    let pong = peer.read_frame();
    assert_eq!(
        pong.body, b"\x04PONGall sent",
        "the PING behind the messages"
    );
    only_the_newest_is_there(&pull, "tcp");
}

/// Messages 1 to 100 have arrived at `pull`, which conflates: it has 100 and nothing else.
fn only_the_newest_is_there(pull: &Socket, transport: &str) {
    let newest = pull.recv().map(Vec::from).expect("the newest message");
    assert_eq!(newest, 100u32.to_be_bytes(), "{transport}");
    pull.options()
        .set_rcvtimeo(Some(Duration::from_millis(100)))
        .expect("timeout");
    assert!(pull.recv().is_err(), "nothing older is left: {transport}");
}

#[test]
fn reconnect_stop_on_refusal_gives_up_after_the_first_refused_connect() {
    let ctx = Context::new();
    let (listener, endpoint) = raw_listener();
    drop(listener);
    let dealer = socket(&ctx, DEALER);
    dealer
        .options()
        .set_reconnect_ivl(Some(Duration::from_millis(20)))
        .expect("reconnect");
    dealer
        .options()
        .set_reconnect_stop(ReconnectStop::CONN_REFUSED)
        .expect("stop");
    let mut feed = watch(&dealer);
    dealer.connect(&endpoint).expect("connect");
    std::thread::sleep(Duration::from_millis(300));
    let mut retried = 0;
    while let Ok(event) = feed.try_recv() {
        retried += usize::from(event.kind() == EventKind::ConnectRetried);
    }
    assert_eq!(retried, 0, "no reconnection after the refusal");
}

#[test]
fn reconnect_interval_backs_off_to_its_maximum_and_resets_after_success() {
    let ctx = Context::new();
    let (listener, endpoint) = raw_listener();
    drop(listener);
    let dealer = socket(&ctx, DEALER);
    dealer
        .options()
        .set_reconnect_ivl(Some(Duration::from_millis(10)))
        .expect("ivl");
    dealer
        .options()
        .set_reconnect_ivl_max(Duration::from_millis(80))
        .expect("max");
    let mut feed = watch(&dealer);
    dealer.connect(&endpoint).expect("connect");
    let intervals: Vec<u32> = (0..6)
        .map(|_| wait_for(&mut feed, EventKind::ConnectRetried, Duration::from_secs(5)).value())
        .collect();
    assert_eq!(intervals, vec![10, 20, 40, 80, 80, 80]);
    // A listener appears: after a successful handshake the interval starts over.
    let listener = TcpListener::bind(endpoint.trim_start_matches("tcp://")).expect("rebind");
    let mut peer = accept(&listener);
    peer.handshake("ROUTER", 1);
    wait_for(
        &mut feed,
        EventKind::HandshakeSucceeded,
        Duration::from_secs(5),
    );
    drop(peer);
    drop(listener);
    let after = wait_for(&mut feed, EventKind::ConnectRetried, Duration::from_secs(5));
    assert_eq!(after.value(), 10);
}

fn int_option(fd: RawFd, level: i32, name: i32) -> i32 {
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: value and len are valid for writes of their sizes; fd is a live socket.
    let rc =
        unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut i32).cast(), &mut len) };
    assert_eq!(rc, 0, "getsockopt");
    value
}

#[test]
fn system_socket_knobs_reach_the_connection() {
    let ctx = Context::new();
    let dealer = socket(&ctx, DEALER);
    dealer
        .options()
        .set_tcp_keepalive(Some(true))
        .expect("keepalive");
    dealer
        .options()
        .set_tcp_keepalive_idle(Some(Duration::from_secs(42)))
        .expect("idle");
    dealer
        .options()
        .set_tcp_keepalive_cnt(Some(7))
        .expect("cnt");
    dealer
        .options()
        .set_tcp_keepalive_intvl(Some(Duration::from_secs(3)))
        .expect("intvl");
    dealer
        .options()
        .set_tcp_maxrt(Duration::from_millis(4321))
        .expect("maxrt");
    dealer.options().set_sndbuf(Some(100_000)).expect("sndbuf");
    let mut feed = watch(&dealer);
    let (listener, endpoint) = raw_listener();
    dealer.connect(&endpoint).expect("connect");
    let _peer = accept(&listener);
    // The monitor reports the connection's descriptor, as libzmq's does.
    let fd = wait_for(&mut feed, EventKind::Connected, Duration::from_secs(5)).value() as RawFd;
    assert_eq!(int_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE), 1);
    assert_eq!(int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), 42);
    assert_eq!(int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT), 7);
    assert_eq!(int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 3);
    assert_eq!(
        int_option(fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT),
        4321
    );
    assert!(int_option(fd, libc::SOL_SOCKET, libc::SO_SNDBUF) >= 100_000);
}

#[test]
fn options_refuse_values_out_of_range_and_read_back() {
    let ctx = Context::new();
    let s = socket(&ctx, DEALER);
    // Negative values cannot be written any more; values beyond libzmq's int can.
    assert!(s
        .options()
        .set_heartbeat_ivl(Duration::from_secs(u64::MAX))
        .is_err());
    assert!(s
        .options()
        .set_tcp_keepalive_idle(Some(Duration::from_secs(1 << 40)))
        .is_err());
    assert!(s.options().set_bindtodevice(&"x".repeat(64)).is_err());
    s.options()
        .set_heartbeat_ttl(Duration::from_millis(1500))
        .expect("ttl");
    assert_eq!(s.options().heartbeat_ttl(), Duration::from_millis(1500));
    assert_eq!(s.options().heartbeat_timeout(), None);
    s.options().set_conflate(true).expect("conflate");
    assert!(s.options().conflate());
}

#[test]
fn connect_timeout_abandons_a_connect_that_hangs() {
    // A listener that never accepts, with its queue full: the kernel drops further SYNs, so
    // a new connect hangs, as one to a black-holed host would.
    let listener = listener_with_backlog_zero();
    let addr = listener.local_addr().expect("addr");
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(s);
        }
    }
    let ctx = Context::new();
    let dealer = socket(&ctx, DEALER);
    dealer
        .options()
        .set_connect_timeout(Duration::from_millis(100))
        .expect("connect timeout");
    dealer
        .options()
        .set_reconnect_ivl(Some(Duration::from_secs(10)))
        .expect("slow reconnect");
    let mut feed = watch(&dealer);
    let started = Instant::now();
    dealer.connect(&format!("tcp://{addr}")).expect("connect");
    wait_for(&mut feed, EventKind::ConnectDelayed, Duration::from_secs(5));
    wait_for(&mut feed, EventKind::ConnectRetried, Duration::from_secs(5));
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "gave up after CONNECT_TIMEOUT, not the kernel's SYN retries: {:?}",
        started.elapsed()
    );
}

/// A loopback listener whose accept queue holds a single connection.
fn listener_with_backlog_zero() -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    // SAFETY: listening again on a socket we own only changes its backlog.
    let rc = unsafe { libc::listen(std::os::fd::AsRawFd::as_raw_fd(&listener), 0) };
    assert_eq!(rc, 0, "listen");
    listener
}
