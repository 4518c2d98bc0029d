//! The ws:// transport (ZWS 2.0, RFC 45) over real sockets: ferrozmq on both ends (NULL
//! and CURVE), and hostile clients written by hand, each of which costs only its own
//! connection.

mod common;

use ferrozmq::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn bind(socket: &Socket) -> String {
    let endpoint = socket.bind("ws://127.0.0.1:*/zmq").unwrap();
    assert!(endpoint.starts_with("ws://127.0.0.1:"), "{endpoint}");
    assert!(endpoint.ends_with("/zmq"), "{endpoint}");
    endpoint
}

fn timeout(socket: &Socket) {
    socket
        .options()
        .set_rcvtimeo(Some(Duration::from_secs(10)))
        .unwrap();
}

#[test]
fn req_rep_over_ws() {
    let ctx = Context::new();
    let rep = ctx.socket(REP).unwrap();
    let endpoint = bind(&rep);
    let req = ctx.socket(REQ).unwrap();
    timeout(&req);
    timeout(&rep);
    req.connect(&endpoint).unwrap();
    for i in 0..5 {
        req.send(format!("request {i}").as_str()).unwrap();
        assert_eq!(rep.recv().unwrap(), format!("request {i}").as_str());
        rep.send("reply").unwrap();
        assert_eq!(req.recv().unwrap(), "reply");
    }
}

#[test]
fn pub_sub_over_ws_filters() {
    let ctx = Context::new();
    let publisher = ctx.socket(PUB).unwrap();
    let endpoint = bind(&publisher);
    let sub = ctx.socket(SUB).unwrap();
    sub.options()
        .set_rcvtimeo(Some(Duration::from_millis(100)))
        .unwrap();
    sub.connect(&endpoint).unwrap();
    sub.subscribe(b"A").unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < 3 && Instant::now() < deadline {
        publisher.send("B-no").unwrap();
        publisher.send("A-yes").unwrap();
        if let Ok(m) = sub.recv() {
            got.push(m.as_str().unwrap().to_string());
        }
    }
    assert_eq!(got, ["A-yes"; 3]);
}

