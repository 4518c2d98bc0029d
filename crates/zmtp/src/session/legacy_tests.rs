//! ZMTP 1.0 and 2.0 peers, byte for byte (see `legacy.rs`).

use super::*;
use crate::frame_v1;
use std::io::IoSlice;

fn config(socket_type: SocketType, routing_id: &'static [u8]) -> SessionConfig {
    SessionConfig {
        socket_type,
        routing_id: Bytes::from_static(routing_id),
        max_message_size: None,
        max_message_parts: None,
        max_multipart_size: None,
    }
}

fn flight(session: &mut Session) -> Vec<u8> {
    let mut out = Outbox::new();
    session.poll_transmit(&mut out);
    drain(&mut out)
}

fn drain(out: &mut Outbox) -> Vec<u8> {
    let mut bytes = Vec::new();
    while !out.is_empty() {
        let mut slices = [IoSlice::new(&[]); 8];
        let n = out.io_slices(&mut slices);
        let len: usize = slices[..n].iter().map(|s| s.len()).sum();
        for s in &slices[..n] {
            bytes.extend_from_slice(s);
        }
        out.advance(len);
    }
    bytes
}

/// Feeds `bytes` one octet at a time into a buffer the session keeps.
fn feed(session: &mut Session, bytes: &[u8]) -> Result<Vec<Event>, ProtocolError> {
    let mut input = BytesMut::new();
    let mut events = Vec::new();
    for &b in bytes {
        input.extend_from_slice(&[b]);
        while let Some(event) = session.handle_input(&mut input)? {
            events.push(event);
        }
    }
    Ok(events)
}

fn send(session: &mut Session, msgs: &[Message]) -> Vec<u8> {
    let mut out = Outbox::new();
    out.start_traffic();
    for m in msgs {
        session.encode(m, &mut out).unwrap();
    }
    session.poll_transmit(&mut out);
    drain(&mut out)
}

fn v1_frame(more: bool, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    frame_v1::encode_header(more, body.len(), &mut out);
    out.extend_from_slice(body);
    out
}

fn v2_frame(more: bool, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    frame::encode_header(more, false, body.len(), &mut out);
    out.extend_from_slice(body);
    out
}

/// The 12-octet greeting of a ZMTP 2.0 peer (revision 1) of libzmq's type `number`.
fn v2_greeting(number: u8) -> Vec<u8> {
    let mut g = b"\xff\0\0\0\0\0\0\0\x01\x7f\x01".to_vec();
    g.push(number);
    g
}

fn ready_peer(events: &[Event]) -> &PeerInfo {
    match events {
        [Event::Ready(peer), ..] => peer,
        other => panic!("expected Ready first, got {other:?}"),
    }
}

#[test]
fn a_zmtp_2_0_peer_gets_our_type_and_identity_and_zmtp_2_0_frames() {
    let mut pull = Session::new(config(SocketType::Pull, b"me"));
    assert_eq!(flight(&mut pull), b"\xff\0\0\0\0\0\0\0\x03\x7f");
    let mut wire = v2_greeting(SocketType::Push.number());
    wire.extend(v2_frame(false, b"old"));
    // A command bit means nothing to ZMTP 2.0: libzmq drops such a frame, and so do we.
    frame::encode_header(false, true, 7, &mut wire);
    wire.extend_from_slice(b"\x04PING\0\0");
    wire.extend(v2_frame(true, b"a"));
    wire.extend(v2_frame(false, b"b"));
    let events = feed(&mut pull, &wire).unwrap();
    let peer = ready_peer(&events);
    assert_eq!(peer.version, (2, 0));
    assert_eq!(peer.socket_type, Some(SocketType::Push));
    assert_eq!(&peer.identity[..], b"old");
    assert_eq!(
        events[1..],
        [
            Event::Message(Message::from("a").with_more(true)),
            Event::Message(Message::from("b")),
        ]
    );
    // Major version, our type (PULL is 7), our identity as a ZMTP 2.0 frame: as libzmq.
    assert_eq!(flight(&mut pull), b"\x03\x07\x00\x02me");
    // No PING ever goes to it.
    pull.ping(10, b"");
    assert!(!pull.wants_transmit());
    let mut sub = Session::new(config(SocketType::Sub, b""));
    let mut wire = v2_greeting(SocketType::Pub.number());
    wire.extend(v2_frame(false, b""));
    ready_peer(&feed(&mut sub, &wire).unwrap());
    flight(&mut sub);
    // Subscriptions are messages starting with 1 or 0.
    assert_eq!(
        send(&mut sub, &[Message::subscription(b"t", true)]),
        b"\x00\x02\x01t"
    );
}

#[test]
fn an_unversioned_zmtp_1_0_peer_gets_our_identity_and_zmtp_1_0_frames() {
    let mut dealer = Session::new(config(SocketType::Dealer, b"me"));
    flight(&mut dealer);
    let mut wire = v1_frame(false, b"old");
    wire.extend(v1_frame(true, b""));
    wire.extend(v1_frame(false, &[7u8; 300]));
    let events = feed(&mut dealer, &wire).unwrap();
    let peer = ready_peer(&events);
    assert_eq!((peer.version, peer.socket_type), ((1, 0), None));
    assert_eq!(&peer.identity[..], b"old");
    assert_eq!(
        events[1..],
        [
            Event::Message(Message::from("").with_more(true)),
            Event::Message(Message::from(vec![7u8; 300])),
        ]
    );
    // The signature was our identity frame's header (size 3: "me" and the flags); its
    // body follows.
    assert_eq!(flight(&mut dealer), b"me");
    let wire = send(
        &mut dealer,
        &[
            Message::from("").with_more(true),
            Message::from(vec![1u8; 254]),
        ],
    );
    let mut expected = vec![1, 1];
    expected.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 255, 0]);
    expected.extend_from_slice(&[1u8; 254]);
    assert_eq!(wire, expected);
}

