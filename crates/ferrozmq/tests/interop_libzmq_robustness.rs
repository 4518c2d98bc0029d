//! ferrozmq sockets across libzmq peers coming and going: a replaced peer, a peer that
//! binds only after ferrozmq connected, and a peer that disappears and re-binds while
//! messages are queued.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// Binds `peer`, retrying while the address is still held by a peer closed a moment ago
/// (libzmq releases its listener asynchronously).
fn bind_retrying(peer: &Peer, endpoint: &str) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match peer.try_bind(endpoint) {
            Ok(resolved) => return resolved,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "{} could not re-bind {endpoint}: {e}",
                    peer.lib()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn rep_serves_successive_libzmq_reqs(transport: Transport) {
    let kit = Kit::new();
    let rep = kit.socket(Lib::Ferro, Kind::Rep);
    let endpoint = rep.bind(&transport.bind_endpoint());
    for client in 0..3 {
        let req = kit.socket(Lib::Zmq, Kind::Req);
        req.connect(&endpoint);
        let question = format!("from client {client}");
        req.send(question.as_bytes());
        assert_eq!(rep.recv(), question.as_bytes(), "client {client}'s request");
        rep.send(b"ok");
        assert_eq!(req.recv(), b"ok", "client {client}'s reply");
        // The client closes here; the next one must be served all the same.
    }
}

#[test]
fn ferrozmq_rep_serves_a_new_libzmq_req_after_the_previous_one_closed_over_tcp() {
    rep_serves_successive_libzmq_reqs(Transport::Tcp)
}

#[test]
fn ferrozmq_rep_serves_a_new_libzmq_req_after_the_previous_one_closed_over_ipc() {
    rep_serves_successive_libzmq_reqs(Transport::Ipc)
}

#[test]
fn ferrozmq_pull_receives_from_a_new_libzmq_push_after_the_previous_one_closed() {
    let kit = Kit::new();
    let pull = kit.socket(Lib::Ferro, Kind::Pull);
    let endpoint = pull.bind("tcp://127.0.0.1:*");
    for pusher in 0..3u8 {
        let push = kit.socket(Lib::Zmq, Kind::Push);
        push.connect(&endpoint);
        for i in 0..10u8 {
            push.send(&[pusher, i]);
        }
        for i in 0..10u8 {
            assert_eq!(pull.recv(), [pusher, i], "pusher {pusher}, message {i}");
        }
    }
}

/// A ferrozmq SUB connected to a libzmq PUB that goes away and comes back on the same
/// endpoint sends its subscription again: the new PUB filters at the source, so without
/// the subscription nothing at all would arrive.
#[test]
fn ferrozmq_sub_resubscribes_when_the_libzmq_pub_comes_back() {
    let kit = Kit::new();
    let endpoint = Transport::Tcp.fixed_endpoint();
    let sub = kit.socket(Lib::Ferro, Kind::Sub);
    sub.subscribe(b"A");
    sub.connect(&endpoint);
    for incarnation in 0..2 {
        let publisher = kit.socket(Lib::Zmq, Kind::Pub);
        bind_retrying(&publisher, &endpoint);
        let received = sync_pub_sub(
            &publisher,
            &sub,
            &[b"B-probe", b"A-probe"],
            &format!("PUB incarnation {incarnation}"),
        );
        for m in &received {
            assert_eq!(
                m,
                &[b"A-probe".to_vec()],
                "PUB {incarnation}: only A arrives"
            );
        }
    }
}

/// The mirror image: a ferrozmq PUB connected to a libzmq SUB that goes away and a new one
/// binding the same endpoint. The PUB must reconnect and honour the new SUB's
/// subscription.
#[test]
fn ferrozmq_pub_reaches_a_libzmq_sub_that_comes_back() {
    let kit = Kit::new();
    let endpoint = Transport::Tcp.fixed_endpoint();
    let publisher = kit.socket(Lib::Ferro, Kind::Pub);
    publisher.connect(&endpoint);
    for incarnation in 0..2 {
        let sub = kit.socket(Lib::Zmq, Kind::Sub);
        sub.subscribe(b"A");
        bind_retrying(&sub, &endpoint);
        let received = sync_pub_sub(
            &publisher,
            &sub,
            &[b"B-probe", b"A-probe"],
            &format!("SUB incarnation {incarnation}"),
        );
        for m in &received {
            assert_eq!(
                m,
                &[b"A-probe".to_vec()],
                "SUB {incarnation}: only A arrives"
            );
        }
    }
}

fn push_before_pull_binds(transport: Transport) {
    let kit = Kit::new();
    let endpoint = transport.fixed_endpoint();
    let push = kit.socket(Lib::Ferro, Kind::Push);
    push.connect(&endpoint);
    // Nobody listens yet: these wait in the PUSH's queue (default SNDHWM 1000).
    for i in 0..300u32 {
        push.try_send_parts(&[i.to_be_bytes()], true)
            .unwrap_or_else(|e| panic!("queueing message {i} before the PULL exists: {e}"));
    }
    std::thread::sleep(Duration::from_millis(150));
    let pull = kit.socket(Lib::Zmq, Kind::Pull);
    pull.bind(&endpoint);
    for i in 0..300u32 {
        assert_eq!(pull.recv(), i.to_be_bytes(), "message {i}, in order");
    }
    pull.set_rcvtimeo(100);
    assert_eq!(pull.try_recv_parts(), None, "no duplicates");
}

#[test]
fn ferrozmq_push_connected_before_libzmq_pull_binds_delivers_all_in_order_over_tcp() {
    push_before_pull_binds(Transport::Tcp)
}

#[test]
fn ferrozmq_push_connected_before_libzmq_pull_binds_delivers_all_in_order_over_ipc() {
    push_before_pull_binds(Transport::Ipc)
}

/// The libzmq PULL goes away and a new one binds the same endpoint; what the PUSH queued
/// meanwhile (without blocking: the HWM leaves room) reaches the new PULL, all of it, in
/// order.
fn push_survives_pull_rebind(transport: Transport) {
    let kit = Kit::new();
    let endpoint = transport.fixed_endpoint();
    let push = kit.socket(Lib::Ferro, Kind::Push);
    let mut lost = push
        .ferro()
        .monitor(ferrozmq::EventKind::Disconnected.into())
        .expect("monitor");
    {
        let pull = kit.socket(Lib::Zmq, Kind::Pull);
        pull.bind(&endpoint);
        push.connect(&endpoint);
        for i in 0..50u32 {
            push.send(&i.to_be_bytes());
        }
        for i in 0..50u32 {
            assert_eq!(pull.recv(), i.to_be_bytes(), "first batch, message {i}");
        }
    }
    // Messages sent before the PUSH has seen the connection close would go into the dead
    // connection and be lost (as with libzmq): the second batch waits for the loss.
    lost.recv_timeout(TIMEOUT)
        .expect("the PUSH sees its connection closed");
    for i in 50..250u32 {
        push.try_send_parts(&[i.to_be_bytes()], true)
            .unwrap_or_else(|e| panic!("queueing message {i} while the PULL is gone: {e}"));
    }
    std::thread::sleep(Duration::from_millis(100));
    let pull = kit.socket(Lib::Zmq, Kind::Pull);
    bind_retrying(&pull, &endpoint);
    for i in 50..250u32 {
        assert_eq!(pull.recv(), i.to_be_bytes(), "second batch, message {i}");
    }
    pull.set_rcvtimeo(100);
    assert_eq!(pull.try_recv_parts(), None, "no duplicates");
}

#[test]
fn ferrozmq_push_delivers_what_it_queued_while_libzmq_pull_rebinds_over_tcp() {
    push_survives_pull_rebind(Transport::Tcp)
}

#[test]
fn ferrozmq_push_delivers_what_it_queued_while_libzmq_pull_rebinds_over_ipc() {
    push_survives_pull_rebind(Transport::Ipc)
}
