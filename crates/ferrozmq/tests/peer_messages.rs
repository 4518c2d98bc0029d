//! The messages a socket makes up as peers come and go: ROUTER_NOTIFY, HELLO_MSG,
//! DISCONNECT_MSG and HICCUP_MSG (libzmq 4.3.5's drafts), over real connections, with
//! libzmq (4.3.4, through the `zmq` crate) as the peer wherever the peer's side is plain
//! stable ZeroMQ.

use ferrozmq::{Context, RouterNotify, CLIENT, DEALER, PUB, ROUTER, SERVER, SUB};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long "nothing more arrives" is watched for.
const QUIET: Duration = Duration::from_millis(200);

fn parts(socket: &ferrozmq::Socket) -> Vec<Vec<u8>> {
    socket
        .recv_multipart()
        .expect("a message before the timeout")
        .iter()
        .map(|p| p.to_vec())
        .collect()
}

fn nothing_more(socket: &ferrozmq::Socket) {
    socket.options().set_rcvtimeo(Some(QUIET)).unwrap();
    match socket.recv() {
        Err(ferrozmq::Error::Again) => {}
        other => panic!("expected nothing more, got {other:?}"),
    }
    socket.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
}

fn zmq_parts(socket: &zmq::Socket) -> Vec<Vec<u8>> {
    socket
        .recv_multipart(0)
        .expect("a message before the timeout")
}

fn notifying_router(
    ctx: &Context,
    notify: RouterNotify,
    endpoint: &str,
) -> (ferrozmq::Socket, String) {
    let router = ctx.socket(ROUTER).unwrap();
    router.options().set_router_notify(notify).unwrap();
    router.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    let bound = router.bind(endpoint).unwrap();
    (router, bound)
}

fn libzmq_dealer(zctx: &zmq::Context, id: &[u8]) -> zmq::Socket {
    let dealer = zctx.socket(zmq::DEALER).unwrap();
    dealer.set_identity(id).unwrap();
    dealer.set_rcvtimeo(5000).unwrap();
    dealer.set_linger(0).unwrap();
    dealer
}

#[test]
fn router_notify_brackets_a_libzmq_dealers_messages_with_connect_and_disconnect() {
    let ctx = Context::new();
    let (router, endpoint) = notifying_router(
        &ctx,
        RouterNotify::CONNECT | RouterNotify::DISCONNECT,
        "tcp://127.0.0.1:*",
    );
    let zctx = zmq::Context::new();
    let dealer = libzmq_dealer(&zctx, b"X");
    dealer.connect(&endpoint).unwrap();
    assert_eq!(
        parts(&router),
        vec![b"X".to_vec(), vec![]],
        "connect notice"
    );
    dealer.send("Hello", 0).unwrap();
    dealer.send("again", 0).unwrap();
    assert_eq!(parts(&router), vec![b"X".to_vec(), b"Hello".to_vec()]);
    dealer.set_linger(1000).unwrap();
    dealer.disconnect(&endpoint).unwrap();
    // libzmq's socket carries the disconnect out when it next looks at its commands.
    std::thread::sleep(Duration::from_millis(100));
    dealer.get_events().unwrap();
    // The disconnect notice comes after everything the peer sent.
    assert_eq!(parts(&router), vec![b"X".to_vec(), b"again".to_vec()]);
    assert_eq!(
        parts(&router),
        vec![b"X".to_vec(), vec![]],
        "disconnect notice"
    );
    nothing_more(&router);
}

#[test]
fn router_notify_reports_only_the_events_asked_for() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    for notify in [RouterNotify::CONNECT, RouterNotify::DISCONNECT] {
        let (router, endpoint) = notifying_router(&ctx, notify, "tcp://127.0.0.1:*");
        let dealer = libzmq_dealer(&zctx, b"D");
        dealer.connect(&endpoint).unwrap();
        if notify.contains(RouterNotify::CONNECT) {
            assert_eq!(parts(&router), vec![b"D".to_vec(), vec![]]);
        }
        dealer.send("ping", 0).unwrap();
        assert_eq!(parts(&router), vec![b"D".to_vec(), b"ping".to_vec()]);
        drop(dealer);
        if notify.contains(RouterNotify::DISCONNECT) {
            assert_eq!(parts(&router), vec![b"D".to_vec(), vec![]]);
        }
        nothing_more(&router);
    }
}

