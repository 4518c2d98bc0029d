//! Faults injected into real processes and sockets: a peer killed mid-stream, a server that
//! dies holding a request, a peer frozen without closing its connection, a context shut
//! down under blocked threads, and connection churn. Peers that must die run in child
//! processes: this test binary re-executes itself to run one of the `child_*` functions.

use ferrozmq::{
    Context, DisconnectReason, Error, EventKind, EventSet, MonitorEvent, Socket, SocketType,
    DEALER, PULL, PUSH, REP, REQ, ROUTER,
};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The variable that tells a re-executed test binary which child to be, and where to.
const CHILD_ENDPOINT: &str = "FERROZMQ_FAULT_CHILD_ENDPOINT";

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
        .set_reconnect_ivl(Some(Duration::from_millis(20)))
        .expect("reconnect");
    s
}

fn free_endpoint() -> String {
    let probe = TcpListener::bind("127.0.0.1:0").expect("probe a free port");
    format!("tcp://{}", probe.local_addr().expect("addr"))
}

/// A child process running `child_<role>` of this binary, killed when dropped; its stdout
/// lines arrive on a channel.
struct ChildPeer {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl ChildPeer {
    fn spawn(role: &str, endpoint: &str) -> ChildPeer {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                role,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENDPOINT, endpoint)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the child peer");
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        ChildPeer { child, lines }
    }

    /// What follows `prefix` on the next line the child printed with it (the test harness
    /// may put its own words before the child's on a line).
    fn line(&self, prefix: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            if let Some(at) = line.find(prefix) {
                return Some(line[at + prefix.len()..].to_string());
            }
        }
    }

    fn signal(&self, signal: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }
}

impl Drop for ChildPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn child_endpoint() -> Option<String> {
    std::env::var(CHILD_ENDPOINT).ok()
}

/// Child: a PULL bound on the endpoint, printing `got N` for each message, for ever.
#[test]
#[ignore = "run as a child process by the fault tests"]
fn child_puller() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let pull = ctx.socket(PULL).expect("pull");
    pull.bind(&endpoint).expect("bind");
    println!("ready");
    while let Ok(msg) = pull.recv() {
        let n = u32::from_be_bytes(msg[..4].try_into().expect("sequence number"));
        println!("got {n}");
    }
}

/// Child: a REP bound on the endpoint that receives one request, prints it, and then
/// freezes (the parent kills it without a reply ever being sent).
#[test]
#[ignore = "run as a child process by the fault tests"]
fn child_mute_server() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let rep = ctx.socket(REP).expect("rep");
    rep.bind(&endpoint).expect("bind");
    println!("ready");
    let request = rep.recv().map(Vec::from).expect("request");
    println!("request {}", String::from_utf8_lossy(&request));
    std::thread::sleep(Duration::from_secs(60));
}

/// Child: a REP bound on the endpoint answering every request with `served`.
#[test]
#[ignore = "run as a child process by the fault tests"]
fn child_server() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let rep = ctx.socket(REP).expect("rep");
    rep.bind(&endpoint).expect("bind");
    println!("ready");
    while let Ok(request) = rep.recv().map(Vec::from) {
        println!("request {}", String::from_utf8_lossy(&request));
        rep.send("served").expect("reply");
    }
}

/// Child: a DEALER connected to the endpoint, saying hello whenever asked, for ever.
#[test]
#[ignore = "run as a child process by the fault tests"]
fn child_dealer() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    let ctx = Context::new();
    let dealer = ctx.socket(DEALER).expect("dealer");
    dealer.connect(&endpoint).expect("connect");
    println!("ready");
    while let Ok(msg) = dealer.recv() {
        dealer.send(msg).expect("echo");
    }
}

/// Child: a PUSH connected to the endpoint with SIGPIPE's default action restored (as a C
/// or Python program has it: Rust's runtime ignores it), sending for a second, then
/// printing `survived`.
#[test]
#[ignore = "run as a child process by the fault tests"]
fn child_pusher_without_sigpipe_ignored() {
    let Some(endpoint) = child_endpoint() else {
        return;
    };
    // SAFETY: restores the default disposition of one signal, in a process of our own.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        let _ = push.try_send(&[7u8; 100][..]);
    }
    println!("survived");
}

/// A PULL peer speaking just enough ZMTP (a NULL greeting and READY) for the library to
/// start sending it messages; it hangs up once the first bytes of one arrive, again and
/// again, so that the library's next writes meet a closed peer.
fn hang_up_on_every_connection<S: std::io::Read + std::io::Write>(accept: impl Fn() -> Option<S>) {
    let mut greeting = [0u8; 64];
    greeting[0] = 0xFF;
    greeting[9] = 0x7F;
    greeting[10] = 3;
    greeting[12..16].copy_from_slice(b"NULL");
    let mut ready = vec![0x04, 0];
    ready.extend_from_slice(b"\x05READY\x0bSocket-Type\x00\x00\x00\x04PULL");
    ready[1] = (ready.len() - 2) as u8;
    while let Some(mut stream) = accept() {
        let mut seen = [0u8; 64 + 28 + 8];
        if stream.write_all(&greeting).is_ok() && stream.write_all(&ready).is_ok() {
            let _ = stream.read_exact(&mut seen);
        }
    }
}

