//! The thread-safe types: CLIENT/SERVER, SCATTER/GATHER — single-part messages only, and
//! SERVER's routing ids.

use super::*;

#[test]
fn client_refuses_multipart_and_drops_multipart_it_receives() {
    let mut client = Socket::new(SocketType::Client);
    let mut server = client.connect(b"", 10);
    assert!(failed_with(
        client.send_part(Message::from_slice(b"a").with_more(true)),
        |e| matches!(e, Error::InvalidArgument(_))
    ));
    client.send(&[b"single"]);
    assert_eq!(server.recv_all(), vec![msg(&[b"single"])]);
    server.send(&[b"multi", b"part"]);
    server.send(&[b"fine"]);
    assert!(client.has_in());
    assert_eq!(client.recv(), Some(msg(&[b"fine"])));
    assert_eq!(client.recv(), None);
}

#[test]
fn server_answers_each_client_by_its_routing_id() {
    let mut server = Socket::new(SocketType::Server);
    let mut a = server.connect(b"", 10);
    let mut b = server.connect(b"", 10);
    a.send(&[b"from a"]);
    b.send(&[b"from b"]);
    let (from_a, body_a) = server.recv_from().unwrap();
    let (from_b, body_b) = server.recv_from().unwrap();
    assert_eq!((body_a, body_b), (b"from a".to_vec(), b"from b".to_vec()));
    assert_ne!(from_a, from_b);
    assert!(matches!(from_a, Address::Peer(id) if id != 0));
    assert!(server.send_to(from_b.clone(), b"to b").is_ok());
    assert!(server.send_to(from_a, b"to a").is_ok());
    assert_eq!(a.recv_all(), vec![msg(&[b"to a"])]);
    assert_eq!(b.recv_all(), vec![msg(&[b"to b"])]);
    assert!(failed_with(server.try_send(&[b"no address"]), |e| {
        matches!(e, Error::InvalidArgument(_))
    }));
}

#[test]
fn server_send_to_an_unknown_or_departed_peer_is_host_unreachable() {
    let mut server = Socket::new(SocketType::Server);
    let mut a = server.connect(b"", 10);
    a.send(&[b"hi"]);
    let (from, _) = server.recv_from().unwrap();
    drop(a);
    assert!(failed_with(server.send_to(from.clone(), b"x"), |e| {
        matches!(e, Error::HostUnreachable)
    }));
    let Address::Peer(id) = from else {
        unreachable!()
    };
    assert!(failed_with(
        server.send_to(Address::Peer(id.wrapping_add(1)), b"x"),
        |e| matches!(e, Error::HostUnreachable)
    ));
}

#[test]
fn server_waits_for_a_full_client() {
    let mut server = Socket::new(SocketType::Server);
    let mut a = server.connect(b"", 1);
    a.send(&[b"hi"]);
    let (from, _) = server.recv_from().unwrap();
    assert!(server.send_to(from.clone(), b"1").is_ok());
    assert!(would_block(server.send_to(from.clone(), b"2")));
    assert_eq!(a.recv_all(), vec![msg(&[b"1"])]);
    assert!(server.send_to(from, b"2").is_ok());
}

#[test]
fn server_drops_multipart_messages_whole() {
    let mut server = Socket::new(SocketType::Server);
    let mut a = server.connect(b"", 10);
    a.send(&[b"multi", b"part"]);
    a.send(&[b"single"]);
    assert_eq!(
        server.recv_from().map(|(_, body)| body),
        Some(b"single".to_vec())
    );
    assert_eq!(server.recv_from(), None);
}

#[test]
fn server_disconnect_peer_forgets_it_and_what_it_sent() {
    let mut server = Socket::new(SocketType::Server);
    let mut a = server.connect(b"", 10);
    a.send(&[b"1"]);
    a.send(&[b"2"]);
    assert!(server.has_in());
    let (from, _) = server.recv_from().unwrap();
    let Address::Peer(id) = from else {
        unreachable!()
    };
    server.process_events();
    assert!(server
        .pattern
        .disconnect_peer(&mut server.pipes, id)
        .is_ok());
    server.reap();
    assert_eq!(server.recv_from(), None);
    assert!(matches!(a.end.read(), Read::Closed));
    server.process_events();
    assert!(matches!(
        server.pattern.disconnect_peer(&mut server.pipes, id),
        Err(Error::HostUnreachable)
    ));
}

#[test]
fn scatter_spreads_single_parts_and_gather_fair_queues_them() {
    let mut scatter = Socket::new(SocketType::Scatter);
    let mut peers: Vec<Peer> = (0..2).map(|_| scatter.connect(b"", 10)).collect();
    assert!(failed_with(scatter.try_send(&[b"two", b"parts"]), |e| {
        matches!(e, Error::InvalidArgument(_))
    }));
    for i in 0..4u8 {
        scatter.send(&[&[i]]);
    }
    assert_eq!(peers[0].recv_all(), vec![msg(&[&[0]]), msg(&[&[2]])]);
    assert_eq!(peers[1].recv_all(), vec![msg(&[&[1]]), msg(&[&[3]])]);

    let mut gather = Socket::new(SocketType::Gather);
    let mut a = gather.connect(b"", 10);
    let mut b = gather.connect(b"", 10);
    a.send(&[b"a1"]);
    a.send(&[b"a", b"multipart"]);
    a.send(&[b"a2"]);
    b.send(&[b"b1"]);
    let got: Vec<Parts> = std::iter::from_fn(|| gather.recv()).collect();
    assert_eq!(got, vec![msg(&[b"a1"]), msg(&[b"b1"]), msg(&[b"a2"])]);
}