#[test]
fn router_notify_drops_a_half_sent_message_and_still_reports_the_disconnect() {
    let ctx = Context::new();
    let router = ctx.socket(ROUTER).unwrap();
    router
        .options()
        .set_router_notify(RouterNotify::DISCONNECT)
        .unwrap();
    router.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    // A part over MAXMSGSIZE ends the connection in the middle of a message.
    router.options().set_maxmsgsize(Some(64)).unwrap();
    let endpoint = router.bind("tcp://127.0.0.1:*").unwrap();
    let zctx = zmq::Context::new();
    let dealer = libzmq_dealer(&zctx, b"X");
    dealer.connect(&endpoint).unwrap();
    dealer.send("Hello2", zmq::SNDMORE).unwrap();
    dealer.send(vec![b'*'; 127], 0).unwrap();
    assert_eq!(parts(&router), vec![b"X".to_vec(), vec![]]);
    nothing_more(&router);
}

#[test]
fn router_notify_covers_ipc_and_leaves_inproc_alone() {
    let ctx = Context::new();
    let path = format!("ipc:///tmp/ferrozmq-notify-{}", std::process::id());
    let (router, _) = notifying_router(
        &ctx,
        RouterNotify::CONNECT | RouterNotify::DISCONNECT,
        &path,
    );
    router.bind("inproc://notify-inproc").unwrap();
    let over_ipc = ctx.socket(DEALER).unwrap();
    over_ipc.options().set_routing_id("ipc").unwrap();
    over_ipc.connect(&path).unwrap();
    assert_eq!(parts(&router), vec![b"ipc".to_vec(), vec![]]);
    let over_inproc = ctx.socket(DEALER).unwrap();
    over_inproc.options().set_routing_id("inproc").unwrap();
    over_inproc.connect("inproc://notify-inproc").unwrap();
    over_inproc.send("via inproc").unwrap();
    assert_eq!(
        parts(&router),
        vec![b"inproc".to_vec(), b"via inproc".to_vec()]
    );
    drop(over_inproc);
    drop(over_ipc);
    assert_eq!(parts(&router), vec![b"ipc".to_vec(), vec![]]);
    nothing_more(&router);
}

#[test]
fn router_notify_is_for_routers_only() {
    let ctx = Context::new();
    let dealer = ctx.socket(DEALER).unwrap();
    assert!(dealer
        .options()
        .set_router_notify(RouterNotify::CONNECT)
        .is_err());
    assert_eq!(dealer.options().router_notify(), RouterNotify::empty());
    let router = ctx.socket(ROUTER).unwrap();
    assert_eq!(router.options().router_notify(), RouterNotify::empty());
    router
        .options()
        .set_router_notify(RouterNotify::DISCONNECT)
        .unwrap();
    assert_eq!(router.options().router_notify(), RouterNotify::DISCONNECT);
}

#[test]
fn hello_msg_greets_each_libzmq_peer_on_every_connection() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    // A ferrozmq ROUTER greets a libzmq DEALER.
    let router = ctx.socket(ROUTER).unwrap();
    router.options().set_hello_msg(Some(b"H")).unwrap();
    let endpoint = router.bind("tcp://127.0.0.1:*").unwrap();
    let dealer = libzmq_dealer(&zctx, b"d");
    dealer.connect(&endpoint).unwrap();
    assert_eq!(dealer.recv_bytes(0).unwrap(), b"H");

    // A ferrozmq DEALER greets a libzmq ROUTER, and greets its successor after a restart.
    let server = zctx.socket(zmq::ROUTER).unwrap();
    server.set_rcvtimeo(5000).unwrap();
    server.set_linger(0).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.get_last_endpoint().unwrap().unwrap();
    let client = ctx.socket(DEALER).unwrap();
    client.options().set_routing_id("c").unwrap();
    client.options().set_hello_msg(Some(b"hi there")).unwrap();
    client
        .options()
        .set_reconnect_ivl(Some(Duration::from_millis(20)))
        .unwrap();
    client.connect(&endpoint).unwrap();
    client.send("first").unwrap();
    assert_eq!(
        zmq_parts(&server),
        vec![b"c".to_vec(), b"hi there".to_vec()]
    );
    assert_eq!(zmq_parts(&server), vec![b"c".to_vec(), b"first".to_vec()]);
    drop(server);
    let server = zctx.socket(zmq::ROUTER).unwrap();
    server.set_rcvtimeo(5000).unwrap();
    server.set_linger(0).unwrap();
    // libzmq closes the old listener in the background: retry until the port is free.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while let Err(e) = server.bind(&endpoint) {
        assert!(std::time::Instant::now() < deadline, "rebinding: {e}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        zmq_parts(&server),
        vec![b"c".to_vec(), b"hi there".to_vec()]
    );
}

