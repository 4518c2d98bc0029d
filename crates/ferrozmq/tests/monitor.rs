//! Socket monitoring over real tcp (and ipc) connections: which events each happening
//! produces, in which order, with which endpoint, value and reason (typed monitors); libzmq's
//! wire feed, its layout and its rules; and the same scenarios watched on a libzmq socket,
//! which must report the same sequence.
//!
//! Every wait is bounded, and every socket has LINGER 0.

use ferrozmq::{
    protocol_error, Context, DisconnectReason, Error, EventKind, EventSet, FeedVersion, Message,
    Monitor, MonitorEvent, Socket, SocketType, WireEvent, WireEventV2, DEALER, PAIR, PUB, PULL,
    PUSH, SUB,
};
use std::cell::RefCell;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const TIMEOUT_MS: i32 = 5000;
const TIMEOUT: Duration = Duration::from_millis(TIMEOUT_MS as u64);
/// How long to listen for an event that must not come.
const QUIET: Duration = Duration::from_millis(200);

static NEXT_FEED: AtomicUsize = AtomicUsize::new(0);

fn feed_endpoint() -> String {
    let n = NEXT_FEED.fetch_add(1, Ordering::Relaxed);
    format!("inproc://monitor-test-{n}")
}

/// A tcp endpoint on a port that was free a moment ago.
fn free_endpoint() -> String {
    let probe = TcpListener::bind("127.0.0.1:0").expect("probe a free port");
    format!("tcp://{}", probe.local_addr().expect("probe address"))
}

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
    s.options().set_sndtimeo(Some(TIMEOUT)).expect("sndtimeo");
    s
}

/// A socket's typed monitor, read through `&self`.
struct Feed {
    monitor: RefCell<Monitor>,
}

impl Feed {
    /// Monitors `socket` for the kinds in `events`, from now on, so that no event of what
    /// the test does next is missed.
    fn watch(watched: &Socket, events: EventSet) -> Feed {
        let monitor = watched.monitor(events).expect("monitor");
        Feed {
            monitor: RefCell::new(monitor),
        }
    }

    fn next(&self) -> MonitorEvent {
        self.monitor
            .borrow_mut()
            .recv_timeout(TIMEOUT)
            .expect("a monitor event within the timeout")
    }

    /// The next event, which must be of `kind`.
    fn expect(&self, kind: EventKind) -> MonitorEvent {
        let event = self.next();
        assert_eq!(
            event.kind(),
            kind,
            "expected {}, got {event:?}",
            kind.name()
        );
        event
    }

    /// Skips events until one of `kind`, and returns it.
    fn until(&self, kind: EventKind) -> MonitorEvent {
        loop {
            let event = self.next();
            if event.kind() == kind {
                return event;
            }
        }
    }

    fn assert_quiet(&self) {
        match self.monitor.borrow_mut().recv_timeout(QUIET) {
            Err(Error::Again) => {}
            other => panic!("expected no event, got {other:?}"),
        }
    }
}

/// The reading end of a socket's wire feed (`zmq_socket_monitor`).
struct WireFeed {
    reader: Socket,
}

impl WireFeed {
    /// Starts `socket`'s wire feed for the kinds in `events` and connects a reader, so that
    /// no event of what the test does next is missed.
    fn watch(ctx: &Context, watched: &Socket, events: EventSet) -> WireFeed {
        let endpoint = feed_endpoint();
        watched
            .monitor_to(Some(&endpoint), events)
            .expect("monitor");
        let reader = socket(ctx, PAIR);
        reader.connect(&endpoint).expect("connect the reader");
        WireFeed { reader }
    }

    fn next(&self) -> WireEvent {
        WireEvent::recv(&self.reader).expect("a monitor event within the timeout")
    }

    /// The next event, which must be of `kind`.
    fn expect(&self, kind: EventKind) -> WireEvent {
        let event = self.next();
        assert_eq!(event.kind, kind, "expected {}, got {event:?}", kind.name());
        event
    }

    fn assert_quiet(&self) {
        self.reader
            .options()
            .set_rcvtimeo(Some(QUIET))
            .expect("rcvtimeo");
        match WireEvent::recv(&self.reader) {
            Err(Error::Again) => {}
            other => panic!("expected no event, got {other:?}"),
        }
        self.reader
            .options()
            .set_rcvtimeo(Some(TIMEOUT))
            .expect("rcvtimeo");
    }
}

fn bound(socket: &Socket, endpoint: &str) -> String {
    socket.bind(endpoint).expect("bind")
}

/// Why a DISCONNECTED event's connection was lost.
fn reason(event: &MonitorEvent) -> DisconnectReason {
    match event {
        MonitorEvent::Disconnected { reason, .. } => *reason,
        other => panic!("not a disconnection: {other:?}"),
    }
}

fn tcp_addr(endpoint: &str) -> &str {
    endpoint.strip_prefix("tcp://").expect("a tcp endpoint")
}

#[test]
fn bind_reports_listening_with_the_resolved_endpoint_and_the_listener_fd() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let event = feed.expect(EventKind::Listening);
    assert_eq!(event.endpoint(), endpoint, "the port is resolved");
    assert!(
        event.value() > 2,
        "a descriptor past stdio, got {}",
        event.value()
    );
}

#[test]
fn a_peer_that_connects_and_leaves_is_accepted_handshaken_and_disconnected() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);

    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    let accepted = feed.expect(EventKind::Accepted);
    assert_eq!(accepted.endpoint(), endpoint);
    let handshake = feed.expect(EventKind::HandshakeSucceeded);
    assert_eq!(handshake.endpoint(), endpoint);
    assert_eq!(handshake.value(), 0);

    push.send("hello").expect("send");
    assert_eq!(pull.recv().expect("recv"), b"hello");
    drop(push);
    let disconnected = feed.expect(EventKind::Disconnected);
    assert_eq!(disconnected.endpoint(), endpoint);
    assert_eq!(
        disconnected.value(),
        accepted.value(),
        "the connection's descriptor"
    );
    assert_eq!(reason(&disconnected), DisconnectReason::PeerClosed);
    feed.assert_quiet();
}

