//! RADIO and DISH (RFC 48): groups joined by exact name, over tcp, inproc and udp, and the
//! bytes on the wire — JOIN/LEAVE commands and group frames over ZMTP (RFC 37), one
//! datagram per message over udp. libzmq's build has no draft API, so the wire formats are
//! checked against the RFC layouts with raw peers instead of libzmq.

mod common;

use common::{frame, RawFrame, RawPeer, FLAG_COMMAND, FLAG_MORE, TIMEOUT};
use ferrozmq::{Context, Error, EventKind, EventSet, Socket, SocketType, DISH, PUB, RADIO, SERVER};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

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

/// Binds `s` on `transport` and returns the endpoint to connect to.
fn bind(s: &Socket, transport: &str, name: &str) -> String {
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_string(),
        "udp" => "udp://127.0.0.1:*".to_string(),
        _ => format!("inproc://radio-dish-{name}"),
    };
    s.bind(&endpoint).expect("bind");
    s.last_endpoint().expect("utf8")
}

/// Sends to `group` until the dish receives, so that its join has reached the radio (joins
/// travel on their own; a message sent before is, rightly, not for the dish).
fn await_join(radio: &Socket, dish: &Socket, group: &str) {
    let deadline = Instant::now() + TIMEOUT;
    dish.options()
        .set_rcvtimeo(Some(Duration::from_millis(20)))
        .expect("rcvtimeo");
    loop {
        radio.send_group(group, "sync").expect("send sync");
        match dish.recv_group() {
            Ok((got, _)) => {
                assert_eq!(got, group, "only the joined group arrives");
                break;
            }
            Err(Error::Again) => assert!(Instant::now() < deadline, "join of {group} never took"),
            Err(e) => panic!("recv: {e}"),
        }
    }
    dish.options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .expect("rcvtimeo");
    // Later syncs may be on their way still; messages from one radio keep their order, so
    // they are all in before this marker.
    radio.send_group(group, "end of sync").expect("send marker");
    while recv_text(dish) != pair(group, "end of sync") {}
}

fn recv_text(dish: &Socket) -> (String, String) {
    let (group, msg) = dish.recv_group().expect("recv_group");
    (group, String::from_utf8(msg.to_vec()).expect("utf8"))
}

fn pair(group: &str, body: &str) -> (String, String) {
    (group.to_string(), body.to_string())
}

fn assert_nothing_more(dish: &Socket) {
    assert!(
        matches!(dish.try_recv_group(), Err(Error::Again)),
        "no other message"
    );
}

#[test]
fn a_dish_receives_the_groups_it_joined_until_it_leaves() {
    for (transport, radio_binds) in [
        ("tcp", true),
        ("tcp", false),
        ("inproc", true),
        ("inproc", false),
    ] {
        let ctx = Context::new();
        let radio = socket(&ctx, RADIO);
        let dish = socket(&ctx, DISH);
        dish.join("news").expect("join news");
        let (binder, connecter) = if radio_binds {
            (&radio, &dish)
        } else {
            (&dish, &radio)
        };
        let endpoint = bind(binder, transport, &format!("join-leave-{radio_binds}"));
        connecter.connect(&endpoint).expect("connect");
        await_join(&radio, &dish, "news");
        dish.join("sport").expect("join sport");
        await_join(&radio, &dish, "sport");

        radio.send_group("weather", "not joined").expect("send");
        radio.send_group("news", "first").expect("send");
        radio.send_group("sport", "second").expect("send");
        assert_eq!(recv_text(&dish), pair("news", "first"), "{transport}");
        assert_eq!(recv_text(&dish), pair("sport", "second"), "{transport}");

        // The dish stops taking the group at once, whatever the radio has not heard yet.
        dish.leave("news").expect("leave");
        radio.send_group("news", "after leaving").expect("send");
        radio.send_group("sport", "still joined").expect("send");
        let body = dish.recv().expect("recv_msg gives the body alone");
        assert_eq!(&body[..], b"still joined", "{transport}");
        assert_nothing_more(&dish);
    }
}

