//! `ZMQ_TCP_ACCEPT_FILTER` over real tcp connections (and ws ones, which are tcp to the
//! filter): peers whose address is in a filtered network get in, the others are closed at
//! once and reported as failed accepts.

use ferrozmq::{Context, Error, EventKind, EventSet, Socket, SocketType, DEALER};
use std::time::Duration;

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options().set_linger(Some(Duration::ZERO)).unwrap();
    s.options()
        .set_rcvtimeo(Some(Duration::from_millis(1500)))
        .unwrap();
    s
}

/// Where the servers bind: tcp, and ws on top of tcp.
const ENDPOINTS: [&str; 2] = ["tcp://127.0.0.1:*", "ws://127.0.0.1:*/filtered"];

/// Binds `server` on loopback at `endpoint`, connects a DEALER and sends one message;
/// returns whether it arrived.
fn bounce(ctx: &Context, server: &Socket, endpoint: &str) -> bool {
    let endpoint = server.bind(endpoint).unwrap();
    let client = socket(ctx, DEALER);
    client.options().set_reconnect_ivl(None).unwrap();
    // A refused connection that does not reconnect takes the client's only pipe with it;
    // if that happens before the send (the I/O thread ran first), the send has no peer
    // and would wait for ever.
    client
        .options()
        .set_sndtimeo(Some(Duration::from_millis(1500)))
        .unwrap();
    client.connect(&endpoint).unwrap();
    match client.send("hello") {
        Ok(()) => {}
        Err(Error::Again) => return false,
        Err(e) => panic!("{e}"),
    }
    match server.recv() {
        Ok(msg) => msg.as_ref() == b"hello",
        Err(Error::Again) => false,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn peers_in_a_filtered_network_get_in() {
    let ctx = Context::new();
    for endpoint in ENDPOINTS {
        for network in ["127.0.0.1", "127.0.0.1/32", "127.0.0.0/8", "0.0.0.0/0"] {
            let server = socket(&ctx, DEALER);
            server
                .options()
                .add_tcp_accept_filter("192.0.2.0/24")
                .unwrap();
            server.options().add_tcp_accept_filter(network).unwrap();
            assert!(
                bounce(&ctx, &server, endpoint),
                "{endpoint}, filter {network}"
            );
        }
    }
}

#[test]
fn peers_outside_every_filter_are_closed_and_reported() {
    for endpoint in ENDPOINTS {
        outside_every_filter(endpoint);
    }
}

fn outside_every_filter(endpoint: &str) {
    let ctx = Context::new();
    let server = socket(&ctx, DEALER);
    server
        .options()
        .add_tcp_accept_filter("127.0.0.255/32")
        .unwrap();
    server.options().add_tcp_accept_filter("::1").unwrap();
    let mut monitor = server.monitor(EventSet::ALL).unwrap();
    assert!(
        !bounce(&ctx, &server, endpoint),
        "a filtered peer's message arrived over {endpoint}"
    );
    let mut failed = None;
    while let Ok(event) = monitor.recv_timeout(Duration::from_secs(2)) {
        assert_ne!(event.kind(), EventKind::HandshakeSucceeded, "{event:?}");
        if event.kind() == EventKind::AcceptFailed {
            failed = Some(event);
            break;
        }
    }
    let failed = failed.expect("no AcceptFailed event");
    assert_eq!(failed.value(), libc::EACCES as u32);
    // Clearing the filters lets peers in again.
    server.options().clear_tcp_accept_filters().unwrap();
    assert!(bounce(&ctx, &server, endpoint));
}

#[test]
fn malformed_filters_are_invalid_arguments() {
    let ctx = Context::new();
    let server = socket(&ctx, DEALER);
    for bad in ["foo", "0.0.0.0/", "0.0.0.0/33", "localhost", "10.0.0.0/-1"] {
        assert!(
            matches!(
                server.options().add_tcp_accept_filter(bad),
                Err(Error::InvalidArgument(_))
            ),
            "{bad}"
        );
    }
    // Refused filters were not kept: everyone still gets in.
    assert!(bounce(&ctx, &server, ENDPOINTS[0]));
}
