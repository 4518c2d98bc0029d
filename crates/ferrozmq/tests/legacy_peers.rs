//! Peers speaking ZMTP 1.0 (libzmq 2.x) and ZMTP 2.0 (libzmq 3.x), as libzmq 4.3 talks to
//! them under NULL security (issue 12, finding 3). No old libzmq is at hand, so a raw peer
//! plays the old side byte for byte from RFCs 13 and 15, and every scenario runs against a
//! libzmq 4.3 socket too: both must answer the raw peer with the same bytes and deliver
//! the same messages. A secured socket must refuse such a peer.

mod common;

use common::*;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    /// libzmq 2.x: no signature, an identity frame first.
    V1,
    /// libzmq 3.x: signature, revision 1, socket type, identity frame.
    V2,
}

/// libzmq's socket type numbers, which a ZMTP 2.0 greeting carries.
fn number(kind: Kind) -> u8 {
    match kind {
        Kind::Pair => 0,
        Kind::Pub => 1,
        Kind::Sub => 2,
        Kind::Req => 3,
        Kind::Rep => 4,
        Kind::Dealer => 5,
        Kind::Router => 6,
        Kind::Pull => 7,
        Kind::Push => 8,
        Kind::XPub => 9,
        Kind::XSub => 10,
    }
}

/// A raw peer of an older ZMTP.
struct OldPeer {
    raw: RawPeer,
    version: Version,
}

impl OldPeer {
    /// Connects and greets as a `kind` socket with an empty identity.
    fn connect(endpoint: &str, version: Version, kind: Kind) -> OldPeer {
        let mut raw = RawPeer::connect(endpoint);
        match version {
            // An empty identity: size 1 (the flags octet), flags 0.
            Version::V1 => raw.write(&[1, 0]),
            Version::V2 => {
                let mut greeting = b"\xff\0\0\0\0\0\0\0\x01\x7f\x01".to_vec();
                greeting.push(number(kind));
                greeting.extend_from_slice(&[0, 0]);
                raw.write(&greeting);
            }
        }
        OldPeer { raw, version }
    }

    /// What the socket answers before traffic: its signature, and for ZMTP 2.0 its major
    /// version, type and identity frame; for ZMTP 1.0 the rest of its (empty) identity.
    fn read_greeting(&mut self) -> Vec<u8> {
        match self.version {
            Version::V1 => self.raw.read_exact(10),
            Version::V2 => self.raw.read_exact(14),
        }
    }

    fn frame(&self, more: bool, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match self.version {
            Version::V1 => {
                let size = body.len() as u64 + 1;
                if size < 255 {
                    out.push(size as u8);
                } else {
                    out.push(0xFF);
                    out.extend_from_slice(&size.to_be_bytes());
                }
                out.push(u8::from(more));
            }
            Version::V2 => {
                if body.len() <= 255 {
                    out.extend_from_slice(&[u8::from(more), body.len() as u8]);
                } else {
                    out.push(u8::from(more) | 2);
                    out.extend_from_slice(&(body.len() as u64).to_be_bytes());
                }
            }
        }
        out.extend_from_slice(body);
        out
    }

    fn send(&mut self, parts: &[&[u8]]) {
        let wire = self.message(parts);
        self.raw.write(&wire);
    }

    /// Sends to a socket that may already have dropped this peer (a secured one that saw
    /// the old greeting).
    fn send_unless_dropped(&mut self, parts: &[&[u8]]) {
        let wire = self.message(parts);
        self.raw.write_unless_dropped(&wire)
    }

