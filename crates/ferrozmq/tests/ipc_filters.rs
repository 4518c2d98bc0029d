//! `ZMQ_IPC_FILTER_PID/UID/GID` over real ipc connections: peers whose kernel credentials
//! match a filter get in, the others are closed at once and reported as failed accepts.

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

/// Binds `server` on a fresh ipc path, connects a DEALER and sends one message; returns
/// whether it arrived.
fn bounce(ctx: &Context, server: &Socket) -> bool {
    let endpoint = server.bind("ipc://*").unwrap();
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

fn own_ids() -> (i32, u32, u32) {
    // SAFETY: plain queries of this process's ids.
    unsafe { (libc::getpid(), libc::getuid(), libc::getgid()) }
}

#[test]
fn peers_matching_a_filter_get_in() {
    let (pid, uid, gid) = own_ids();
    let ctx = Context::new();
    for kind in ["pid", "uid", "gid"] {
        let server = socket(&ctx, DEALER);
        let o = server.options();
        match kind {
            "pid" => o.add_ipc_filter_pid(pid),
            "uid" => o.add_ipc_filter_uid(uid),
            _ => o.add_ipc_filter_gid(gid),
        }
        .unwrap();
        assert!(bounce(&ctx, &server), "filter by {kind}");
    }
}

#[test]
fn peers_matching_no_filter_are_closed_and_reported() {
    let (pid, uid, _) = own_ids();
    let ctx = Context::new();
    let server = socket(&ctx, DEALER);
    server.options().add_ipc_filter_pid(pid + 1).unwrap();
    server.options().add_ipc_filter_uid(uid + 1).unwrap();
    let mut monitor = server.monitor(EventSet::ALL).unwrap();
    assert!(!bounce(&ctx, &server), "a filtered peer's message arrived");
    let mut failed = None;
    while let Ok(event) = monitor.recv_timeout(Duration::from_secs(2)) {
        assert_ne!(event.kind(), EventKind::HandshakeSucceeded, "{event:?}");
        if event.kind() == EventKind::AcceptFailed {
            failed = Some(event);
            break;
        }
    }
    assert!(failed.is_some(), "no AcceptFailed event");
    // Clearing the filters lets peers in again.
    server.options().clear_ipc_filter_pid().unwrap();
    server.options().clear_ipc_filter_uid().unwrap();
    assert!(bounce(&ctx, &server));
}
