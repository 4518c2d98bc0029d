//! Waiting on many sockets and descriptors: `poll`, `Poller`, `get_events` and `get_fd`,
//! over real transports. Every wait is bounded, so a bug fails a test instead of hanging it.

use ferrozmq::{
    Context, Error, PollItem, Poller, PollerEvent, Socket, SocketType, POLLERR, POLLIN, POLLOUT,
    PULL, PUSH, REP, REQ,
};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

/// Upper bound for any wait that should end early.
const BOUND: Duration = Duration::from_secs(5);

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(BOUND)).expect("rcvtimeo");
    s.options().set_sndtimeo(Some(BOUND)).expect("sndtimeo");
    s
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("inproc://{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A bound PULL and a PUSH connected to it.
fn pipeline(ctx: &Context, transport: &str) -> (Socket, Socket) {
    let pull = socket(ctx, PULL);
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_string(),
        _ => unique("pipeline"),
    };
    let endpoint = pull.bind(&endpoint).expect("bind");
    let push = socket(ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    (pull, push)
}

fn tokens(events: &[PollerEvent]) -> Vec<usize> {
    let mut tokens: Vec<usize> = events.iter().map(PollerEvent::token).collect();
    tokens.sort_unstable();
    tokens
}

#[test]
fn poll_reports_readable_once_a_message_waits_and_not_before() {
    for transport in ["tcp", "inproc"] {
        let ctx = Context::new();
        let (pull, push) = pipeline(&ctx, transport);
        let mut items = [pull.as_poll_item(POLLIN)];
        assert_eq!(
            ferrozmq::poll(&mut items, Some(Duration::ZERO)).unwrap(),
            0,
            "{transport}"
        );
        assert!(!items[0].is_readable());

        push.send("one").unwrap();
        assert_eq!(
            ferrozmq::poll(&mut items, Some(BOUND)).unwrap(),
            1,
            "{transport}"
        );
        assert!(items[0].is_readable());
        assert_eq!(items[0].revents(), POLLIN);
        assert_eq!(pull.recv().unwrap(), "one");

        assert_eq!(
            ferrozmq::poll(&mut items, Some(Duration::ZERO)).unwrap(),
            0,
            "{transport}"
        );
        assert!(items[0].revents().is_empty());
    }
}

#[test]
fn poll_reports_a_socket_again_while_messages_stay_unread() {
    let ctx = Context::new();
    let (pull, push) = pipeline(&ctx, "inproc");
    push.send("one").unwrap();
    push.send("two").unwrap();
    let mut items = [pull.as_poll_item(POLLIN)];
    for _ in 0..3 {
        assert_eq!(ferrozmq::poll(&mut items, Some(BOUND)).unwrap(), 1);
    }
    pull.recv().unwrap();
    assert_eq!(ferrozmq::poll(&mut items, Some(Duration::ZERO)).unwrap(), 1);
    pull.recv().unwrap();
    assert_eq!(ferrozmq::poll(&mut items, Some(Duration::ZERO)).unwrap(), 0);
}

#[test]
fn push_is_writable_with_a_peer_and_room_and_not_when_full() {
    let ctx = Context::new();
    let lonely = socket(&ctx, PUSH);
    assert!(
        lonely
            .poll(POLLOUT, Some(Duration::ZERO))
            .unwrap()
            .is_empty(),
        "no peer, nowhere to send"
    );

    let pull = socket(&ctx, PULL);
    pull.options().set_rcvhwm(4).unwrap();
    let endpoint = unique("hwm");
    pull.bind(&endpoint).unwrap();
    let push = socket(&ctx, PUSH);
    push.options().set_sndhwm(4).unwrap();
    push.connect(&endpoint).unwrap();
    assert!(!push.poll(POLLOUT, Some(BOUND)).unwrap().is_empty());

    let mut sent = 0;
    loop {
        match push.try_send("fill") {
            Ok(()) => sent += 1,
            Err(Error::Again) => break,
            Err(e) => panic!("send: {e}"),
        }
        assert!(sent < 100_000, "the pipe never filled");
    }
    assert!(sent > 0);
    assert!(
        push.poll(POLLOUT, Some(Duration::ZERO)).unwrap().is_empty(),
        "full at the high-water mark"
    );
    assert!(!push.events().unwrap().contains(POLLOUT));

    let mut poller = Poller::new();
    poller.add(&push, POLLOUT, 1).unwrap();
    let mut events = Vec::new();
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    while pull.try_recv().is_ok() {}
    assert!(
        !push.poll(POLLOUT, Some(BOUND)).unwrap().is_empty(),
        "room again"
    );
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
    assert_eq!(events[0].events(), POLLOUT);
}

#[test]
fn req_and_rep_readiness_follows_their_state() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = unique("reqrep");
    rep.bind(&endpoint).unwrap();
    let req = socket(&ctx, REQ);
    req.connect(&endpoint).unwrap();

    assert_eq!(req.events().unwrap(), POLLOUT);
    assert!(rep.events().unwrap().is_empty());

    req.send("question").unwrap();
    assert!(req.events().unwrap().is_empty(), "awaiting the reply");
    assert!(!rep.poll(POLLIN | POLLOUT, Some(BOUND)).unwrap().is_empty());
    assert_eq!(rep.events().unwrap(), POLLIN);

    rep.recv().unwrap();
    assert_eq!(rep.events().unwrap(), POLLOUT, "owes a reply");
    rep.send("answer").unwrap();
    assert!(rep.events().unwrap().is_empty());

    let mut items = [req.as_poll_item(POLLIN | POLLOUT)];
    assert_eq!(ferrozmq::poll(&mut items, Some(BOUND)).unwrap(), 1);
    assert_eq!(items[0].revents(), POLLIN);
    req.recv().unwrap();
    assert_eq!(req.events().unwrap(), POLLOUT);
}