#[test]
fn connecting_reports_delayed_then_connected_and_the_handshake() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let push = socket(&ctx, PUSH);
    let feed = Feed::watch(&push, EventSet::ALL);
    push.connect(&endpoint).expect("connect");

    let delayed = feed.expect(EventKind::ConnectDelayed);
    assert_eq!(delayed.endpoint(), endpoint);
    assert_eq!(
        delayed.value(),
        libc::EINPROGRESS as u32,
        "as libzmq reports it"
    );
    let connected = feed.expect(EventKind::Connected);
    assert_eq!(connected.endpoint(), endpoint);
    assert!(
        connected.value() > 2,
        "a descriptor, got {}",
        connected.value()
    );
    feed.expect(EventKind::HandshakeSucceeded);
}

#[test]
fn ipc_connects_complete_at_once_so_they_are_never_delayed() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let path = std::env::temp_dir().join(format!("fzmq-monitor-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let endpoint = bound(&pull, &format!("ipc://{}", path.display()));
    let push = socket(&ctx, PUSH);
    let feed = Feed::watch(&push, EventSet::ALL);
    push.connect(&endpoint).expect("connect");
    assert_eq!(feed.expect(EventKind::Connected).endpoint(), endpoint);
    feed.expect(EventKind::HandshakeSucceeded);
}

#[test]
fn connecting_to_nothing_retries_at_the_interval_until_a_listener_appears() {
    let ctx = Context::new();
    let endpoint = free_endpoint();
    let push = socket(&ctx, PUSH);
    push.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    let feed = Feed::watch(&push, EventSet::ALL);
    push.connect(&endpoint).expect("connect");

    // Each refused attempt: the connect starts, its descriptor is closed, a retry is due.
    for _ in 0..2 {
        assert_eq!(feed.expect(EventKind::ConnectDelayed).endpoint(), endpoint);
        assert_eq!(feed.expect(EventKind::Closed).endpoint(), endpoint);
        let retried = feed.expect(EventKind::ConnectRetried);
        assert_eq!(retried.endpoint(), endpoint);
        assert_eq!(retried.value(), 50, "the reconnect interval in ms");
    }

    let pull = socket(&ctx, PULL);
    pull.bind(&endpoint).expect("bind the missing listener");
    let connected = feed.until(EventKind::Connected);
    assert_eq!(connected.endpoint(), endpoint);
    feed.expect(EventKind::HandshakeSucceeded);
    push.send("late").expect("send");
    assert_eq!(pull.recv().expect("recv"), b"late");
}

#[test]
fn connect_retried_reports_the_backed_off_interval() {
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.options()
        .set_reconnect_ivl(Some(Duration::from_millis(20)))
        .expect("reconnect ivl");
    push.options()
        .set_reconnect_ivl_max(Duration::from_millis(80))
        .expect("reconnect ivl max");
    let feed = Feed::watch(&push, EventKind::ConnectRetried.into());
    push.connect(&free_endpoint()).expect("connect");
    let intervals: Vec<u32> = (0..4).map(|_| feed.next().value()).collect();
    assert_eq!(intervals, [20, 40, 80, 80]);
}

#[test]
fn a_lost_connection_reports_disconnected_then_the_retry() {
    let ctx = Context::new();
    let endpoint = free_endpoint();
    let pull = socket(&ctx, PULL);
    pull.bind(&endpoint).expect("bind");
    let push = socket(&ctx, PUSH);
    push.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    let feed = Feed::watch(&push, EventSet::ALL);
    push.connect(&endpoint).expect("connect");
    feed.until(EventKind::HandshakeSucceeded);

    drop(pull);
    let disconnected = feed.expect(EventKind::Disconnected);
    assert_eq!(disconnected.endpoint(), endpoint);
    assert_eq!(reason(&disconnected), DisconnectReason::PeerClosed);
    assert_eq!(feed.expect(EventKind::ConnectRetried).value(), 50);
}

/// The engine stops reading once a read comes back short, trusting the next readiness
/// event; an end of stream that arrived with the last bytes brings no further event, so it
/// must still be seen.
#[test]
fn a_peer_whose_last_messages_and_end_of_stream_arrive_together_is_seen_leaving() {
    use std::io::Read;
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);
    for round in 0..20u8 {
        let mut raw = TcpStream::connect(tcp_addr(&endpoint)).expect("raw connect");
        let mut greeting = [0u8; 64];
        greeting[0] = 0xFF;
        greeting[9] = 0x7F;
        greeting[10] = 3;
        greeting[11] = 1;
        greeting[12..16].copy_from_slice(b"NULL");
        raw.write_all(&greeting).expect("greeting");
        let mut theirs = [0u8; 64];
        raw.read_exact(&mut theirs).expect("their greeting");
        let mut ready = vec![5u8];
        ready.extend(b"READY\x0bSocket-Type");
        ready.extend(4u32.to_be_bytes());
        ready.extend(b"PUSH");
        let mut bytes = vec![0x04, ready.len() as u8];
        bytes.extend(ready);
        for i in 0..5u8 {
            bytes.extend([0x00, 2, round, i]);
        }
        // Everything, then the end of stream, at once.
        raw.write_all(&bytes).expect("ready and messages");
        drop(raw);
        for i in 0..5u8 {
            assert_eq!(pull.recv().map(Vec::from).expect("recv"), [round, i]);
        }
        feed.until(EventKind::Disconnected);
    }
}