#[test]
fn groups_match_exactly_not_by_prefix() {
    for transport in ["tcp", "inproc"] {
        let ctx = Context::new();
        let radio = socket(&ctx, RADIO);
        let endpoint = bind(&radio, transport, "exact");
        let dish = socket(&ctx, DISH);
        dish.join("a").expect("join");
        dish.connect(&endpoint).expect("connect");
        await_join(&radio, &dish, "a");

        for group in ["ab", "A", "aa", "b"] {
            radio.send_group(group, "wrong group").expect("send");
        }
        radio.send_group("a", "right group").expect("send");
        assert_eq!(recv_text(&dish), pair("a", "right group"), "{transport}");
        assert_nothing_more(&dish);
    }
}

#[test]
fn every_dish_gets_the_groups_it_joined() {
    for transport in ["tcp", "inproc"] {
        let ctx = Context::new();
        let radio = socket(&ctx, RADIO);
        let endpoint = bind(&radio, transport, "many");
        let memberships: [&[&str]; 3] = [&["x"], &["x", "y"], &["y"]];
        let dishes: Vec<Socket> = memberships
            .iter()
            .enumerate()
            .map(|(i, groups)| {
                let dish = socket(&ctx, DISH);
                for group in *groups {
                    dish.join(group).expect("join");
                }
                dish.join(&format!("marker {i}")).expect("join");
                dish.connect(&endpoint).expect("connect");
                for group in *groups {
                    await_join(&radio, &dish, group);
                }
                await_join(&radio, &dish, &format!("marker {i}"));
                dish
            })
            .collect();
        // Syncs for one dish reached the others that joined the same group: a marker after
        // them (messages from one radio keep their order) shows where they end.
        for (i, dish) in dishes.iter().enumerate() {
            radio
                .send_group(&format!("marker {i}"), "end")
                .expect("send");
            while recv_text(dish) != pair(&format!("marker {i}"), "end") {}
        }
        radio.send_group("x", "for x").expect("send");
        radio.send_group("y", "for y").expect("send");
        for (dish, groups) in dishes.iter().zip(memberships) {
            for group in groups {
                assert_eq!(recv_text(dish), pair(group, &format!("for {group}")));
            }
            assert_nothing_more(dish);
        }
    }
}