#[test]
fn timeouts_bound_the_wait() {
    let ctx = Context::new();
    let (pull, _push) = pipeline(&ctx, "inproc");
    let mut items = [pull.as_poll_item(POLLIN)];

    let start = Instant::now();
    assert_eq!(ferrozmq::poll(&mut items, Some(Duration::ZERO)).unwrap(), 0);
    assert!(start.elapsed() < BOUND);

    let start = Instant::now();
    assert_eq!(
        ferrozmq::poll(&mut items, Some(Duration::from_millis(50))).unwrap(),
        0
    );
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");

    let mut poller = Poller::new();
    poller.add(&pull, POLLIN, 1).unwrap();
    let mut events = Vec::new();
    let start = Instant::now();
    assert_eq!(
        poller
            .wait(&mut events, Some(Duration::from_millis(50)))
            .unwrap(),
        0
    );
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
}

#[test]
fn poll_waits_on_a_raw_descriptor_beside_sockets() {
    let ctx = Context::new();
    let (pull, push) = pipeline(&ctx, "tcp");
    let (mut near, far) = UnixStream::pair().unwrap();
    let fd = far.as_raw_fd();
    {
        let mut items = [pull.as_poll_item(POLLIN), PollItem::from_fd(fd, POLLIN)];
        assert_eq!(ferrozmq::poll(&mut items, Some(Duration::ZERO)).unwrap(), 0);

        near.write_all(b"x").unwrap();
        assert_eq!(ferrozmq::poll(&mut items, Some(BOUND)).unwrap(), 1);
        assert!(!items[0].is_readable());
        assert!(items[1].is_readable() && items[1].has_fd(fd));

        push.send("message").unwrap();
        // The descriptor stays readable (nobody read it): both are reported.
        let deadline = Instant::now() + BOUND;
        while ferrozmq::poll(&mut items, Some(BOUND)).unwrap() < 2 {
            assert!(Instant::now() < deadline, "the message never arrived");
        }
        assert!(items[0].is_readable() && items[1].is_readable());
    }

    // Descriptors alone.
    let mut items = [PollItem::from_fd(fd, POLLIN)];
    assert_eq!(ferrozmq::poll(&mut items, Some(BOUND)).unwrap(), 1);
    let (_quiet, other) = UnixStream::pair().unwrap();
    let mut items = [PollItem::from_fd(other.as_raw_fd(), POLLIN)];
    let start = Instant::now();
    assert_eq!(
        ferrozmq::poll(&mut items, Some(Duration::from_millis(20))).unwrap(),
        0
    );
    assert!(start.elapsed() >= Duration::from_millis(20));

    // A descriptor whose peer hung up reports it without being asked.
    drop(near);
    let mut items = [PollItem::from_fd(fd, POLLOUT)];
    assert_eq!(ferrozmq::poll(&mut items, Some(BOUND)).unwrap(), 1);
    assert!(items[0].is_error());
}