#[test]
fn a_garbage_sending_peer_fails_the_handshake_on_protocol_and_the_socket_keeps_serving() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);

    let mut raw = TcpStream::connect(tcp_addr(&endpoint)).expect("raw connect");
    // To a NULL socket a first octet other than 0xFF is the size of a ZMTP 1.0 identity
    // frame (as in libzmq); a size of 0 cannot be.
    raw.write_all(&[0u8; 16]).expect("write garbage");
    let accepted = feed.expect(EventKind::Accepted);
    let failed = feed.expect(EventKind::HandshakeFailedProtocol);
    assert_eq!(failed.endpoint(), endpoint);
    assert_eq!(
        failed.value(),
        protocol_error::ZMTP_UNSPECIFIED,
        "no ZMTP signature"
    );
    let disconnected = feed.expect(EventKind::Disconnected);
    assert_eq!(disconnected.value(), accepted.value());
    assert_eq!(
        reason(&disconnected),
        DisconnectReason::Protocol {
            code: protocol_error::ZMTP_UNSPECIFIED
        }
    );

    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    feed.expect(EventKind::Accepted);
    feed.expect(EventKind::HandshakeSucceeded);
    push.send("still here").expect("send");
    assert_eq!(pull.recv().expect("recv"), b"still here");
    drop(raw);
}

#[test]
fn an_incompatible_peer_fails_the_handshake_with_invalid_metadata() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);

    let pull_peer = socket(&ctx, PULL);
    pull_peer
        .options()
        .set_reconnect_ivl(None)
        .expect("no reconnect");
    pull_peer.connect(&endpoint).expect("connect");
    feed.expect(EventKind::Accepted);
    let failed = feed.expect(EventKind::HandshakeFailedProtocol);
    assert_eq!(failed.value(), protocol_error::ZMTP_INVALID_METADATA);
    feed.expect(EventKind::Disconnected);
}

#[test]
fn a_peer_that_hangs_up_mid_handshake_fails_it_without_detail() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);

    drop(TcpStream::connect(tcp_addr(&endpoint)).expect("raw connect"));
    feed.expect(EventKind::Accepted);
    let failed = feed.expect(EventKind::HandshakeFailedNoDetail);
    assert!(
        [libc::EPIPE as u32, libc::ECONNRESET as u32].contains(&failed.value()),
        "a hang-up errno, got {}",
        failed.value()
    );
    feed.expect(EventKind::Disconnected);
}

#[test]
fn a_silent_peer_fails_the_handshake_when_handshake_ivl_runs_out() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    pull.options()
        .set_handshake_ivl(Duration::from_millis(100))
        .expect("handshake ivl");
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);

    let silent = TcpStream::connect(tcp_addr(&endpoint)).expect("raw connect");
    feed.expect(EventKind::Accepted);
    let failed = feed.expect(EventKind::HandshakeFailedNoDetail);
    assert_eq!(failed.value(), libc::ETIMEDOUT as u32);
    let disconnected = feed.expect(EventKind::Disconnected);
    assert_eq!(reason(&disconnected), DisconnectReason::HandshakeTimeout);
    drop(silent);
}

#[test]
fn bind_on_a_port_in_use_reports_bind_failed_with_the_errno() {
    let ctx = Context::new();
    let taken = TcpListener::bind("127.0.0.1:0").expect("take a port");
    let endpoint = format!("tcp://{}", taken.local_addr().expect("address"));
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    assert!(matches!(pull.bind(&endpoint), Err(Error::AddrInUse(_))));
    let failed = feed.expect(EventKind::BindFailed);
    assert_eq!(failed.value(), libc::EADDRINUSE as u32);
    assert_eq!(failed.endpoint(), endpoint);
}

/// libzmq sends LISTENING and BIND_FAILED from the `bind` call itself: a program that binds
/// and then looks at its feed without waiting finds them there.
#[test]
fn the_wire_feed_has_listening_and_bind_failed_when_bind_returns() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    let take = |what: &str| {
        let parts = feed
            .reader
            .try_recv_multipart()
            .unwrap_or_else(|e| panic!("{what} is not on the feed when bind returns: {e:?}"));
        WireEvent::parse(&parts).expect("a monitor event")
    };
    for _ in 0..20 {
        let endpoint = bound(&pull, "tcp://127.0.0.1:*");
        let listening = take("LISTENING");
        assert_eq!(
            (listening.kind, listening.endpoint.as_str()),
            (EventKind::Listening, endpoint.as_str())
        );
        assert!(pull.bind(&endpoint).is_err(), "the port is taken");
        let failed = take("BIND_FAILED");
        assert_eq!(
            (failed.kind, failed.value),
            (EventKind::BindFailed, libc::EADDRINUSE as u32)
        );
    }
}

#[test]
fn unbind_reports_the_listener_closed() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let listening = feed.expect(EventKind::Listening);
    pull.unbind(&endpoint).expect("unbind");
    let closed = feed.expect(EventKind::Closed);
    assert_eq!(closed.endpoint(), endpoint);
    assert_eq!(
        closed.value(),
        listening.value(),
        "the listener's descriptor"
    );
}

#[test]
fn stopping_the_wire_feed_reports_monitor_stopped_and_nothing_after() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    pull.monitor_to(None, EventSet::empty()).expect("stop");
    let stopped = feed.expect(EventKind::MonitorStopped);
    assert_eq!(stopped.endpoint, "");
    assert_eq!(stopped.value, 0);
    pull.bind("tcp://127.0.0.1:*").expect("bind");
    feed.assert_quiet();
}

#[test]
fn closing_the_socket_ends_the_wire_feed_after_its_listeners_close() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);
    drop(pull);
    assert_eq!(feed.expect(EventKind::Closed).endpoint, endpoint);
    feed.expect(EventKind::MonitorStopped);
}

#[test]
fn closing_the_socket_ends_a_monitor_after_its_listeners_close() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    feed.expect(EventKind::Listening);
    drop(pull);
    assert_eq!(feed.expect(EventKind::Closed).endpoint(), endpoint);
    assert_eq!(feed.next(), MonitorEvent::MonitorStopped);
    let mut monitor = feed.monitor.into_inner();
    assert_eq!(monitor.recv(), Err(Error::Closed), "the monitor has ended");
    assert_eq!(monitor.try_recv(), Err(Error::Closed));
    assert_eq!(monitor.iter().count(), 0);
}

