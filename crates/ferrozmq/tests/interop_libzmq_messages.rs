//! Message shapes through every pattern against libzmq, byte for byte: multipart messages,
//! empty parts, and parts on either side of the short/long frame boundary (255/256 bytes)
//! up to 1 MiB. Plus the REQ/REP envelope as it appears on the wire, and the REQ state
//! machine compared with libzmq's.

mod common;

use common::*;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// Messages covering the frame encodings: empty, short, the largest short frame (255), the
/// smallest long frame (256), large ones, and multipart mixes with empty parts.
fn shapes() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    vec![
        ("a single empty part", vec![vec![]]),
        ("one byte", vec![vec![0x42]]),
        ("255 bytes, the largest short frame", vec![payload(255, 1)]),
        ("256 bytes, the smallest long frame", vec![payload(256, 2)]),
        ("64 KiB", vec![payload(64 * KIB, 3)]),
        ("1 MiB", vec![payload(MIB, 4)]),
        (
            "three parts, the middle one empty",
            vec![b"first".to_vec(), vec![], b"last".to_vec()],
        ),
        ("three empty parts", vec![vec![], vec![], vec![]]),
        (
            "six parts of 0, 255, 256, 64 KiB, 1 MiB and 0 bytes",
            vec![
                vec![],
                payload(255, 5),
                payload(256, 6),
                payload(64 * KIB, 7),
                payload(MIB, 8),
                vec![],
            ],
        ),
    ]
}

fn push_pull_shapes(transport: Transport, binder: Lib, push_lib: Lib, pull_lib: Lib) {
    let kit = Kit::new();
    let push = kit.socket(push_lib, Kind::Push);
    let pull = kit.socket(pull_lib, Kind::Pull);
    link(&push, &pull, transport, binder);
    let shapes = shapes();
    for (_, msg) in &shapes {
        push.send_parts(msg);
    }
    for (what, msg) in &shapes {
        assert_same_message(&pull.recv_parts(), msg, what);
    }
}

fn pub_sub_shapes(transport: Transport, binder: Lib, pub_lib: Lib, sub_lib: Lib) {
    let kit = Kit::new();
    let publisher = kit.socket(pub_lib, Kind::Pub);
    let sub = kit.socket(sub_lib, Kind::Sub);
    // The empty prefix matches everything, including a message whose first part is empty.
    sub.subscribe(b"");
    link(&publisher, &sub, transport, binder);
    sync_pub_sub(&publisher, &sub, &[b"sync"], "sync");
    let shapes = shapes();
    for (_, msg) in &shapes {
        publisher.send_parts(msg);
    }
    for (what, msg) in &shapes {
        assert_same_message(&sub.recv_parts(), msg, what);
    }
}

/// Each shape goes out as a request; the reply is the same parts in reverse order, so
/// multipart requests and multipart replies both cross the wire.
fn req_rep_shapes(transport: Transport, binder: Lib, req_lib: Lib, rep_lib: Lib) {
    let kit = Kit::new();
    let req = kit.socket(req_lib, Kind::Req);
    let rep = kit.socket(rep_lib, Kind::Rep);
    link(&req, &rep, transport, binder);
    for (what, msg) in shapes() {
        req.send_parts(&msg);
        assert_same_message(&rep.recv_parts(), &msg, &format!("request: {what}"));
        let reply: Vec<Vec<u8>> = msg.iter().rev().cloned().collect();
        rep.send_parts(&reply);
        assert_same_message(&req.recv_parts(), &reply, &format!("reply: {what}"));
    }
}

/// Two runs per direction: tcp with ferrozmq binding, ipc with libzmq binding.
macro_rules! shapes_test {
    ($name:ident, $scenario:ident, $from:expr, $to:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn over_tcp_when_ferrozmq_binds() {
                $scenario(Transport::Tcp, Lib::Ferro, $from, $to)
            }
            #[test]
            fn over_ipc_when_libzmq_binds() {
                $scenario(Transport::Ipc, Lib::Zmq, $from, $to)
            }
        }
    };
}

shapes_test!(
    ferrozmq_push_to_libzmq_pull_keeps_every_shape,
    push_pull_shapes,
    Lib::Ferro,
    Lib::Zmq
);
shapes_test!(
    libzmq_push_to_ferrozmq_pull_keeps_every_shape,
    push_pull_shapes,
    Lib::Zmq,
    Lib::Ferro
);
shapes_test!(
    ferrozmq_pub_to_libzmq_sub_keeps_every_shape,
    pub_sub_shapes,
    Lib::Ferro,
    Lib::Zmq
);
shapes_test!(
    libzmq_pub_to_ferrozmq_sub_keeps_every_shape,
    pub_sub_shapes,
    Lib::Zmq,
    Lib::Ferro
);
shapes_test!(
    ferrozmq_req_and_libzmq_rep_keep_every_shape_both_ways,
    req_rep_shapes,
    Lib::Ferro,
    Lib::Zmq
);
shapes_test!(
    libzmq_req_and_ferrozmq_rep_keep_every_shape_both_ways,
    req_rep_shapes,
    Lib::Zmq,
    Lib::Ferro
);