/// Sends `text` on `socket` from another thread after a pause; joining hands it back.
fn send_later(socket: Socket, text: &'static str) -> thread::JoinHandle<Socket> {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        socket.send(text).unwrap();
        socket
    })
}

#[test]
fn a_message_arriving_during_a_wait_wakes_it() {
    for transport in ["tcp", "inproc"] {
        for with_fd in [false, true] {
            let case = format!("{transport}, with a descriptor: {with_fd}");
            let ctx = Context::new();
            let (pull, push) = pipeline(&ctx, transport);
            let (_near, far) = UnixStream::pair().unwrap();

            let sender = send_later(push, "late");
            let mut items = vec![pull.as_poll_item(POLLIN)];
            if with_fd {
                items.push(PollItem::from_fd(far.as_raw_fd(), POLLIN));
            }
            assert_eq!(
                ferrozmq::poll(&mut items, Some(BOUND)).unwrap(),
                1,
                "{case}"
            );
            assert!(items[0].is_readable(), "{case}");
            pull.recv().unwrap();
            let push = sender.join().unwrap();

            let mut poller = Poller::new();
            poller.add(&pull, POLLIN, 1).unwrap();
            if with_fd {
                poller.add_fd(far.as_raw_fd(), POLLIN, 2).unwrap();
            }
            let mut events = Vec::new();
            assert_eq!(
                poller.wait(&mut events, Some(Duration::ZERO)).unwrap(),
                0,
                "{case}"
            );
            let sender = send_later(push, "later");
            assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1, "{case}");
            assert_eq!(tokens(&events), [1], "{case}");
            sender.join().unwrap();
        }
    }
}

#[test]
fn poller_reports_a_descriptor_written_while_it_sleeps() {
    let ctx = Context::new();
    let (pull, _push) = pipeline(&ctx, "inproc");
    let (near, far) = UnixStream::pair().unwrap();
    let mut poller = Poller::new();
    poller.add(&pull, POLLIN, 1).unwrap();
    poller.add_fd(far.as_raw_fd(), POLLIN, 2).unwrap();
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        (&near).write_all(b"x").unwrap();
        near
    });
    let mut events = Vec::new();
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
    assert_eq!(tokens(&events), [2]);
    assert!(events[0].is_readable());
    // Level-triggered: unread data is reported again.
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    let _near = writer.join().unwrap();
    poller.remove_fd(far.as_raw_fd()).unwrap();
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
}

#[test]
fn poller_reports_a_socket_again_while_messages_stay_unread() {
    let ctx = Context::new();
    let (pull, push) = pipeline(&ctx, "inproc");
    let mut poller = Poller::new();
    poller.add(&pull, POLLIN, 5).unwrap();
    push.send("one").unwrap();
    push.send("two").unwrap();
    let mut events = Vec::new();
    for _ in 0..3 {
        assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
        assert_eq!(tokens(&events), [5]);
    }
    pull.recv().unwrap();
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    pull.recv().unwrap();
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    push.send("three").unwrap();
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
}

#[test]
fn poller_with_a_thousand_sockets_reports_exactly_the_ready_one() {
    let ctx = Context::new();
    // Two thousand sockets: more than libzmq's default MAX_SOCKETS.
    ctx.set_max_sockets(4096).unwrap();
    let pairs: Vec<(Socket, Socket)> = (0..1000).map(|_| pipeline(&ctx, "inproc")).collect();
    let mut poller = Poller::new();
    for (token, (pull, _)) in pairs.iter().enumerate() {
        poller.add(pull, POLLIN, token).unwrap();
    }
    let mut events = Vec::new();
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);

    for chosen in [537, 0, 999] {
        pairs[chosen].1.send("you").unwrap();
        assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
        assert_eq!(tokens(&events), [chosen]);
        assert_eq!(events[0].events(), POLLIN);
        pairs[chosen].0.recv().unwrap();
        assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    }

    // Two at once, one of them from another thread while the poller sleeps.
    pairs[10].1.send("ten").unwrap();
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
    let endpoint = pairs[20].0.last_endpoint().unwrap();
    let extra = socket(&ctx, PUSH);
    extra.connect(&endpoint).unwrap();
    let sender = send_later(extra, "twenty");
    let deadline = Instant::now() + BOUND;
    while poller.wait(&mut events, Some(BOUND)).unwrap() < 2 {
        assert!(Instant::now() < deadline);
    }
    assert_eq!(tokens(&events), [10, 20]);
    sender.join().unwrap();
}

