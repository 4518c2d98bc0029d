//! ferrozmq on the wire, checked with raw TCP peers: the handshake bytes compared with
//! libzmq's, hostile input (a ferrozmq REP must drop the offender and keep serving a
//! well-behaved libzmq REQ), and ZMTP 3.0 / 3.1 subscribers filtered at the publisher.

mod common;

use common::*;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Handshake bytes
// ---------------------------------------------------------------------------------------

/// What a socket of `lib` sends when it connects to a raw peer of a compatible type:
/// its greeting and its READY body.
fn handshake_bytes(lib: Lib, kind: Kind, peer_type: &str) -> (Vec<u8>, Vec<u8>) {
    let kit = Kit::new();
    let socket = kit.socket(lib, kind);
    let (listener, endpoint) = raw_listener();
    socket.connect(&endpoint);
    let mut raw = accept_within(&listener);
    raw.handshake(peer_type, 1)
}

/// Greeting and READY are the first bytes any peer sees; ferrozmq's must be exactly
/// libzmq's, for every socket type.
#[test]
fn ferrozmq_greeting_and_ready_are_byte_identical_to_libzmq() {
    for (kind, peer_type) in [
        (Kind::Req, "REP"),
        (Kind::Rep, "REQ"),
        (Kind::Pub, "SUB"),
        (Kind::Sub, "PUB"),
        (Kind::Push, "PULL"),
        (Kind::Pull, "PUSH"),
    ] {
        let (ferro_greeting, ferro_ready) = handshake_bytes(Lib::Ferro, kind, peer_type);
        let (zmq_greeting, zmq_ready) = handshake_bytes(Lib::Zmq, kind, peer_type);
        assert_eq!(ferro_greeting, zmq_greeting, "{kind:?} greeting");
        assert_eq!(
            String::from_utf8_lossy(&ferro_ready),
            String::from_utf8_lossy(&zmq_ready),
            "{kind:?} READY body"
        );
        assert_eq!(ferro_ready, zmq_ready, "{kind:?} READY bytes");
    }
}

/// The greeting byte by byte: ZMTP 3.1, NULL, not as server. The padding's last octet is
/// 0x01 as libzmq sends it (a ZMTP 1.0 peer reads it as an empty identity).
#[test]
fn ferrozmq_greeting_is_zmtp_3_1_null_as_client() {
    let (greeting, _) = handshake_bytes(Lib::Ferro, Kind::Rep, "REQ");
    let mut want = vec![0xFF];
    want.extend([0u8; 7]);
    want.push(0x01);
    want.extend([0x7F, 3, 1]);
    want.extend(b"NULL");
    want.extend([0u8; 16]);
    want.push(0);
    want.extend([0u8; 31]);
    assert_eq!(greeting, want);
}

// ---------------------------------------------------------------------------------------
// Hostile input against a ferrozmq REP
// ---------------------------------------------------------------------------------------

/// A ferrozmq REP on tcp with a libzmq REQ client that has already been served once.
struct Server {
    // Field order is drop order: sockets before their contexts.
    rep: Peer,
    client: Peer,
    endpoint: String,
    kit: Kit,
}

impl Server {
    fn start() -> Server {
        let kit = Kit::new();
        let rep = kit.socket(Lib::Ferro, Kind::Rep);
        let endpoint = rep.bind("tcp://127.0.0.1:*");
        let client = kit.socket(Lib::Zmq, Kind::Req);
        client.connect(&endpoint);
        let server = Server {
            rep,
            client,
            endpoint,
            kit,
        };
        server.round_trip(&server.client, "before the attack");
        server
    }

    fn round_trip(&self, client: &Peer, when: &str) {
        let question = format!("ping {when}");
        client.send(question.as_bytes());
        assert_eq!(self.rep.recv(), question.as_bytes(), "request {when}");
        self.rep.send(b"pong");
        assert_eq!(client.recv(), b"pong", "reply {when}");
    }

    /// The REP still serves its existing client and a newly connected one.
    fn check_still_serving(&self) {
        self.round_trip(&self.client, "from the existing client after the attack");
        let fresh = self.kit.socket(Lib::Zmq, Kind::Req);
        fresh.connect(&self.endpoint);
        self.round_trip(&fresh, "from a new client after the attack");
    }
}