#[test]
fn a_dish_joins_again_when_its_radio_comes_back() {
    let endpoint = common::Transport::Tcp.fixed_endpoint();
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    dish.join("g").expect("join");
    dish.connect(&endpoint).expect("connect");
    {
        let radio = socket(&ctx, RADIO);
        radio.bind(&endpoint).expect("bind");
        await_join(&radio, &dish, "g");
    }
    // A join made while no radio is there reaches the next one too.
    dish.join("h").expect("join while disconnected");
    let radio = socket(&ctx, RADIO);
    let deadline = Instant::now() + TIMEOUT;
    while let Err(e) = radio.bind(&endpoint) {
        assert!(Instant::now() < deadline, "rebind: {e}");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Only the dish's connection re-sends its joins: nothing else tells the new radio.
    await_join(&radio, &dish, "g");
    await_join(&radio, &dish, "h");
}

#[test]
fn radio_and_dish_refuse_what_they_cannot_do() {
    let ctx = Context::new();
    let radio = socket(&ctx, RADIO);
    let dish = socket(&ctx, DISH);
    let invalid = |r: ferrozmq::Result<()>| matches!(r, Err(Error::InvalidArgument(_)));

    assert!(invalid(radio.send("no group")), "RADIO sends to a group");
    // Groups take single-part messages: send_group has no way to say more parts follow.
    assert!(matches!(radio.try_recv(), Err(Error::NotSupported)));
    assert!(matches!(dish.send("x"), Err(Error::NotSupported)));
    assert!(matches!(
        socket(&ctx, PUB).send_group("g", "x"),
        Err(Error::NotSupported)
    ));
    assert!(matches!(
        socket(&ctx, SERVER).try_recv_group(),
        Err(Error::NotSupported)
    ));
    assert!(matches!(dish.try_recv_from(), Err(Error::NotSupported)));

    let too_long = "g".repeat(256);
    for group in ["", too_long.as_str(), "nul\0inside"] {
        assert!(invalid(dish.join(group)), "{group:?}");
        assert!(invalid(radio.send_group(group, "x")), "{group:?}");
    }
    dish.join(&"g".repeat(255)).expect("255 bytes is a group");
    dish.join("once").expect("join");
    assert!(invalid(dish.join("once")), "joining twice is EINVAL");
    dish.leave("once").expect("leave");
    assert!(
        invalid(dish.leave("once")),
        "leaving a group not joined is EINVAL"
    );
    assert!(matches!(
        socket(&ctx, PUB).join("g"),
        Err(Error::NotSupported)
    ));

    // As in libzmq, udp is for a RADIO to connect and a DISH to bind.
    let refused = |r: ferrozmq::Result<()>| matches!(r, Err(Error::ProtocolNotSupported(_)));
    assert!(refused(radio.bind("udp://127.0.0.1:*").map(drop)));
    assert!(refused(dish.connect("udp://127.0.0.1:5555")));
    assert!(refused(socket(&ctx, PUB).connect("udp://127.0.0.1:5555")));
    assert!(refused(
        socket(&ctx, SERVER).bind("udp://127.0.0.1:*").map(drop)
    ));
}

/// Lets `dish` take its new connection, and so send its joins (a socket attaches new pipes
/// when its owner calls it, as libzmq's do), until the raw peer has bytes to read.
fn until_readable(dish: &Socket, raw: &RawPeer) {
    let deadline = Instant::now() + TIMEOUT;
    raw.stream
        .set_read_timeout(Some(Duration::from_millis(10)))
        .expect("read timeout");
    let mut probe = [0u8; 1];
    loop {
        let _ = dish.try_recv_group();
        if raw.stream.peek(&mut probe).is_ok_and(|n| n > 0) {
            break;
        }
        assert!(Instant::now() < deadline, "the dish sent nothing");
    }
    raw.stream
        .set_read_timeout(Some(TIMEOUT))
        .expect("read timeout");
}

/// A raw peer speaking ZMTP 3.1 as `socket_type`, connected to `endpoint`.
fn raw_peer(endpoint: &str, socket_type: &str) -> RawPeer {
    let mut peer = RawPeer::connect(endpoint);
    peer.handshake(socket_type, 1);
    peer
}

fn command(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    frame(FLAG_COMMAND, &body)
}

#[test]
fn a_dish_says_join_and_leave_as_rfc_37_commands() {
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    dish.join("weather").expect("join before the connection");
    let endpoint = bind(&dish, "tcp", "");
    let mut radio = raw_peer(&endpoint, "RADIO");
    until_readable(&dish, &radio);
    // Byte for byte: command flags, size, name length, name, group.
    assert_eq!(radio.read_exact(14), b"\x04\x0c\x04JOINweather");
    dish.join("traffic").expect("join");
    assert_eq!(
        radio.read_frame(),
        RawFrame {
            flags: FLAG_COMMAND,
            body: b"\x04JOINtraffic".to_vec()
        }
    );
    dish.leave("weather").expect("leave");
    assert_eq!(radio.read_exact(15), b"\x04\x0d\x05LEAVEweather");
}

#[test]
fn a_radio_sends_a_group_frame_then_the_body_to_joined_dishes_only() {
    let ctx = Context::new();
    let radio = socket(&ctx, RADIO);
    let endpoint = bind(&radio, "tcp", "");
    let mut dish = raw_peer(&endpoint, "DISH");
    dish.write(&command("JOIN", b"weather"));
    let deadline = Instant::now() + TIMEOUT;
    let first = loop {
        radio.send_group("weatherman", "prefix only").expect("send");
        radio.send_group("weather", "sunny").expect("send");
        if let Some(frame) = dish.poll_frame(Duration::from_millis(20)) {
            break frame;
        }
        assert!(Instant::now() < deadline, "the radio never took the JOIN");
    };
    assert_eq!(
        first,
        RawFrame {
            flags: FLAG_MORE,
            body: b"weather".to_vec()
        }
    );
    assert_eq!(
        dish.read_frame(),
        RawFrame {
            flags: 0,
            body: b"sunny".to_vec()
        }
    );
    // After a LEAVE the radio sends the group no more.
    dish.write(&command("LEAVE", b"weather"));
    dish.write(&command("JOIN", b"marker"));
    let deadline = Instant::now() + TIMEOUT;
    loop {
        radio.send_group("weather", "sunny").expect("send");
        radio.send_group("marker", "m").expect("send");
        assert!(Instant::now() < deadline, "the radio never took the LEAVE");
        let Some(frame) = dish.poll_frame(Duration::from_millis(20)) else {
            continue;
        };
        if frame.body == b"marker" {
            break;
        }
        assert_eq!(frame.body, b"weather", "only sent before the LEAVE took");
        assert_eq!(dish.read_frame().body, b"sunny");
    }
}

#[test]
fn a_dish_drops_what_is_not_a_group_and_a_single_body() {
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    dish.join("g").expect("join");
    let endpoint = bind(&dish, "tcp", "");
    let mut radio = raw_peer(&endpoint, "RADIO");
    until_readable(&dish, &radio);
    assert_eq!(radio.read_frame().body, b"\x04JOINg");

    let mut bytes = Vec::new();
    // A body in two parts: the thread-safe types take single parts only.
    bytes.extend(frame(FLAG_MORE, b"g"));
    bytes.extend(frame(FLAG_MORE, b"multi"));
    bytes.extend(frame(0, b"part"));
    // A lone part carries no group.
    bytes.extend(frame(0, b"g"));
    // A group not joined.
    bytes.extend(frame(FLAG_MORE, b"other"));
    bytes.extend(frame(0, b"body"));
    bytes.extend(frame(FLAG_MORE, b"g"));
    bytes.extend(frame(0, b"valid"));
    radio.write(&bytes);
    assert_eq!(recv_text(&dish), pair("g", "valid"));
    assert_nothing_more(&dish);
}

// ---- udp ----

#[test]
fn over_udp_a_dish_keeps_the_groups_it_joined() {
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    dish.join("a").expect("join");
    let endpoint = bind(&dish, "udp", "");
    assert!(
        endpoint.starts_with("udp://127.0.0.1:") && !endpoint.ends_with(":0"),
        "{endpoint}"
    );
    let radio = socket(&ctx, RADIO);
    radio.connect(&endpoint).expect("connect");
    radio.send_group("b", "not joined").expect("send");
    radio.send_group("a", "joined").expect("send");
    radio.send_group("ab", "not joined either").expect("send");
    radio.send_group("a", "joined again").expect("send");
    assert_eq!(recv_text(&dish), pair("a", "joined"));
    assert_eq!(recv_text(&dish), pair("a", "joined again"));
    assert_nothing_more(&dish);

    // The port is free again once unbound.
    dish.unbind(&endpoint).expect("unbind");
    dish.bind(&endpoint).expect("bind again");
}

#[test]
fn over_udp_a_dish_survives_garbage_datagrams() {
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    dish.join("a").expect("join");
    let endpoint = bind(&dish, "udp", "");
    let address = endpoint.strip_prefix("udp://").expect("udp endpoint");
    let raw = UdpSocket::bind("127.0.0.1:0").expect("raw udp");

    let mut oversize = vec![b'x'; 64 * 1024 - 100];
    oversize[..2].copy_from_slice(b"\x01a");
    let mut just_over = vec![b'y'; 8193];
    just_over[..2].copy_from_slice(b"\x01a");
    let garbage: [&[u8]; 5] = [b"", b"\x05abc", b"\xff", &oversize, &just_over];
    for datagram in garbage {
        raw.send_to(datagram, address).expect("send garbage");
    }
    raw.send_to(b"\x01aok", address).expect("send valid");
    assert_eq!(recv_text(&dish), pair("a", "ok"));

    let mut largest = vec![b'z'; 8192];
    largest[..2].copy_from_slice(b"\x01a");
    raw.send_to(&largest, address).expect("send the largest");
    let (group, body) = dish.recv_group().expect("8 KiB in all is accepted");
    assert_eq!((group.as_str(), body.len()), ("a", 8190));
    assert_nothing_more(&dish);
}

#[test]
fn over_udp_a_radio_sends_one_datagram_per_message() {
    let ctx = Context::new();
    let capture = UdpSocket::bind("127.0.0.1:0").expect("capture socket");
    capture
        .set_read_timeout(Some(TIMEOUT))
        .expect("read timeout");
    let port = capture.local_addr().expect("address").port();
    let radio = socket(&ctx, RADIO);
    radio
        .connect(&format!("udp://127.0.0.1:{port}"))
        .expect("connect");

    // Larger than a datagram may be: dropped whole.
    radio
        .send_group("weather", vec![0u8; 8192])
        .expect("oversize send");
    radio.send_group("weather", "sunny").expect("send");
    radio.send_group("traffic", "").expect("send");
    let mut buf = [0u8; 65536];
    let n = capture.recv(&mut buf).expect("first datagram");
    assert_eq!(&buf[..n], b"\x07weathersunny", "length, group, body");
    let n = capture.recv(&mut buf).expect("second datagram");
    assert_eq!(&buf[..n], b"\x07traffic", "every group goes to a udp peer");
}

#[test]
fn a_udp_bind_is_reported_as_listening() {
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    let mut events = dish.monitor(EventSet::ALL).expect("monitor");
    let endpoint = bind(&dish, "udp", "");
    let listening = events.recv_timeout(Duration::from_secs(5)).expect("event");
    assert_eq!(listening.kind(), EventKind::Listening);
    assert_eq!(listening.endpoint(), endpoint);
    dish.unbind(&endpoint).expect("unbind");
    let closed = events.recv_timeout(Duration::from_secs(5)).expect("event");
    assert_eq!(closed.kind(), EventKind::Closed);
}

/// Whether this host delivers multicast on `group` to itself; containers often do not.
fn multicast_works(group: std::net::Ipv4Addr) -> bool {
    let Ok(receiver) = UdpSocket::bind("0.0.0.0:0") else {
        return false;
    };
    let Ok(port) = receiver.local_addr().map(|a| a.port()) else {
        return false;
    };
    if receiver
        .join_multicast_v4(&group, &std::net::Ipv4Addr::UNSPECIFIED)
        .is_err()
    {
        return false;
    }
    let _ = receiver.set_read_timeout(Some(Duration::from_millis(500)));
    let Ok(sender) = UdpSocket::bind("0.0.0.0:0") else {
        return false;
    };
    if sender.send_to(b"probe", (group, port)).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(receiver.recv(&mut buf), Ok(5))
}

#[test]
fn over_udp_multicast_dishes_on_one_host_share_the_group_address() {
    let group = std::net::Ipv4Addr::new(239, 192, 48, 48);
    if !multicast_works(group) {
        eprintln!("skipped: this host does not deliver multicast to itself");
        return;
    }
    let port = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.local_addr())
        .expect("probe a free port")
        .port();
    let endpoint = format!("udp://{group}:{port}");
    let ctx = Context::new();
    let news = socket(&ctx, DISH);
    news.join("news").expect("join");
    news.bind(&endpoint).expect("bind the group");
    let sport = socket(&ctx, DISH);
    sport.join("sport").expect("join");
    sport
        .bind(&endpoint)
        .expect("a second member binds the same group");
    assert_eq!(news.last_endpoint().expect("utf8"), endpoint);

    let radio = socket(&ctx, RADIO);
    radio.connect(&endpoint).expect("connect");
    radio.send_group("news", "headline").expect("send");
    radio.send_group("sport", "score").expect("send");
    assert_eq!(recv_text(&news), pair("news", "headline"));
    assert_eq!(recv_text(&sport), pair("sport", "score"));
    assert_nothing_more(&news);
    assert_nothing_more(&sport);
}

#[test]
fn a_radio_without_multicast_loop_is_not_heard_on_its_own_host() {
    let group = std::net::Ipv4Addr::new(239, 192, 48, 49);
    if !multicast_works(group) {
        eprintln!("skipped: this host does not deliver multicast to itself");
        return;
    }
    let port = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.local_addr())
        .expect("probe a free port")
        .port();
    let endpoint = format!("udp://{group}:{port}");
    let ctx = Context::new();
    let dish = socket(&ctx, DISH);
    dish.join("g").expect("join");
    dish.bind(&endpoint).expect("bind the group");

    let quiet = socket(&ctx, RADIO);
    quiet.options().set_multicast_loop(false).expect("loop off");
    quiet.connect(&endpoint).expect("connect");
    quiet.send_group("g", "unheard").expect("send");
    // The same datagram from a RADIO with the loop on (the default) is heard, so the
    // silence before it is the option's doing, not a lost packet.
    let loud = socket(&ctx, RADIO);
    loud.connect(&endpoint).expect("connect");
    loud.send_group("g", "heard").expect("send");
    assert_eq!(recv_text(&dish), pair("g", "heard"));
    assert_nothing_more(&dish);
}
