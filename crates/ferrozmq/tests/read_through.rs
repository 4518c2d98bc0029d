//! The receive fast path (issue 16): a blocking receive on a socket whose one connection is
//! lent waits on the connection's descriptor itself and reads what arrives, and the I/O
//! thread is not woken for it. Whatever the socket's thread hands back — a part the pipe has
//! no room for, a PING to answer, the peer gone — the I/O thread finishes, and outside a
//! blocking receive the I/O thread watches the connection as before (ZMQ_FD, pollers).
//!
//! The raw-peer tests put the event that must be handed back on the wire right after the
//! socket answered, that is while it is (almost always) back in its blocking receive, and
//! repeat it: each round is correct either way, and most of them take the fast path.

mod common;

use common::{frame, RawPeer};
use ferrozmq::{
    Context, EventKind, EventSet, Monitor, Socket, SocketType, DEALER, PAIR, POLLIN, REP, REQ,
};
use std::time::{Duration, Instant};

const ROUND_TRIPS: u64 = 400;
const ROUNDS: u32 = 30;

/// How many times the threads whose names start with `prefix` went to sleep so far (Linux's
/// per-thread count of voluntary context switches).
fn sleeps_of_threads_named(prefix: &str) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let path = task.expect("task").path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if !name.starts_with(prefix) {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).expect("thread status");
        total += status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|count| count.trim().parse::<u64>().ok())
            .expect("a voluntary_ctxt_switches line");
    }
    total
}

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let socket = ctx.socket(kind).expect("socket");
    let options = socket.options();
    options.set_linger(Some(Duration::ZERO)).expect("linger");
    options
        .set_rcvtimeo(Some(Duration::from_secs(10)))
        .expect("rcvtimeo");
    options
        .set_sndtimeo(Some(Duration::from_secs(10)))
        .expect("sndtimeo");
    socket
}

/// Whether the thread `tid` of this process is asleep (state `S` in its `stat`).
fn is_asleep(tid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    // The state follows the command name, which is in parentheses and may hold spaces.
    stat.rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('S'))
}

/// Runs request-reply round trips between two contexts, the REP answering from a thread of
/// its own once the REQ's thread sleeps in its receive (so that the reply always finds it
/// waiting, the case the fast path is for), and returns how often the REQ's I/O thread
/// slept meanwhile.
fn req_io_thread_sleeps(transport: &str, prefix: &str) -> u64 {
    let req_ctx = Context::new();
    req_ctx.set_io_thread_name_prefix(prefix);
    let rep_ctx = Context::new();
    let rep = socket(&rep_ctx, REP);
    let wildcard = if transport == "tcp" {
        "127.0.0.1:*"
    } else {
        "*"
    };
    let endpoint = rep
        .bind(&format!("{transport}://{wildcard}"))
        .expect("bind");
    let req = socket(&req_ctx, REQ);
    req.connect(&endpoint).expect("connect");
    // SAFETY: gettid has no preconditions.
    let req_tid = unsafe { libc::gettid() };
    let server = std::thread::spawn(move || {
        while let Ok(request) = rep.recv() {
            if request.is_empty() {
                break;
            }
            while !is_asleep(req_tid) {
                std::thread::yield_now();
            }
            rep.send(request).expect("reply");
        }
    });
    let round_trip = |i: u64| {
        let request = (i + 1).to_be_bytes();
        req.send(&request[..]).expect("request");
        assert_eq!(req.recv().expect("reply arrives"), &request[..]);
    };
    // The handshake and the first exchanges are the I/O thread's.
    for i in 0..10 {
        round_trip(i);
    }
    let before = sleeps_of_threads_named(prefix);
    for i in 0..ROUND_TRIPS {
        round_trip(i);
    }
    let sleeps = sleeps_of_threads_named(prefix) - before;
    req.send(&b""[..]).expect("the end");
    server.join().expect("server");
    sleeps
}