/// RFC 45's ZWS 2.0 without a mechanism, the only subprotocol a browser can offer (a
/// subprotocol must be an HTTP token; `ZWS2.0/NULL` is not one): identity first, then a
/// subscription message, filtered at the publisher. Written by hand, masked as a client must.
#[test]
fn a_client_without_a_mechanism_subscribes_as_a_browser_does() {
    let ctx = Context::new();
    let publisher = ctx.socket(XPUB).unwrap();
    timeout(&publisher);
    let endpoint = bind(&publisher);
    let mut stream = raw_client(&endpoint);
    stream
        .write_all(request(Some("ZWS2.0")).as_bytes())
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(
        head.contains("Sec-WebSocket-Protocol: ZWS2.0\r\n"),
        "{head}"
    );
    let mask = [0x12, 0x34, 0x56, 0x78];
    for payload in [&b"\x00"[..], b"\x00\x01A"] {
        let mut frame = vec![0x82, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        stream.write_all(&frame).unwrap();
    }
    assert_eq!(publisher.recv().unwrap(), b"\x01A"[..]);
    publisher.send("B-no").unwrap();
    publisher.send("A-yes").unwrap();
    // The server's (empty) identity, then the one matching message.
    let mut got = [0u8; 11];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(got, *b"\x82\x01\x00\x82\x06\x00A-yes");
}

/// Many messages, some longer than a WebSocket short length (125), some than its 16-bit
/// one, with many parts: in order and whole, through partial writes.
#[test]
fn push_pull_over_ws_keeps_order_and_sizes() {
    // Up to SNDHWM messages of up to 300 kB wait in the pipe when the receiver lags (a
    // loaded machine): tens of MiB, which the memory-measuring test must not see.
    let _memory = large_memory();
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    timeout(&pull);
    let endpoint = bind(&pull);
    let push = ctx.socket(PUSH).unwrap();
    push.connect(&endpoint).unwrap();
    drop(common::stream_sized_parts(
        push,
        &pull,
        &[0usize, 1, 125, 126, 65_535, 65_536, 300_000],
        2000,
    ));
}

#[test]
fn dealer_router_and_pair_over_ws() {
    let ctx = Context::new();
    let router = ctx.socket(ROUTER).unwrap();
    timeout(&router);
    let endpoint = bind(&router);
    let dealer = ctx.socket(DEALER).unwrap();
    timeout(&dealer);
    dealer.options().set_routing_id(b"d1").unwrap();
    dealer.connect(&endpoint).unwrap();
    dealer.send("hi").unwrap();
    let parts = router.recv_multipart().unwrap();
    assert_eq!(&parts[0][..], b"d1");
    assert_eq!(&parts[1][..], b"hi");
    router.send_multipart([&b"d1"[..], b"back"]).unwrap();
    assert_eq!(dealer.recv().unwrap(), "back");

    let a = ctx.socket(PAIR).unwrap();
    let b = ctx.socket(PAIR).unwrap();
    timeout(&b);
    b.connect(&bind(&a)).unwrap();
    a.send("pair").unwrap();
    assert_eq!(b.recv().unwrap(), "pair");
}

#[test]
fn curve_over_ws() {
    use zmtp::curve_keys::CurveKeyPair;
    let ctx = Context::new();
    let server = CurveKeyPair::generate().unwrap();
    let client = CurveKeyPair::generate().unwrap();
    let rep = ctx.socket(REP).unwrap();
    rep.options().set_curve_server(true).unwrap();
    rep.options()
        .set_curve_secretkey(server.secret.as_bytes())
        .unwrap();
    timeout(&rep);
    let endpoint = bind(&rep);
    let req = ctx.socket(REQ).unwrap();
    req.options()
        .set_curve_serverkey(server.public.as_bytes())
        .unwrap();
    req.options()
        .set_curve_publickey(client.public.as_bytes())
        .unwrap();
    req.options()
        .set_curve_secretkey(client.secret.as_bytes())
        .unwrap();
    timeout(&req);
    req.connect(&endpoint).unwrap();
    req.send("curve").unwrap();
    assert_eq!(rep.recv().unwrap(), "curve");
    rep.send("ok").unwrap();
    assert_eq!(req.recv().unwrap(), "ok");
}

/// A ZAP handler (RFC 27) on `ctx` that lets in the PLAIN user `admin` with password
/// `secret` and refuses anyone else; ends when `ctx`'s sockets are closed.
fn plain_zap_handler(ctx: &Context) -> std::thread::JoinHandle<()> {
    let handler = ctx.socket(REP).unwrap();
    handler.bind("inproc://zeromq.zap.01").unwrap();
    handler
        .options()
        .set_rcvtimeo(Some(Duration::from_secs(20)))
        .unwrap();
    handler.options().set_linger(Some(Duration::ZERO)).unwrap();
    std::thread::spawn(move || {
        while let Ok(request) = handler.recv_multipart() {
            let parts: Vec<Vec<u8>> = request.iter().map(|p| p.to_vec()).collect();
            // version, request id, domain, address, identity, mechanism, user, password
            let welcome = parts[5] == b"PLAIN" && parts[6] == b"admin" && parts[7] == b"secret";
            let (code, user) = if welcome {
                ("200", "admin")
            } else {
                ("400", "")
            };
            let reply: [&[u8]; 6] = [
                b"1.0",
                &parts[1],
                code.as_bytes(),
                b"",
                user.as_bytes(),
                b"",
            ];
            if handler.send_multipart(reply).is_err() {
                break;
            }
        }
    })
}

#[test]
fn plain_over_ws() {
    let ctx = Context::new();
    let _handler = plain_zap_handler(&ctx);
    let rep = ctx.socket(REP).unwrap();
    rep.options().set_plain_server(true).unwrap();
    rep.options().set_linger(Some(Duration::ZERO)).unwrap();
    timeout(&rep);
    let endpoint = bind(&rep);
    let req = ctx.socket(REQ).unwrap();
    req.options().set_plain_username(Some("admin")).unwrap();
    req.options().set_plain_password(Some("secret")).unwrap();
    req.options().set_linger(Some(Duration::ZERO)).unwrap();
    timeout(&req);
    req.connect(&endpoint).unwrap();
    req.send("plain").unwrap();
    let (request, properties) = rep.recv_with_properties().unwrap();
    assert_eq!(request, "plain");
    assert_eq!(properties.user_id(), Some("admin"));
    rep.send("ok").unwrap();
    assert_eq!(req.recv().unwrap(), "ok");
}

/// Without a ZAP handler a PLAIN server lets no one in, over ws as over tcp (libzmq 4.3
/// does the same): the handshake fails at once, it does not hang.
#[test]
fn plain_over_ws_without_a_zap_handler_is_refused() {
    const EFAULT: u32 = 14;
    let ctx = Context::new();
    let rep = ctx.socket(REP).unwrap();
    rep.options().set_plain_server(true).unwrap();
    rep.options().set_linger(Some(Duration::ZERO)).unwrap();
    let mut events = rep.monitor(EventSet::ALL).unwrap();
    let endpoint = bind(&rep);
    let req = ctx.socket(REQ).unwrap();
    req.options().set_plain_username(Some("admin")).unwrap();
    req.options().set_plain_password(Some("secret")).unwrap();
    req.options().set_linger(Some(Duration::ZERO)).unwrap();
    req.connect(&endpoint).unwrap();
    let failure = loop {
        let event = events
            .recv_timeout(Duration::from_secs(10))
            .expect("the handshake's end within 10 s");
        assert_ne!(event.kind(), EventKind::HandshakeSucceeded);
        if event.kind() == EventKind::HandshakeFailedNoDetail {
            break event;
        }
    };
    assert_eq!(failure.value(), EFAULT);
}

/// A client whose mechanism the server does not speak is refused at the upgrade (no
/// common subprotocol): nothing gets through, and neither side hangs.
#[test]
fn a_mechanism_the_server_does_not_speak_is_refused() {
    use zmtp::curve_keys::CurveKeyPair;
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    pull.options().set_linger(Some(Duration::ZERO)).unwrap();
    pull.options()
        .set_rcvtimeo(Some(Duration::from_millis(500)))
        .unwrap();
    let endpoint = bind(&pull);
    let server_events = pull.monitor(EventSet::ALL).unwrap();
    let push = ctx.socket(PUSH).unwrap();
    let keys = CurveKeyPair::generate().unwrap();
    let client = CurveKeyPair::generate().unwrap();
    push.options().set_linger(Some(Duration::ZERO)).unwrap();
    push.options()
        .set_curve_serverkey(keys.public.as_bytes())
        .unwrap();
    push.options()
        .set_curve_publickey(client.public.as_bytes())
        .unwrap();
    push.options()
        .set_curve_secretkey(client.secret.as_bytes())
        .unwrap();
    let client_events = push.monitor(EventSet::ALL).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("must not arrive").unwrap();
    assert_eq!(pull.recv().map(|m| m.to_vec()).err(), Some(Error::Again));
    // The client retries: what each side saw in a second is enough.
    let kinds = |mut monitor: Monitor| {
        let until = Instant::now() + Duration::from_secs(1);
        let mut kinds = Vec::new();
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match monitor.recv_timeout(left) {
                Ok(event) => kinds.push(event.kind()),
                Err(_) => break,
            }
        }
        kinds
    };
    let server = kinds(server_events);
    let client = kinds(client_events);
    assert!(server.contains(&EventKind::Accepted), "{server:?}");
    assert!(
        !server.contains(&EventKind::HandshakeSucceeded),
        "{server:?}"
    );
    assert!(client.contains(&EventKind::Connected), "{client:?}");
    assert!(
        !client.contains(&EventKind::HandshakeSucceeded),
        "{client:?}"
    );
    assert!(
        client.contains(&EventKind::HandshakeFailedNoDetail),
        "{client:?}"
    );
    assert!(client.contains(&EventKind::Disconnected), "{client:?}");
}

