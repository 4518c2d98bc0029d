//! The async API keeps the blocking API's promises: request-reply, prefix filtering,
//! queued messages surviving a reconnect, a sender waiting at the high-water mark, a
//! publisher that never waits. Each scenario runs under tokio (multi-thread and
//! current-thread), `futures::executor::block_on` and smol, every wait bounded by that
//! executor's timer.

#[macro_use]
mod async_support;

use async_support::{bind_tcp, free_endpoint, seq, seq_of, socket, texts, Runtime, TIMEOUT};
use ferrozmq::{
    proxy_async, AsyncSocket, Context, Error, EventKind, EventSet, Socket, CLIENT, DEALER, PUB,
    PULL, PUSH, REP, REQ, ROUTER, SERVER, SUB,
};
use futures::future::{join, join3, join_all, poll_immediate, select, Either};
use futures::stream::FusedStream;
use futures::{FutureExt, SinkExt, StreamExt};
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

on_every_runtime!(
    req_and_rep_alternate_multipart_requests_and_replies,
    subscribers_receive_only_their_prefixes,
    pull_restarted_on_the_same_endpoint_gets_the_queued_messages,
    push_stays_pending_at_the_high_water_mark_until_the_peer_reads,
    publisher_never_waits_for_a_subscriber_that_does_not_read,
    waits_are_bounded_by_the_runtime_timer_not_by_socket_timeouts,
    context_shutdown_ends_waits_and_the_stream_with_terminated,
    select_over_three_sockets_wakes_for_the_one_with_a_message,
    monitor_events_are_received_asynchronously,
    server_replies_to_each_client_by_routing_id,
    a_stream_forwarded_into_a_sink_keeps_messages_whole,
    proxy_async_carries_requests_and_replies_through_a_broker,
);

/// Reads messages until one is not `probe`: the probes of [`await_subscription`] may still
/// be arriving.
async fn recv_past_probes(sub: &mut AsyncSocket, probe: &str) -> String {
    loop {
        let msg = sub.recv().await.expect("message");
        let text = msg.as_str().expect("utf-8").to_owned();
        if text != probe {
            return text;
        }
    }
}

/// Publishes `probe` until `sub` receives one: its subscription has reached the publisher.
async fn await_subscription(
    rt: Runtime,
    publisher: &mut AsyncSocket,
    sub: &mut AsyncSocket,
    probe: &str,
) {
    rt.within("the subscription", async {
        loop {
            publisher.send(probe).await.expect("probe");
            if let Some(received) = rt.timeout(Duration::from_millis(20), sub.recv()).await {
                assert_eq!(received.expect("probe").as_str(), Some(probe));
                return;
            }
        }
    })
    .await;
}

async fn req_and_rep_alternate_multipart_requests_and_replies(rt: Runtime) {
    const ROUNDS: usize = 50;
    let ctx = Context::new();
    let mut rep = socket(&ctx, REP);
    let endpoint = bind_tcp(&rep);
    let mut req = socket(&ctx, REQ);
    req.connect(&endpoint).expect("connect");
    assert!(
        matches!(req.recv().await, Err(Error::State)),
        "a REQ receives only after a request"
    );

    let server = async {
        for _ in 0..ROUNDS {
            let mut request = rep.recv_multipart().await.expect("request");
            request.push("I am OK!".into());
            rep.send_multipart(request).await.expect("reply");
        }
    };
    let client = async {
        for round in 0..ROUNDS {
            let request = ["Are you OK?".to_owned(), round.to_string()];
            req.send_multipart(request.clone()).await.expect("request");
            let reply = req.recv_multipart().await.expect("reply");
            assert_eq!(
                texts(&reply),
                [request[0].as_str(), &request[1], "I am OK!"]
            );
        }
    };
    rt.within("request-reply", join(server, client)).await;
}