#[test]
fn hello_msg_over_inproc_both_ways_even_when_the_bind_comes_late() {
    let ctx = Context::new();
    let client = ctx.socket(CLIENT).unwrap();
    client.options().set_hello_msg(Some(b"H")).unwrap();
    client.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    client.connect("inproc://late-hello").unwrap();
    let server = ctx.socket(SERVER).unwrap();
    server.options().set_hello_msg(Some(b"W")).unwrap();
    server.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    server.bind("inproc://late-hello").unwrap();
    assert_eq!(client.recv().unwrap(), "W");
    let (_, hello) = server.recv_from().unwrap();
    assert_eq!(hello, "H");
}

#[test]
fn hello_and_disconnect_msg_are_refused_where_libzmq_ignores_them() {
    let ctx = Context::new();
    let publisher = ctx.socket(PUB).unwrap();
    assert!(publisher.options().set_hello_msg(Some(b"x")).is_err());
    assert!(publisher.options().set_disconnect_msg(Some(b"x")).is_err());
    assert!(publisher.options().set_hiccup_msg(Some(b"x")).is_err());
    let sub = ctx.socket(SUB).unwrap();
    assert!(sub.options().set_hiccup_msg(Some(b"x")).is_err());
    let dealer = ctx.socket(DEALER).unwrap();
    assert!(dealer.options().set_disconnect_msg(Some(b"x")).is_err());
    dealer.options().set_hiccup_msg(Some(b"x")).unwrap();
    assert_eq!(dealer.options().hiccup_msg().as_deref(), Some(&b"x"[..]));
    dealer.options().set_hiccup_msg(Some(b"")).unwrap();
    assert_eq!(dealer.options().hiccup_msg(), None);
}

#[test]
fn disconnect_msg_arrives_after_a_libzmq_peers_last_message() {
    let ctx = Context::new();
    let router = ctx.socket(ROUTER).unwrap();
    router.options().set_disconnect_msg(Some(b"D")).unwrap();
    router.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    let endpoint = router.bind("tcp://127.0.0.1:*").unwrap();
    let zctx = zmq::Context::new();
    let dealer = libzmq_dealer(&zctx, b"p");
    dealer.connect(&endpoint).unwrap();
    dealer.send("last words", 0).unwrap();
    assert_eq!(parts(&router), vec![b"p".to_vec(), b"last words".to_vec()]);
    drop(dealer);
    assert_eq!(parts(&router), vec![b"p".to_vec(), b"D".to_vec()]);
    nothing_more(&router);
}

#[test]
fn disconnect_msg_for_server_peers_over_tcp_and_inproc() {
    let ctx = Context::new();
    for endpoint in ["tcp://127.0.0.1:*", "inproc://disconnect-msg"] {
        let server = ctx.socket(SERVER).unwrap();
        server.options().set_disconnect_msg(Some(b"D")).unwrap();
        server.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
        let endpoint = server.bind(endpoint).unwrap();
        for leave_by_disconnect in [false, true] {
            let client = ctx.socket(CLIENT).unwrap();
            client.options().set_hello_msg(Some(b"H")).unwrap();
            client.connect(&endpoint).unwrap();
            let (peer, hello) = server.recv_from().unwrap();
            assert_eq!(hello, "H", "{endpoint}");
            if leave_by_disconnect {
                client.disconnect(&endpoint).unwrap();
            } else {
                drop(client);
            }
            let (gone, farewell) = server.recv_from().unwrap();
            assert_eq!((gone, &farewell[..]), (peer, &b"D"[..]), "{endpoint}");
        }
        // The server's own peers (it connects) say no farewell.
        nothing_more(&server);
    }
}

#[test]
fn hiccup_msg_reports_a_dropped_connection_to_a_libzmq_router() {
    let ctx = Context::new();
    let zctx = zmq::Context::new();
    let server = zctx.socket(zmq::ROUTER).unwrap();
    server.set_linger(0).unwrap();
    server.set_rcvtimeo(5000).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = server.get_last_endpoint().unwrap().unwrap();
    let dealer = ctx.socket(DEALER).unwrap();
    dealer.options().set_hiccup_msg(Some(b"HICCUP")).unwrap();
    dealer.options().set_routing_id("d").unwrap();
    dealer.options().set_rcvtimeo(Some(TIMEOUT)).unwrap();
    dealer.connect(&endpoint).unwrap();
    dealer.send("up").unwrap();
    assert_eq!(zmq_parts(&server), vec![b"d".to_vec(), b"up".to_vec()]);
    server.send("d", zmq::SNDMORE).unwrap();
    server.send("reply", 0).unwrap();
    assert_eq!(dealer.recv().unwrap(), "reply");
    drop(server);
    assert_eq!(dealer.recv().unwrap(), "HICCUP");
    nothing_more(&dealer);
}
