//! Peers on separate hosts, and the network between them failing.
//!
//! - Through a fault-injecting TCP proxy on loopback (always run, no privileges): latency,
//!   a stall that holds every byte, delivery one byte at a time, connections cut.
//! - Between two network namespaces joined by a veth link (root, iproute2 and nftables;
//!   skipped with a message otherwise): a silent partition (nftables drops every packet)
//!   and a link taken down and up again. Each side runs in a child process started with
//!   `ip netns exec`, this test binary re-executed to run one of the `child_*` functions,
//!   which take orders on stdin and report on stdout.
//!
//! What must hold: the pipeline loses nothing that was queued while the peer was out of
//! reach, REQ/REP recovers with REQ_RELAXED, PUB/SUB resumes, and heartbeats notice the
//! partition (TCP alone would not for many minutes).

mod support;

use ferrozmq::{Context, Error, EventKind, Socket, SocketType};
use ferrozmq::{PUB, PULL, PUSH, REP, REQ, SUB};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::fault_proxy::{FaultProxy, Mode};
use support::netns::{Side, Testbed, ADDRESS_B};

/// Heartbeats that notice a dead peer within about half a second.
const HEARTBEAT_IVL: Duration = Duration::from_millis(100);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(500);
/// Upper bound for any single wait.
const WAIT: Duration = Duration::from_secs(10);

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
    s.options()
        .set_reconnect_ivl(Some(Duration::from_millis(50)))
        .expect("reconnect ivl");
    s.options()
        .set_heartbeat_ivl(HEARTBEAT_IVL)
        .expect("heartbeat ivl");
    s.options()
        .set_heartbeat_timeout(Some(HEARTBEAT_TIMEOUT))
        .expect("heartbeat timeout");
    s
}

