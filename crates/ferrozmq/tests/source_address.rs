//! Connects that name their local address, `tcp://source;host:port` (libzmq's syntax): the
//! connection comes from that address, one source port may serve connections to several
//! peers, and a bind refuses the syntax.

use ferrozmq::{Context, Error, EventKind, REP, REQ};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("probe a free port")
        .port()
}

#[test]
fn the_connection_comes_from_the_named_address() {
    let server = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = server.local_addr().unwrap().port();
    let source_port = free_port();
    let ctx = Context::new();
    let req = ctx.socket(REQ).unwrap();
    req.options().set_linger(Some(Duration::ZERO)).unwrap();
    req.connect(&format!("tcp://127.0.0.1:{source_port};127.0.0.1:{port}"))
        .expect("connect");
    let (_stream, peer) = server.accept().expect("accept");
    let expected: SocketAddr = format!("127.0.0.1:{source_port}").parse().unwrap();
    assert_eq!(peer, expected);
}

#[test]
fn one_source_port_reaches_a_libzmq_and_a_ferrozmq_peer() {
    let ctx = Context::new();
    let ours = ctx.socket(REP).unwrap();
    let ours_endpoint = ours.bind("tcp://127.0.0.1:*").unwrap();
    let zctx = zmq::Context::new();
    let theirs = zctx.socket(zmq::REP).unwrap();
    theirs.bind("tcp://127.0.0.1:*").unwrap();
    let theirs_endpoint = theirs.get_last_endpoint().unwrap().unwrap();
    theirs.set_rcvtimeo(100).unwrap();
    ours.options()
        .set_rcvtimeo(Some(Duration::from_millis(100)))
        .unwrap();

    let source_port = free_port();
    let req = ctx.socket(REQ).unwrap();
    req.options().set_linger(Some(Duration::ZERO)).unwrap();
    req.options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .unwrap();
    let mut handshakes = req.monitor(EventKind::HandshakeSucceeded.into()).unwrap();
    for endpoint in [&ours_endpoint, &theirs_endpoint] {
        let destination = endpoint.strip_prefix("tcp://").unwrap();
        let with_source = format!("tcp://127.0.0.1:{source_port};{destination}");
        req.connect(&with_source).expect("connect");
    }
    // REQ deals its requests round robin over both connections once they are up: two
    // requests, one to each peer, whichever comes first. A handshake is reported once the
    // socket has the connection's pipe.
    for _ in 0..2 {
        handshakes
            .recv_timeout(Duration::from_secs(10))
            .expect("both connections up");
    }
    let mut answered_by = Vec::new();
    for request in ["one", "two"] {
        req.send(request).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "nobody heard {request}"
            );
            if let Ok(msg) = ours.recv() {
                ours.send(msg).unwrap();
                answered_by.push("ferrozmq");
                break;
            }
            if let Ok(bytes) = theirs.recv_bytes(0) {
                theirs.send(&bytes, 0).unwrap();
                answered_by.push("libzmq");
                break;
            }
        }
        assert_eq!(req.recv().unwrap().as_ref(), request.as_bytes());
    }
    answered_by.sort_unstable();
    assert_eq!(answered_by, ["ferrozmq", "libzmq"]);
}

#[test]
fn a_bind_takes_no_source() {
    let ctx = Context::new();
    let rep = ctx.socket(REP).unwrap();
    assert!(matches!(
        rep.bind("tcp://127.0.0.1:0;127.0.0.1:*"),
        Err(Error::InvalidEndpoint(_))
    ));
}
