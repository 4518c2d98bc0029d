//! `ZMQ_USE_FD`: binds that listen on a socket the application bound and made listen
//! itself, over tcp, ipc and ws, with ferrozmq and libzmq peers connecting to it (libzmq's
//! ws listener takes USE_FD as its tcp one does).

use ferrozmq::{Context, Error, Socket, SocketType, PULL, PUSH, REP, REQ};
use std::os::fd::AsRawFd;
use std::time::Duration;

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options().set_linger(Some(Duration::ZERO)).unwrap();
    s.options()
        .set_rcvtimeo(Some(Duration::from_secs(5)))
        .unwrap();
    s
}

#[test]
fn a_tcp_bind_listens_on_the_socket_the_application_made() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    assert_eq!(pull.options().use_fd(), None);
    pull.options()
        .set_use_fd(Some(listener.as_raw_fd()))
        .unwrap();
    assert_eq!(pull.options().use_fd(), Some(listener.as_raw_fd()));
    // The address in the endpoint is not used: the socket's own is.
    let endpoint = pull.bind("tcp://127.0.0.1:*").unwrap();
    assert_eq!(
        endpoint,
        format!("tcp://{}", listener.local_addr().unwrap())
    );
    let push = socket(&ctx, PUSH);
    push.connect(&endpoint).unwrap();
    push.send("over the given socket").unwrap();
    assert_eq!(pull.recv().unwrap().as_ref(), b"over the given socket");
}

/// Over ws the given socket carries the WebSocket upgrade and ZWS: the endpoint keeps its
/// scheme and its path, with the socket's own address.
#[test]
fn a_ws_bind_listens_on_the_socket_the_application_made() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    rep.options()
        .set_use_fd(Some(listener.as_raw_fd()))
        .unwrap();
    let endpoint = rep.bind("ws://127.0.0.1:*/given").unwrap();
    assert_eq!(
        endpoint,
        format!("ws://{}/given", listener.local_addr().unwrap())
    );
    let req = socket(&ctx, REQ);
    req.connect(&endpoint).unwrap();
    for i in 0..3 {
        req.send(format!("request {i}").as_str()).unwrap();
        assert_eq!(rep.recv().unwrap(), format!("request {i}").as_str());
        rep.send("reply").unwrap();
        assert_eq!(req.recv().unwrap(), "reply");
    }
    // A ws bind on a socket that is not listening fails as a tcp one does.
    let bound_only = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let other = socket(&ctx, REP);
    other
        .options()
        .set_use_fd(Some(bound_only.as_raw_fd()))
        .unwrap();
    assert!(matches!(
        other.bind("ws://127.0.0.1:*/given"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn an_ipc_bind_listens_on_the_socket_the_application_made_and_libzmq_connects() {
    let path = std::env::temp_dir().join(format!("ferrozmq-use-fd-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let ctx = Context::new();
    let rep = socket(&ctx, REP);
    rep.options()
        .set_use_fd(Some(listener.as_raw_fd()))
        .unwrap();
    let endpoint = rep.bind("ipc://anything").unwrap();
    assert_eq!(endpoint, format!("ipc://{}", path.display()));
    let zctx = zmq::Context::new();
    let req = zctx.socket(zmq::REQ).unwrap();
    req.set_linger(0).unwrap();
    req.set_rcvtimeo(5000).unwrap();
    req.connect(&endpoint).unwrap();
    req.send("ping", 0).unwrap();
    assert_eq!(rep.recv().unwrap().as_ref(), b"ping");
    rep.send("pong").unwrap();
    assert_eq!(req.recv_bytes(0).unwrap(), b"pong");
    drop(rep);
    drop(listener);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_descriptor_that_is_not_a_listening_socket_fails_the_bind() {
    let ctx = Context::new();
    let pull = socket(&ctx, PULL);
    // Bound but not listening.
    let unconnected = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    pull.options()
        .set_use_fd(Some(unconnected.as_raw_fd()))
        .unwrap();
    assert!(matches!(
        pull.bind("tcp://127.0.0.1:*"),
        Err(Error::InvalidArgument(_))
    ));
    // A listening tcp socket given for an ipc endpoint.
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    pull.options().set_use_fd(Some(tcp.as_raw_fd())).unwrap();
    assert!(pull.bind("ipc://nowhere").is_err());
    // The socket lives on: without USE_FD it binds as usual.
    pull.options().set_use_fd(None).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    assert!(pull.options().set_use_fd(Some(-2)).is_err());
}