#[test]
fn a_second_wire_feed_replaces_the_first() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let first = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    let second = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    first.expect(EventKind::MonitorStopped);
    pull.bind("tcp://127.0.0.1:*").expect("bind");
    second.expect(EventKind::Listening);
    first.assert_quiet();
}

#[test]
fn monitors_and_the_wire_feed_report_side_by_side_until_each_is_stopped() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let wire = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    let everything = Feed::watch(&pull, EventSet::ALL);
    let listening_only = Feed::watch(&pull, EventKind::Listening.into());
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let typed = everything.expect(EventKind::Listening);
    assert_eq!(WireEvent::from(&typed), wire.expect(EventKind::Listening));
    assert_eq!(listening_only.expect(EventKind::Listening), typed);

    // A dropped monitor is forgotten; the others go on.
    drop(everything);
    pull.monitor_to(None, EventSet::empty())
        .expect("stop the feed");
    wire.expect(EventKind::MonitorStopped);
    pull.unbind(&endpoint).expect("unbind");
    pull.bind(&endpoint).expect("bind again");
    assert_eq!(
        listening_only.expect(EventKind::Listening).endpoint(),
        endpoint
    );
    wire.assert_quiet();
}

#[test]
fn the_events_mask_selects_what_is_reported() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = Feed::watch(&pull, EventKind::Accepted | EventKind::Disconnected);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    feed.expect(EventKind::Accepted);
    push.send("sync").expect("send");
    pull.recv().expect("recv");
    drop(push);
    feed.expect(EventKind::Disconnected);
    pull.unbind(&endpoint).expect("unbind");
    feed.assert_quiet();
}

#[test]
fn the_wire_feed_refuses_what_libzmq_refuses() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    assert!(matches!(
        pull.monitor_to(Some("tcp://127.0.0.1:5555"), EventSet::ALL),
        Err(Error::ProtocolNotSupported(_))
    ));
    // Masks beyond libzmq's 16 event bits cannot be made.
    assert_eq!(EventSet::from_bits(0x1_0000), None);
    let endpoint = feed_endpoint();
    let other = socket(&ctx, PULL);
    other
        .monitor_to(Some(&endpoint), EventSet::ALL)
        .expect("monitor");
    assert!(matches!(
        pull.monitor_to(Some(&endpoint), EventSet::ALL),
        Err(Error::AddrInUse(_))
    ));
}

/// Makes far more events than a reader holds, none read meanwhile: the socket serves on.
/// Returns how many events were made.
fn flood_of_events(ctx: &Context, pull: &Socket) -> usize {
    let endpoint = bound(pull, "tcp://127.0.0.1:*");
    // Each raw connection makes three events, far more in all than a reader holds (2000).
    let hang_ups = 1000;
    for _ in 0..hang_ups {
        drop(TcpStream::connect(tcp_addr(&endpoint)).expect("raw connect"));
    }
    let push = socket(ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    push.send("served").expect("send");
    assert_eq!(pull.recv().expect("recv"), b"served");
    1 + 3 * hang_ups + 2
}

#[test]
fn a_wire_reader_that_does_not_keep_up_loses_events_and_never_stalls_the_socket() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    let made = flood_of_events(&ctx, &pull);
    feed.reader
        .options()
        .set_rcvtimeo(Some(QUIET))
        .expect("rcvtimeo");
    let mut read = 0;
    while WireEvent::recv(&feed.reader).is_ok() {
        read += 1;
    }
    assert!(
        read < made,
        "some of the {made} events were dropped, read {read}"
    );
    assert!(
        read >= 1000,
        "the feed filled up before dropping, read {read}"
    );
}

#[test]
fn a_monitor_that_is_not_read_loses_events_and_never_stalls_the_socket() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let mut monitor = pull.monitor(EventSet::ALL).expect("monitor");
    let made = flood_of_events(&ctx, &pull);
    let mut read = 0;
    while monitor.recv_timeout(QUIET).is_ok() {
        read += 1;
    }
    assert!(
        read < made,
        "some of the {made} events were dropped, read {read}"
    );
    assert!(
        read >= Monitor::CAPACITY,
        "the monitor filled up before dropping, read {read}"
    );
}

#[test]
fn each_wire_event_is_two_frames_in_libzmq_v1_layout() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let feed = WireFeed::watch(&ctx, &pull, EventSet::ALL);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let parts = feed.reader.recv_multipart().expect("an event");
    assert_eq!(parts.len(), 2);
    assert!(parts[0].more() && !parts[1].more());
    let header: [u8; 6] = parts[0][..].try_into().expect("6 bytes: event and value");
    assert_eq!(
        u16::from_le_bytes([header[0], header[1]]),
        0x0008,
        "LISTENING"
    );
    let fd = u32::from_le_bytes([header[2], header[3], header[4], header[5]]);
    assert!(fd > 2, "a descriptor, got {fd}");
    assert_eq!(
        &parts[1][..],
        endpoint.as_bytes(),
        "the endpoint, no terminator"
    );
}

/// Which library's socket a comparison scenario watches.
#[derive(Clone, Copy, Debug)]
enum Lib {
    Ferro,
    Libzmq,
}

/// Both libraries' contexts: the monitored socket comes from one, its peers from ferrozmq.
struct Contexts {
    ferro: Context,
    libzmq: zmq::Context,
}

/// The monitored socket of a comparison scenario.
enum Watched {
    Ferro(Box<Socket>),
    Libzmq(zmq::Socket),
}

/// The reader of its feed, with what it read so far.
struct EventLog {
    reader: Reader,
    /// Each event as "NAME endpoint", the scenario's endpoint written as `<endpoint>`.
    seen: Vec<String>,
}

enum Reader {
    Ferro(Box<Socket>),
    Libzmq(zmq::Socket),
}

