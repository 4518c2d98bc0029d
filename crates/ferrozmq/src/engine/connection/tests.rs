//! Two connections talking through memory on a simulated clock.

use super::*;
use zmtp::mechanism::{Mechanism, MechanismError};
use zmtp::{SessionConfig, SocketType};

const MS: Duration = Duration::from_millis(1);

fn zmtp_session(
    socket_type: SocketType,
    mechanism: fn(zmtp::Metadata) -> Mechanism,
) -> zmtp::Session {
    let config = SessionConfig {
        socket_type,
        routing_id: bytes::Bytes::new(),
        max_message_size: None,
        max_message_parts: None,
        max_multipart_size: None,
    };
    let mechanism = mechanism(config.metadata());
    zmtp::Session::with_mechanism(config, mechanism)
}

/// A client that connected and a server that accepted, at `t0`.
struct Pair {
    client: Connection,
    server: Connection,
    t0: Instant,
}

impl Pair {
    fn new(
        client: Timeouts,
        server: Timeouts,
        server_mechanism: fn(zmtp::Metadata) -> Mechanism,
    ) -> Pair {
        let t0 = Instant::now();
        let mut client = Connection::connecting(
            zmtp_session(SocketType::Dealer, Mechanism::null),
            client,
            t0,
        );
        client.handle_connected();
        let server = Connection::accepted(
            zmtp_session(SocketType::Router, server_mechanism),
            server,
            t0,
        );
        Pair { client, server, t0 }
    }

    /// Both sides ready at `t0`, with the events each saw.
    fn ready(client: Timeouts, server: Timeouts) -> Pair {
        let mut pair = Pair::new(client, server, Mechanism::null);
        let (to_client, to_server) = pair.exchange(Duration::ZERO);
        assert!(
            matches!(&to_client[..], [Event::Ready(p)] if p.socket_type == Some(SocketType::Router))
        );
        assert!(
            matches!(&to_server[..], [Event::Ready(p)] if p.socket_type == Some(SocketType::Dealer))
        );
        pair
    }

    /// Moves bytes both ways at `t0 + at` until neither side has more; the events each saw.
    fn exchange(&mut self, at: Duration) -> (Vec<Event>, Vec<Event>) {
        let now = self.t0 + at;
        let (mut to_client, mut to_server) = (Vec::new(), Vec::new());
        for _ in 0..8 {
            let a = transfer(&mut self.client, &mut self.server, now, &mut to_server);
            let b = transfer(&mut self.server, &mut self.client, now, &mut to_client);
            if !a && !b {
                break;
            }
        }
        (to_client, to_server)
    }
}

/// Everything `from` has to send, as bytes.
fn take_output(from: &mut Connection) -> Vec<u8> {
    from.poll_protocol();
    let mut bytes = Vec::new();
    loop {
        let mut slices = [IoSlice::new(&[]); 16];
        let n = from.poll_transmit(&mut slices);
        if n == 0 {
            return bytes;
        }
        let mut len = 0;
        for slice in &slices[..n] {
            bytes.extend_from_slice(slice);
            len += slice.len();
        }
        from.handle_written(len);
    }
}

/// Feeds `bytes` to `to` as reads of what it asks for, collecting its events.
fn feed(to: &mut Connection, mut bytes: &[u8], now: Instant, events: &mut Vec<Event>) {
    loop {
        while let Some(event) = to.poll_event() {
            let lost = matches!(event, Event::Lost(_));
            events.push(event);
            if lost {
                // The pump drops a lost connection.
                return;
            }
        }
        if bytes.is_empty() {
            return;
        }
        let n = match to.read_buf() {
            ReadBuf::Input(buf, asked) => {
                let n = asked.min(bytes.len());
                buf.extend_from_slice(&bytes[..n]);
                n
            }
            ReadBuf::Body(buf, asked) => {
                let n = asked.min(bytes.len());
                buf.extend_from_slice(&bytes[..n]);
                n
            }
        };
        bytes = &bytes[n..];
        to.handle_read(n, now).expect("bytes were read");
    }
}