#[test]
fn get_fd_and_get_events_drive_a_foreign_event_loop() {
    let ctx = Context::new();
    let (pull, push) = pipeline(&ctx, "tcp");
    let fd = pull.fd().unwrap();
    assert_eq!(pull.fd().unwrap(), fd, "one descriptor per socket");

    let producer = thread::spawn(move || {
        for i in 0..100 {
            push.send(format!("message {i}").as_str()).unwrap();
            if i % 10 == 9 {
                thread::sleep(Duration::from_millis(2));
            }
        }
        push
    });

    let deadline = Instant::now() + BOUND;
    let mut received = Vec::new();
    while received.len() < 100 {
        assert!(Instant::now() < deadline, "stuck at {}", received.len());
        // The foreign loop sleeps on the descriptor alone...
        let mut item = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        let n = unsafe { libc::poll(&mut item, 1, BOUND.as_millis() as i32) };
        assert!(n >= 0, "poll failed");
        // ...and works while the socket says there is work.
        while pull.events().unwrap().contains(POLLIN) {
            received.push(pull.try_recv().unwrap().as_str().unwrap().to_string());
        }
    }
    let expected: Vec<String> = (0..100).map(|i| format!("message {i}")).collect();
    assert_eq!(received, expected);

    // Nothing new since the last get_events: the descriptor stays quiet.
    let mut item = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one live pollfd.
    assert_eq!(unsafe { libc::poll(&mut item, 1, 0) }, 0);

    // Until something happens.
    let push = producer.join().unwrap();
    push.send("one more").unwrap();
    // SAFETY: one live pollfd.
    assert_eq!(
        unsafe { libc::poll(&mut item, 1, BOUND.as_millis() as i32) },
        1
    );
    assert!(pull.events().unwrap().contains(POLLIN));
}

#[test]
fn a_removed_socket_is_not_reported() {
    let ctx = Context::new();
    let (kept, kept_push) = pipeline(&ctx, "inproc");
    let (removed, removed_push) = pipeline(&ctx, "inproc");
    let mut poller = Poller::new();
    poller.add(&kept, POLLIN, 1).unwrap();
    poller.add(&removed, POLLIN, 2).unwrap();
    removed_push.send("ready before removal").unwrap();
    poller.remove(&removed).unwrap();
    assert_eq!(poller.len(), 1);
    removed_push.send("after removal").unwrap();

    let mut events = Vec::new();
    assert_eq!(
        poller
            .wait(&mut events, Some(Duration::from_millis(50)))
            .unwrap(),
        0
    );
    kept_push.send("kept").unwrap();
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
    assert_eq!(tokens(&events), [1]);

    // Added again, it is reported at once: its messages are still queued.
    poller.add(&removed, POLLIN, 3).unwrap();
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 2);
    assert_eq!(tokens(&events), [1, 3]);
}