impl Watched {
    /// A PULL (`binder`) or PUSH socket of `lib`, monitored for every event, reconnecting
    /// every 50 ms.
    fn new(ctxs: &Contexts, lib: Lib, binder: bool) -> (Watched, EventLog) {
        let endpoint = feed_endpoint();
        let (watched, reader) = match lib {
            Lib::Ferro => {
                let s = socket(&ctxs.ferro, if binder { PULL } else { PUSH });
                s.options()
                    .set_reconnect_ivl(Some(Duration::from_millis(50)))
                    .expect("reconnect ivl");
                s.monitor_to(Some(&endpoint), EventSet::ALL)
                    .expect("monitor");
                let reader = socket(&ctxs.ferro, PAIR);
                reader.connect(&endpoint).expect("connect the reader");
                (Watched::Ferro(Box::new(s)), Reader::Ferro(Box::new(reader)))
            }
            Lib::Libzmq => {
                let s = ctxs
                    .libzmq
                    .socket(if binder { zmq::PULL } else { zmq::PUSH })
                    .expect("libzmq socket");
                s.set_linger(0).expect("linger");
                s.set_reconnect_ivl(50).expect("reconnect ivl");
                s.monitor(&endpoint, zmq::SocketEvent::ALL as i32)
                    .expect("monitor");
                let reader = ctxs.libzmq.socket(zmq::PAIR).expect("libzmq pair");
                reader.set_linger(0).expect("linger");
                reader.set_rcvtimeo(TIMEOUT_MS).expect("rcvtimeo");
                reader.connect(&endpoint).expect("connect the reader");
                (Watched::Libzmq(s), Reader::Libzmq(reader))
            }
        };
        let log = EventLog {
            reader,
            seen: Vec::new(),
        };
        (watched, log)
    }

    fn bind(&self, endpoint: &str) -> String {
        match self {
            Watched::Ferro(s) => bound(s, endpoint),
            Watched::Libzmq(s) => {
                s.bind(endpoint).expect("bind");
                s.get_last_endpoint().expect("endpoint").expect("utf-8")
            }
        }
    }

    fn connect(&self, endpoint: &str) {
        match self {
            Watched::Ferro(s) => s.connect(endpoint).expect("connect"),
            Watched::Libzmq(s) => s.connect(endpoint).expect("connect"),
        }
    }

    fn unbind(&self, endpoint: &str) {
        match self {
            Watched::Ferro(s) => s.unbind(endpoint).expect("unbind"),
            Watched::Libzmq(s) => s.unbind(endpoint).expect("unbind"),
        }
    }
}

impl EventLog {
    /// Reads events up to and including one of `kind`.
    fn until(&mut self, kind: EventKind, endpoint: &str) {
        loop {
            let (number, at) = match &self.reader {
                Reader::Ferro(r) => {
                    let event = WireEvent::recv(r).expect("a ferrozmq event");
                    (event.kind.number(), event.endpoint)
                }
                Reader::Libzmq(r) => {
                    let parts = r.recv_multipart(0).expect("a libzmq event");
                    assert_eq!(parts.len(), 2, "libzmq's v1 feed is two frames");
                    let number = u16::from_le_bytes([parts[0][0], parts[0][1]]);
                    (number, String::from_utf8_lossy(&parts[1]).into_owned())
                }
            };
            let name = EventKind::from_number(number)
                .map_or_else(|| format!("{number:#06x}"), |k| k.name().to_string());
            let at = if at == endpoint { "<endpoint>" } else { &at };
            self.seen
                .push(format!("{name} {at}").trim_end().to_string());
            if number == kind.number() {
                return;
            }
        }
    }
}

/// Bind, a peer that hangs up mid-handshake, a real peer that comes and goes, unbind,
/// close: the binding side's events.
fn binder_scenario(ctxs: &Contexts, lib: Lib) -> Vec<String> {
    let (watched, mut log) = Watched::new(ctxs, lib, true);
    let endpoint = watched.bind("tcp://127.0.0.1:*");
    log.until(EventKind::Listening, &endpoint);

    drop(TcpStream::connect(tcp_addr(&endpoint)).expect("raw connect"));
    log.until(EventKind::Disconnected, &endpoint);

    let push = socket(&ctxs.ferro, PUSH);
    push.connect(&endpoint).expect("connect");
    log.until(EventKind::HandshakeSucceeded, &endpoint);
    drop(push);
    log.until(EventKind::Disconnected, &endpoint);

    watched.unbind(&endpoint);
    log.until(EventKind::Closed, &endpoint);
    drop(watched);
    log.until(EventKind::MonitorStopped, &endpoint);
    log.seen
}

/// Connect to nothing, a listener appears, close: the connecting side's events, with the
/// refused attempts (as many as fit before the listener came) counted once.
fn connecter_scenario(ctxs: &Contexts, lib: Lib) -> Vec<String> {
    let endpoint = free_endpoint();
    let (watched, mut log) = Watched::new(ctxs, lib, false);
    watched.connect(&endpoint);
    log.until(EventKind::ConnectRetried, &endpoint);
    log.until(EventKind::ConnectRetried, &endpoint);

    let pull = socket(&ctxs.ferro, PULL);
    pull.bind(&endpoint).expect("bind");
    log.until(EventKind::HandshakeSucceeded, &endpoint);
    drop(watched);
    log.until(EventKind::MonitorStopped, &endpoint);

    let attempt = [
        "CONNECT_DELAYED <endpoint>",
        "CLOSED <endpoint>",
        "CONNECT_RETRIED <endpoint>",
    ];
    let mut seen = log.seen;
    let repeated = |seen: &[String]| {
        let second = seen.iter().skip(attempt.len()).take(attempt.len());
        second.eq(attempt.iter())
    };
    while repeated(&seen) {
        seen.drain(..attempt.len());
    }
    seen
}