#[test]
fn ferrozmq_rep_drops_a_peer_sending_http_and_keeps_serving_libzmq() {
    let server = Server::start();
    let mut attacker = RawPeer::connect(&server.endpoint);
    // To a NULL socket a first octet other than 0xFF opens a ZMTP 1.0 identity frame, as
    // in libzmq: "G" announces 70 octets. What follows them in a request like curl's has
    // reserved flag bits set ("*/" at offset 72), which is the end of it.
    attacker.write(
        b"GET / HTTP/1.1\r\nHost: ferrozmq.example\r\nUser-Agent: curl/8.5.0\r\n\
          Accept: */*\r\n\r\n",
    );
    attacker
        .read_until_closed()
        .expect("the REP closes a connection that does not start with a greeting");
    server.check_still_serving();
}

#[test]
fn ferrozmq_rep_drops_a_peer_announcing_a_2_pow_63_byte_frame_and_keeps_serving_libzmq() {
    let server = Server::start();
    let mut attacker = RawPeer::connect(&server.endpoint);
    attacker.handshake("REQ", 1);
    let mut header = vec![FLAG_LONG];
    header.extend((1u64 << 63).to_be_bytes());
    attacker.write(&header);
    attacker.write(b"a few body bytes that will never add up");
    attacker
        .read_until_closed()
        .expect("the REP closes a connection announcing an impossible frame");
    server.check_still_serving();
}

/// Greeting and READY from a peer whose type cannot talk to `kind`; returns everything the
/// socket sent back before closing the connection.
fn bytes_to_incompatible_peer(lib: Lib, kind: Kind, peer_type: &str) -> Vec<u8> {
    let kit = Kit::new();
    let socket = kit.socket(lib, kind);
    let endpoint = socket.bind("tcp://127.0.0.1:*");
    let mut attacker = RawPeer::connect(&endpoint);
    attacker.write(&greeting(1));
    attacker.write(&ready(peer_type));
    attacker
        .read_until_closed()
        .unwrap_or_else(|e| panic!("{} must drop a {peer_type} peer: {e}", socket.lib()))
}

/// The commands in what a socket sent during a failed handshake.
fn commands_after_greeting(mut bytes: Vec<u8>) -> Vec<String> {
    assert!(
        bytes.len() >= GREETING_LEN,
        "a whole greeting before anything else, got {bytes:?}"
    );
    bytes.drain(..GREETING_LEN);
    let mut commands = Vec::new();
    while let Some(frame) = split_frame(&mut bytes) {
        assert!(
            frame.is_command(),
            "only commands before the handshake ends"
        );
        commands.push(String::from_utf8_lossy(&frame.body).into_owned());
    }
    assert!(
        bytes.is_empty(),
        "no partial frame before the close: {bytes:?}"
    );
    commands
}

/// RFC 37: a peer announcing an incompatible socket type gets an ERROR command, then the
/// connection closes; and the REP goes on serving.
#[test]
fn ferrozmq_rep_sends_error_then_drops_a_pub_peer_and_keeps_serving_libzmq() {
    let server = Server::start();
    let mut attacker = RawPeer::connect(&server.endpoint);
    attacker.write(&greeting(1));
    attacker.write(&ready("PUB"));
    let sent = attacker
        .read_until_closed()
        .expect("the REP drops the PUB peer");
    assert!(
        contains(&sent, b"\x05ERROR"),
        "the REP sends ERROR before closing"
    );
    let commands = commands_after_greeting(sent);
    assert!(
        commands.last().is_some_and(|c| c.starts_with("\x05ERROR")),
        "the last thing before the close is an ERROR command, got {commands:?}"
    );
    server.check_still_serving();
}

/// For reference, what libzmq 4.3 sends to the same peer. It closes the connection as
/// ferrozmq does, but (unlike RFC 37's recommendation) it sends no ERROR: libzmq only
/// sends ERROR for a ZAP rejection. This pins the reference behaviour, so a libzmq upgrade
/// that changes it shows up here.
#[test]
fn libzmq_rep_drops_a_pub_peer_without_an_error_command() {
    let sent = bytes_to_incompatible_peer(Lib::Zmq, Kind::Rep, "PUB");
    assert!(
        !contains(&sent, b"\x05ERROR"),
        "libzmq 4.3 sends no ERROR here, got {:?}",
        String::from_utf8_lossy(&sent)
    );
}