    /// A message's frames, in the peer's framing.
    fn message(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut wire = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            wire.extend(self.frame(i + 1 < parts.len(), part));
        }
        wire
    }

    /// The next frame, in the peer's framing: (more, body).
    fn read_frame(&mut self) -> (bool, Vec<u8>) {
        match self.version {
            Version::V1 => {
                let first = self.raw.read_exact(1)[0];
                let size = if first == 0xFF {
                    u64::from_be_bytes(self.raw.read_exact(8).try_into().expect("8 octets"))
                } else {
                    u64::from(first)
                };
                let flags = self.raw.read_exact(1)[0];
                assert_eq!(flags & !1, 0, "ZMTP 1.0 flags");
                (flags == 1, self.raw.read_exact(size as usize - 1))
            }
            Version::V2 => {
                let flags = self.raw.read_exact(1)[0];
                assert_eq!(flags & !3, 0, "ZMTP 2.0 flags, no command");
                let size = if flags & 2 != 0 {
                    u64::from_be_bytes(self.raw.read_exact(8).try_into().expect("8 octets"))
                } else {
                    u64::from(self.raw.read_exact(1)[0])
                };
                (flags & 1 != 0, self.raw.read_exact(size as usize))
            }
        }
    }

    /// The next whole message.
    fn recv(&mut self) -> Vec<Vec<u8>> {
        let mut parts = Vec::new();
        loop {
            let (more, body) = self.read_frame();
            parts.push(body);
            if !more {
                return parts;
            }
        }
    }
}

/// Whether the socket has sent something the raw peer has not read yet (within 10 ms).
fn bytes_waiting(raw: &RawPeer) -> bool {
    raw.stream
        .set_read_timeout(Some(Duration::from_millis(10)))
        .expect("read timeout");
    let waiting = raw.stream.peek(&mut [0u8; 1]).is_ok_and(|n| n > 0);
    raw.stream
        .set_read_timeout(Some(TIMEOUT))
        .expect("read timeout");
    waiting
}

/// What one run of a scenario saw, to compare libzmq's run with ferrozmq's.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// The socket's answer to the old peer's greeting.
    greeting: Vec<u8>,
    /// Messages in the order they were observed, on either side.
    messages: Vec<Vec<Vec<u8>>>,
}

/// `ours` (a `lib` socket) binds; an old `peer` connects and they exchange messages.
fn scenario(lib: Lib, version: Version, ours: Kind, peer: Kind) -> Seen {
    let kit = Kit::new();
    let socket = kit.socket(lib, ours);
    if ours == Kind::Sub {
        socket.subscribe(b"t");
    }
    let endpoint = socket.bind("tcp://127.0.0.1:*");
    let mut old = OldPeer::connect(&endpoint, version, peer);
    let greeting = old.read_greeting();
    let mut messages = Vec::new();
    match ours {
        Kind::Rep => {
            old.send(&[b"", b"hello"]);
            messages.push(socket.recv_parts());
            socket.send(b"world");
            messages.push(old.recv());
        }
        Kind::Req => {
            socket.send(b"hello");
            messages.push(old.recv());
            old.send(&[b"", &[b'x'; 300]]);
            messages.push(socket.recv_parts());
        }
        Kind::Push => {
            socket.send_parts(&[&b"two"[..], b"parts"]);
            messages.push(old.recv());
        }
        Kind::Pull => {
            old.send(&[b"one", &[7u8; 1000]]);
            messages.push(socket.recv_parts());
        }
        Kind::Sub => {
            // The subscription goes to the old PUB as a message starting with 1, once the
            // socket has taken the new connection in (which it does inside its calls).
            socket.set_rcvtimeo(10);
            let deadline = Instant::now() + TIMEOUT;
            while !bytes_waiting(&old.raw) {
                assert!(socket.try_recv_parts().is_none());
                assert!(Instant::now() < deadline, "no subscription came");
            }
            socket.set_rcvtimeo(TIMEOUT_MS);
            messages.push(old.recv());
            old.send(&[b"x-filtered out on our side"]);
            old.send(&[b"t-news"]);
            messages.push(socket.recv_parts());
        }
        Kind::Pub => {
            if version == Version::V2 {
                // A ZMTP 2.0 subscriber subscribes by message; a ZMTP 1.0 one never does,
                // and is sent everything.
                old.send(&[b"\x01t"]);
            }
            let deadline = Instant::now() + TIMEOUT;
            while !bytes_waiting(&old.raw) {
                socket.send(b"x-other");
                socket.send(b"t-news");
                assert!(Instant::now() < deadline, "nothing reached the subscriber");
            }
            messages.push(old.recv());
        }
        other => unreachable!("{other:?}"),
    }
    Seen { greeting, messages }
}