#[test]
fn a_reply_over_tcp_does_not_wake_the_io_thread() {
    // Read through, the REQ's I/O thread sleeps through the round trips (it is not woken
    // at all); with only the send side written through it slept once per round trip.
    let sleeps = req_io_thread_sleeps("tcp", "rt-tcp/");
    assert!(
        sleeps < ROUND_TRIPS / 4,
        "the REQ's I/O thread slept {sleeps} times in {ROUND_TRIPS} round trips"
    );
}

#[test]
fn a_reply_over_ipc_does_not_wake_the_io_thread() {
    let sleeps = req_io_thread_sleeps("ipc", "rt-ipc/");
    assert!(
        sleeps < ROUND_TRIPS / 4,
        "the REQ's I/O thread slept {sleeps} times in {ROUND_TRIPS} round trips"
    );
}

/// The raw peer's type for a socket of `kind`.
fn peer_type(kind: SocketType) -> &'static str {
    if kind == PAIR {
        "PAIR"
    } else {
        "DEALER"
    }
}

/// A socket of `kind` (PAIR or DEALER) bound on tcp, a raw ZMTP 3.1 peer connected and greeted, and one message each way,
/// after which the connection is lent (the peer spoke).
fn pair_and_raw_peer(
    ctx: &Context,
    kind: SocketType,
    configure: impl FnOnce(&Socket),
) -> (Socket, RawPeer) {
    let pair = socket(ctx, kind);
    configure(&pair);
    let endpoint = pair.bind("tcp://127.0.0.1:*").expect("bind");
    let mut peer = RawPeer::connect(&endpoint);
    peer.handshake(peer_type(kind), 1);
    peer.write(&frame(0, b"hello"));
    assert_eq!(pair.recv().expect("hello"), &b"hello"[..]);
    pair.send(&b"hello back"[..]).expect("answer");
    assert_eq!(next_message(&mut peer), b"hello back");
    (pair, peer)
}

/// The next message frame from the socket, skipping its commands.
fn next_message(peer: &mut RawPeer) -> Vec<u8> {
    loop {
        let frame = peer.read_frame();
        if !frame.is_command() {
            return frame.body;
        }
    }
}

/// Each round the socket answers and goes back to its blocking receive; the peer then
/// sends what `send` writes, and the socket must receive `expected` parts in order.
fn rounds(pair: Socket, mut peer: RawPeer, expected: usize, send: impl Fn(&mut RawPeer, u32)) {
    let app = std::thread::spawn(move || {
        for round in 0..ROUNDS {
            pair.send(&round.to_be_bytes()[..]).expect("round starts");
            for i in 0..expected {
                let msg = pair.recv().expect("message arrives");
                assert_eq!(msg, &label(round, i)[..], "round {round}, part {i}");
            }
        }
        pair
    });
    for round in 0..ROUNDS {
        assert_eq!(next_message(&mut peer), round.to_be_bytes());
        send(&mut peer, round);
    }
    app.join().expect("every message arrives, in order");
}

fn label(round: u32, i: usize) -> Vec<u8> {
    format!("{round}/{i}").into_bytes()
}

#[test]
fn a_burst_beyond_the_high_water_mark_read_through_arrives_whole() {
    let ctx = Context::new();
    let (pair, peer) = pair_and_raw_peer(&ctx, PAIR, |pair| {
        pair.options().set_rcvhwm(4).expect("rcvhwm");
    });
    // Many more messages than RCVHWM in one write: a read through takes them all from the
    // kernel, the pipe takes four, and the I/O thread must deliver the rest as room appears.
    const BURST: usize = 200;
    rounds(pair, peer, BURST, |peer, round| {
        let burst: Vec<u8> = (0..BURST)
            .flat_map(|i| frame(0, &label(round, i)))
            .collect();
        peer.write(&burst);
    });
}

