//! Two sessions talking through memory, and scripted peers that misbehave.

use super::*;
use std::io::IoSlice;

fn config(socket_type: SocketType) -> SessionConfig {
    SessionConfig {
        socket_type,
        routing_id: Bytes::new(),
        max_message_size: None,
        max_message_parts: None,
        max_multipart_size: None,
    }
}

fn drain(outbox: &mut Outbox) -> Vec<u8> {
    let mut bytes = Vec::new();
    while !outbox.is_empty() {
        let mut slices = [IoSlice::new(&[]); 8];
        let n = outbox.io_slices(&mut slices);
        let len: usize = slices[..n].iter().map(|s| s.len()).sum();
        for s in &slices[..n] {
            bytes.extend_from_slice(s);
        }
        outbox.advance(len);
    }
    bytes
}

/// Feeds `bytes` to `session` in chunks of `chunk` bytes and collects every event.
fn feed(session: &mut Session, bytes: &[u8], chunk: usize) -> Result<Vec<Event>, ProtocolError> {
    let mut input = BytesMut::new();
    let mut events = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        input.extend_from_slice(piece);
        while let Some(event) = session.handle_input(&mut input)? {
            events.push(event);
        }
    }
    Ok(events)
}

/// Appends `bytes` to `input`, which keeps what the session has not consumed yet, and
/// collects the events.
fn feed_more(
    session: &mut Session,
    input: &mut BytesMut,
    bytes: &[u8],
) -> Result<Vec<Event>, ProtocolError> {
    input.extend_from_slice(bytes);
    let mut events = Vec::new();
    while let Some(event) = session.handle_input(input)? {
        events.push(event);
    }
    Ok(events)
}

/// Two sessions that have completed their handshake (greetings cross first, then the
/// READY commands), plus what each saw.
fn pair(a: SocketType, b: SocketType) -> (Session, Session) {
    let mut left = Session::new(config(a));
    let mut right = Session::new(config(b));
    let (seen_by_left, seen_by_right) = connect(&mut left, &mut right);
    assert!(matches!(&seen_by_right[..], [Event::Ready(p)] if p.socket_type == Some(a)));
    assert!(matches!(&seen_by_left[..], [Event::Ready(p)] if p.socket_type == Some(b)));
    (left, right)
}

/// Lets two sessions talk until neither has anything to say (signatures, the rest of the
/// greetings, READY commands); returns what each saw.
fn connect(left: &mut Session, right: &mut Session) -> (Vec<Event>, Vec<Event>) {
    let (mut seen_by_left, mut seen_by_right) = (Vec::new(), Vec::new());
    let (mut left_in, mut right_in) = (BytesMut::new(), BytesMut::new());
    for _ in 0..5 {
        let (mut lo, mut ro) = (Outbox::new(), Outbox::new());
        left.poll_transmit(&mut lo);
        right.poll_transmit(&mut ro);
        right_in.extend_from_slice(&drain(&mut lo));
        left_in.extend_from_slice(&drain(&mut ro));
        while let Some(event) = right.handle_input(&mut right_in).unwrap() {
            seen_by_right.push(event);
        }
        while let Some(event) = left.handle_input(&mut left_in).unwrap() {
            seen_by_left.push(event);
        }
    }
    (seen_by_left, seen_by_right)
}

/// Our greeting, for a peer of `mechanism`.
fn peer_greeting(mechanism: MechanismName, as_server: bool) -> Vec<u8> {
    Greeting {
        version: (3, 1),
        mechanism,
        as_server,
    }
    .encode()
    .to_vec()
}

/// What `session` puts on the wire now.
fn flight(session: &mut Session) -> Vec<u8> {
    let mut out = Outbox::new();
    session.poll_transmit(&mut out);
    drain(&mut out)
}

fn send(from: &mut Session, msgs: &[Message]) -> Vec<u8> {
    let mut out = Outbox::new();
    out.start_traffic();
    for m in msgs {
        from.encode(m, &mut out).unwrap();
    }
    from.poll_transmit(&mut out);
    drain(&mut out)
}

#[test]
fn null_handshake_completes_in_two_flights_each_way() {
    let (left, right) = pair(SocketType::Req, SocketType::Rep);
    assert!(left.is_ready() && right.is_ready());
    assert_eq!(left.peer().unwrap().version, (3, 1));
}

#[test]
fn first_flight_is_the_greeting_alone_and_ready_follows_the_peers() {
    let mut s = Session::new(SessionConfig {
        socket_type: SocketType::Dealer,
        routing_id: Bytes::from_static(b"me"),
        max_message_size: None,
        max_message_parts: None,
        max_multipart_size: None,
    });
    // As libzmq: the signature alone, its padding the size of an identity frame ("me").
    assert_eq!(flight(&mut s), b"\xff\0\0\0\0\0\0\0\x03\x7f");
    let peer = peer_greeting(MechanismName::NULL, false);
    let mut input = BytesMut::new();
    assert_eq!(feed_more(&mut s, &mut input, &peer[..9]), Ok(vec![]));
    assert_eq!(
        flight(&mut s),
        b"",
        "nothing before the peer's whole signature"
    );
    assert_eq!(feed_more(&mut s, &mut input, &peer[9..10]), Ok(vec![]));
    assert_eq!(
        flight(&mut s),
        b"\x03",
        "the major version, once the peer's signature came"
    );
    assert_eq!(feed_more(&mut s, &mut input, &peer[10..11]), Ok(vec![]));
    let rest = flight(&mut s);
    assert_eq!(
        rest.len(),
        53,
        "the rest of the greeting, once the peer's major came"
    );
    assert_eq!(&rest[..5], b"\x01NULL");
    assert_eq!(feed_more(&mut s, &mut input, &peer[11..]), Ok(vec![]));
    assert_eq!(
        flight(&mut s),
        &b"\x04\x2b\x05READY\x0bSocket-Type\0\0\0\x06DEALER\x08Identity\0\0\0\x02me"[..]
    );
}