#[test]
fn libzmq_and_ferrozmq_monitors_report_the_same_events_for_the_same_scenarios() {
    let ctxs = Contexts {
        ferro: Context::new(),
        libzmq: zmq::Context::new(),
    };
    let binder_expected = [
        "LISTENING <endpoint>",
        "ACCEPTED <endpoint>",
        "HANDSHAKE_FAILED_NO_DETAIL <endpoint>",
        "DISCONNECTED <endpoint>",
        "ACCEPTED <endpoint>",
        "HANDSHAKE_SUCCEEDED <endpoint>",
        "DISCONNECTED <endpoint>",
        "CLOSED <endpoint>",
        "MONITOR_STOPPED",
    ];
    let libzmq = binder_scenario(&ctxs, Lib::Libzmq);
    let ferro = binder_scenario(&ctxs, Lib::Ferro);
    assert_eq!(libzmq, binder_expected, "libzmq, binding");
    assert_eq!(ferro, libzmq, "ferrozmq as libzmq, binding");

    let connecter_expected = [
        "CONNECT_DELAYED <endpoint>",
        "CLOSED <endpoint>",
        "CONNECT_RETRIED <endpoint>",
        "CONNECT_DELAYED <endpoint>",
        "CONNECTED <endpoint>",
        "HANDSHAKE_SUCCEEDED <endpoint>",
        "MONITOR_STOPPED",
    ];
    let libzmq = connecter_scenario(&ctxs, Lib::Libzmq);
    let ferro = connecter_scenario(&ctxs, Lib::Ferro);
    assert_eq!(libzmq, connecter_expected, "libzmq, connecting");
    assert_eq!(ferro, libzmq, "ferrozmq as libzmq, connecting");
}

// ---- The version 2 feed (`zmq_socket_monitor_versioned`) ----

/// Starts a version 2 feed of `watched` on a socket of `feed_type`, and connects a reader
/// of the matching type (subscribed to everything for PUB).
fn watch_v2(ctx: &Context, watched: &Socket, events: EventSet, feed_type: SocketType) -> Socket {
    let endpoint = feed_endpoint();
    watched
        .monitor_versioned(Some(&endpoint), events, FeedVersion::V2, feed_type)
        .expect("versioned monitor");
    let reader_type = match feed_type {
        SocketType::Pub => SUB,
        SocketType::Push => PULL,
        _ => PAIR,
    };
    let reader = socket(ctx, reader_type);
    if feed_type == SocketType::Pub {
        reader.subscribe(b"").expect("subscribe");
    }
    reader.connect(&endpoint).expect("connect to the feed");
    reader
}

/// The next version 2 event, checking the frames themselves: a 64-bit number, a 64-bit
/// count, that many 64-bit values, then two endpoints.
fn next_v2(reader: &Socket) -> WireEventV2 {
    let parts: Vec<Message> = reader.recv_multipart().expect("a monitor event");
    assert!(parts.len() >= 4, "{} parts", parts.len());
    assert_eq!(parts[0].len(), 8, "the event number is 64 bits");
    assert_eq!(parts[1].len(), 8, "the value count is 64 bits");
    let count = u64::from_le_bytes(parts[1][..].try_into().unwrap()) as usize;
    assert_eq!(
        parts.len(),
        count + 4,
        "number, count, values, two endpoints"
    );
    for value in &parts[2..2 + count] {
        assert_eq!(value.len(), 8, "each value is 64 bits");
    }
    WireEventV2::parse(&parts).expect("a version 2 event")
}

/// The next version 2 event of `kind`, skipping others (CONNECT_DELAYED, ...).
fn expect_v2(reader: &Socket, kind: EventKind) -> WireEventV2 {
    loop {
        let event = next_v2(reader);
        if event.kind() == Some(kind) {
            return event;
        }
    }
}

#[test]
fn version_2_names_both_ends_of_each_connection_in_64_bit_frames() {
    let ctx = Context::new();
    let server = socket(&ctx, DEALER);
    let server_feed = watch_v2(&ctx, &server, EventSet::ALL_V2, SocketType::Pair);
    let endpoint = bound(&server, "tcp://127.0.0.1:*");
    let listening = expect_v2(&server_feed, EventKind::Listening);
    assert_eq!(listening.local_endpoint, endpoint);
    assert_eq!(listening.remote_endpoint, "");
    assert_eq!(listening.values.len(), 1);
    assert!(listening.values[0] > 2, "the listener's descriptor");

    // A plain tcp client: its address is known for sure.
    let raw = TcpStream::connect(tcp_addr(&endpoint)).expect("raw connect");
    let raw_address = format!("tcp://{}", raw.local_addr().expect("local address"));
    let accepted = expect_v2(&server_feed, EventKind::Accepted);
    assert_eq!(accepted.local_endpoint, endpoint);
    assert_eq!(accepted.remote_endpoint, raw_address);
    drop(raw);
    let lost = expect_v2(&server_feed, EventKind::Disconnected);
    assert_eq!(
        (lost.local_endpoint, lost.remote_endpoint),
        (endpoint.clone(), raw_address)
    );
    assert_eq!(lost.values, accepted.values, "the connection's descriptor");

    // A ferrozmq client watched too: each side names the other.
    let client = socket(&ctx, DEALER);
    let client_feed = watch_v2(&ctx, &client, EventSet::ALL_V2, SocketType::Pair);
    client.connect(&endpoint).expect("connect");
    let connected = expect_v2(&client_feed, EventKind::Connected);
    assert_eq!(connected.remote_endpoint, endpoint);
    assert!(connected.local_endpoint.starts_with("tcp://127.0.0.1:"));
    assert_ne!(connected.local_endpoint, connected.remote_endpoint);
    let client_handshake = expect_v2(&client_feed, EventKind::HandshakeSucceeded);
    assert_eq!(client_handshake.values, [0], "libzmq's value");
    assert_eq!(client_handshake.local_endpoint, connected.local_endpoint);
    assert_eq!(client_handshake.remote_endpoint, endpoint);
    let server_handshake = expect_v2(&server_feed, EventKind::HandshakeSucceeded);
    assert_eq!(server_handshake.local_endpoint, endpoint);
    assert_eq!(server_handshake.remote_endpoint, connected.local_endpoint);

    client
        .monitor_versioned(None, EventSet::empty(), FeedVersion::V2, PAIR)
        .expect("stop");
    let stopped = next_v2(&client_feed);
    assert_eq!(stopped.kind(), Some(EventKind::MonitorStopped));
    assert_eq!(stopped.values, [0]);
    assert_eq!(
        (
            stopped.local_endpoint.as_str(),
            stopped.remote_endpoint.as_str()
        ),
        ("", "")
    );
}