#[test]
fn a_ping_read_through_is_answered() {
    let ctx = Context::new();
    let (pair, mut peer) = pair_and_raw_peer(&ctx, PAIR, |_| {});
    let app = std::thread::spawn(move || {
        for round in 0..ROUNDS {
            pair.send(&round.to_be_bytes()[..]).expect("round starts");
            let msg = pair.recv().expect("message arrives");
            assert_eq!(msg, &label(round, 0)[..]);
        }
    });
    for round in 0..ROUNDS {
        assert_eq!(next_message(&mut peer), round.to_be_bytes());
        // The PING goes alone, and the message only after its PONG came back: a socket's
        // thread that read the PING and kept it to itself would leave the peer waiting.
        peer.write(&frame(0x04, b"\x04PING\x00\x00round"));
        let pong = peer.read_frame();
        assert!(
            pong.is_command() && pong.body == b"\x04PONGround",
            "round {round}: the PING is answered, got {pong:?}"
        );
        peer.write(&frame(0, &label(round, 0)));
    }
    app.join().expect("every message arrives");
}

/// `socket`'s monitor.
fn watch(socket: &Socket) -> Monitor {
    socket.monitor(EventSet::ALL).expect("monitor")
}

fn wait_for(feed: &mut Monitor, kind: EventKind) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no {kind:?} event in time");
        if let Ok(event) = feed.recv_timeout(left) {
            if event.kind() == kind {
                return;
            }
        }
    }
}

#[test]
fn a_peer_gone_while_the_socket_waits_on_its_connection_is_reported_and_replaced() {
    let ctx = Context::new();
    // A DEALER, which takes the new peer whether or not it has seen the old one go.
    let (mut pair, mut peer) = pair_and_raw_peer(&ctx, DEALER, |_| {});
    let endpoint = pair.last_endpoint().expect("endpoint");
    let mut feed = watch(&pair);
    for round in 0..10u32 {
        // The socket answers and waits; the peer hangs up as soon as it has the answer.
        let app = std::thread::spawn(move || {
            pair.send(&round.to_be_bytes()[..]).expect("round starts");
            let msg = pair.recv().expect("the next peer's message arrives");
            assert_eq!(msg, &label(round, 0)[..]);
            pair
        });
        assert_eq!(next_message(&mut peer), round.to_be_bytes());
        drop(peer);
        // The loss is the I/O thread's, with its monitor event, whoever read the end of
        // the stream.
        wait_for(&mut feed, EventKind::Disconnected);
        // A new peer takes the old one's place, and the same blocking receive gets its
        // message.
        peer = RawPeer::connect(&endpoint);
        peer.handshake("DEALER", 1);
        peer.write(&frame(0, &label(round, 0)));
        pair = app
            .join()
            .expect("the waiting receive ends with the new peer's message");
    }
}

#[test]
fn a_message_arriving_outside_a_receive_reaches_zmq_fd() {
    let ctx = Context::new();
    let (pair, mut peer) = pair_and_raw_peer(&ctx, PAIR, |_| {});
    let fd = pair.fd().expect("ZMQ_FD");
    for round in 0..ROUNDS {
        // A message read through by a blocking receive...
        pair.send(&round.to_be_bytes()[..]).expect("round starts");
        assert_eq!(next_message(&mut peer), round.to_be_bytes());
        peer.write(&frame(0, &label(round, 0)));
        assert_eq!(pair.recv().expect("first"), &label(round, 0)[..]);
        // ...then one while the application is busy elsewhere: the I/O thread must be
        // watching the connection again, or nothing wakes the descriptor.
        peer.write(&frame(0, &label(round, 1)));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pair.events().expect("events").contains(POLLIN) {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut item = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one live pollfd.
            let n = unsafe { libc::poll(&mut item, 1, left.as_millis() as i32) };
            assert!(n > 0, "round {round}: ZMQ_FD never became readable");
        }
        assert_eq!(pair.try_recv().expect("second"), &label(round, 1)[..]);
    }
}