/// Whatever mechanism we run, a listener that never greets, greets with another mechanism
/// or is no ZMTP peer at all hears our greeting and nothing else: no READY, and above all
/// no PLAIN username and password.
#[test]
fn nothing_but_the_greeting_reaches_a_peer_that_is_not_ours() {
    let c = config(SocketType::Req);
    let key_pair = CurveKeyPair::from_secret(CurveSecretKey::from_bytes([7; 32]));
    let server_key = CurveKeyPair::from_secret(CurveSecretKey::from_bytes([9; 32])).public;
    type MakeMechanism<'a> = Box<dyn Fn() -> Mechanism + 'a>;
    let mechanisms: Vec<(&str, MakeMechanism)> = vec![
        ("NULL", Box::new(|| Mechanism::null(c.metadata()))),
        (
            "PLAIN",
            Box::new(|| Mechanism::plain_client(b"admin", b"secret", c.metadata()).unwrap()),
        ),
        (
            "CURVE",
            Box::new(|| {
                Mechanism::curve_client(
                    server_key,
                    key_pair.clone(),
                    c.metadata(),
                    Box::new(SeededEntropy::new(3)),
                )
                .unwrap()
            }),
        ),
    ];
    let others = [
        MechanismName::NULL,
        MechanismName::PLAIN,
        MechanismName::CURVE,
    ];
    for (name, make) in &mechanisms {
        // A silent listener.
        let mut session = Session::with_mechanism(c.clone(), make());
        assert_eq!(flight(&mut session).len(), 10, "{name}: signature only");
        assert!(!session.wants_transmit(), "{name}");
        // A listener greeting with each other mechanism.
        for other in others.iter().filter(|o| o.as_bytes() != name.as_bytes()) {
            let mut session = Session::with_mechanism(c.clone(), make());
            let mut sent = flight(&mut session);
            let result = feed(&mut session, &peer_greeting(*other, true), 64);
            assert!(
                matches!(result, Err(ProtocolError::MechanismMismatch { .. })),
                "{name} vs {other:?}: {result:?}"
            );
            session.report(&result.unwrap_err());
            sent.extend(flight(&mut session));
            assert_eq!(sent.len(), 64, "{name} vs {other:?}: greeting only");
        }
        // An HTTP server: to NULL, the start of a ZMTP 1.0 identity frame, whose end it
        // waits for; to the others, refused.
        let mut session = Session::with_mechanism(c.clone(), make());
        let mut sent = flight(&mut session);
        let result = feed(&mut session, b"HTTP/1.1 400 Bad Request\r\n\r\n", 100);
        if *name == "NULL" {
            assert_eq!(result, Ok(vec![]));
        } else {
            assert_eq!(result, Err(ProtocolError::BadSignature), "{name}");
            session.report(&result.unwrap_err());
        }
        sent.extend(flight(&mut session));
        assert_eq!(sent.len(), 10, "{name} vs HTTP: signature only");
        assert!(
            !sent.windows(6).any(|w| w == b"secret"),
            "{name}: no credentials on the wire"
        );
    }
}

#[test]
fn multipart_messages_cross_byte_by_byte() {
    let (mut left, mut right) = pair(SocketType::Push, SocketType::Pull);
    let msgs = vec![
        Message::from("").with_more(true),
        Message::from(vec![7u8; 255]).with_more(true),
        Message::from(vec![8u8; 256]).with_more(true),
        Message::from(vec![9u8; 70_000]),
    ];
    let wire = send(&mut left, &msgs);
    let events = feed(&mut right, &wire, 1).unwrap();
    let got: Vec<Message> = events
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => m,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(got, msgs);
}

/// A large body reaches the vectored write as the caller's own buffer: the frame header
/// is the only thing copied. A body under the threshold is copied beside its header, where
/// one slice (and one copy) is cheaper than a reference-counted slice of its own.
#[test]
fn a_large_body_is_written_from_the_callers_buffer_and_a_small_one_is_copied() {
    let (mut left, _right) = pair(SocketType::Push, SocketType::Pull);
    let mut out = Outbox::new();
    out.start_traffic();
    let large = Bytes::from(vec![5u8; SHARE_THRESHOLD]);
    left.encode(&Message::from_bytes(large.clone()), &mut out)
        .unwrap();
    let small = Bytes::from(vec![6u8; SHARE_THRESHOLD - 1]);
    left.encode(&Message::from_bytes(small.clone()), &mut out)
        .unwrap();

    let mut slices = [IoSlice::new(&[]); 8];
    let n = out.io_slices(&mut slices);
    assert_eq!(n, 3, "header, large body, then small frame");
    assert_eq!(slices[0].len(), 9, "a long frame's header alone");
    assert_eq!(
        slices[1].as_ptr(),
        large.as_ptr(),
        "the large body is not copied"
    );
    assert_eq!(slices[1].len(), large.len());
    assert_eq!(slices[2].len(), 9 + small.len());
    assert_ne!(slices[2][9..].as_ptr(), small.as_ptr());
}