/// Prints `event <name>` for the connection events of `socket`, from a thread of its own.
fn report_events(socket: &Socket) -> mpsc::Receiver<EventKind> {
    let mut monitor = socket
        .monitor(EventKind::HandshakeSucceeded | EventKind::Disconnected)
        .expect("monitor");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for event in monitor.iter() {
            if tx.send(event.kind()).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits for `kind` on a monitor channel; how long it took, or `None` after `within`.
fn wait_event(
    events: &mpsc::Receiver<EventKind>,
    kind: EventKind,
    within: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let deadline = started + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match events.recv_timeout(left) {
            Ok(k) if k == kind => return Some(started.elapsed()),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

fn numbered(n: u32) -> [u8; 4] {
    n.to_be_bytes()
}

fn number(body: &[u8]) -> u32 {
    u32::from_be_bytes(body[..4].try_into().expect("a numbered message"))
}

/// Receives numbered messages until `last` arrives; all of them, in order of arrival.
fn receive_through(pull: &Socket, last: u32) -> Vec<u32> {
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.last() != Some(&last) {
        assert!(
            Instant::now() < deadline,
            "{last} never arrived; got {got:?}"
        );
        match pull.recv().map(Vec::from) {
            Ok(m) => got.push(number(&m)),
            Err(Error::Again) => {}
            Err(e) => panic!("recv: {e}"),
        }
    }
    got
}

/// The pipeline's promise across an outage: in order, no duplicates, everything before
/// `lost_from` and from `lost_to` on delivered; only messages sent in between (handed to a
/// connection that then died) may be missing.
fn assert_nothing_queued_was_lost(got: &[u32], lost_from: u32, lost_to: u32, last: u32) {
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "in order, no duplicates: {got:?}"
    );
    for n in (0..lost_from).chain(lost_to..=last) {
        assert!(got.contains(&n), "message {n} was lost: {got:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Through the fault-injecting proxy: no privileges needed
// ---------------------------------------------------------------------------------------

/// A PULL bound on loopback, and a proxy in front of it.
fn proxied_pull(ctx: &Context) -> (Socket, FaultProxy) {
    let pull = socket(ctx, PULL);
    let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
    let proxy = FaultProxy::start(endpoint.trim_start_matches("tcp://"));
    (pull, proxy)
}

#[test]
fn byte_by_byte_delivery_carries_handshakes_and_messages_intact() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = rep.bind("tcp://127.0.0.1:*").expect("bind");
    let proxy = FaultProxy::start(endpoint.trim_start_matches("tcp://"));
    proxy.set_mode(Mode::ByteByByte(Duration::from_micros(50)));
    let req = socket(&ctx, REQ);
    req.connect(&proxy.endpoint()).expect("connect");
    // Short and long frames, several parts, both directions.
    let long = vec![0xA5u8; 300];
    req.send_multipart([&b"first"[..], &long[..], b""])
        .expect("request");
    let request = rep
        .recv_multipart()
        .expect("the request arrives byte by byte");
    assert_eq!(request.len(), 3);
    assert_eq!(
        (&request[0][..], &request[1][..], &request[2][..]),
        (&b"first"[..], &long[..], &b""[..])
    );
    rep.send_multipart([&long[..], b"reply"]).expect("reply");
    let reply = req
        .recv_multipart()
        .expect("the reply arrives byte by byte");
    assert_eq!((&reply[0][..], &reply[1][..]), (&long[..], &b"reply"[..]));
}

#[test]
fn latency_below_the_heartbeat_timeout_keeps_the_connection() {
    let ctx = Context::new();
    let (pull, proxy) = proxied_pull(&ctx);
    // 150 ms each way: a PING's answer takes 300 ms, within the 500 ms timeout.
    let delay = Duration::from_millis(150);
    proxy.set_mode(Mode::Delay(delay));
    let push = socket(&ctx, PUSH);
    let events = report_events(&push);
    push.connect(&proxy.endpoint()).expect("connect");
    wait_event(&events, EventKind::HandshakeSucceeded, WAIT).expect("handshake through the delay");
    let sent_at = Instant::now();
    push.send(&numbered(0)[..]).expect("send");
    assert_eq!(receive_through(&pull, 0), [0]);
    assert!(sent_at.elapsed() >= delay, "the delay was applied");
    // A second of traffic and heartbeats across the delay.
    for n in 1..50 {
        push.send(&numbered(n)[..]).expect("send");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(receive_through(&pull, 49), (1..50).collect::<Vec<_>>());
    assert_eq!(
        wait_event(&events, EventKind::Disconnected, Duration::from_millis(300)),
        None,
        "heartbeats tolerate latency below their timeout"
    );
    assert_eq!(proxy.accepted(), 1, "one connection throughout");
}

#[test]
fn a_stalled_path_is_detected_by_heartbeats_and_nothing_queued_is_lost() {
    let ctx = Context::new();
    let (pull, proxy) = proxied_pull(&ctx);
    let push = socket(&ctx, PUSH);
    let events = report_events(&push);
    push.connect(&proxy.endpoint()).expect("connect");
    for n in 0..100 {
        push.send(&numbered(n)[..]).expect("send");
    }
    let mut got = receive_through(&pull, 99);
    proxy.set_mode(Mode::Stall);
    for n in 100..200 {
        push.send(&numbered(n)[..]).expect("send into the stall");
    }
    let detected =
        wait_event(&events, EventKind::Disconnected, WAIT).expect("heartbeats notice the stall");
    println!("figure: a stalled path detected after {detected:?}");
    // Sent while disconnected: these wait in the queue for the next connection.
    for n in 200..300 {
        push.send(&numbered(n)[..])
            .expect("send while disconnected");
    }
    // The held bytes belong to connections the peers have given up; drop them.
    proxy.cut();
    proxy.set_mode(Mode::Pass);
    got.extend(receive_through(&pull, 299));
    assert_nothing_queued_was_lost(&got, 100, 200, 299);
}

#[test]
fn cut_connections_are_replaced_and_the_pipeline_goes_on() {
    let ctx = Context::new();
    let (pull, proxy) = proxied_pull(&ctx);
    let push = socket(&ctx, PUSH);
    let events = report_events(&push);
    push.connect(&proxy.endpoint()).expect("connect");
    let mut got = Vec::new();
    for round in 0..5u32 {
        for n in round * 100..(round + 1) * 100 {
            push.send(&numbered(n)[..]).expect("send");
        }
        got.extend(receive_through(&pull, (round + 1) * 100 - 1));
        proxy.cut();
        // Messages written to a connection the peer has closed, before the PUSH reads the
        // end of it, are lost with it; the next round waits until the PUSH knows.
        wait_event(&events, EventKind::Disconnected, WAIT).expect("the PUSH sees the cut");
    }
    assert_eq!(
        got,
        (0..500).collect::<Vec<_>>(),
        "everything, once, in order"
    );
    assert!(proxy.accepted() >= 5, "a new connection after each cut");
}

// ---------------------------------------------------------------------------------------
// Between network namespaces: root, iproute2 and nftables
// ---------------------------------------------------------------------------------------

/// Tells a re-executed test binary which child it is and where to bind or connect.
const CHILD_ENDPOINT: &str = "FERROZMQ_MULTIHOST_ENDPOINT";
const PORT: u16 = 5599;

fn child_endpoint() -> Option<String> {
    std::env::var(CHILD_ENDPOINT).ok()
}

/// A child process in a namespace: orders on its stdin, reports on its stdout. Killed when
/// dropped, before its testbed (declare it after the testbed).
struct Node {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Node {
    fn spawn(testbed: &Testbed, side: Side, role: &str) -> Node {
        let exe = std::env::current_exe().expect("test binary");
        let mut child = testbed
            .command(side, exe.to_str().expect("utf-8 path"))
            .args([
                role,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENDPOINT, format!("tcp://{ADDRESS_B}:{PORT}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn a child in the namespace");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let node = Node {
            child,
            stdin,
            lines,
        };
        node.expect("ready", WAIT);
        node
    }

    fn order(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("order the child");
        self.stdin.flush().expect("flush");
    }

    /// What follows `prefix` on the next line that has it (the harness may print its own
    /// words before the child's), or `None` after `within`.
    fn line(&self, prefix: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            if let Some(at) = line.find(prefix) {
                return Some(line[at + prefix.len()..].trim().to_string());
            }
        }
    }

    fn expect(&self, prefix: &str, within: Duration) -> String {
        self.line(prefix, within)
            .unwrap_or_else(|| panic!("the child never said {prefix:?} within {within:?}"))
    }

    /// What follows each of `prefixes`, on lines that come in any order (`expect` one after
    /// the other would skip, and so lose, a line that came before the one it waits for).
    fn expect_each(&self, prefixes: &[&str], within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut found: Vec<Option<String>> = vec![None; prefixes.len()];
        while found.iter().any(Option::is_none) {
            let line = deadline
                .checked_duration_since(Instant::now())
                .and_then(|left| self.lines.recv_timeout(left).ok())
                .unwrap_or_else(|| {
                    panic!("the child did not say each of {prefixes:?} within {within:?}")
                });
            for (prefix, slot) in prefixes.iter().zip(&mut found) {
                if let (None, Some(at)) = (&slot, line.find(prefix)) {
                    *slot = Some(line[at + prefix.len()..].trim().to_string());
                    break;
                }
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Collects `got N` reports until `last`.
    fn received_through(&self, last: u32) -> Vec<u32> {
        let mut got = Vec::new();
        while got.last() != Some(&last) {
            let n = self
                .line("got ", WAIT)
                .unwrap_or_else(|| panic!("{last} never arrived; got {got:?}"));
            got.push(n.parse().expect("a number"));
        }
        got
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads orders from stdin, one per line, until it closes.
fn orders() -> impl Iterator<Item = String> {
    std::io::stdin().lines().map_while(Result::ok)
}

/// Prints `event handshake` / `event disconnected` as the socket's connection comes and goes.
fn print_events(socket: &Socket) {
    let events = report_events(socket);
    std::thread::spawn(move || {
        while let Ok(kind) = events.recv() {
            match kind {
                EventKind::HandshakeSucceeded => println!("event handshake"),
                EventKind::Disconnected => println!("event disconnected"),
                _ => {}
            }
        }
    });
}

#[test]
#[ignore = "run in a network namespace by the multi-host tests"]
fn child_pull() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    pull.options().set_rcvtimeo(None).expect("block");
    pull.bind(&endpoint).expect("bind");
    println!("ready");
    while let Ok(m) = pull.recv().map(Vec::from) {
        println!("got {}", number(&m));
    }
}

#[test]
#[ignore = "run in a network namespace by the multi-host tests"]
fn child_push() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    print_events(&push);
    push.connect(&endpoint).expect("connect");
    println!("ready");
    for order in orders() {
        // "send FROM TO": numbered messages FROM..TO.
        let range: Vec<u32> = order
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().expect("number"))
            .collect();
        for n in range[0]..range[1] {
            push.send(&numbered(n)[..]).expect("send");
        }
        println!("sent {}", range[1]);
    }
}

#[test]
#[ignore = "run in a network namespace by the multi-host tests"]
fn child_rep() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    rep.options().set_rcvtimeo(None).expect("block");
    rep.bind(&endpoint).expect("bind");
    println!("ready");
    while let Ok(request) = rep.recv().map(Vec::from) {
        rep.send(request).expect("reply");
    }
}

#[test]
#[ignore = "run in a network namespace by the multi-host tests"]
fn child_req() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let req = socket(&ctx, REQ);
    req.options().set_req_relaxed(true).expect("relaxed");
    req.options().set_req_correlate(true).expect("correlate");
    // Long enough for a reply on a loaded machine (with 500 ms, "ask after" timed out once
    // on one busy core), short enough for "ask during" to time out well within WAIT.
    req.options()
        .set_rcvtimeo(Some(Duration::from_secs(2)))
        .expect("rcvtimeo");
    print_events(&req);
    req.connect(&endpoint).expect("connect");
    println!("ready");
    for order in orders() {
        // "ask WORD": prints "reply WORD" or "timeout WORD".
        let word = order.trim_start_matches("ask ").to_string();
        req.send(word.as_str())
            .expect("a relaxed REQ may always send");
        match req.recv().map(Vec::from) {
            Ok(reply) => println!("reply {}", String::from_utf8_lossy(&reply)),
            Err(Error::Again) => println!("timeout {word}"),
            Err(e) => panic!("recv: {e}"),
        }
    }
}

#[test]
#[ignore = "run in a network namespace by the multi-host tests"]
fn child_pub() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let publisher = socket(&ctx, PUB);
    publisher.bind(&endpoint).expect("bind");
    println!("ready");
    // A tick every 5 ms until killed.
    for n in 0u32.. {
        publisher.send(&numbered(n)[..]).expect("publish");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
#[ignore = "run in a network namespace by the multi-host tests"]
fn child_sub() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let sub = socket(&ctx, SUB);
    sub.subscribe(b"").expect("subscribe");
    sub.options().set_rcvtimeo(None).expect("block");
    print_events(&sub);
    sub.connect(&endpoint).expect("connect");
    println!("ready");
    while let Ok(m) = sub.recv().map(Vec::from) {
        println!("got {}", number(&m));
    }
}

/// Sends 0..100 and sees them arrive, then `outage` happens with 100..200 sent just after
/// it; once the PUSH notices, 200..300 are queued and `repair` ends the outage. Everything
/// queued must arrive.
fn pipeline_across(test: &str, need_nft: bool, outage: fn(&Testbed), repair: fn(&Testbed)) {
    let Some(testbed) = Testbed::new(test, need_nft) else {
        return;
    };
    let pull = Node::spawn(&testbed, Side::B, "child_pull");
    let mut push = Node::spawn(&testbed, Side::A, "child_push");
    push.expect("event handshake", WAIT);
    push.order("send 0 100");
    let mut got = pull.received_through(99);
    let cut_at = Instant::now();
    outage(&testbed);
    push.order("send 100 200");
    push.expect("event disconnected", WAIT);
    println!(
        "figure: {test}: the PUSH noticed after {:?}",
        cut_at.elapsed()
    );
    push.order("send 200 300");
    push.expect("sent 300", WAIT);
    repair(&testbed);
    push.expect("event handshake", WAIT);
    got.extend(pull.received_through(299));
    assert_nothing_queued_was_lost(&got, 100, 200, 299);
}

#[test]
fn a_silent_partition_loses_nothing_queued_in_a_pipeline() {
    pipeline_across(
        "a_silent_partition_loses_nothing_queued_in_a_pipeline",
        true,
        Testbed::partition,
        Testbed::heal,
    );
}

#[test]
fn a_cut_and_restored_link_loses_nothing_queued_in_a_pipeline() {
    pipeline_across(
        "a_cut_and_restored_link_loses_nothing_queued_in_a_pipeline",
        false,
        Testbed::link_down,
        Testbed::link_up,
    );
}

#[test]
fn req_rep_recovers_from_a_partition_with_req_relaxed() {
    let test = "req_rep_recovers_from_a_partition_with_req_relaxed";
    let Some(testbed) = Testbed::new(test, true) else {
        return;
    };
    let _rep = Node::spawn(&testbed, Side::B, "child_rep");
    let mut req = Node::spawn(&testbed, Side::A, "child_req");
    req.order("ask before");
    assert_eq!(req.expect("reply ", WAIT), "before");
    testbed.partition();
    req.order("ask during");
    // The heartbeats drop the connection about 500 ms into the partition, the request
    // times out after 2 s: in that order, unless the machine is very busy.
    let said = req.expect_each(&["timeout ", "event disconnected"], WAIT);
    assert_eq!(said[0], "during", "no reply across the partition");
    testbed.heal();
    req.expect("event handshake", WAIT);
    // Relaxed: a new request is allowed without the old reply; correlated: only its reply
    // counts.
    req.order("ask after");
    assert_eq!(req.expect("reply ", WAIT), "after");
}

#[test]
fn pub_sub_resumes_after_a_partition() {
    let test = "pub_sub_resumes_after_a_partition";
    let Some(testbed) = Testbed::new(test, true) else {
        return;
    };
    let publisher = Node::spawn(&testbed, Side::B, "child_pub");
    let sub = Node::spawn(&testbed, Side::A, "child_sub");
    let before: u32 = sub.expect("got ", WAIT).parse().expect("number");
    let cut_at = Instant::now();
    testbed.partition();
    sub.expect("event disconnected", WAIT);
    println!(
        "figure: {test}: the SUB noticed after {:?}",
        cut_at.elapsed()
    );
    // Drain what arrived before the partition took hold.
    while sub.line("got ", Duration::from_millis(100)).is_some() {}
    testbed.heal();
    sub.expect("event handshake", WAIT);
    let after: u32 = sub.expect("got ", WAIT).parse().expect("number");
    assert!(after > before, "the ticks resumed ({before} then {after})");
    drop(publisher);
}