async fn subscribers_receive_only_their_prefixes(rt: Runtime) {
    let ctx = Context::new();
    let mut publisher = socket(&ctx, PUB);
    let endpoint = bind_tcp(&publisher);
    let mut weather = socket(&ctx, SUB);
    weather.subscribe(b"weather").expect("subscribe");
    weather.connect(&endpoint).expect("connect");
    let mut everything = socket(&ctx, SUB);
    everything.subscribe(b"").expect("subscribe");
    everything.connect(&endpoint).expect("connect");
    let probe = "weather probe";
    await_subscription(rt, &mut publisher, &mut weather, probe).await;
    await_subscription(rt, &mut publisher, &mut everything, probe).await;

    let published = [
        "sports 1",
        "weather 1",
        "news 1",
        "weather 2",
        "weather end",
    ];
    for topic in published {
        publisher.send(topic).await.expect("publish");
    }
    rt.within("the weather", async {
        for expected in ["weather 1", "weather 2", "weather end"] {
            assert_eq!(recv_past_probes(&mut weather, probe).await, expected);
        }
    })
    .await;
    rt.within("everything", async {
        for expected in published {
            assert_eq!(recv_past_probes(&mut everything, probe).await, expected);
        }
    })
    .await;
}

async fn pull_restarted_on_the_same_endpoint_gets_the_queued_messages(rt: Runtime) {
    let ctx = Context::new();
    let endpoint = free_endpoint();
    let mut push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    let mut first = socket(&ctx, PULL);
    first.bind(&endpoint).expect("bind");
    rt.within("the first puller", async {
        for i in 0..100 {
            push.send(seq(i)).await.expect("send");
        }
        for i in 0..100 {
            assert_eq!(seq_of(&first.recv().await.expect("recv")), i);
        }
    })
    .await;
    drop(first);
    // Give the PUSH time to see the connection end: what it writes into a connection whose
    // peer is already gone is lost with it, in any ZeroMQ.
    rt.sleep(Duration::from_millis(100)).await;

    rt.within("queueing while nobody listens", async {
        for i in 100..200 {
            push.send(seq(i)).await.expect("queued");
        }
    })
    .await;
    rt.sleep(Duration::from_millis(50)).await;
    let mut second = socket(&ctx, PULL);
    second.bind(&endpoint).expect("bind again");
    rt.within("the restarted puller", async {
        for i in 100..200 {
            assert_eq!(seq_of(&second.recv().await.expect("recv")), i);
        }
    })
    .await;
    let more = rt.timeout(Duration::from_millis(50), second.recv()).await;
    assert!(more.is_none(), "every message came once: {more:?}");
}

async fn push_stays_pending_at_the_high_water_mark_until_the_peer_reads(rt: Runtime) {
    let ctx = Context::new();
    let mut pull = socket(&ctx, PULL);
    pull.options().set_rcvhwm(1).expect("hwm");
    pull.bind("inproc://high-water-mark").expect("bind");
    let mut push = socket(&ctx, PUSH);
    push.options().set_sndhwm(1).expect("hwm");
    push.connect("inproc://high-water-mark").expect("connect");

    // Fill the pipe. A send that cannot complete at once is dropped unsent, and its
    // sequence number is used again below.
    let mut queued = 0;
    while let Some(sent) = poll_immediate(push.send(seq(queued))).await {
        sent.expect("send");
        queued += 1;
        assert!(queued < 100, "the high-water mark stops the sender");
    }
    let mut blocked = pin!(push.send(seq(queued)));
    assert!(poll_immediate(&mut blocked).await.is_none());
    rt.sleep(Duration::from_millis(50)).await;
    assert!(
        poll_immediate(&mut blocked).await.is_none(),
        "still pending while the peer reads nothing"
    );

    let read_all = async {
        let mut got = Vec::new();
        for _ in 0..=queued {
            got.push(seq_of(&pull.recv().await.expect("recv")));
        }
        got
    };
    let (sent, got) = rt
        .within("reading makes room", join(blocked, read_all))
        .await;
    sent.expect("the blocked send completes");
    assert_eq!(got, (0..=queued).collect::<Vec<_>>());
    let more = rt.timeout(Duration::from_millis(50), pull.recv()).await;
    assert!(more.is_none(), "the dropped sends sent nothing: {more:?}");
}