// ---- hostile clients: each costs its own connection only ----

fn request(protocol: Option<&str>) -> String {
    let protocol = protocol.map_or(String::new(), |p| {
        format!("Sec-WebSocket-Protocol: {p}\r\n")
    });
    format!(
        "GET /zmq HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{protocol}\r\n"
    )
}

fn raw_client(endpoint: &str) -> TcpStream {
    let address = endpoint
        .trim_start_matches("ws://")
        .trim_end_matches("/zmq");
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection.
fn until_closed(mut stream: TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("the server neither answered nor closed: {e}"),
        }
    }
}

/// Upgrades with ZWS2.0/NULL and reads the 101 answer.
fn upgraded(endpoint: &str) -> TcpStream {
    let mut stream = raw_client(endpoint);
    stream
        .write_all(request(Some("ZWS2.0/NULL")).as_bytes())
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert!(head.contains("Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n"));
    stream
}

/// The PULL still takes a well-behaved ferrozmq PUSH after the hostile connection.
fn still_serves(ctx: &Context, pull: &Socket, endpoint: &str) {
    let push = ctx.socket(PUSH).unwrap();
    push.connect(endpoint).unwrap();
    push.send("still here").unwrap();
    assert_eq!(pull.recv().unwrap(), "still here");
}

fn hostile_case(client: impl FnOnce(&str) -> Vec<u8>) -> Vec<u8> {
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    pull.options().set_maxmsgsize(Some(1000)).unwrap();
    timeout(&pull);
    let endpoint = bind(&pull);
    let answer = client(&endpoint);
    still_serves(&ctx, &pull, &endpoint);
    answer
}