#[test]
fn a_socket_dropped_by_the_application_lives_on_in_the_poller_until_removed() {
    let ctx = Context::new();
    let (kept, kept_push) = pipeline(&ctx, "tcp");
    let (gone, gone_push) = pipeline(&ctx, "tcp");
    let kept = Rc::new(kept);
    let gone = Rc::new(gone);
    let mut poller = Poller::new();
    poller.add(kept.clone(), POLLIN, 1).unwrap();
    poller.add(gone.clone(), POLLIN, 2).unwrap();
    let watch = Rc::downgrade(&gone);
    drop(gone);

    // The poller's share keeps the socket open and watched.
    gone_push.send("still delivered").unwrap();
    let mut events = Vec::new();
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
    assert_eq!(tokens(&events), [2]);

    // Removed, the last share goes and the socket closes; the poller carries on.
    let share = watch.upgrade().expect("the poller keeps it");
    drop(poller.remove(&share).unwrap());
    drop(share);
    assert!(watch.upgrade().is_none(), "closed");
    gone_push.try_send("to nobody").ok();
    drop(gone_push);
    assert_eq!(
        poller
            .wait(&mut events, Some(Duration::from_millis(30)))
            .unwrap(),
        0
    );
    kept_push.send("still here").unwrap();
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
    assert_eq!(tokens(&events), [1]);

    // A borrowed socket removed from a poller can be dropped once the poller is.
    let (borrowed, _push) = pipeline(&ctx, "inproc");
    let mut poller = Poller::new();
    poller.add(&borrowed, POLLIN, 3).unwrap();
    poller.remove(&borrowed).unwrap();
    drop(poller);
    drop(borrowed);
}

#[test]
fn a_socket_in_two_pollers_and_in_its_own_blocking_recv() {
    let ctx = Context::new();
    let (pull, push) = pipeline(&ctx, "inproc");
    let mut first = Poller::new();
    let mut second = Poller::new();
    first.add(&pull, POLLIN, 1).unwrap();
    second.add(&pull, POLLIN, 2).unwrap();
    let mut events = Vec::new();

    push.send("both see it").unwrap();
    assert_eq!(first.wait(&mut events, Some(BOUND)).unwrap(), 1);
    assert_eq!(second.wait(&mut events, Some(BOUND)).unwrap(), 1);
    pull.recv().unwrap();

    // Blocking in recv while registered: the recv is woken, the pollers stay consistent.
    let sender = send_later(push, "for the blocked recv");
    assert_eq!(pull.recv().unwrap(), "for the blocked recv");
    let push = sender.join().unwrap();
    assert_eq!(first.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    assert_eq!(second.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);

    drop(first);
    push.send("second only").unwrap();
    assert_eq!(second.wait(&mut events, Some(BOUND)).unwrap(), 1);
    assert_eq!(tokens(&events), [2]);
}

#[test]
fn a_rep_that_replied_is_reported_when_its_next_request_is_already_queued() {
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    let endpoint = unique("rep");
    rep.bind(&endpoint).unwrap();
    let clients: Vec<Socket> = (0..2)
        .map(|_| {
            let req = socket(&ctx, REQ);
            req.connect(&endpoint).unwrap();
            req.send("request").unwrap();
            req
        })
        .collect();

    let mut poller = Poller::new();
    poller.add(&rep, POLLIN, 1).unwrap();
    let mut events = Vec::new();
    assert_eq!(poller.wait(&mut events, Some(BOUND)).unwrap(), 1);
    rep.recv().unwrap();
    // Owing a reply, the REP cannot receive: not reported, and no peer will say otherwise.
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    // Its own reply makes the queued second request receivable.
    rep.send("reply").unwrap();
    assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    rep.recv().unwrap();
    rep.send("reply").unwrap();
    for req in &clients {
        assert_eq!(req.recv().unwrap(), "reply");
    }
}

#[test]
fn shutting_the_context_down_ends_a_wait() {
    let ctx = Context::new();
    let (pull, _push) = pipeline(&ctx, "inproc");
    let mut poller = Poller::new();
    poller.add(&pull, POLLIN, 1).unwrap();
    let killer = {
        let ctx = ctx.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            ctx.shutdown();
        })
    };
    let mut events = Vec::new();
    let result = poller.wait(&mut events, Some(BOUND));
    assert!(matches!(result, Err(Error::Terminated)), "{result:?}");
    killer.join().unwrap();
    let mut items = [pull.as_poll_item(POLLIN)];
    assert!(matches!(
        ferrozmq::poll(&mut items, Some(Duration::ZERO)),
        Err(Error::Terminated)
    ));
}

#[test]
fn waiting_for_ever_on_nothing_is_refused() {
    assert!(matches!(
        ferrozmq::poll(&mut [], None),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(
        ferrozmq::poll(&mut [], Some(Duration::from_millis(1))).unwrap(),
        0
    );
    let mut poller: Poller<&Socket> = Poller::new();
    assert!(matches!(
        poller.wait(&mut Vec::new(), None),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(POLLERR.bits(), 4);
}