#[test]
fn writing_to_a_peer_that_hung_up_never_raises_sigpipe() {
    let tcp = TcpListener::bind("127.0.0.1:0").expect("tcp listener");
    let tcp_endpoint = format!("tcp://{}", tcp.local_addr().expect("addr"));
    let path = std::env::temp_dir().join(format!("ferrozmq-sigpipe-{}.ipc", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let ipc = std::os::unix::net::UnixListener::bind(&path).expect("ipc listener");
    let ipc_endpoint = format!("ipc://{}", path.display());
    std::thread::spawn(move || hang_up_on_every_connection(|| tcp.accept().ok().map(|(s, _)| s)));
    std::thread::spawn(move || hang_up_on_every_connection(|| ipc.accept().ok().map(|(s, _)| s)));
    for endpoint in [tcp_endpoint, ipc_endpoint] {
        let mut child = ChildPeer::spawn("child_pusher_without_sigpipe_ignored", &endpoint);
        assert_eq!(
            child.line("survived", Duration::from_secs(10)).as_deref(),
            Some(""),
            "{endpoint}: the pusher died"
        );
        let status = child.child.wait().expect("child status");
        assert!(status.success(), "{endpoint}: {status:?}");
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_killed_puller_loses_only_what_was_written_to_its_dead_connection() {
    let endpoint = free_endpoint();
    let ctx = Context::new();
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    let first = ChildPeer::spawn("child_puller", &endpoint);
    first
        .line("ready", Duration::from_secs(10))
        .expect("child ready");
    for n in 0..200u32 {
        push.send(&n.to_be_bytes()[..]).expect("send");
    }
    let mut received = Vec::new();
    while received.len() < 200 {
        let n = first.line("got ", Duration::from_secs(5)).expect("message");
        received.push(n.parse::<u32>().expect("number"));
    }
    first.signal(libc::SIGKILL);
    drop(first);
    // Sent while nobody listens: these must all wait for the next puller.
    for n in 200..400u32 {
        push.send(&n.to_be_bytes()[..]).expect("queued");
    }
    let second = ChildPeer::spawn("child_puller", &endpoint);
    second
        .line("ready", Duration::from_secs(10))
        .expect("child ready");
    let mut after = Vec::new();
    while let Some(n) = second.line("got ", Duration::from_secs(3)) {
        after.push(n.parse::<u32>().expect("number"));
        if after.last() == Some(&399) {
            break;
        }
    }
    let first_after = *after.first().expect("the second puller got messages");
    assert!(first_after <= 200, "nothing queued after the kill was lost");
    let expected: Vec<u32> = (first_after..400).collect();
    assert_eq!(after, expected, "in order, no gaps, no duplicates");
    assert!(
        received.iter().all(|&n| n < first_after),
        "nothing was delivered twice"
    );
}

#[test]
fn a_relaxed_correlating_req_recovers_from_a_server_that_died_holding_its_request() {
    let endpoint = free_endpoint();
    let ctx = Context::new();
    let req = socket(&ctx, REQ);
    req.options().set_req_relaxed(true).expect("relaxed");
    req.options().set_req_correlate(true).expect("correlate");
    req.options()
        .set_rcvtimeo(Some(Duration::from_millis(300)))
        .expect("timeout");
    req.connect(&endpoint).expect("connect");
    let mute = ChildPeer::spawn("child_mute_server", &endpoint);
    mute.line("ready", Duration::from_secs(10))
        .expect("child ready");
    req.send("first").expect("send");
    mute.line("request ", Duration::from_secs(5))
        .expect("the server got the request");
    mute.signal(libc::SIGKILL);
    drop(mute);
    assert!(matches!(req.recv(), Err(Error::Again)), "no reply comes");
    let server = ChildPeer::spawn("child_server", &endpoint);
    server
        .line("ready", Duration::from_secs(10))
        .expect("child ready");
    // Relaxed: the client may ask again; correlated: only this request's reply counts.
    req.options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .expect("timeout");
    req.send("second").expect("a relaxed REQ sends again");
    assert_eq!(req.recv().expect("reply"), b"served");
}

#[test]
fn a_strict_req_whose_server_died_refuses_a_second_request() {
    let endpoint = free_endpoint();
    let ctx = Context::new();
    let req = socket(&ctx, REQ);
    req.options()
        .set_rcvtimeo(Some(Duration::from_millis(300)))
        .expect("timeout");
    req.connect(&endpoint).expect("connect");
    let mute = ChildPeer::spawn("child_mute_server", &endpoint);
    mute.line("ready", Duration::from_secs(10))
        .expect("child ready");
    req.send("first").expect("send");
    mute.line("request ", Duration::from_secs(5))
        .expect("delivered");
    mute.signal(libc::SIGKILL);
    drop(mute);
    assert!(matches!(req.recv(), Err(Error::Again)));
    // The documented behaviour: the REQ still waits for that reply.
    assert!(matches!(req.send("second"), Err(Error::State)));
}

#[test]
fn heartbeats_replace_the_connection_of_a_frozen_peer() {
    let ctx = Context::new();
    let router = socket(&ctx, ROUTER);
    router
        .options()
        .set_heartbeat_ivl(Duration::from_millis(100))
        .expect("ivl");
    router
        .options()
        .set_heartbeat_timeout(Some(Duration::from_millis(400)))
        .expect("timeout");
    let mut monitor = router.monitor(EventSet::ALL).expect("monitor");
    let endpoint = router.bind("tcp://127.0.0.1:*").expect("bind");
    let dealer = ChildPeer::spawn("child_dealer", &endpoint);
    dealer
        .line("ready", Duration::from_secs(10))
        .expect("child ready");
    let mut next = |kind: EventKind| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {kind:?}");
            if let Ok(event) = monitor.recv_timeout(left) {
                if event.kind() == kind {
                    return event;
                }
            }
        }
    };
    next(EventKind::HandshakeSucceeded);
    // Frozen: the process is alive, its connection open, but nothing answers.
    dealer.signal(libc::SIGSTOP);
    let frozen_at = Instant::now();
    let lost = next(EventKind::Disconnected);
    assert!(frozen_at.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(
            lost,
            MonitorEvent::Disconnected {
                reason: DisconnectReason::HeartbeatTimeout,
                ..
            }
        ),
        "{lost:?}"
    );
    // Thawed, it reconnects and is served again.
    dealer.signal(libc::SIGCONT);
    next(EventKind::HandshakeSucceeded);
}

#[test]
fn shutdown_returns_every_blocked_call_with_terminated() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    pull.options().set_rcvtimeo(None).expect("block");
    pull.bind("tcp://127.0.0.1:*").expect("bind");
    let push = socket(&ctx, PUSH);
    push.options().set_sndtimeo(None).expect("block");
    push.options().set_sndhwm(1).expect("hwm");
    push.connect(&free_endpoint()).expect("connect to nobody");
    push.send("fills the queue").expect("first fits");
    let receiver = std::thread::spawn(move || pull.recv().map(|_| ()));
    let sender = std::thread::spawn(move || push.send("blocks"));
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    ctx.shutdown();
    assert!(matches!(
        receiver.join().expect("receiver"),
        Err(Error::Terminated)
    ));
    assert!(matches!(
        sender.join().expect("sender"),
        Err(Error::Terminated)
    ));
    assert!(started.elapsed() < Duration::from_secs(1), "promptly");
}

fn count_entries(dir: &str) -> usize {
    std::fs::read_dir(dir).expect("proc").count()
}

#[test]
fn a_thousand_connect_disconnect_cycles_leak_no_descriptors_or_threads() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = rep.bind("tcp://127.0.0.1:*").expect("bind");
    let warm = socket(&ctx, REQ);
    warm.connect(&endpoint).expect("warm up");
    drop(warm);
    std::thread::sleep(Duration::from_millis(100));
    let (fds, threads) = (
        count_entries("/proc/self/fd"),
        count_entries("/proc/self/task"),
    );
    for i in 0..1000 {
        let req = socket(&ctx, REQ);
        req.connect(&endpoint).expect("connect");
        if i % 100 == 0 {
            // Some cycles also complete a round trip.
            req.send("ping").expect("send");
            rep.recv().expect("request");
            rep.send("pong").expect("reply");
            req.recv().expect("reply");
        }
        req.disconnect(&endpoint).expect("disconnect");
    }
    // Let the I/O thread close what the cycles left behind.
    let deadline = Instant::now() + Duration::from_secs(10);
    while count_entries("/proc/self/fd") > fds + 2 && Instant::now() < deadline {
        rep.try_recv().ok();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        count_entries("/proc/self/fd") <= fds + 2,
        "descriptors: {} before, {} after",
        fds,
        count_entries("/proc/self/fd")
    );
    // Other tests of this binary run alongside and start or end a few threads of their
    // own meanwhile; a leak per cycle would show as hundreds.
    let after = count_entries("/proc/self/task");
    assert!(
        after <= threads + 4,
        "threads leaked: {threads} before, {after} after"
    );
}