#[test]
fn a_zmtp_1_0_peer_with_a_revision_gets_a_12_octet_greeting_and_zmtp_1_0_frames() {
    let mut rep = Session::new(config(SocketType::Rep, b""));
    flight(&mut rep);
    let mut wire = b"\xff\0\0\0\0\0\0\0\x01\x7f\x00".to_vec();
    wire.push(SocketType::Req.number());
    wire.extend(v1_frame(false, b""));
    wire.extend(v1_frame(true, b""));
    wire.extend(v1_frame(false, b"question"));
    let events = feed(&mut rep, &wire).unwrap();
    assert_eq!(ready_peer(&events).version, (1, 0));
    assert_eq!(events.len(), 3);
    // Major, REP's number (4), an empty identity in ZMTP 1.0 framing.
    assert_eq!(flight(&mut rep), b"\x03\x04\x01\x00");
}

#[test]
fn a_pub_takes_a_zmtp_1_0_subscriber_as_subscribed_to_everything() {
    for ours in [SocketType::Pub, SocketType::XPub] {
        let mut publisher = Session::new(config(ours, b""));
        flight(&mut publisher);
        let events = feed(&mut publisher, &v1_frame(false, b"")).unwrap();
        assert_eq!(events.len(), 2, "{ours}: {events:?}");
        assert_eq!(events[1], Event::Message(Message::subscription(b"", true)));
        assert!(publisher.is_ready());
    }
}

#[test]
fn secured_sockets_draft_types_and_mismatched_types_refuse_older_peers() {
    let plain = |t| {
        let c = config(t, b"");
        let m = Mechanism::plain_server(c.metadata());
        Session::with_mechanism(c, m)
    };
    let authenticated = |t| {
        let c = config(t, b"");
        let m = Mechanism::null_authenticated(c.metadata());
        Session::with_mechanism(c, m)
    };
    let v1 = v1_frame(false, b"");
    let mut v2 = v2_greeting(SocketType::Push.number());
    v2.extend(v2_frame(false, b""));
    for (what, mut session) in [
        ("PLAIN", plain(SocketType::Pull)),
        ("NULL with ZAP", authenticated(SocketType::Pull)),
        (
            "a draft type",
            Session::new(config(SocketType::Gather, b"")),
        ),
    ] {
        assert_eq!(
            feed(&mut session, &v1),
            Err(ProtocolError::BadSignature),
            "{what}"
        );
    }
    for (what, mut session) in [
        ("PLAIN", plain(SocketType::Pull)),
        ("NULL with ZAP", authenticated(SocketType::Pull)),
        (
            "a draft type",
            Session::new(config(SocketType::Gather, b"")),
        ),
    ] {
        assert_eq!(
            feed(&mut session, &v2),
            Err(ProtocolError::UnsupportedVersion { major: 2, minor: 0 }),
            "{what}"
        );
    }
    // RFC 15: a type that cannot talk to ours is dropped, silently (no ERROR: ZMTP 2.0 has
    // no commands).
    let mut push = Session::new(config(SocketType::Push, b""));
    flight(&mut push);
    let error = feed(&mut push, &v2).unwrap_err();
    assert_eq!(
        error,
        ProtocolError::IncompatibleSocketType {
            ours: SocketType::Push,
            theirs: SocketType::Push
        }
    );
    push.report(&error);
    assert_eq!(flight(&mut push), b"\x03\x08\x00\x00", "no ERROR");
}

#[test]
fn malformed_zmtp_1_0_streams_are_refused() {
    let mut long_identity = vec![0xFF];
    long_identity.extend_from_slice(&257u64.to_be_bytes());
    long_identity.push(0);
    let mut reserved = v1_frame(false, b"");
    reserved.extend_from_slice(b"\x03\x45ab");
    let mut empty = v1_frame(false, b"");
    empty.push(0);
    for (wire, expected) in [
        (long_identity, ProtocolError::MalformedIdentity),
        (reserved, ProtocolError::ReservedFlags(0x45)),
        (empty, ProtocolError::MalformedFrame),
    ] {
        let mut pull = Session::new(config(SocketType::Pull, b""));
        let result = feed(&mut pull, &wire);
        assert_eq!(result.err(), Some(expected));
    }
    // An identity frame's flags are not looked at (RFC 13), as libzmq's signature shows.
    let mut pull = Session::new(config(SocketType::Pull, b""));
    assert!(feed(&mut pull, b"\x02\x7fx").unwrap().len() == 1);
}

#[test]
fn unsent_zmtp_1_0_messages_are_recovered_whole() {
    let mut push = Session::new(config(SocketType::Push, b""));
    flight(&mut push);
    feed(&mut push, &v1_frame(false, b"")).unwrap();
    flight(&mut push);
    let mut out = Outbox::new();
    out.start_traffic();
    let msgs = [
        Message::from("one"),
        Message::from("two-a").with_more(true),
        Message::from(vec![9u8; 400]),
    ];
    for m in &msgs {
        push.encode(m, &mut out).unwrap();
    }
    out.advance(5 + 3);
    assert_eq!(push.recover_unsent(out.take_unsent_traffic()), msgs[1..]);
}