async fn publisher_never_waits_for_a_subscriber_that_does_not_read(rt: Runtime) {
    let ctx = Context::new();
    let mut publisher = socket(&ctx, PUB);
    publisher.options().set_sndhwm(100).expect("hwm");
    publisher.bind("inproc://slow-subscriber").expect("bind");
    let mut stalled = socket(&ctx, SUB);
    stalled.options().set_rcvhwm(100).expect("hwm");
    stalled.subscribe(b"").expect("subscribe");
    stalled
        .connect("inproc://slow-subscriber")
        .expect("connect");
    let mut reader = socket(&ctx, SUB);
    reader.subscribe(b"").expect("subscribe");
    reader.connect("inproc://slow-subscriber").expect("connect");
    await_subscription(rt, &mut publisher, &mut stalled, "probe").await;
    await_subscription(rt, &mut publisher, &mut reader, "probe").await;
    while let Some(probe) = poll_immediate(stalled.recv()).await {
        probe.expect("probe");
    }

    let publish = async {
        for i in 0..20_000 {
            publisher
                .send(seq(i))
                .now_or_never()
                .expect("a publisher never waits")
                .expect("publish");
            if i % 100 == 99 {
                // Lets the reader run.
                rt.sleep(Duration::from_millis(1)).await;
            }
        }
        publisher.send("end").await.expect("end");
    };
    let read = async {
        let mut got = 0;
        loop {
            let msg = reader.recv().await.expect("recv");
            match &msg[..] {
                b"end" => return got,
                b"probe" => {}
                _ => got += 1,
            }
        }
    };
    let ((), got) = rt.within("publishing", join(publish, read)).await;
    assert!(got > 15_000, "the reading subscriber kept up: {got}");
    let mut stalled_got = 0;
    while let Some(msg) = poll_immediate(stalled.recv()).await {
        msg.expect("recv");
        stalled_got += 1;
    }
    assert!(
        stalled_got <= 201,
        "the stalled subscriber's queue is bounded by the high-water marks: {stalled_got}"
    );
}

async fn waits_are_bounded_by_the_runtime_timer_not_by_socket_timeouts(rt: Runtime) {
    let ctx = Context::new();
    let mut pull = socket(&ctx, PULL);
    // The futures ignore RCVTIMEO: only the runtime's timer ends their wait.
    pull.options()
        .set_rcvtimeo(Some(Duration::from_millis(10)))
        .expect("rcvtimeo");
    let endpoint = bind_tcp(&pull);
    let start = Instant::now();
    let received = rt.timeout(Duration::from_millis(100), pull.recv()).await;
    assert!(received.is_none(), "nothing to receive: {received:?}");
    assert!(start.elapsed() >= Duration::from_millis(100));

    let mut push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    push.send("after").await.expect("send");
    let received = rt.within("the message", pull.recv()).await;
    assert_eq!(received.expect("recv").as_str(), Some("after"));

    let mut stuck = socket(&ctx, PUSH);
    stuck.options().set_sndhwm(1).expect("hwm");
    stuck
        .options()
        .set_sndtimeo(Some(Duration::from_millis(10)))
        .expect("sndtimeo");
    stuck.connect(&free_endpoint()).expect("connect");
    stuck.send("queued").await.expect("one message queues");
    let sent = rt
        .timeout(Duration::from_millis(100), stuck.send("no room"))
        .await;
    assert!(sent.is_none(), "the send waits for room: {sent:?}");
}

async fn context_shutdown_ends_waits_and_the_stream_with_terminated(rt: Runtime) {
    let ctx = Context::new();
    let mut pull = socket(&ctx, PULL);
    bind_tcp(&pull);
    let shutdown = async {
        rt.sleep(Duration::from_millis(50)).await;
        ctx.shutdown();
    };
    let (received, ()) = rt.within("shutdown", join(pull.recv(), shutdown)).await;
    assert!(matches!(received, Err(Error::Terminated)), "{received:?}");
    let next = pull.next().await;
    assert!(matches!(next, Some(Err(Error::Terminated))), "{next:?}");
    assert!(pull.next().await.is_none(), "the stream ended");
    assert!(pull.is_terminated());
}