#[test]
fn a_dealer_reads_through_its_one_connection_in_order() {
    let ctx = Context::new();
    let router = socket(&ctx, ferrozmq::ROUTER);
    let endpoint = router.bind("tcp://127.0.0.1:*").expect("bind");
    let dealer = socket(&ctx, DEALER);
    dealer.connect(&endpoint).expect("connect");
    // Multipart replies of growing size, each answered at once: parts read through must
    // come whole and in order.
    for round in 0..200u32 {
        dealer.send(&round.to_be_bytes()[..]).expect("request");
        let mut request = router.recv_multipart().expect("request");
        let body: Vec<u8> = (0..round * 97).map(|i| i as u8).collect();
        request.push(body.clone().into());
        router.send_multipart(request).expect("reply");
        let reply = dealer.recv_multipart().expect("reply");
        assert_eq!(reply.len(), 2, "round {round}");
        assert_eq!(reply[0], &round.to_be_bytes()[..]);
        assert!(reply[1] == body[..], "round {round}: the body is intact");
    }
}

#[test]
fn a_receive_that_times_out_gives_the_connection_back() {
    let ctx = Context::new();
    let (pair, mut peer) = pair_and_raw_peer(&ctx, PAIR, |_| {});
    let fd = pair.fd().expect("ZMQ_FD");
    let rcvtimeo = |ms| {
        pair.options()
            .set_rcvtimeo(Some(Duration::from_millis(ms)))
            .expect("rcvtimeo")
    };
    for round in 0..10u32 {
        // The peer speaks (the connection is lent after that) and is answered.
        peer.write(&frame(0, &label(round, 0)));
        rcvtimeo(10_000);
        assert_eq!(pair.recv().expect("first"), &label(round, 0)[..]);
        pair.send(&round.to_be_bytes()[..]).expect("answer");
        assert_eq!(next_message(&mut peer), round.to_be_bytes());
        // A receive that waits on the connection itself and gives up...
        rcvtimeo(20);
        assert!(pair.recv().is_err(), "nothing was sent yet");
        // ...leaves the connection to the I/O thread: what comes next reaches ZMQ_FD.
        peer.write(&frame(0, &label(round, 1)));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pair.events().expect("events").contains(POLLIN) {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut item = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one live pollfd.
            let n = unsafe { libc::poll(&mut item, 1, left.as_millis() as i32) };
            assert!(n > 0, "round {round}: ZMQ_FD never became readable");
        }
        assert_eq!(pair.try_recv().expect("second"), &label(round, 1)[..]);
    }
}

/// A second connection attaching while a REP waits on its first one's descriptor: the wait
/// goes back to the socket's signal, and the first connection's input back to the I/O
/// thread, which brings its next request (the receive would otherwise wait for ever).
#[test]
fn a_second_pipe_attaching_mid_receive_does_not_strand_the_first() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    rep.options()
        .set_rcvtimeo(Some(Duration::from_secs(3)))
        .expect("rcvtimeo");
    rep.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = rep.last_endpoint().expect("endpoint");
    let first = socket(&ctx, REQ);
    first.connect(&endpoint).expect("connect");
    // Round trips: the connection is lent, and the REP's receive awaits an answer.
    for i in 0..3u8 {
        first.send(&[i][..]).expect("request");
        assert_eq!(&rep.recv().expect("request")[..], [i]);
        rep.send(&[i][..]).expect("reply");
        assert_eq!(&first.recv().expect("reply")[..], [i]);
    }
    let (ctx2, endpoint2) = (ctx.clone(), endpoint.clone());
    let clients = std::thread::spawn(move || {
        // The REP is waiting on the first connection by now.
        std::thread::sleep(Duration::from_millis(200));
        let second = socket(&ctx2, REQ);
        second.connect(&endpoint2).expect("connect");
        // Its pipe attached; it stays silent.
        std::thread::sleep(Duration::from_millis(300));
        first.send(&b"late"[..]).expect("request");
        std::thread::sleep(Duration::from_secs(4));
        drop((first, second));
    });
    assert_eq!(
        &rep.recv()
            .expect("the first client's request is not stranded")[..],
        b"late"
    );
    clients.join().expect("clients");
}