/// Moves what `from` has to `to`; false when there was nothing.
fn transfer(
    from: &mut Connection,
    to: &mut Connection,
    now: Instant,
    events: &mut Vec<Event>,
) -> bool {
    let bytes = take_output(from);
    feed(to, &bytes, now, events);
    !bytes.is_empty()
}

fn heartbeats(ivl: u32, timeout: u32, ttl: u32) -> Timeouts {
    Timeouts {
        heartbeat_ivl: ivl * MS,
        heartbeat_timeout: timeout * MS,
        heartbeat_ttl: ttl * MS,
        ..Timeouts::default()
    }
}

#[test]
fn messages_flow_after_the_handshake_small_and_large() {
    let mut pair = Pair::ready(Timeouts::default(), Timeouts::default());
    let large = vec![7u8; 3 * 1024 * 1024 + 5];
    assert!(pair.client.wants_messages());
    pair.client
        .send(&Message::from_slice(b"hello").with_more(true))
        .unwrap();
    pair.client.send(&Message::from_slice(&large)).unwrap();
    let (_, to_server) = pair.exchange(MS);
    let parts: Vec<(Vec<u8>, bool)> = to_server
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => (m.to_vec(), m.more()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(parts, [(b"hello".to_vec(), true), (large, false)]);
}

#[test]
fn a_handshake_that_does_not_finish_in_time_is_lost() {
    let timeouts = Timeouts {
        handshake: Some(100 * MS),
        ..Timeouts::default()
    };
    let t0 = Instant::now();
    let mut server =
        Connection::accepted(zmtp_session(SocketType::Rep, Mechanism::null), timeouts, t0);
    assert_eq!(server.poll_timeout(), Some(t0 + 100 * MS));
    assert!(server.handle_timeout(t0 + 99 * MS).is_ok());
    assert!(matches!(
        server.handle_timeout(t0 + 100 * MS),
        Err(Reason::HandshakeTimeout)
    ));
}

#[test]
fn a_completed_handshake_has_no_deadline_left() {
    let timeouts = Timeouts {
        handshake: Some(100 * MS),
        ..Timeouts::default()
    };
    let mut pair = Pair::ready(timeouts, timeouts);
    assert_eq!(pair.server.poll_timeout(), None);
    assert!(pair.server.handle_timeout(pair.t0 + 10_000 * MS).is_ok());
    assert!(pair.client.handle_timeout(pair.t0 + 10_000 * MS).is_ok());
}

#[test]
fn a_connect_times_out_at_the_earlier_of_its_deadlines() {
    let t0 = Instant::now();
    let timeouts = Timeouts {
        handshake: Some(1000 * MS),
        connect: Some(50 * MS),
        ..Timeouts::default()
    };
    let mut conn =
        Connection::connecting(zmtp_session(SocketType::Req, Mechanism::null), timeouts, t0);
    assert!(conn.is_connecting());
    assert_eq!(conn.poll_timeout(), Some(t0 + 50 * MS));
    assert!(matches!(
        conn.handle_timeout(t0 + 50 * MS),
        Err(Reason::ConnectTimeout)
    ));
    // Once connected, only the handshake's deadline (counted from the connect) is left.
    let mut conn =
        Connection::connecting(zmtp_session(SocketType::Req, Mechanism::null), timeouts, t0);
    conn.handle_connected();
    assert_eq!(conn.poll_timeout(), Some(t0 + 1000 * MS));
    assert!(conn.handle_timeout(t0 + 999 * MS).is_ok());
    assert!(matches!(
        conn.handle_timeout(t0 + 1000 * MS),
        Err(Reason::HandshakeTimeout)
    ));
}

#[test]
fn a_silent_peer_is_lost_at_the_heartbeat_timeout() {
    let mut pair = Pair::ready(heartbeats(100, 300, 0), Timeouts::default());
    assert_eq!(pair.client.poll_timeout(), Some(pair.t0 + 100 * MS));
    assert!(!pair.client.wants_transmit());
    pair.client.handle_timeout(pair.t0 + 100 * MS).unwrap();
    assert!(pair.client.wants_transmit(), "a PING is queued");
    // The PING goes nowhere: the peer stays silent.
    take_output(&mut pair.client);
    assert!(pair.client.handle_timeout(pair.t0 + 399 * MS).is_ok());
    assert!(matches!(
        pair.client.handle_timeout(pair.t0 + 400 * MS),
        Err(Reason::HeartbeatTimeout)
    ));
}

#[test]
fn a_peer_that_answers_pings_stays() {
    let mut pair = Pair::ready(heartbeats(100, 300, 0), Timeouts::default());
    for round in 1..=10u32 {
        let at = 100 * MS * round;
        pair.client.handle_timeout(pair.t0 + at).unwrap();
        // The PING crosses, its PONG comes back.
        let (to_client, to_server) = pair.exchange(at);
        assert!(to_client.is_empty() && to_server.is_empty());
    }
    assert!(pair.client.handle_timeout(pair.t0 + 1050 * MS).is_ok());
}

#[test]
fn a_peers_ping_ttl_bounds_its_silence() {
    let mut pair = Pair::ready(heartbeats(100, 300, 500), Timeouts::default());
    assert_eq!(
        pair.server.poll_timeout(),
        None,
        "the server sends no PINGs"
    );
    pair.client.handle_timeout(pair.t0 + 100 * MS).unwrap();
    let bytes = take_output(&mut pair.client);
    let mut events = Vec::new();
    feed(&mut pair.server, &bytes, pair.t0 + 110 * MS, &mut events);
    assert!(events.is_empty());
    // The TTL is a new deadline the server's pump must arm.
    assert_eq!(pair.server.poll_new_timeout(), Some(pair.t0 + 610 * MS));
    assert_eq!(pair.server.poll_new_timeout(), None);
    assert!(pair.server.handle_timeout(pair.t0 + 609 * MS).is_ok());
    assert!(matches!(
        pair.server.handle_timeout(pair.t0 + 610 * MS),
        Err(Reason::HeartbeatTimeout)
    ));
}

/// A pair whose server asks a ZAP handler about the client; returns it at the question.
fn pair_at_verdict() -> Pair {
    let mut pair = Pair::new(
        Timeouts::default(),
        Timeouts::default(),
        Mechanism::null_authenticated,
    );
    let (to_client, to_server) = pair.exchange(Duration::ZERO);
    assert!(to_client.is_empty());
    assert!(
        matches!(&to_server[..], [Event::Authenticate(r)] if r.mechanism == zmtp::greeting::MechanismName::NULL)
    );
    pair
}

#[test]
fn an_accepting_verdict_completes_the_handshake() {
    let mut pair = pair_at_verdict();
    pair.server
        .handle_verdict(Ok(Verdict::allow("someone")), pair.t0)
        .unwrap();
    let mut to_server = Vec::new();
    while let Some(event) = pair.server.poll_event() {
        to_server.push(event);
    }
    let (to_client, more) = pair.exchange(MS);
    to_server.extend(more);
    assert!(matches!(&to_server[..], [Event::Ready(_)]));
    assert!(matches!(&to_client[..], [Event::Ready(_)]));
    assert!(pair.server.is_ready() && pair.client.is_ready());
}

#[test]
fn a_refusing_verdict_ends_both_sides_with_its_status() {
    let mut pair = pair_at_verdict();
    let refused = pair
        .server
        .handle_verdict(Ok(Verdict::deny(400, "no")), pair.t0);
    assert!(matches!(
        refused,
        Err(Reason::Protocol(ProtocolError::Mechanism(
            MechanismError::Refused {
                status_code: 400,
                ..
            }
        )))
    ));
    // The ERROR owed to the client is queued for the pump's farewell write.
    let (to_client, _) = pair.exchange(MS);
    assert!(matches!(
        &to_client[..],
        [Event::Lost(Reason::Protocol(ProtocolError::Mechanism(
            MechanismError::RefusedByPeer { status_code: 400 }
        )))]
    ));
}

#[test]
fn no_zap_handler_is_its_own_reason() {
    let mut pair = pair_at_verdict();
    assert!(matches!(
        pair.server
            .handle_verdict(Err(Reason::NoZapHandler), pair.t0),
        Err(Reason::NoZapHandler)
    ));
}

#[test]
fn a_verdict_nobody_asked_for_is_ignored() {
    let mut pair = Pair::ready(Timeouts::default(), Timeouts::default());
    assert!(pair
        .server
        .handle_verdict(Err(Reason::NoZapHandler), pair.t0)
        .is_ok());
    assert!(pair.server.is_ready());
}

#[test]
fn the_end_of_the_stream_is_the_peer_closing() {
    let mut pair = Pair::ready(Timeouts::default(), Timeouts::default());
    assert!(matches!(
        pair.server.handle_read(0, pair.t0),
        Err(Reason::PeerClosed)
    ));
}

#[test]
fn garbage_is_a_protocol_error() {
    let t0 = Instant::now();
    // (To NULL, garbage may read as a ZMTP 1.0 frame; a PLAIN server wants a greeting.)
    let mut server = Connection::accepted(
        zmtp_session(SocketType::Rep, Mechanism::plain_server),
        Timeouts::default(),
        t0,
    );
    let mut events = Vec::new();
    feed(&mut server, b"GET / HTTP/1.0\r\n", t0, &mut events);
    assert!(
        matches!(&events[..], [Event::Lost(Reason::Protocol(_))]),
        "{events:?}"
    );
}

#[test]
fn messages_the_peer_never_got_are_recovered() {
    let mut pair = Pair::ready(Timeouts::default(), Timeouts::default());
    pair.client.send(&Message::from_slice(b"one")).unwrap();
    pair.client
        .send(&Message::from_slice(b"two").with_more(true))
        .unwrap();
    pair.client.send(&Message::from_slice(b"three")).unwrap();
    pair.client.poll_protocol();
    // The kernel took the first message and a byte of the second.
    pair.client.handle_written(2 + 3 + 1);
    let unsent: Vec<Vec<u8>> = pair
        .client
        .into_unsent()
        .iter()
        .map(|m| m.to_vec())
        .collect();
    assert_eq!(unsent, [b"two".to_vec(), b"three".to_vec()]);
}

#[test]
fn a_hello_goes_first_and_is_never_replayed() {
    let mut pair = Pair::new(Timeouts::default(), Timeouts::default(), Mechanism::null);
    let hello = Some(Message::from_slice(b"hi"));
    pair.server = Connection::accepted(
        zmtp_session(SocketType::Router, Mechanism::null),
        Timeouts::default(),
        pair.t0,
    )
    .with_hello(hello);
    // Until the server is ready, its READY and HELLO_MSG queued but not written.
    let (mut to_client, mut to_server) = (Vec::new(), Vec::new());
    loop {
        transfer(&mut pair.client, &mut pair.server, pair.t0, &mut to_server);
        if !to_server.is_empty() {
            break;
        }
        transfer(&mut pair.server, &mut pair.client, pair.t0, &mut to_client);
    }
    assert!(matches!(&to_server[..], [Event::Ready(_)]));
    pair.server.send(&Message::from_slice(b"traffic")).unwrap();
    // The connection dies before the kernel took the HELLO_MSG or the traffic.
    let unsent: Vec<Vec<u8>> = pair
        .server
        .into_unsent()
        .iter()
        .map(|m| m.to_vec())
        .collect();
    assert_eq!(unsent, [b"traffic".to_vec()]);

    // Delivered, it comes before anything else.
    let mut pair = Pair::new(Timeouts::default(), Timeouts::default(), Mechanism::null);
    pair.server = Connection::accepted(
        zmtp_session(SocketType::Router, Mechanism::null),
        Timeouts::default(),
        pair.t0,
    )
    .with_hello(Some(Message::from_slice(b"hi")));
    let (to_client, _) = pair.exchange(Duration::ZERO);
    assert!(
        matches!(&to_client[..], [Event::Ready(_), Event::Message(m)] if m.as_slice() == b"hi")
    );
}