fn same_as_libzmq(version: Version, ours: Kind, peer: Kind) {
    let ferro = scenario(Lib::Ferro, version, ours, peer);
    let zmq = scenario(Lib::Zmq, version, ours, peer);
    assert_eq!(
        ferro, zmq,
        "{ours:?} with a {version:?} {peer:?}: ferrozmq (left) and libzmq (right) differ"
    );
}

macro_rules! legacy_scenarios {
    ($($name:ident: $version:ident, $ours:ident, $peer:ident;)*) => {
        $(
            #[test]
            fn $name() {
                same_as_libzmq(Version::$version, Kind::$ours, Kind::$peer);
            }
        )*
    };
}

legacy_scenarios! {
    rep_answers_a_zmtp_1_0_req_as_libzmq_does: V1, Rep, Req;
    rep_answers_a_zmtp_2_0_req_as_libzmq_does: V2, Rep, Req;
    req_asks_a_zmtp_1_0_rep_as_libzmq_does: V1, Req, Rep;
    req_asks_a_zmtp_2_0_rep_as_libzmq_does: V2, Req, Rep;
    push_feeds_a_zmtp_1_0_pull_as_libzmq_does: V1, Push, Pull;
    push_feeds_a_zmtp_2_0_pull_as_libzmq_does: V2, Push, Pull;
    pull_takes_from_a_zmtp_1_0_push_as_libzmq_does: V1, Pull, Push;
    pull_takes_from_a_zmtp_2_0_push_as_libzmq_does: V2, Pull, Push;
    sub_subscribes_to_a_zmtp_1_0_pub_as_libzmq_does: V1, Sub, Pub;
    sub_subscribes_to_a_zmtp_2_0_pub_as_libzmq_does: V2, Sub, Pub;
    pub_publishes_to_a_zmtp_1_0_sub_as_libzmq_does: V1, Pub, Sub;
    pub_publishes_to_a_zmtp_2_0_sub_as_libzmq_does: V2, Pub, Sub;
}

/// A PUB publishes to a ZMTP 2.0 subscriber only what it subscribed to.
#[test]
fn pub_filters_for_a_zmtp_2_0_subscriber() {
    let ctx = ferrozmq::Context::new();
    let publisher = ctx.socket(ferrozmq::PUB).expect("socket");
    publisher
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    let endpoint = publisher.bind("tcp://127.0.0.1:*").expect("bind");
    let mut old = OldPeer::connect(&endpoint, Version::V2, Kind::Sub);
    old.read_greeting();
    old.send(&[b"\x01t"]);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        publisher.send("x-never").expect("publish");
        publisher.send("t-sync").expect("publish");
        if let Some(frame) = old.raw.poll_frame(Duration::from_millis(10)) {
            assert_eq!(frame.body, b"t-sync", "only what it subscribed to");
            break;
        }
        assert!(Instant::now() < deadline, "the subscription never took");
    }
}