async fn select_over_three_sockets_wakes_for_the_one_with_a_message(rt: Runtime) {
    let ctx = Context::new();
    let mut pulls: [AsyncSocket; 3] = std::array::from_fn(|_| socket(&ctx, PULL));
    let pushes: Vec<Socket> = pulls
        .iter()
        .map(|pull| {
            let push = ctx.socket(PUSH).expect("push");
            push.options()
                .set_linger(Some(Duration::ZERO))
                .expect("linger");
            push.connect(&bind_tcp(pull)).expect("connect");
            push
        })
        .collect();
    for round in 0..30 {
        let target = (round * 7 + round / 3) as usize % 3;
        pushes[target].send(seq(round)).expect("send");
        let [a, b, c] = &mut pulls;
        let ready = rt
            .within("a readable socket", async {
                futures::select! {
                    ready = a.readable().fuse() => ready.map(|()| 0),
                    ready = b.readable().fuse() => ready.map(|()| 1),
                    ready = c.readable().fuse() => ready.map(|()| 2),
                }
            })
            .await;
        assert_eq!(ready.expect("readable"), target);
        let msg = pulls[target].recv().await.expect("the message is there");
        assert_eq!(seq_of(&msg), round);
    }
}

async fn monitor_events_are_received_asynchronously(rt: Runtime) {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    let mut events = pull.monitor(EventSet::ALL).expect("monitor");
    let endpoint = bind_tcp(&pull);
    let listening = rt.within("LISTENING", events.next()).await;
    let listening = listening.expect("event");
    assert_eq!(listening.kind(), EventKind::Listening);
    assert_eq!(listening.endpoint(), endpoint);

    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).expect("connect");
    rt.within("ACCEPTED, then HANDSHAKE_SUCCEEDED", async {
        let mut accepted = false;
        loop {
            let event = events.next().await.expect("event");
            match event.kind() {
                EventKind::Accepted => accepted = true,
                EventKind::HandshakeSucceeded => {
                    assert!(accepted, "accepted before the handshake");
                    return;
                }
                _ => {}
            }
        }
    })
    .await;
}

async fn server_replies_to_each_client_by_routing_id(rt: Runtime) {
    let ctx = Context::new();
    let mut server = socket(&ctx, SERVER);
    let endpoint = bind_tcp(&server);
    let mut clients: Vec<AsyncSocket> = (0..3)
        .map(|_| {
            let client = socket(&ctx, CLIENT);
            client.connect(&endpoint).expect("connect");
            client
        })
        .collect();
    rt.within("the exchange", async {
        for (i, client) in clients.iter_mut().enumerate() {
            client.send(format!("client {i}")).await.expect("send");
        }
        for _ in 0..3 {
            let (peer, request) = server.recv_from().await.expect("request");
            let reply = format!("reply to {}", request.as_str().expect("utf-8"));
            server.send_to(peer, reply).await.expect("reply");
        }
        for (i, client) in clients.iter_mut().enumerate() {
            let reply = client.recv().await.expect("reply");
            assert_eq!(
                reply.as_str(),
                Some(format!("reply to client {i}").as_str())
            );
        }
    })
    .await;
    let wrong_type = socket(&ctx, PULL).recv_from().await;
    assert!(matches!(wrong_type, Err(Error::NotSupported)));
}

async fn a_stream_forwarded_into_a_sink_keeps_messages_whole(rt: Runtime) {
    const COUNT: u32 = 2000;
    let ctx = Context::new();
    let mut inlet = socket(&ctx, PULL);
    let inlet_endpoint = bind_tcp(&inlet);
    let mut outlet = socket(&ctx, PUSH);
    let outlet_endpoint = bind_tcp(&outlet);
    let mut source = socket(&ctx, PUSH);
    source.connect(&inlet_endpoint).expect("connect");
    let mut sink = socket(&ctx, PULL);
    sink.connect(&outlet_endpoint).expect("connect");

    let produce = async {
        for i in 0..COUNT {
            let parts = [seq(i), b"body".to_vec(), Vec::new()];
            source.send_multipart(parts).await.expect("send");
        }
    };
    let forward = (&mut inlet).take(COUNT as usize).forward(&mut outlet);
    let consume = async {
        for i in 0..COUNT {
            let parts = sink.recv_multipart().await.expect("recv");
            assert_eq!(parts.len(), 3);
            assert_eq!(seq_of(&parts[0]), i);
            assert_eq!((&parts[1][..], parts[2].len()), (&b"body"[..], 0));
        }
    };
    let ((), forwarded, ()) = rt
        .within("the stream", join3(produce, forward, consume))
        .await;
    forwarded.expect("forward");
}

