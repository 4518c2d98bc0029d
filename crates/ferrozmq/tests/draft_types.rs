//! The draft thread-safe socket types (RFCs 41, 49, 51, 52): single-part messages, with the
//! peer's routing id beside the message where there is one.

mod common;

use ferrozmq::{
    Context, Error, EventKind, EventSet, Socket, SocketType, CHANNEL, CLIENT, GATHER, PEER,
    SCATTER, SERVER,
};
use std::time::Duration;

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

fn bind(s: &Socket, transport: &str, name: &str) -> String {
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_string(),
        _ => format!("inproc://draft-{name}"),
    };
    s.bind(&endpoint).expect("bind");
    s.last_endpoint().expect("utf8")
}

#[test]
fn server_replies_to_each_client_by_routing_id() {
    for transport in ["tcp", "inproc"] {
        let ctx = Context::new();
        let server = socket(&ctx, SERVER);
        let endpoint = bind(&server, transport, "server");
        let clients: Vec<Socket> = (0..3)
            .map(|_| {
                let c = socket(&ctx, CLIENT);
                c.connect(&endpoint).expect("connect");
                c
            })
            .collect();
        for (i, c) in clients.iter().enumerate() {
            c.send(format!("client {i}")).expect("send");
        }
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (peer, msg) = server.recv_from().expect("request");
            assert_ne!(peer, 0, "routing id 0 means none");
            assert!(!seen.contains(&peer), "each client has its own id");
            seen.push(peer);
            let text = String::from_utf8(msg.to_vec()).expect("utf8");
            server
                .send_to(peer, format!("reply to {text}"))
                .expect("reply");
        }
        for (i, c) in clients.iter().enumerate() {
            assert_eq!(
                c.recv().expect("reply").as_str().expect("utf8").to_string(),
                format!("reply to client {i}"),
                "{transport}"
            );
        }
        assert!(matches!(
            server.send_to(12345, "nobody"),
            Err(Error::HostUnreachable)
        ));
    }
}

#[test]
fn thread_safe_types_refuse_multipart_messages() {
    let ctx = Context::new();
    for kind in [CLIENT, SCATTER, CHANNEL] {
        assert!(matches!(
            socket(&ctx, kind).send_more("part"),
            Err(Error::InvalidArgument(_))
        ));
    }
    // An addressed part cannot say more follow (send_to has no such flag); a SERVER given
    // a part with MORE anyway refuses it.
    assert!(matches!(
        socket(&ctx, SERVER).send_more("part"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        socket(&ctx, SERVER).send("no address"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn scatter_gather_and_channel_move_single_part_messages() {
    let ctx = Context::new();
    let gather = socket(&ctx, GATHER);
    let endpoint = bind(&gather, "tcp", "gather");
    let scatter = socket(&ctx, SCATTER);
    scatter.connect(&endpoint).expect("connect");
    for i in 0..10u8 {
        scatter.send(vec![i]).expect("send");
    }
    for i in 0..10u8 {
        assert_eq!(gather.recv().expect("recv"), vec![i]);
    }

    let a = socket(&ctx, CHANNEL);
    let endpoint = bind(&a, "inproc", "channel");
    let b = socket(&ctx, CHANNEL);
    b.connect(&endpoint).expect("connect");
    a.send("ping").expect("send");
    assert_eq!(b.recv().expect("recv"), b"ping");
    b.send("pong").expect("send");
    assert_eq!(a.recv().expect("recv"), b"pong");
}

#[test]
fn peers_connect_and_speak_first() {
    let ctx = Context::new();
    let alice = socket(&ctx, PEER);
    let endpoint = bind(&alice, "tcp", "peer");
    let bob = socket(&ctx, PEER);
    let to_alice = bob.connect_peer(&endpoint).expect("connect_peer");
    bob.send_to(to_alice, "hello alice").expect("send");
    let (to_bob, msg) = alice.recv_from().expect("recv");
    assert_eq!(&msg[..], b"hello alice");
    alice.send_to(to_bob, "hello bob").expect("reply");
    let (from, msg) = bob.recv_from().expect("recv");
    assert_eq!(from, to_alice);
    assert_eq!(&msg[..], b"hello bob");
}

#[test]
fn multipart_messages_from_the_wire_are_dropped_whole() {
    let ctx = Context::new();
    let server = socket(&ctx, SERVER);
    let endpoint = bind(&server, "tcp", "server-multipart");
    let mut raw = common::RawPeer::connect(&endpoint);
    raw.handshake("CLIENT", 1);
    // A two-part message (MORE then last), then a single-part one.
    raw.write(&common::frame(0x01, b"first half"));
    raw.write(&common::frame(0x00, b"second half"));
    raw.write(&common::frame(0x00, b"single"));
    let (_, msg) = server.recv_from().expect("the single-part message");
    assert_eq!(&msg[..], b"single");
}

#[test]
fn a_server_disconnects_one_peer_by_routing_id_and_the_others_stay() {
    let ctx = Context::new();
    let server = socket(&ctx, SERVER);
    let endpoint = bind(&server, "tcp", "");
    let (dropped, kept) = (socket(&ctx, CLIENT), socket(&ctx, CLIENT));
    let mut dropped_events = dropped.monitor(EventSet::ALL).expect("monitor");
    dropped.connect(&endpoint).unwrap();
    kept.connect(&endpoint).unwrap();
    dropped.send("first").unwrap();
    let (old_id, _) = server.recv_from().unwrap();
    kept.send("kept").unwrap();
    let (kept_id, _) = server.recv_from().unwrap();

    server.disconnect_peer(old_id).expect("disconnect_peer");
    assert_eq!(
        server.send_to(old_id, "gone").err(),
        Some(Error::HostUnreachable)
    );
    assert_eq!(
        server.disconnect_peer(old_id).err(),
        Some(Error::HostUnreachable),
        "once only"
    );
    // The connection really closed: the client sees it go, and comes back as a new peer.
    loop {
        let event = dropped_events
            .recv_timeout(Duration::from_secs(5))
            .expect("event");
        if event.kind() == EventKind::Disconnected {
            break;
        }
    }
    dropped.send("again").unwrap();
    let (new_id, again) = server.recv_from().unwrap();
    assert_eq!(again, "again");
    assert_ne!(new_id, old_id, "a peer that comes back gets a new id");
    server.send_to(kept_id, "still here").unwrap();
    assert_eq!(kept.recv().unwrap(), "still here");
}

#[test]
fn only_server_and_peer_disconnect_peers() {
    let ctx = Context::new();
    let peer = socket(&ctx, PEER);
    assert_eq!(peer.disconnect_peer(7).err(), Some(Error::HostUnreachable));
    for kind in [CLIENT, SCATTER, ferrozmq::ROUTER] {
        assert_eq!(
            socket(&ctx, kind).disconnect_peer(7).err(),
            Some(Error::NotSupported)
        );
    }
}
