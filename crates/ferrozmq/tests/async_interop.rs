//! Async ferrozmq sockets against libzmq peers (the `zmq` crate) running in threads, in both
//! roles, under every executor.

#[macro_use]
mod async_support;

use async_support::{bind_tcp, seq, seq_of, socket, texts, Runtime, TIMEOUT};
use ferrozmq::{Context, PULL, PUSH, REP, REQ};
use std::thread::JoinHandle;

const ROUNDS: u32 = 100;

on_every_runtime!(
    async_req_is_answered_by_a_libzmq_rep,
    async_rep_answers_a_libzmq_req,
    async_pull_receives_whole_multipart_messages_from_a_libzmq_push,
    async_push_sends_to_a_libzmq_pull,
);

/// A libzmq socket bounded by [`TIMEOUT`].
fn libzmq_socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = ctx.socket(kind).expect("libzmq socket");
    socket.set_linger(0).expect("linger");
    socket
        .set_rcvtimeo(TIMEOUT.as_millis() as i32)
        .expect("rcvtimeo");
    socket
        .set_sndtimeo(TIMEOUT.as_millis() as i32)
        .expect("sndtimeo");
    socket
}

/// Runs `serve` on a libzmq socket of `kind` bound to an ephemeral tcp port, in a thread;
/// returns the endpoint to connect to.
fn libzmq_binder(
    kind: zmq::SocketType,
    serve: impl FnOnce(zmq::Socket) + Send + 'static,
) -> (String, JoinHandle<()>) {
    let ctx = zmq::Context::new();
    let socket = libzmq_socket(&ctx, kind);
    socket.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = socket
        .get_last_endpoint()
        .expect("endpoint")
        .expect("utf-8");
    let thread = std::thread::spawn(move || {
        serve(socket);
        drop(ctx);
    });
    (endpoint, thread)
}

async fn async_req_is_answered_by_a_libzmq_rep(rt: Runtime) {
    let (endpoint, server) = libzmq_binder(zmq::REP, |rep| {
        for _ in 0..ROUNDS {
            let mut request = rep.recv_multipart(0).expect("request");
            request.push(b"I am OK!".to_vec());
            rep.send_multipart(request, 0).expect("reply");
        }
    });
    let ctx = Context::new();
    let mut req = socket(&ctx, REQ);
    req.connect(&endpoint).expect("connect");
    rt.within("every reply", async {
        for round in 0..ROUNDS {
            let request = format!("Are you OK? {round}");
            req.send(request.as_str()).await.expect("request");
            let reply = req.recv_multipart().await.expect("reply");
            assert_eq!(texts(&reply), [request.as_str(), "I am OK!"]);
        }
    })
    .await;
    server.join().expect("libzmq REP");
}

async fn async_rep_answers_a_libzmq_req(rt: Runtime) {
    let ctx = Context::new();
    let mut rep = socket(&ctx, REP);
    let endpoint = bind_tcp(&rep);
    let client = std::thread::spawn(move || {
        let ctx = zmq::Context::new();
        let req = libzmq_socket(&ctx, zmq::REQ);
        req.connect(&endpoint).expect("connect");
        for round in 0..ROUNDS {
            req.send_multipart([&seq(round)[..], b"request"], 0)
                .expect("request");
            let reply = req.recv_multipart(0).expect("reply");
            assert_eq!(
                reply,
                [seq(round), b"request".to_vec(), b"I am OK!".to_vec()]
            );
        }
    });
    rt.within("every request", async {
        for round in 0..ROUNDS {
            let mut request = rep.recv_multipart().await.expect("request");
            assert_eq!(seq_of(&request[0]), round);
            request.push("I am OK!".into());
            rep.send_multipart(request).await.expect("reply");
        }
    })
    .await;
    client.join().expect("libzmq REQ");
}

async fn async_pull_receives_whole_multipart_messages_from_a_libzmq_push(rt: Runtime) {
    const COUNT: u32 = 5000;
    let (endpoint, pusher) = libzmq_binder(zmq::PUSH, |push| {
        // Closing must not drop what is still queued for the puller.
        push.set_linger(TIMEOUT.as_millis() as i32).expect("linger");
        for i in 0..COUNT {
            push.send_multipart([&seq(i)[..], b"", b"tail"], 0)
                .expect("send");
        }
    });
    let ctx = Context::new();
    let mut pull = socket(&ctx, PULL);
    pull.connect(&endpoint).expect("connect");
    rt.within("every message", async {
        for i in 0..COUNT {
            let parts = pull.recv_multipart().await.expect("recv");
            assert_eq!(texts(&parts[1..]), ["", "tail"]);
            assert_eq!(seq_of(&parts[0]), i);
        }
    })
    .await;
    pusher.join().expect("libzmq PUSH");
}

async fn async_push_sends_to_a_libzmq_pull(rt: Runtime) {
    const COUNT: u32 = 5000;
    let (endpoint, puller) = libzmq_binder(zmq::PULL, |pull| {
        for i in 0..COUNT {
            let parts = pull.recv_multipart(0).expect("recv");
            assert_eq!(parts.len(), 2);
            assert_eq!(seq_of(&parts[0]), i);
        }
    });
    let ctx = Context::new();
    let mut push = socket(&ctx, PUSH);
    push.options().set_sndhwm(10).expect("hwm");
    push.connect(&endpoint).expect("connect");
    rt.within("every message", async {
        for i in 0..COUNT {
            push.send_multipart([seq(i), b"body".to_vec()])
                .await
                .expect("send");
        }
    })
    .await;
    puller.join().expect("libzmq PULL");
}