#[test]
fn large_frame_reports_its_full_size_before_it_arrives() {
    let (mut left, mut right) = pair(SocketType::Push, SocketType::Pull);
    let wire = send(&mut left, &[Message::from(vec![1u8; 100_000])]);
    let mut input = BytesMut::from(&wire[..20]);
    assert_eq!(right.handle_input(&mut input), Ok(None));
    assert_eq!(right.bytes_wanted(), 9 + 100_000);
}

#[test]
fn a_large_body_can_be_taken_past_the_session_which_then_reads_on() {
    let (mut left, mut right) = pair(SocketType::Push, SocketType::Pull);
    let msgs = [
        Message::from(vec![1u8; 100_000]).with_more(true),
        Message::from("after"),
    ];
    let wire = send(&mut left, &msgs);
    // Header and part of the body have arrived.
    let mut input = BytesMut::from(&wire[..20]);
    let header = right
        .take_large_data_header(&mut input, 32 * 1024)
        .unwrap()
        .expect("a large data frame");
    assert_eq!((header.body_len, header.more()), (100_000, true));
    assert_eq!(input.len(), 11, "the header is taken, the body start stays");
    // The caller takes the body (11 bytes here, the rest straight from the stream)...
    input.clear();
    input.extend_from_slice(&wire[9 + 100_000..]);
    // ...and the session decodes the next frame as usual.
    match right.handle_input(&mut input).unwrap() {
        Some(Event::Message(m)) => assert_eq!(m, msgs[1]),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn only_an_incomplete_large_data_frame_is_taken() {
    let (mut left, mut right) = pair(SocketType::Push, SocketType::Pull);
    // Small, or complete already: the session handles it.
    for (len, arrived) in [(1_000, 20), (100_000, 9 + 100_000)] {
        let wire = send(&mut left, &[Message::from(vec![1u8; len])]);
        let mut input = BytesMut::from(&wire[..arrived]);
        assert_eq!(
            right.take_large_data_header(&mut input, 32 * 1024),
            Ok(None)
        );
        assert_eq!(input.len(), arrived, "nothing taken");
    }
    // A command is the session's, however long.
    let (mut sub, mut publisher) = pair(SocketType::Sub, SocketType::Pub);
    let wire = send(&mut sub, &[Message::subscription(&[b'x'; 40_000], true)]);
    let mut input = BytesMut::from(&wire[..20]);
    assert_eq!(
        publisher.take_large_data_header(&mut input, 32 * 1024),
        Ok(None)
    );
    // Before the handshake nothing is taken either.
    let mut fresh = Session::new(config(SocketType::Pull));
    let mut input = BytesMut::from(&wire[..20]);
    assert_eq!(
        fresh.take_large_data_header(&mut input, 32 * 1024),
        Ok(None)
    );
}

#[test]
fn subscriptions_are_commands_for_3_1_peers() {
    let (mut sub, mut publisher) = pair(SocketType::Sub, SocketType::Pub);
    let wire = send(&mut sub, &[Message::subscription(b"A", true)]);
    assert_eq!(wire, b"\x04\x0b\x09SUBSCRIBEA".to_vec());
    let events = feed(&mut publisher, &wire, 3).unwrap();
    assert_eq!(
        events,
        vec![Event::Message(Message::subscription(b"A", true))]
    );
    let wire = send(&mut sub, &[Message::subscription(b"A", false)]);
    assert_eq!(wire, b"\x04\x08\x06CANCELA".to_vec());
}

#[test]
fn subscriptions_are_prefixed_messages_for_3_0_peers() {
    let mut sub = Session::new(config(SocketType::Sub));
    let mut greeting = Greeting {
        version: (3, 0),
        mechanism: MechanismName::NULL,
        as_server: false,
    }
    .encode()
    .to_vec();
    Command::Ready({
        let mut m = Metadata::new();
        m.insert("Socket-Type", "PUB").unwrap();
        m
    })
    .encode(&mut greeting);
    let events = feed(&mut sub, &greeting, 100).unwrap();
    assert!(matches!(&events[..], [Event::Ready(p)] if p.version == (3, 0)));
    sub.poll_transmit(&mut Outbox::new());
    let wire = send(&mut sub, &[Message::subscription(b"AB", true)]);
    assert_eq!(wire, b"\x00\x03\x01AB".to_vec());
}

#[test]
fn ping_is_answered_with_pong_echoing_context() {
    let (mut left, mut right) = pair(SocketType::Pair, SocketType::Pair);
    left.ping(50, b"hb");
    let wire = send(&mut left, &[]);
    let events = feed(&mut right, &wire, 100).unwrap();
    assert_eq!(
        events,
        vec![Event::Ping {
            ttl_deciseconds: 50
        }]
    );
    let reply = send(&mut right, &[]);
    assert_eq!(reply, b"\x04\x07\x04PONGhb".to_vec());
    assert_eq!(feed(&mut left, &reply, 100).unwrap(), vec![Event::Pong]);
}

#[test]
fn each_ping_is_answered_but_a_flood_owes_only_the_latest_sixteen() {
    let (mut left, mut right) = pair(SocketType::Pair, SocketType::Pair);
    // Two PINGs read at once get two PONGs, in order (libzmq answers each).
    left.ping(50, b"a");
    left.ping(50, b"b");
    let wire = send(&mut left, &[]);
    assert_eq!(feed(&mut right, &wire, 100).unwrap().len(), 2);
    let reply = send(&mut right, &[]);
    assert_eq!(reply, b"\x04\x06\x04PONGa\x04\x06\x04PONGb".to_vec());
    // A thousand owe the last sixteen.
    for i in 0..1000u16 {
        left.ping(50, &i.to_be_bytes());
    }
    let wire = send(&mut left, &[]);
    let events = feed(&mut right, &wire, 4096).unwrap();
    assert_eq!(events.len(), 1000);
    let reply = send(&mut right, &[]);
    let expected: Vec<u8> = (984..1000u16)
        .flat_map(|i| [&b"\x04\x07\x04PONG"[..], &i.to_be_bytes()].concat())
        .collect();
    assert_eq!(reply, expected);
    assert!(!right.wants_transmit());
}

#[test]
fn a_ready_after_the_handshake_is_dropped_unparsed_as_libzmq_drops_it() {
    let (_, mut right) = pair(SocketType::Pair, SocketType::Pair);
    // Properties that would cost far more parsed than on the wire, and do not parse.
    let mut body = b"\x05READY".to_vec();
    for _ in 0..20_000 {
        body.extend_from_slice(b"\x01x\0\0\0\0");
    }
    body.push(0xFF);
    let mut wire = vec![0x06];
    wire.extend_from_slice(&(body.len() as u64).to_be_bytes());
    wire.extend_from_slice(&body);
    wire.extend_from_slice(b"\x00\x02hi");
    assert_eq!(
        feed(&mut right, &wire, wire.len()),
        Ok(vec![Event::Message(Message::from("hi"))])
    );
}

#[test]
fn unknown_commands_in_traffic_are_skipped() {
    let (_, mut right) = pair(SocketType::Push, SocketType::Pull);
    let mut wire = b"\x04\x06\x05HELLO".to_vec();
    wire.extend_from_slice(b"\x00\x02hi");
    let events = feed(&mut right, &wire, 100).unwrap();
    assert_eq!(events, vec![Event::Message(Message::from("hi"))]);
}

#[test]
fn commands_meant_for_other_socket_types_are_dropped() {
    let (mut push, mut pull) = pair(SocketType::Push, SocketType::Pull);
    let mut wire = Vec::new();
    for command in [
        Command::Join(Bytes::from_static(b"g")),
        Command::Leave(Bytes::from_static(b"g")),
        Command::Subscribe(Bytes::from_static(b"t")),
        Command::Cancel(Bytes::from_static(b"t")),
    ] {
        command.encode(&mut wire);
    }
    wire.extend_from_slice(b"\x00\x02hi");
    assert_eq!(
        feed(&mut pull, &wire, 5).unwrap(),
        vec![Event::Message(Message::from("hi"))]
    );
    // The same commands reach the types they are for.
    let (_, mut radio) = pair(SocketType::Dish, SocketType::Radio);
    assert_eq!(
        feed(&mut radio, &wire, 5).unwrap(),
        vec![
            Event::Message(Message::membership(b"g", true)),
            Event::Message(Message::membership(b"g", false)),
            Event::Message(Message::from("hi")),
        ]
    );
    let (_, mut xpub) = pair(SocketType::Sub, SocketType::XPub);
    assert_eq!(
        feed(&mut xpub, &wire, 5).unwrap(),
        vec![
            Event::Message(Message::subscription(b"t", true)),
            Event::Message(Message::subscription(b"t", false)),
            Event::Message(Message::from("hi")),
        ]
    );
    // And nothing of the kind leaves a PUSH as a command, whatever it is handed.
    let wire = send(
        &mut push,
        &[
            Message::subscription(b"t", true),
            Message::membership(b"g", true),
        ],
    );
    assert_eq!(wire, b"\x00\x01t\x00\x01g".to_vec());
}

/// A NULL greeting and a READY with these properties, as a peer sends them.
fn greeting_and_ready(properties: &[(&str, &str)]) -> Vec<u8> {
    let mut wire = peer_greeting(MechanismName::NULL, false);
    let mut metadata = Metadata::new();
    for (name, value) in properties {
        metadata.insert(name, value.to_string()).unwrap();
    }
    Command::Ready(metadata).encode(&mut wire);
    wire
}

#[test]
fn a_ready_without_socket_type_is_accepted_as_libzmq_accepts_it() {
    let mut pull = Session::new(config(SocketType::Pull));
    let events = feed(&mut pull, &greeting_and_ready(&[("X-App", "x")]), 7).unwrap();
    assert!(
        matches!(&events[..], [Event::Ready(p)] if p.socket_type.is_none()),
        "{events:?}"
    );
}

#[test]
fn every_socket_type_a_ready_names_must_be_compatible() {
    for (types, accepted) in [
        (&["PUSH", "PUSH"][..], true),
        (&["PUSH", "PUB"][..], false),
        (&["PUB", "PUSH"][..], false),
        (&["PUSH", "NOSUCH"][..], false),
    ] {
        let properties: Vec<(&str, &str)> = types.iter().map(|t| ("Socket-Type", *t)).collect();
        let mut pull = Session::new(config(SocketType::Pull));
        let result = feed(&mut pull, &greeting_and_ready(&properties), 100);
        assert_eq!(result.is_ok(), accepted, "{types:?}: {result:?}");
    }
}

#[test]
fn garbage_instead_of_greeting_fails_at_once_unless_it_reads_as_zmtp_1_0() {
    let c = config(SocketType::Rep);
    let plain = Mechanism::plain_server(c.metadata());
    let mut s = Session::with_mechanism(c, plain);
    assert_eq!(
        feed(&mut s, b"GET / HTTP/1.0\r\n", 100),
        Err(ProtocolError::BadSignature)
    );
    // To NULL, a first octet other than 0xFF is a ZMTP 1.0 frame size: 0 is none.
    let mut s = Session::new(config(SocketType::Rep));
    assert_eq!(
        feed(&mut s, b"\0\0\0\0", 100),
        Err(ProtocolError::MalformedFrame)
    );
}

#[test]
fn incompatible_peer_is_refused_with_an_error_command() {
    let mut push = Session::new(config(SocketType::Push));
    let wire = greeting_and_ready(&[("Socket-Type", "PUSH")]);
    let err = feed(&mut push, &wire, 100).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::IncompatibleSocketType {
            ours: SocketType::Push,
            theirs: SocketType::Push
        }
    );
    push.report(&err);
    let mut out = Outbox::new();
    push.poll_transmit(&mut out);
    let bytes = drain(&mut out);
    assert!(bytes.ends_with(b"\x05ERROR\x13Invalid socket type"));
}

#[test]
fn other_mechanism_is_refused() {
    let mut s = Session::new(config(SocketType::Rep));
    let greeting = Greeting {
        version: (3, 1),
        mechanism: MechanismName::CURVE,
        as_server: true,
    }
    .encode();
    assert!(matches!(
        feed(&mut s, &greeting, 64),
        Err(ProtocolError::MechanismMismatch { .. })
    ));
}

#[test]
fn message_before_ready_is_refused() {
    let mut s = Session::new(config(SocketType::Rep));
    let mut wire = Greeting {
        version: (3, 1),
        mechanism: MechanismName::NULL,
        as_server: false,
    }
    .encode()
    .to_vec();
    wire.extend_from_slice(b"\x00\x01x");
    assert_eq!(
        feed(&mut s, &wire, 100),
        Err(ProtocolError::UnexpectedFrame {
            expected: "a handshake command"
        })
    );
}

#[test]
fn frame_claiming_2_pow_63_bytes_is_refused_without_allocation() {
    let (_, mut right) = pair(SocketType::Req, SocketType::Rep);
    let mut wire = vec![frame::LONG];
    wire.extend_from_slice(&(1u64 << 63).to_be_bytes());
    assert!(matches!(
        feed(&mut right, &wire, 100),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
}

#[test]
fn max_message_size_is_enforced() {
    let mut right = Session::new(SessionConfig {
        max_message_size: Some(10),
        max_message_parts: None,
        max_multipart_size: None,
        ..config(SocketType::Pull)
    });
    let mut left = Session::new(config(SocketType::Push));
    connect(&mut left, &mut right);
    let wire = send(&mut left, &[Message::from(vec![0u8; 11])]);
    assert_eq!(
        feed(&mut right, &wire, 100),
        Err(ProtocolError::FrameTooLarge { len: 11, max: 10 })
    );
}

/// A PULL after its handshake with a PUSH, holding inbound messages to `parts` parts and
/// `bytes` bytes, and the PUSH.
fn bounded_pull(parts: Option<u64>, bytes: Option<u64>) -> (Session, Session) {
    let mut pull = Session::new(SessionConfig {
        max_message_parts: parts,
        max_multipart_size: bytes,
        ..config(SocketType::Pull)
    });
    let mut push = Session::new(config(SocketType::Push));
    connect(&mut pull, &mut push);
    assert!(pull.is_ready() && push.is_ready());
    (pull, push)
}

#[test]
fn the_part_over_max_message_parts_is_refused_from_its_header() {
    let (mut pull, mut push) = bounded_pull(Some(3), None);
    let three: Vec<Message> = (0..3)
        .map(|i| Message::from("p").with_more(i < 2))
        .collect();
    let wire = send(&mut push, &three);
    assert_eq!(feed(&mut pull, &wire, 1).unwrap().len(), 3);
    let mut four = three.clone();
    four[2].set_more(true);
    four.push(Message::from(vec![0u8; 100_000]));
    let wire = send(&mut push, &four);
    // Three parts and the fourth's header, not its body: refused already.
    let mut input = BytesMut::from(&wire[..3 * 3 + 9]);
    let mut events = 0;
    let error = loop {
        match pull.handle_input(&mut input) {
            Ok(Some(_)) => events += 1,
            Ok(None) => panic!("waited for the body of a part over the limit"),
            Err(e) => break e,
        }
    };
    assert_eq!((events, error), (3, ProtocolError::TooManyParts { max: 3 }));
    assert!(pull.partial_message_cost() > 0, "three parts held");
}

#[test]
fn max_multipart_size_counts_every_part_and_starts_afresh_with_each_message() {
    let (mut pull, mut push) = bounded_pull(None, Some(250));
    for _ in 0..3 {
        let wire = send(
            &mut push,
            &[
                Message::from(vec![1u8; 100]).with_more(true),
                Message::from(vec![2u8; 150]),
            ],
        );
        assert_eq!(feed(&mut pull, &wire, 7).unwrap().len(), 2);
    }
    let wire = send(
        &mut push,
        &[
            Message::from(vec![1u8; 200]).with_more(true),
            Message::from(vec![2u8; 51]),
        ],
    );
    assert_eq!(
        feed(&mut pull, &wire, 7),
        Err(ProtocolError::MultipartTooLarge { len: 251, max: 250 })
    );
}

#[test]
fn a_large_part_taken_past_the_session_counts_towards_its_message() {
    let (mut pull, mut push) = bounded_pull(Some(2), Some(150_000));
    let wire = send(
        &mut push,
        &[
            Message::from(vec![1u8; 100_000]).with_more(true),
            Message::from(vec![1u8; 100_000]),
        ],
    );
    let mut input = BytesMut::from(&wire[..20]);
    let header = pull
        .take_large_data_header(&mut input, 32 * 1024)
        .unwrap()
        .expect("a large data frame");
    assert!(header.more());
    let mut input = BytesMut::from(&wire[9 + 100_000..9 + 100_000 + 20]);
    assert_eq!(
        pull.take_large_data_header(&mut input, 32 * 1024),
        Err(ProtocolError::MultipartTooLarge {
            len: 200_000,
            max: 150_000
        })
    );
}

#[test]
fn peer_error_command_is_fatal() {
    let mut s = Session::new(config(SocketType::Req));
    let mut wire = Greeting {
        version: (3, 1),
        mechanism: MechanismName::NULL,
        as_server: false,
    }
    .encode()
    .to_vec();
    Command::Error {
        reason: Bytes::from_static(b"go away"),
    }
    .encode(&mut wire);
    assert_eq!(
        feed(&mut s, &wire, 100),
        Err(ProtocolError::PeerError {
            reason: "go away".into()
        })
    );
}

#[test]
fn unsent_messages_are_recovered_whole() {
    let (mut left, _) = pair(SocketType::Push, SocketType::Pull);
    let mut out = Outbox::new();
    out.start_traffic();
    let msgs = [
        Message::from("first"),
        Message::from("second-a").with_more(true),
        Message::from(vec![5u8; 40_000]),
    ];
    for m in &msgs {
        left.encode(m, &mut out).unwrap();
    }
    // The first message and half of the second went out before the connection died.
    out.advance(7 + 4);
    let recovered = left.recover_unsent(out.take_unsent_traffic());
    assert_eq!(recovered, msgs[1..].to_vec());
}

// ---- Sessions secured by PLAIN and CURVE ----

use crate::curve_keys::{CurveKeyPair, CurveSecretKey};
use crate::entropy::testing::SeededEntropy;

/// What one side of [`converse`] saw, in order.
type Outcomes = Vec<Result<Event, ProtocolError>>;

/// Runs a client and a server session against each other until neither has anything to
/// say, answering authentication requests with `verdict`. Returns the events each saw.
fn converse(
    client: &mut Session,
    server: &mut Session,
    mut verdict: impl FnMut(&AuthRequest) -> Verdict,
) -> (Outcomes, Outcomes) {
    let (mut client_in, mut server_in) = (BytesMut::new(), BytesMut::new());
    let (mut client_events, mut server_events) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let (mut co, mut so) = (Outbox::new(), Outbox::new());
        client.poll_transmit(&mut co);
        server.poll_transmit(&mut so);
        server_in.extend_from_slice(&drain(&mut co));
        client_in.extend_from_slice(&drain(&mut so));
        loop {
            match server.handle_input(&mut server_in) {
                Ok(Some(Event::Authenticate(request))) => {
                    server_events.push(Ok(Event::Authenticate(request.clone())));
                    if let Err(e) = server.handle_verdict(verdict(&request)) {
                        server.report(&e);
                        server_events.push(Err(e));
                        break;
                    }
                }
                Ok(Some(event)) => server_events.push(Ok(event)),
                Ok(None) => break,
                Err(e) => {
                    server.report(&e);
                    server_events.push(Err(e));
                    break;
                }
            }
        }
        loop {
            match client.handle_input(&mut client_in) {
                Ok(Some(event)) => client_events.push(Ok(event)),
                Ok(None) => break,
                Err(e) => {
                    client_events.push(Err(e));
                    break;
                }
            }
        }
    }
    (client_events, server_events)
}

fn curve_sessions(server_keys: &CurveKeyPair, client_keys: &CurveKeyPair) -> (Session, Session) {
    curve_sessions_of(
        server_keys,
        client_keys,
        SocketType::Dealer,
        SocketType::Router,
    )
}

fn curve_sessions_of(
    server_keys: &CurveKeyPair,
    client_keys: &CurveKeyPair,
    client_type: SocketType,
    server_type: SocketType,
) -> (Session, Session) {
    let client_config = config(client_type);
    let client = Mechanism::curve_client(
        server_keys.public,
        client_keys.clone(),
        client_config.metadata(),
        Box::new(SeededEntropy::new(7)),
    )
    .unwrap();
    let server_config = config(server_type);
    let server = Mechanism::curve_server(
        server_keys.clone(),
        server_config.metadata(),
        Box::new(SeededEntropy::new(8)),
    );
    (
        Session::with_mechanism(client_config, client),
        Session::with_mechanism(server_config, server),
    )
}

fn keys(seed: u64) -> CurveKeyPair {
    CurveKeyPair::generate_with(&mut SeededEntropy::new(seed)).unwrap()
}

/// A CURVE client (XSUB) and server (XPUB) that completed their handshake.
fn curve_ready_pair() -> (Session, Session) {
    let (server_keys, client_keys) = (keys(1), keys(2));
    let (mut client, mut server) = curve_sessions_of(
        &server_keys,
        &client_keys,
        SocketType::XSub,
        SocketType::XPub,
    );
    let (seen_by_client, seen_by_server) =
        converse(&mut client, &mut server, |_| Verdict::allow("alice"));
    assert!(matches!(&seen_by_client[..], [Ok(Event::Ready(_))]));
    assert!(matches!(
        &seen_by_server[..],
        [Ok(Event::Authenticate(_)), Ok(Event::Ready(_))]
    ));
    (client, server)
}

#[test]
fn plain_greeting_announces_the_role_and_hello_follows() {
    let c = config(SocketType::Req);
    let mechanism = Mechanism::plain_client(b"admin", b"secret", c.metadata()).unwrap();
    let mut client = Session::with_mechanism(c, mechanism);
    let peer = peer_greeting(MechanismName::PLAIN, true);
    let mut bytes = flight(&mut client);
    let mut input = BytesMut::new();
    assert_eq!(feed_more(&mut client, &mut input, &peer[..11]), Ok(vec![]));
    bytes.extend(flight(&mut client));
    assert_eq!(&bytes[12..17], b"PLAIN");
    assert_eq!(bytes[32], 0, "a client announces as-server 0");
    assert_eq!(bytes.len(), 64, "HELLO waits for the server's greeting");
    assert_eq!(feed_more(&mut client, &mut input, &peer[11..]), Ok(vec![]));
    assert_eq!(flight(&mut client), b"\x04\x13\x05HELLO\x05admin\x06secret");

    let s = config(SocketType::Rep);
    let mut server = Session::with_mechanism(s.clone(), Mechanism::plain_server(s.metadata()));
    let mut bytes = flight(&mut server);
    feed(&mut server, &peer_greeting(MechanismName::PLAIN, false), 64).unwrap();
    bytes.extend(flight(&mut server));
    assert_eq!(bytes.len(), 64, "a server says nothing before HELLO");
    assert_eq!(bytes[32], 1);
}

#[test]
fn plain_sessions_authenticate_and_report_the_user_id() {
    let c = config(SocketType::Req);
    let s = config(SocketType::Rep);
    let mut client = Session::with_mechanism(
        c.clone(),
        Mechanism::plain_client(b"admin", b"secret", c.metadata()).unwrap(),
    );
    let mut server = Session::with_mechanism(s.clone(), Mechanism::plain_server(s.metadata()));
    let (seen_by_client, seen_by_server) = converse(&mut client, &mut server, |request| {
        assert_eq!(request.credentials, [&b"admin"[..], &b"secret"[..]]);
        let mut verdict = Verdict::allow("admin-user");
        verdict.metadata.insert("Department", "ops").unwrap();
        verdict
    });
    let [Ok(Event::Authenticate(_)), Ok(Event::Ready(peer))] = &seen_by_server[..] else {
        panic!("{seen_by_server:?}")
    };
    assert_eq!(peer.mechanism, MechanismName::PLAIN);
    assert_eq!(&peer.user_id[..], b"admin-user");
    assert_eq!(&peer.auth_metadata.get("Department").unwrap()[..], b"ops");
    assert_eq!(peer.socket_type, Some(SocketType::Req));
    assert!(matches!(&seen_by_client[..], [Ok(Event::Ready(p))] if p.user_id.is_empty()));

    // PLAIN traffic is clear: the NULL wire format.
    let wire = send(&mut client, &[Message::from("hi")]);
    assert_eq!(wire, b"\x00\x02hi");
    assert_eq!(
        feed(&mut server, &wire, 1).unwrap(),
        vec![Event::Message(Message::from("hi"))]
    );
}

#[test]
fn a_refused_plain_client_gets_the_status_code_in_an_error() {
    let c = config(SocketType::Req);
    let s = config(SocketType::Rep);
    let mut client = Session::with_mechanism(
        c.clone(),
        Mechanism::plain_client(b"admin", b"wrong", c.metadata()).unwrap(),
    );
    let mut server = Session::with_mechanism(s.clone(), Mechanism::plain_server(s.metadata()));
    let (seen_by_client, seen_by_server) = converse(&mut client, &mut server, |_| {
        Verdict::deny(400, "bad password")
    });
    assert!(matches!(
        seen_by_server.last(),
        Some(Err(ProtocolError::Mechanism(MechanismError::Refused {
            status_code: 400,
            ..
        })))
    ));
    assert_eq!(
        seen_by_client,
        [Err(ProtocolError::Mechanism(
            MechanismError::RefusedByPeer { status_code: 400 }
        ))]
    );
}

#[test]
fn curve_sessions_seal_messages_subscriptions_and_heartbeats() {
    let (mut client, mut server) = curve_ready_pair();
    let peer = server.peer().unwrap().clone();
    assert_eq!(peer.mechanism, MechanismName::CURVE);
    assert_eq!(peer.peer_key, Some(keys(2).public));
    assert_eq!(&peer.user_id[..], b"alice");

    let msgs = vec![
        Message::from("secret").with_more(true),
        Message::from(vec![3u8; 100_000]),
    ];
    let wire = send(&mut client, &msgs);
    assert!(
        !wire.windows(6).any(|w| w == b"secret"),
        "the body travels encrypted"
    );
    let got: Vec<Event> = feed(&mut server, &wire, 1000).unwrap();
    assert_eq!(
        got,
        msgs.iter().cloned().map(Event::Message).collect::<Vec<_>>()
    );

    // Commands travel inside MESSAGE boxes too, sealed in the order they go out.
    client.ping(10, b"ctx");
    let wire = send(&mut client, &[Message::from("before ping")]);
    assert!(!wire.windows(4).any(|w| w == b"PING"));
    assert_eq!(
        feed(&mut server, &wire, 7).unwrap(),
        vec![
            Event::Message(Message::from("before ping")),
            Event::Ping {
                ttl_deciseconds: 10
            },
        ]
    );
    let pong = send(&mut server, &[Message::from("news")]);
    assert_eq!(
        feed(&mut client, &pong, 3).unwrap(),
        vec![Event::Message(Message::from("news")), Event::Pong]
    );
    let subscription = send(&mut client, &[Message::subscription(b"topic", true)]);
    assert!(!subscription.windows(9).any(|w| w == b"SUBSCRIBE"));
    assert_eq!(
        feed(&mut server, &subscription, 3).unwrap(),
        vec![Event::Message(Message::subscription(b"topic", true))]
    );
}

#[test]
fn a_tampered_curve_message_ends_the_session() {
    let (mut client, mut server) = curve_ready_pair();
    let mut wire = send(&mut client, &[Message::from("pay 10 euros")]);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    assert_eq!(
        feed(&mut server, &wire, 100),
        Err(ProtocolError::Mechanism(MechanismError::BoxNotOpened {
            what: "MESSAGE"
        }))
    );
}

#[test]
fn curve_message_size_limit_applies_to_the_part_not_the_box() {
    let (server_keys, client_keys) = (keys(1), keys(2));
    let client_config = config(SocketType::Push);
    let mut client = Session::with_mechanism(
        client_config.clone(),
        Mechanism::curve_client(
            server_keys.public,
            client_keys,
            client_config.metadata(),
            Box::new(SeededEntropy::new(7)),
        )
        .unwrap(),
    );
    let server_config = SessionConfig {
        max_message_size: Some(10),
        max_message_parts: None,
        max_multipart_size: None,
        ..config(SocketType::Pull)
    };
    let mut server = Session::with_mechanism(
        server_config.clone(),
        Mechanism::curve_server(
            server_keys,
            server_config.metadata(),
            Box::new(SeededEntropy::new(8)),
        ),
    );
    converse(&mut client, &mut server, |_| Verdict::allow(""));
    assert!(server.is_ready());
    let wire = send(&mut client, &[Message::from(vec![0u8; 10])]);
    assert_eq!(feed(&mut server, &wire, 100).unwrap().len(), 1);
    let wire = send(&mut client, &[Message::from(vec![0u8; 11])]);
    assert_eq!(
        feed(&mut server, &wire, 100),
        Err(ProtocolError::FrameTooLarge { len: 11, max: 10 })
    );
}

#[test]
fn curve_message_parts_are_counted_once_opened() {
    let (server_keys, client_keys) = (keys(1), keys(2));
    let (mut client, _) = curve_sessions_of(
        &server_keys,
        &client_keys,
        SocketType::Push,
        SocketType::Pull,
    );
    let server_config = SessionConfig {
        max_message_parts: Some(2),
        ..config(SocketType::Pull)
    };
    let mut server = Session::with_mechanism(
        server_config.clone(),
        Mechanism::curve_server(
            server_keys,
            server_config.metadata(),
            Box::new(SeededEntropy::new(8)),
        ),
    );
    converse(&mut client, &mut server, |_| Verdict::allow(""));
    let parts = [
        Message::from("a").with_more(true),
        Message::from("b").with_more(true),
        Message::from("c"),
    ];
    let wire = send(&mut client, &parts);
    assert_eq!(
        feed(&mut server, &wire, 100),
        Err(ProtocolError::TooManyParts { max: 2 })
    );
}

#[test]
fn curve_unsent_messages_are_recovered_in_clear() {
    let (mut client, _) = curve_ready_pair();
    let mut out = Outbox::new();
    out.start_traffic();
    let msgs = [
        Message::from("first"),
        Message::subscription(b"news", true),
        Message::from("second-a").with_more(true),
        Message::from(vec![5u8; 40_000]),
    ];
    for m in &msgs {
        client.encode(m, &mut out).unwrap();
    }
    client.ping(0, b"");
    client.poll_transmit(&mut out);
    // Only the first message went out whole.
    out.advance(2 + 8 + 8 + 16 + 1 + 5 + 3);
    let recovered = client.recover_unsent(out.take_unsent_traffic());
    assert_eq!(recovered, msgs[1..].to_vec());
}

#[test]
fn a_client_with_the_wrong_server_key_never_gets_ready() {
    let (server_keys, client_keys) = (keys(1), keys(2));
    // The client expects the key of another server.
    let (mut client, _) = curve_sessions(&keys(3), &client_keys);
    let (_, mut server) = curve_sessions(&server_keys, &client_keys);
    let (seen_by_client, seen_by_server) =
        converse(&mut client, &mut server, |_| Verdict::allow(""));
    assert!(seen_by_client.is_empty());
    assert!(matches!(
        &seen_by_server[..],
        [Err(ProtocolError::Mechanism(
            MechanismError::BoxNotOpened { what: "HELLO" }
        ))]
    ));
}