async fn proxy_async_carries_requests_and_replies_through_a_broker(rt: Runtime) {
    const CLIENTS: usize = 3;
    const REQUESTS: usize = 20;
    let ctx = Context::new();
    let mut frontend = socket(&ctx, ROUTER);
    let front_endpoint = bind_tcp(&frontend);
    let mut backend = socket(&ctx, DEALER);
    let back_endpoint = bind_tcp(&backend);
    let mut worker = socket(&ctx, REP);
    worker.connect(&back_endpoint).expect("connect");
    let mut clients: Vec<AsyncSocket> = (0..CLIENTS)
        .map(|_| {
            let client = socket(&ctx, REQ);
            client.connect(&front_endpoint).expect("connect");
            client
        })
        .collect();

    let broker = proxy_async(&mut frontend, &mut backend);
    let serve = async {
        loop {
            let mut request = worker.recv_multipart().await.expect("request");
            request.push("served".into());
            worker.send_multipart(request).await.expect("reply");
        }
    };
    let ask = join_all(
        clients
            .iter_mut()
            .enumerate()
            .map(|(i, client)| async move {
                for r in 0..REQUESTS {
                    let request = format!("{i}/{r}");
                    client.send(request.as_str()).await.expect("request");
                    let reply = client.recv_multipart().await.expect("reply");
                    assert_eq!(texts(&reply), [request.as_str(), "served"]);
                }
            }),
    );
    let background = join(broker, serve);
    let (ask, background) = (pin!(ask), pin!(background));
    if let Either::Right((stopped, _)) = rt.within("the clients", select(ask, background)).await {
        panic!("the broker or its worker stopped: {stopped:?}");
    }
}

/// The stream half and the sink half of one socket wait in two tasks at once, one for
/// messages and one for room: each must be woken.
#[test]
fn split_halves_wait_in_separate_tasks() {
    const COUNT: u32 = 5000;
    Runtime::TokioMultiThread.run(|_| async {
        let ctx = Context::new();
        let near = socket(&ctx, DEALER);
        near.options().set_sndhwm(1).expect("hwm");
        near.options().set_rcvhwm(1).expect("hwm");
        let endpoint = bind_tcp(&near);
        let echo = std::thread::spawn(move || {
            let ctx = Context::new();
            let far = ctx.socket(DEALER).expect("dealer");
            far.options()
                .set_linger(Some(Duration::ZERO))
                .expect("linger");
            far.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
            far.options().set_sndtimeo(Some(TIMEOUT)).expect("sndtimeo");
            far.options().set_sndhwm(1).expect("hwm");
            far.options().set_rcvhwm(1).expect("hwm");
            far.connect(&endpoint).expect("connect");
            for _ in 0..COUNT {
                let msg = far.recv_multipart().expect("echo in");
                far.send_multipart(msg).expect("echo out");
            }
        });
        let (mut sink, mut stream) = near.split();
        let write = tokio::spawn(async move {
            for i in 0..COUNT {
                sink.feed(vec![seq(i).into()]).await.expect("feed");
            }
            sink.flush().await.expect("flush");
        });
        let received = std::sync::Arc::new(AtomicU32::new(0));
        let count = received.clone();
        let read = tokio::spawn(async move {
            for i in 0..COUNT {
                let msg = stream.next().await.expect("open").expect("recv");
                assert_eq!(seq_of(&msg[0]), i);
                count.store(i + 1, Ordering::Relaxed);
            }
        });
        // A lost wake-up stops the echoes; a loaded machine only slows them (5000 in
        // lockstep went slower than 10 s on one busy core): fail when none come back for
        // TIMEOUT.
        let mut both = join(write, read);
        let mut before = 0;
        let (written, read) = loop {
            match tokio::time::timeout(TIMEOUT, &mut both).await {
                Ok(done) => break done,
                Err(_) => {
                    let now = received.load(Ordering::Relaxed);
                    assert!(now > before, "both halves stuck at {now} for {TIMEOUT:?}");
                    before = now;
                }
            }
        };
        written.expect("writer");
        read.expect("reader");
        echo.join().expect("echo");
    });
}