#[test]
fn a_wrong_subprotocol_gets_400_and_the_connection_closed() {
    let answer = hostile_case(|endpoint| {
        let mut stream = raw_client(endpoint);
        stream
            .write_all(request(Some("ZWS2.0/PLAIN, chat")).as_bytes())
            .unwrap();
        until_closed(stream)
    });
    assert!(answer.starts_with(b"HTTP/1.1 400 "));
}

#[test]
fn a_missing_subprotocol_gets_400_and_the_connection_closed() {
    let answer = hostile_case(|endpoint| {
        let mut stream = raw_client(endpoint);
        stream.write_all(request(None).as_bytes()).unwrap();
        until_closed(stream)
    });
    assert!(answer.starts_with(b"HTTP/1.1 400 "));
}

#[test]
fn a_plain_http_request_gets_400_and_the_connection_closed() {
    let answer = hostile_case(|endpoint| {
        let mut stream = raw_client(endpoint);
        stream
            .write_all(b"GET /zmq HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        until_closed(stream)
    });
    assert!(answer.starts_with(b"HTTP/1.1 400 "));
}

#[test]
fn an_unmasked_client_frame_closes_the_connection() {
    hostile_case(|endpoint| {
        let mut stream = upgraded(endpoint);
        stream.write_all(&[0x82, 2, 0, b'x']).unwrap();
        until_closed(stream)
    });
}

#[test]
fn an_oversized_frame_closes_the_connection_before_its_body() {
    hostile_case(|endpoint| {
        let mut stream = upgraded(endpoint);
        // A 1 GiB message announced to a PULL whose MAXMSGSIZE is 1000: refused from the
        // header, without waiting for (or keeping) the body.
        let mut frame = vec![0x82, 0x80 | 127];
        frame.extend_from_slice(&(1u64 << 30).to_be_bytes());
        frame.extend_from_slice(&[1, 2, 3, 4]);
        stream.write_all(&frame).unwrap();
        until_closed(stream)
    });
}

#[test]
fn a_truncated_frame_costs_only_its_connection() {
    hostile_case(|endpoint| {
        let mut stream = upgraded(endpoint);
        // Half a frame header, then the client goes away.
        stream.write_all(&[0x82]).unwrap();
        drop(stream);
        Vec::new()
    });
}

/// A masked client frame (mask 1 2 3 4).
fn masked(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [1, 2, 3, 4];
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// ZWS2.0/NULL's READY from a PUSH, as a ZWS command message.
fn push_ready() -> Vec<u8> {
    let mut body = vec![2, 5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&4u32.to_be_bytes());
    body.extend_from_slice(b"PUSH");
    masked(0x2, &body)
}

/// Held by the tests that move tens of MiB and by the one that measures the process's
/// memory, which the others would disturb.
static LARGE_MEMORY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn large_memory() -> std::sync::MutexGuard<'static, ()> {
    LARGE_MEMORY.lock().unwrap_or_else(|e| e.into_inner())
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// A client that floods pings and never reads is owed one pong at a time: 64 MiB of pings
/// leave our memory where it was (it grew by as much before), and the connection still
/// carries messages once the client reads again.
#[test]
fn a_ping_flood_from_a_client_that_does_not_read_costs_no_memory() {
    let _memory = large_memory();
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    timeout(&pull);
    let endpoint = bind(&pull);
    let mut stream = upgraded(&endpoint);
    stream.write_all(&push_ready()).unwrap();
    let before = resident_bytes();
    let mut batch = Vec::new();
    for i in 0..1000u32 {
        let mut payload = [0u8; 120];
        payload[..4].copy_from_slice(&i.to_be_bytes());
        batch.extend(masked(0x9, &payload));
    }
    let mut flooded = 0;
    while flooded < 64 << 20 {
        stream.write_all(&batch).unwrap();
        flooded += batch.len();
    }
    // Let the server take the last of it.
    std::thread::sleep(Duration::from_millis(500));
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 16 << 20, "memory grew by {grown} bytes");
    stream.write_all(&masked(0x2, b"\x00hello")).unwrap();
    assert_eq!(pull.recv().unwrap(), "hello");
    // What the server sent: its READY, then pongs, the last one for the last ping.
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut all = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    let mut last_pong = None;
    let mut at = 0;
    while at + 2 <= all.len() {
        let len = usize::from(all[at + 1]);
        if all[at] == 0x8A {
            last_pong = Some(&all[at + 2..at + 2 + len]);
        }
        at += 2 + len;
    }
    assert_eq!(last_pong.unwrap()[..4], 999u32.to_be_bytes());
}

/// The WebSocket frames of `wire`, from `*at` on, as (first octet, payload); `*at` moves past
/// the whole ones (a server's frames are unmasked).
fn server_frames(wire: &[u8], at: &mut usize) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    loop {
        let rest = &wire[*at..];
        if rest.len() < 2 {
            return frames;
        }
        let (len, header) = match rest[1] & 0x7F {
            126 if rest.len() >= 4 => (usize::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
            127 if rest.len() >= 10 => {
                let mut len = [0u8; 8];
                len.copy_from_slice(&rest[2..10]);
                (u64::from_be_bytes(len) as usize, 10)
            }
            126 | 127 => return frames,
            n => (usize::from(n), 2),
        };
        if rest.len() < header + len {
            return frames;
        }
        frames.push((rest[0], rest[header..header + len].to_vec()));
        *at += header + len;
    }
}

/// A pong the server owes while it is in the middle of a long message (a control frame
/// cannot cut a data frame) goes out when that message is done, even though nothing else
/// follows it: no message either way after it.
#[test]
fn a_pong_owed_during_a_long_message_goes_out_when_the_message_is_done() {
    let _memory = large_memory();
    let ctx = Context::new();
    let push = ctx.socket(PUSH).unwrap();
    let endpoint = bind(&push);
    let mut stream = upgraded(&endpoint);
    let mut body = vec![2, 5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&4u32.to_be_bytes());
    body.extend_from_slice(b"PULL");
    stream.write_all(&masked(0x2, &body)).unwrap();
    // Far more than the socket buffers hold: the server is stuck inside it until we read.
    const LONG: usize = 32 << 20;
    push.send(vec![7u8; LONG]).unwrap();
    let (mut wire, mut at) = (Vec::new(), 0);
    let mut buf = [0u8; 65536];
    // Its first bytes are here: the server is writing the message.
    while wire.len() < 1024 {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the server closed the connection");
        wire.extend_from_slice(&buf[..n]);
    }
    stream.write_all(&masked(0x9, b"are you there")).unwrap();
    let (mut long, mut pong) = (false, false);
    while !pong {
        let n = stream
            .read(&mut buf)
            .expect("the pong comes without further traffic");
        assert!(n > 0, "the server closed the connection");
        wire.extend_from_slice(&buf[..n]);
        for (head, payload) in server_frames(&wire, &mut at) {
            match head {
                0x82 if payload.len() == LONG + 1 => long = true,
                0x8A => {
                    assert!(long, "the pong came inside the message");
                    assert_eq!(payload, b"are you there");
                    pong = true;
                }
                _ => {}
            }
        }
    }
}

/// A peer streaming in a long message does not hold up the other connections of the I/O
/// thread until all of it is in: a ws read is bounded as a tcp one is, and a short message
/// another peer sends meanwhile reaches the application before the long one is whole.
#[test]
fn a_long_message_streaming_in_does_not_hold_up_another_peer() {
    let _memory = large_memory();
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    timeout(&pull);
    let endpoint = bind(&pull);
    // The short message's sender has an I/O thread of its own.
    let other_ctx = Context::new();
    let push = other_ctx.socket(PUSH).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("first").unwrap();
    assert_eq!(pull.recv().unwrap(), "first");
    let mut stream = upgraded(&endpoint);
    stream.write_all(&push_ready()).unwrap();
    stream.write_all(&masked(0x2, b"\x00warm")).unwrap();
    assert_eq!(pull.recv().unwrap(), "warm");

    // One binary frame, masked with the key 0 (so the body goes as it is), written far
    // faster than the server decodes it.
    const LONG: usize = 64 << 20;
    let (written, three_quarters) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let mut head = vec![0x82, 0x80 | 127];
        head.extend_from_slice(&(LONG as u64 + 1).to_be_bytes());
        head.extend_from_slice(&[0, 0, 0, 0, 0]);
        stream.write_all(&head).unwrap();
        let chunk = vec![9u8; 1 << 20];
        for sent in 1..=LONG >> 20 {
            stream.write_all(&chunk).unwrap();
            if sent == (LONG >> 20) * 3 / 4 {
                written.send(()).unwrap();
            }
        }
        stream
    });
    // The server is deep in the long message now.
    three_quarters.recv().unwrap();
    push.send("short").unwrap();
    assert_eq!(
        pull.recv().unwrap(),
        "short",
        "the short message waited for the long one"
    );
    let long = pull.recv().unwrap();
    assert_eq!(long.len(), LONG);
    drop(writer.join().unwrap());
}