/// A PLAIN or CURVE socket, or a NULL one with a ZAP domain, drops an old peer: those know
/// no security (RFC 23: MUST close the connection). libzmq 4.3 (PLAIN) does the same.
#[test]
fn secured_sockets_refuse_zmtp_1_0_and_2_0_peers() {
    let keys = ferrozmq::curve_keypair().expect("keys");
    type Secure = fn(&ferrozmq::Socket, &ferrozmq::CurveKeyPair);
    let settings: [(&str, Secure); 3] = [
        ("PLAIN", |s, _| {
            s.options().set_plain_server(true).expect("plain server")
        }),
        ("CURVE", |s, keys| {
            s.options().set_curve_server(true).expect("curve server");
            s.options()
                .set_curve_secretkey(keys.secret.as_bytes())
                .expect("secret key");
        }),
        ("NULL with a ZAP domain", |s, _| {
            s.options().set_zap_domain("global").expect("zap domain")
        }),
    ];
    for (what, secure) in settings {
        for version in [Version::V1, Version::V2] {
            let ctx = ferrozmq::Context::new();
            let pull = ctx.socket(ferrozmq::PULL).expect("socket");
            pull.options()
                .set_linger(Some(Duration::ZERO))
                .expect("linger");
            secure(&pull, &keys);
            let endpoint = pull.bind("tcp://127.0.0.1:*").expect("bind");
            let mut old = OldPeer::connect(&endpoint, version, Kind::Push);
            old.send(&[b"let me in"]);
            let said = old
                .raw
                .read_until_closed()
                .unwrap_or_else(|e| panic!("{what} kept a {version:?} peer: {e}"));
            assert!(
                said.len() <= 11,
                "{what} said more than its signature: {said:?}"
            );
            pull.options()
                .set_rcvtimeo(Some(Duration::from_millis(100)))
                .expect("rcvtimeo");
            assert!(pull.recv().is_err(), "{what}: a message got through");
        }
    }
    // libzmq agrees (it is built here without CURVE).
    for version in [Version::V1, Version::V2] {
        let kit = Kit::new();
        let pull = kit.socket(Lib::Zmq, Kind::Pull);
        pull.zmq().set_plain_server(true).expect("plain server");
        let endpoint = pull.bind("tcp://127.0.0.1:*");
        let mut old = OldPeer::connect(&endpoint, version, Kind::Push);
        // libzmq may drop the peer on its greeting alone, before this write: a reset here is
        // the refusal already made (the read below then sees the end at once).
        old.send_unless_dropped(&[b"let me in"]);
        old.raw
            .read_until_closed()
            .unwrap_or_else(|e| panic!("libzmq PLAIN kept a {version:?} peer: {e}"));
    }
}

/// A socket type ZMTP 2.0 had no place for (the draft ones) refuses old peers, and a
/// ZMTP 2.0 peer of a type ours cannot talk to is dropped (RFC 15: SHOULD; libzmq does
/// not check).
#[test]
fn draft_types_and_mismatched_zmtp_2_0_types_are_refused() {
    let ctx = ferrozmq::Context::new();
    for (ours, peer) in [(ferrozmq::GATHER, Kind::Push), (ferrozmq::PULL, Kind::Pull)] {
        let socket = ctx.socket(ours).expect("socket");
        socket
            .options()
            .set_linger(Some(Duration::ZERO))
            .expect("linger");
        let endpoint = socket.bind("tcp://127.0.0.1:*").expect("bind");
        let mut old = OldPeer::connect(&endpoint, Version::V2, peer);
        old.raw
            .read_until_closed()
            .unwrap_or_else(|e| panic!("{ours:?} kept a ZMTP 2.0 {peer:?}: {e}"));
    }
}

/// The connecting side downgrades the same way: a PUSH that connects to a ZMTP 1.0 PULL,
/// then to a ZMTP 2.0 one.
#[test]
fn a_connecting_push_feeds_zmtp_1_0_and_2_0_pullers() {
    for version in [Version::V1, Version::V2] {
        let (listener, endpoint) = raw_listener();
        let ctx = ferrozmq::Context::new();
        let push = ctx.socket(ferrozmq::PUSH).expect("socket");
        push.options()
            .set_linger(Some(Duration::ZERO))
            .expect("linger");
        push.connect(&endpoint).expect("connect");
        let raw = accept_within(&listener);
        let mut old = OldPeer { raw, version };
        match version {
            Version::V1 => old.raw.write(&[1, 0]),
            Version::V2 => old.raw.write(b"\xff\0\0\0\0\0\0\0\x01\x7f\x01\x07\x00\x00"),
        }
        assert_eq!(
            old.read_greeting(),
            match version {
                Version::V1 => b"\xff\0\0\0\0\0\0\0\x01\x7f".to_vec(),
                Version::V2 => b"\xff\0\0\0\0\0\0\0\x01\x7f\x03\x08\x00\x00".to_vec(),
            }
        );
        push.send_multipart([&b"to"[..], b"the past"])
            .expect("send");
        assert_eq!(old.recv(), [b"to".to_vec(), b"the past".to_vec()]);
    }
}