#[test]
fn version_2_over_ipc_names_the_unnamed_client_end_ipc() {
    let ctx = Context::new();
    let path = std::env::temp_dir().join(format!("ferrozmq-monitor-v2-{}", std::process::id()));
    let endpoint = format!("ipc://{}", path.display());
    let server = socket(&ctx, PULL);
    let server_feed = watch_v2(&ctx, &server, EventSet::ALL_V2, SocketType::Pair);
    bound(&server, &endpoint);
    let client = socket(&ctx, PUSH);
    let client_feed = watch_v2(&ctx, &client, EventSet::ALL_V2, SocketType::Pair);
    client.connect(&endpoint).expect("connect");
    let connected = expect_v2(&client_feed, EventKind::Connected);
    assert_eq!(
        (
            connected.local_endpoint.as_str(),
            connected.remote_endpoint.as_str()
        ),
        ("ipc://", endpoint.as_str())
    );
    let accepted = expect_v2(&server_feed, EventKind::Accepted);
    assert_eq!(
        (
            accepted.local_endpoint.as_str(),
            accepted.remote_endpoint.as_str()
        ),
        (endpoint.as_str(), "ipc://")
    );
    drop(server);
    let _ = std::fs::remove_file(&path);
}

/// libzmq names a ws connection's ends `ws://address:port` (the kernel's address, no path).
#[test]
fn version_2_over_ws_names_the_kernel_ends_ws() {
    let ctx = Context::new();
    let server = socket(&ctx, PULL);
    let server_feed = watch_v2(&ctx, &server, EventSet::ALL_V2, SocketType::Pair);
    let endpoint = bound(&server, "ws://127.0.0.1:*/feed");
    let client = socket(&ctx, PUSH);
    let client_feed = watch_v2(&ctx, &client, EventSet::ALL_V2, SocketType::Pair);
    client.connect(&endpoint).expect("connect");
    let connected = expect_v2(&client_feed, EventKind::Connected);
    assert_eq!(connected.remote_endpoint, endpoint);
    let client_end = connected.local_endpoint;
    assert!(client_end.starts_with("ws://127.0.0.1:"), "{client_end}");
    let accepted = expect_v2(&server_feed, EventKind::Accepted);
    assert_eq!(
        (accepted.local_endpoint, accepted.remote_endpoint),
        (endpoint, client_end)
    );
}

#[test]
fn version_2_over_wss_names_the_kernel_ends_wss() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    let ctx = Context::new();
    let server = socket(&ctx, PULL);
    server.options().set_wss_cert_pem(cert.as_bytes()).unwrap();
    server
        .options()
        .set_wss_key_pem(key.serialize_pem().as_bytes())
        .unwrap();
    let server_feed = watch_v2(&ctx, &server, EventSet::ALL_V2, SocketType::Pair);
    let endpoint = bound(&server, "wss://127.0.0.1:*/feed");
    let client = socket(&ctx, PUSH);
    // The certificate names localhost, the endpoint an address: the name to check is given.
    client.options().set_wss_trust_pem(cert.as_bytes()).unwrap();
    client.options().set_wss_hostname("localhost").unwrap();
    let client_feed = watch_v2(&ctx, &client, EventSet::ALL_V2, SocketType::Pair);
    client.connect(&endpoint).expect("connect");
    let connected = expect_v2(&client_feed, EventKind::Connected);
    assert_eq!(connected.remote_endpoint, endpoint);
    let client_end = connected.local_endpoint;
    assert!(client_end.starts_with("wss://127.0.0.1:"), "{client_end}");
    let accepted = expect_v2(&server_feed, EventKind::Accepted);
    assert_eq!(
        (accepted.local_endpoint, accepted.remote_endpoint),
        (endpoint, client_end)
    );
}

#[test]
fn version_2_feeds_go_out_on_pub_and_push_sockets() {
    let ctx = Context::new();
    // PUB: the event number is the topic; a reader subscribed to LISTENING gets only that.
    let pull = socket(&ctx, PULL);
    let feed = feed_endpoint();
    pull.monitor_versioned(Some(&feed), EventSet::ALL_V2, FeedVersion::V2, PUB)
        .expect("PUB feed");
    let listening_only = socket(&ctx, SUB);
    listening_only
        .subscribe(u64::from(EventKind::Listening.number()).to_le_bytes())
        .expect("subscribe");
    listening_only.connect(&feed).expect("connect");
    let everything = socket(&ctx, SUB);
    everything.subscribe(b"").expect("subscribe");
    everything.connect(&feed).expect("connect");
    // A subscription reaches an inproc PUB at once; bind only then.
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    assert_eq!(
        expect_v2(&everything, EventKind::Listening).local_endpoint,
        endpoint
    );
    expect_v2(&everything, EventKind::Accepted);
    assert_eq!(next_v2(&listening_only).kind(), Some(EventKind::Listening));
    listening_only
        .options()
        .set_rcvtimeo(Some(QUIET))
        .expect("rcvtimeo");
    assert_eq!(
        listening_only.recv_multipart().map(|_| ()),
        Err(Error::Again)
    );

    // PUSH: read with PULL.
    let dealer = socket(&ctx, DEALER);
    let reader = watch_v2(&ctx, &dealer, EventSet::ALL_V2, SocketType::Push);
    let endpoint = bound(&dealer, "tcp://127.0.0.1:*");
    let event = expect_v2(&reader, EventKind::Listening);
    assert_eq!(event.local_endpoint, endpoint);
    drop(dealer);
    expect_v2(&reader, EventKind::MonitorStopped);
}