/// MAXMSGSIZE limits messages, not commands, as over tcp: with a limit of 16 the NULL
/// handshake (READY is longer) still completes and a 16-byte message crosses.
#[test]
fn a_small_maxmsgsize_leaves_commands_alone() {
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    pull.options().set_maxmsgsize(Some(16)).unwrap();
    timeout(&pull);
    let endpoint = bind(&pull);
    let push = ctx.socket(PUSH).unwrap();
    push.options().set_maxmsgsize(Some(16)).unwrap();
    push.options().set_linger(Some(Duration::ZERO)).unwrap();
    push.connect(&endpoint).unwrap();
    push.send(&[7u8; 16][..]).unwrap();
    assert_eq!(pull.recv().unwrap(), [7u8; 16][..]);
}

/// Under CURVE every message travels sealed, longer than itself: a message of exactly
/// MAXMSGSIZE is still taken, as over tcp.
#[test]
fn curve_takes_a_message_of_exactly_maxmsgsize() {
    use zmtp::curve_keys::CurveKeyPair;
    let ctx = Context::new();
    let server = CurveKeyPair::generate().unwrap();
    let client = CurveKeyPair::generate().unwrap();
    let pull = ctx.socket(PULL).unwrap();
    pull.options().set_curve_server(true).unwrap();
    pull.options()
        .set_curve_secretkey(server.secret.as_bytes())
        .unwrap();
    pull.options().set_maxmsgsize(Some(100)).unwrap();
    timeout(&pull);
    let endpoint = bind(&pull);
    let push = ctx.socket(PUSH).unwrap();
    push.options()
        .set_curve_serverkey(server.public.as_bytes())
        .unwrap();
    push.options()
        .set_curve_publickey(client.public.as_bytes())
        .unwrap();
    push.options()
        .set_curve_secretkey(client.secret.as_bytes())
        .unwrap();
    push.options().set_linger(Some(Duration::ZERO)).unwrap();
    push.connect(&endpoint).unwrap();
    push.send(&[9u8; 100][..]).unwrap();
    assert_eq!(pull.recv().unwrap(), [9u8; 100][..]);
}