/// Same handshake failure on a socket of each type that has no partner in the peer: the
/// ferrozmq side always says why.
#[test]
fn ferrozmq_sends_error_to_every_incompatible_peer_type() {
    for (kind, peer_type) in [
        (Kind::Req, "PUSH"),
        (Kind::Pub, "PUB"),
        (Kind::Sub, "REQ"),
        (Kind::Push, "PUSH"),
        (Kind::Pull, "SUB"),
    ] {
        let commands =
            commands_after_greeting(bytes_to_incompatible_peer(Lib::Ferro, kind, peer_type));
        assert!(
            commands.iter().any(|c| c.starts_with("\x05ERROR")),
            "{kind:?} vs {peer_type}: ERROR expected, got {commands:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Subscribers speaking ZMTP 3.0 and 3.1 to a ferrozmq PUB
// ---------------------------------------------------------------------------------------

/// Publishes "B-sync" and "A-sync" until the raw subscriber sees a message, then checks
/// that a run of B/A pairs reaches it as just the A messages, in order.
fn check_publisher_filters(publisher: &Peer, raw: &mut RawPeer) {
    let deadline = Instant::now() + TIMEOUT;
    let first = loop {
        publisher.send(b"B-sync");
        publisher.send(b"A-sync");
        if let Some(frame) = raw.poll_frame(Duration::from_millis(20)) {
            break frame;
        }
        assert!(
            Instant::now() < deadline,
            "the subscriber got nothing within {TIMEOUT:?}"
        );
    };
    assert_eq!(first.body, b"A-sync", "the first message is a matching one");
    publisher.send(b"end-of-sync");
    // "end-of-sync" does not match; the A message after it marks the end of the sync
    // messages still in flight.
    publisher.send(b"A-marker");
    loop {
        let frame = raw.read_frame();
        assert!(!frame.is_command(), "no command after the handshake");
        if frame.body == b"A-marker" {
            break;
        }
        assert_eq!(
            frame.body, b"A-sync",
            "only matching messages cross the wire"
        );
    }
    for i in 0..10 {
        publisher.send(format!("B-{i}").as_bytes());
        publisher.send(format!("A-{i}").as_bytes());
    }
    for i in 0..10 {
        let frame = raw.read_frame();
        assert_eq!(
            String::from_utf8_lossy(&frame.body),
            format!("A-{i}"),
            "message {i}: B messages are filtered at the publisher"
        );
        assert!(
            !frame.more() && !frame.is_command(),
            "a single-part message"
        );
    }
    assert_eq!(
        raw.poll_frame(Duration::from_millis(100)),
        None,
        "nothing after the last A"
    );
}

/// A ZMTP 3.0 subscriber has no SUBSCRIBE command: it sends `\x01` + topic as a message.
#[test]
fn ferrozmq_pub_accepts_a_zmtp_3_0_sub_and_honours_its_legacy_subscription() {
    let kit = Kit::new();
    let publisher = kit.socket(Lib::Ferro, Kind::Pub);
    let endpoint = publisher.bind("tcp://127.0.0.1:*");
    let mut raw = RawPeer::connect(&endpoint);
    raw.handshake("SUB", 0);
    raw.write(&frame(0, b"\x01A"));
    check_publisher_filters(&publisher, &mut raw);
}

/// A ZMTP 3.1 subscriber sends SUBSCRIBE and CANCEL commands; the PUB filters on them, so
/// unwanted messages never cross the wire.
#[test]
fn ferrozmq_pub_filters_for_a_zmtp_3_1_sub_and_honours_cancel() {
    let kit = Kit::new();
    let publisher = kit.socket(Lib::Ferro, Kind::Pub);
    let endpoint = publisher.bind("tcp://127.0.0.1:*");
    let mut raw = RawPeer::connect(&endpoint);
    raw.handshake("SUB", 1);
    raw.write(&frame(FLAG_COMMAND, b"\x09SUBSCRIBEA"));
    check_publisher_filters(&publisher, &mut raw);

    // Cancel "A", subscribe "C": once a C arrives the cancel has been applied (the PUB
    // reads a peer's commands in order), so A messages published after it never come.
    let mut commands = frame(FLAG_COMMAND, b"\x06CANCELA");
    commands.extend(frame(FLAG_COMMAND, b"\x09SUBSCRIBEC"));
    raw.write(&commands);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        publisher.send(b"C-sync");
        if let Some(frame) = raw.poll_frame(Duration::from_millis(20)) {
            if frame.body == b"C-sync" {
                break;
            }
            assert_eq!(
                frame.body, b"A-marker",
                "only leftovers from before the cancel"
            );
        }
        assert!(
            Instant::now() < deadline,
            "the C subscription never took effect"
        );
    }
    for _ in 0..10 {
        publisher.send(b"A-after-cancel");
    }
    publisher.send(b"C-end");
    loop {
        let frame = raw.read_frame();
        if frame.body == b"C-end" {
            break;
        }
        assert_eq!(frame.body, b"C-sync", "no A message after the cancel");
    }
}