#[test]
fn the_versioned_feed_refuses_what_libzmq_refuses() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let endpoint = feed_endpoint();
    for feed_type in [PULL, SUB, DEALER] {
        assert!(matches!(
            pull.monitor_versioned(Some(&endpoint), EventSet::ALL, FeedVersion::V2, feed_type),
            Err(Error::InvalidArgument(_))
        ));
    }
    assert!(matches!(
        pull.monitor_versioned(Some(&endpoint), EventSet::ALL_V2, FeedVersion::V1, PAIR),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        pull.monitor_versioned(
            Some("tcp://127.0.0.1:5555"),
            EventSet::ALL,
            FeedVersion::V2,
            PAIR
        ),
        Err(Error::ProtocolNotSupported(_))
    ));
    // Pipe statistics need a feed that asks for them, then a pipe.
    assert!(matches!(
        pull.monitor_pipes_stats(),
        Err(Error::InvalidArgument(_))
    ));
    pull.monitor_versioned(Some(&endpoint), EventSet::ALL, FeedVersion::V2, PAIR)
        .expect("feed without statistics");
    assert!(matches!(
        pull.monitor_pipes_stats(),
        Err(Error::InvalidArgument(_))
    ));
    pull.monitor_versioned(
        Some(&endpoint),
        EventSet::PIPES_STATS,
        FeedVersion::V2,
        PAIR,
    )
    .expect("feed with statistics");
    assert_eq!(pull.monitor_pipes_stats(), Err(Error::Again));
}

/// Asks for pipe statistics until `done` accepts them (pipes attach and queues fill
/// asynchronously).
fn stats_until(
    watched: &Socket,
    reader: &Socket,
    done: impl Fn(&[WireEventV2]) -> bool,
    pipes: usize,
) -> Vec<WireEventV2> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        // The peer's handshake may be done before this side's: no pipe yet.
        match watched.monitor_pipes_stats() {
            Err(Error::Again) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            done => done.expect("pipe statistics"),
        }
        let stats: Vec<WireEventV2> = (0..pipes).map(|_| next_v2(reader)).collect();
        for event in &stats {
            assert_eq!(event.number, WireEventV2::PIPES_STATS);
            assert_eq!(event.values.len(), 2, "outbound, inbound");
        }
        if done(&stats) || std::time::Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn pipe_statistics_count_whole_messages_queued_each_way_and_name_the_connection() {
    let ctx = Context::new();
    // Inbound: a PULL that reads nothing holds what its peer sent.
    let pull = socket(&ctx, PULL);
    let pull_feed = watch_v2(&ctx, &pull, EventSet::PIPES_STATS, SocketType::Pair);
    let endpoint = bound(&pull, "tcp://127.0.0.1:*");
    let push = socket(&ctx, PUSH);
    let push_feed = watch_v2(&ctx, &push, EventSet::ALL_V2, SocketType::Pair);
    push.connect(&endpoint).expect("connect");
    let push_end = expect_v2(&push_feed, EventKind::HandshakeSucceeded).local_endpoint;
    for n in 0..3 {
        push.send_multipart([format!("part 1 of {n}"), "part 2".into(), "part 3".into()])
            .expect("send");
    }
    push.send("single").expect("send");
    let stats = stats_until(&pull, &pull_feed, |s| s[0].values == [0, 4], 1);
    assert_eq!(stats[0].values, [0, 4], "four whole messages in, none out");
    assert_eq!(stats[0].local_endpoint, endpoint);
    assert_eq!(stats[0].remote_endpoint, push_end);
    assert_eq!(pull.recv_multipart().expect("recv").len(), 3);
    pull.monitor_pipes_stats().expect("pipe statistics");
    assert_eq!(next_v2(&pull_feed).values, [0, 3], "one read");

    // Outbound: a PUSH whose peer is not there holds what it was given.
    let nobody = free_endpoint();
    let lonely = socket(&ctx, PUSH);
    let lonely_feed = watch_v2(&ctx, &lonely, EventSet::PIPES_STATS, SocketType::Push);
    lonely.connect(&nobody).expect("connect");
    for _ in 0..5 {
        lonely.send("waiting").expect("send");
    }
    lonely.monitor_pipes_stats().expect("pipe statistics");
    let stats = next_v2(&lonely_feed);
    assert_eq!(stats.values, [5, 0], "five out, none in");
    assert_eq!(
        (
            stats.local_endpoint.as_str(),
            stats.remote_endpoint.as_str()
        ),
        ("", nobody.as_str())
    );
}

#[test]
fn pipe_statistics_come_one_per_pipe_for_every_peer_of_a_listener() {
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.options().set_sndhwm(10).expect("sndhwm");
    let feed = watch_v2(&ctx, &push, EventSet::ALL_V2, SocketType::Pair);
    let endpoint = bound(&push, "tcp://127.0.0.1:*");
    let pulls: Vec<Socket> = (0..3)
        .map(|_| {
            let pull = socket(&ctx, PULL);
            pull.connect(&endpoint).expect("connect");
            pull
        })
        .collect();
    let mut peers = Vec::new();
    for _ in &pulls {
        peers.push(expect_v2(&feed, EventKind::HandshakeSucceeded).remote_endpoint);
    }
    // One message per peer (round robin): every pipe is attached and drained.
    for _ in &pulls {
        push.send("hello").expect("send");
    }
    for pull in &pulls {
        assert_eq!(pull.recv().expect("recv"), b"hello");
    }
    let stats = stats_until(&push, &feed, |s| s.iter().all(|e| e.values == [0, 0]), 3);
    let mut named: Vec<String> = stats.iter().map(|e| e.remote_endpoint.clone()).collect();
    named.sort();
    peers.sort();
    assert_eq!(named, peers, "each pipe names its own peer");
    for event in &stats {
        assert_eq!(event.local_endpoint, endpoint);
        assert_eq!(event.values, [0, 0]);
    }
}