/// What a libzmq REQ puts on the wire, `[empty][body...]`, reaches the ferrozmq REP
/// application as just `[body...]`, and the REP's reply goes back behind the same
/// delimiter. Checked with a raw peer standing in for libzmq's REQ, byte for byte.
#[test]
fn ferrozmq_rep_strips_the_empty_delimiter_and_puts_it_back_on_the_reply() {
    let kit = Kit::new();
    let rep = kit.socket(Lib::Ferro, Kind::Rep);
    let endpoint = rep.bind("tcp://127.0.0.1:*");
    let mut raw = RawPeer::connect(&endpoint);
    raw.handshake("REQ", 1);
    let mut request = frame(FLAG_MORE, b"");
    request.extend(frame(FLAG_MORE, b"abc"));
    request.extend(frame(0, b"def"));
    raw.write(&request);

    assert_eq!(
        rep.recv_parts(),
        [b"abc".to_vec(), b"def".to_vec()],
        "the REP application sees the body without the delimiter"
    );
    rep.send_parts(&[&b"x"[..], b"y"]);
    let reply: Vec<RawFrame> = (0..3).map(|_| raw.read_frame()).collect();
    assert_eq!(
        reply,
        [
            RawFrame {
                flags: FLAG_MORE,
                body: vec![]
            },
            RawFrame {
                flags: FLAG_MORE,
                body: b"x".to_vec()
            },
            RawFrame {
                flags: 0,
                body: b"y".to_vec()
            },
        ],
        "the reply on the wire is [empty][x][y]"
    );
}

/// The REQ envelope on the wire, `[empty][body...]`, checked by a raw peer standing in for
/// a REP; the REQ hands the application the reply without the delimiter.
fn req_sends_empty_delimiter_on_the_wire(lib: Lib) {
    let kit = Kit::new();
    let req = kit.socket(lib, Kind::Req);
    let (listener, endpoint) = raw_listener();
    req.connect(&endpoint);
    let mut raw = accept_within(&listener);
    raw.handshake("REP", 1);
    req.send_parts(&[&b"hello"[..], b"", b"world"]);
    let request: Vec<RawFrame> = (0..4).map(|_| raw.read_frame()).collect();
    let bodies: Vec<(u8, &[u8])> = request.iter().map(|f| (f.flags, &f.body[..])).collect();
    assert_eq!(
        bodies,
        [
            (FLAG_MORE, &b""[..]),
            (FLAG_MORE, b"hello"),
            (FLAG_MORE, b""),
            (0, b"world"),
        ],
        "{} REQ: the request on the wire is [empty][hello][][world]",
        req.lib()
    );
    let mut reply = frame(FLAG_MORE, b"");
    reply.extend(frame(FLAG_MORE, b"re"));
    reply.extend(frame(0, b"ply"));
    raw.write(&reply);
    assert_eq!(req.recv_parts(), [b"re".to_vec(), b"ply".to_vec()]);
}

#[test]
fn ferrozmq_req_sends_the_empty_delimiter_that_libzmq_rep_expects() {
    req_sends_empty_delimiter_on_the_wire(Lib::Ferro)
}

/// Calibrates the raw peer above: libzmq's own REQ produces exactly those bytes.
#[test]
fn libzmq_req_sends_the_same_envelope_bytes() {
    req_sends_empty_delimiter_on_the_wire(Lib::Zmq)
}

/// Sending twice without receiving the reply is a state error, in libzmq (EFSM) and in
/// ferrozmq (`Error::State`); the refused request never reaches the REP, and after the
/// reply the REQ can send again.
#[test]
fn ferrozmq_req_refuses_a_second_send_before_the_reply_like_libzmq() {
    let kit = Kit::new();
    let rep = kit.socket(Lib::Zmq, Kind::Rep);
    let endpoint = rep.bind("tcp://127.0.0.1:*");

    // libzmq itself, as the reference behaviour. It connects to an address nobody listens
    // on: the request just queues, which is all this needs.
    let zreq = kit.socket(Lib::Zmq, Kind::Req);
    let zreq = zreq.zmq();
    zreq.connect(&Transport::Tcp.fixed_endpoint())
        .expect("libzmq connect");
    zreq.send("first", 0).expect("libzmq first send");
    assert_eq!(zreq.send("second", 0), Err(zmq::Error::EFSM), "libzmq");

    let req = kit.socket(Lib::Ferro, Kind::Req);
    req.connect(&endpoint);
    req.send(b"one");
    match req.ferro().send("two") {
        Err(ferrozmq::Error::State) => {}
        other => panic!("second send before the reply: expected Err(State), got {other:?}"),
    }
    assert_eq!(rep.recv(), b"one");
    rep.send(b"reply one");
    rep.set_rcvtimeo(100);
    assert_eq!(
        rep.try_recv_parts(),
        None,
        "the refused request was never sent"
    );
    assert_eq!(req.recv(), b"reply one");

    req.send(b"three");
    rep.set_rcvtimeo(TIMEOUT_MS);
    assert_eq!(rep.recv(), b"three", "after the reply the REQ sends again");
}

/// Receiving before any request was sent is a state error too, in both libraries.
#[test]
fn ferrozmq_req_refuses_to_receive_before_sending_like_libzmq() {
    let kit = Kit::new();
    let zreq = kit.socket(Lib::Zmq, Kind::Req);
    let zreq = zreq.zmq();
    assert_eq!(zreq.recv_bytes(0), Err(zmq::Error::EFSM), "libzmq");

    let req = kit.socket(Lib::Ferro, Kind::Req);
    match req.ferro().recv().map(Vec::from) {
        Err(ferrozmq::Error::State) => {}
        other => panic!("receive before send: expected Err(State), got {other:?}"),
    }
}

/// A REP must receive a request before it may reply, in both libraries.
#[test]
fn ferrozmq_rep_refuses_to_send_before_receiving_like_libzmq() {
    let kit = Kit::new();
    let zrep = kit.socket(Lib::Zmq, Kind::Rep);
    let zrep = zrep.zmq();
    assert_eq!(zrep.send("unasked", 0), Err(zmq::Error::EFSM), "libzmq");

    let rep = kit.socket(Lib::Ferro, Kind::Rep);
    match rep.ferro().send("unasked") {
        Err(ferrozmq::Error::State) => {}
        other => panic!("send before receive: expected Err(State), got {other:?}"),
    }
}
