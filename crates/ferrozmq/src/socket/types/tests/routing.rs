//! DEALER, PUSH, PULL, ROUTER and PAIR: round robin out (skipping full peers), fair
//! queueing in, routing by id, and the single peer of a PAIR.

use super::*;

/// Which peers each of `peers`' messages went to, as `(peer index, message)` in peer order.
fn delivered(peers: &mut [Peer]) -> Vec<(usize, Parts)> {
    let mut out = Vec::new();
    for (i, peer) in peers.iter_mut().enumerate() {
        out.extend(peer.recv_all().into_iter().map(|m| (i, m)));
    }
    out
}

#[test]
fn dealer_sends_whole_messages_round_robin() {
    let mut dealer = Socket::new(SocketType::Dealer);
    let mut peers: Vec<Peer> = (0..3).map(|_| dealer.connect(b"", 10)).collect();
    for i in 0..6u8 {
        dealer.send(&[&[i], b"second part"]);
    }
    let got = delivered(&mut peers);
    let expected: Vec<(usize, Parts)> = [0, 3, 1, 4, 2, 5]
        .iter()
        .map(|&i: &u8| (usize::from(i % 3), msg(&[&[i], b"second part"])))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn push_skips_a_full_peer_and_blocks_when_all_are_full() {
    let mut push = Socket::new(SocketType::Push);
    let mut slow = push.connect(b"", 1);
    let mut fast = push.connect(b"", 3);
    for i in 0..4u8 {
        push.send(&[&[i]]);
    }
    assert!(would_block(push.try_send(&[b"x"])), "every peer is full");
    assert!(!push.has_out());
    assert_eq!(slow.recv_all(), vec![msg(&[&[0]])]);
    assert_eq!(
        fast.recv_all(),
        vec![msg(&[&[1]]), msg(&[&[2]]), msg(&[&[3]])]
    );
    // Both made room: both are back in the rotation.
    assert!(push.has_out());
    push.send(&[b"a"]);
    push.send(&[b"b"]);
    let mut peers = [slow, fast];
    let got = delivered(&mut peers);
    assert_eq!(got.len(), 2);
    assert_ne!(got[0].0, got[1].0, "one each: {got:?}");
}

#[test]
fn push_keeps_the_rest_of_a_message_on_its_peer_past_the_high_water_mark() {
    let mut push = Socket::new(SocketType::Push);
    let mut a = push.connect(b"", 1);
    let mut b = push.connect(b"", 1);
    push.send(&[b"a1", b"a2", b"a3"]);
    push.send(&[b"b1", b"b2"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"a1", b"a2", b"a3"])]);
    assert_eq!(b.recv_all(), vec![msg(&[b"b1", b"b2"])]);
}

#[test]
fn push_drops_a_dead_peer_and_sends_to_the_others() {
    let mut push = Socket::new(SocketType::Push);
    let dead = push.connect(b"", 10);
    let mut alive = push.connect(b"", 10);
    let dead_id = dead.id;
    drop(dead);
    push.send(&[b"1"]);
    push.send(&[b"2"]);
    assert_eq!(alive.recv_all(), vec![msg(&[b"1"]), msg(&[b"2"])]);
    assert!(!push.holds(dead_id));
}

#[test]
fn pull_takes_messages_from_its_peers_in_turn() {
    let mut pull = Socket::new(SocketType::Pull);
    let mut peers: Vec<Peer> = (0..3).map(|_| pull.connect(b"", 10)).collect();
    for (i, peer) in peers.iter_mut().enumerate() {
        for n in 0..3u8 {
            peer.send(&[&[i as u8, n], b"tail"]);
        }
    }
    let mut got = Vec::new();
    while let Some(m) = pull.recv() {
        assert_eq!(m[1], b"tail", "parts of a message stay together");
        got.push((m[0][0], m[0][1]));
    }
    let expected: Vec<(u8, u8)> = (0..3).flat_map(|n| (0..3).map(move |i| (i, n))).collect();
    assert_eq!(got, expected, "one busy peer cannot starve the others");
}

#[test]
fn pull_hears_again_from_a_peer_that_was_empty() {
    let mut pull = Socket::new(SocketType::Pull);
    let mut a = pull.connect(b"", 10);
    let mut b = pull.connect(b"", 10);
    assert!(!pull.has_in());
    b.send(&[b"b"]);
    assert!(pull.has_in());
    assert_eq!(pull.recv(), Some(msg(&[b"b"])));
    assert_eq!(pull.recv(), None);
    a.send(&[b"a"]);
    assert_eq!(pull.recv(), Some(msg(&[b"a"])));
}

#[test]
fn pull_delivers_what_a_peer_sent_before_it_left() {
    let mut pull = Socket::new(SocketType::Pull);
    let mut gone = pull.connect(b"", 10);
    gone.send(&[b"last", b"words"]);
    let gone_id = gone.id;
    drop(gone);
    assert_eq!(pull.recv(), Some(msg(&[b"last", b"words"])));
    assert_eq!(pull.recv(), None);
    assert!(!pull.holds(gone_id));
}

#[test]
fn dealer_with_probe_router_greets_each_new_peer() {
    let mut dealer = Socket::new(SocketType::Dealer).with(PatternOption::ProbeRouter(true));
    let mut peer = dealer.connect(b"", 10);
    assert_eq!(peer.recv_all(), vec![msg(&[b""])]);
}

#[test]
fn router_prefixes_each_message_with_the_routing_id_of_its_peer() {
    let mut router = Socket::new(SocketType::Router);
    let mut a = router.connect(b"alice", 10);
    let mut b = router.connect(b"bob", 10);
    b.send(&[b"from", b"bob"]);
    a.send(&[b"from alice"]);
    let mut got = vec![router.recv().unwrap(), router.recv().unwrap()];
    got.sort();
    assert_eq!(
        got,
        vec![
            msg(&[b"alice", b"from alice"]),
            msg(&[b"bob", b"from", b"bob"])
        ]
    );
    assert_eq!(router.recv(), None);
}

#[test]
fn router_sends_to_the_peer_the_first_part_names() {
    let mut router = Socket::new(SocketType::Router);
    let mut a = router.connect(b"alice", 10);
    let mut b = router.connect(b"bob", 10);
    router.send(&[b"bob", b"for", b"bob"]);
    router.send(&[b"alice", b"for alice"]);
    router.send(&[b"bob", b"again"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"for alice"])]);
    assert_eq!(b.recv_all(), vec![msg(&[b"for", b"bob"]), msg(&[b"again"])]);
}

#[test]
fn router_names_an_anonymous_peer_and_routes_back_to_it() {
    let mut router = Socket::new(SocketType::Router);
    let mut anon = router.connect(b"", 10);
    let mut other = router.connect(b"", 10);
    anon.send(&[b"hi"]);
    let got = router.recv().unwrap();
    let id = got[0].clone();
    assert_eq!(id.len(), 5);
    assert_eq!(id[0], 0, "generated ids start with a zero byte");
    other.send(&[b"hi"]);
    assert_ne!(router.recv().unwrap()[0], id, "each peer has its own id");
    router.send(&[&id, b"back"]);
    assert_eq!(anon.recv_all(), vec![msg(&[b"back"])]);
    assert!(other.recv_all().is_empty());
}

#[test]
fn router_drops_what_it_cannot_route() {
    let mut router = Socket::new(SocketType::Router);
    let mut a = router.connect(b"alice", 1);
    router.send(&[b"nobody", b"lost"]);
    router.send(&[b"alice", b"1"]);
    // Full: dropped, and the send does not block.
    assert!(router.has_out());
    router.send(&[b"alice", b"2", b"parts"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"1"])]);
    router.send(&[b"alice", b"3"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"3"])]);
}

#[test]
fn router_mandatory_fails_unroutable_and_waits_for_a_full_peer() {
    let mut router = Socket::new(SocketType::Router).with(PatternOption::RouterMandatory(true));
    let mut a = router.connect(b"alice", 1);
    assert!(failed_with(router.try_send(&[b"nobody", b"x"]), |e| {
        matches!(e, Error::HostUnreachable)
    }));
    router.send(&[b"alice", b"1"]);
    assert!(would_block(router.try_send(&[b"alice", b"2"])));
    assert_eq!(a.recv_all(), vec![msg(&[b"1"])]);
    router.send(&[b"alice", b"2"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"2"])]);
}

#[test]
fn router_mandatory_finds_a_peer_gone_once_its_messages_are_read() {
    let mut router = Socket::new(SocketType::Router).with(PatternOption::RouterMandatory(true));
    let mut a = router.connect(b"alice", 10);
    a.send(&[b"bye"]);
    drop(a);
    assert_eq!(router.recv(), Some(msg(&[b"alice", b"bye"])));
    assert_eq!(router.recv(), None);
    assert!(failed_with(router.try_send(&[b"alice", b"x"]), |e| {
        matches!(e, Error::HostUnreachable)
    }));
}

#[test]
fn router_ignores_a_second_peer_claiming_an_id_in_use() {
    let mut router = Socket::new(SocketType::Router);
    let mut first = router.connect(b"same", 10);
    let mut second = router.connect(b"same", 10);
    second.send(&[b"impostor"]);
    first.send(&[b"genuine"]);
    assert_eq!(router.recv(), Some(msg(&[b"same", b"genuine"])));
    assert_eq!(router.recv(), None);
    router.send(&[b"same", b"reply"]);
    assert_eq!(first.recv_all(), vec![msg(&[b"reply"])]);
    assert!(second.recv_all().is_empty());
}

#[test]
fn router_handover_gives_the_id_to_the_new_peer() {
    let mut router = Socket::new(SocketType::Router).with(PatternOption::RouterHandover(true));
    let mut old = router.connect(b"same", 10);
    let mut new = router.connect(b"same", 10);
    assert!(!router.holds(old.id), "the displaced pipe is closed");
    assert!(matches!(old.end.read(), Read::Closed));
    new.send(&[b"hello"]);
    assert_eq!(router.recv(), Some(msg(&[b"same", b"hello"])));
    router.send(&[b"same", b"reply"]);
    assert_eq!(new.recv_all(), vec![msg(&[b"reply"])]);
}

#[test]
fn router_with_probe_router_greets_each_new_peer() {
    let mut router = Socket::new(SocketType::Router).with(PatternOption::ProbeRouter(true));
    let mut peer = router.connect(b"p", 10);
    assert_eq!(peer.recv_all(), vec![msg(&[b""])]);
}

#[test]
fn pair_talks_to_its_first_peer_only() {
    let mut pair = Socket::new(SocketType::Pair);
    let mut first = pair.connect(b"", 10);
    let second = pair.connect(b"", 10);
    assert!(!pair.holds(second.id), "a second peer is turned away");
    pair.send(&[b"to", b"first"]);
    assert_eq!(first.recv_all(), vec![msg(&[b"to", b"first"])]);
    first.send(&[b"back"]);
    assert_eq!(pair.recv(), Some(msg(&[b"back"])));
}

#[test]
fn pair_takes_a_new_peer_once_the_old_one_is_gone() {
    let mut pair = Socket::new(SocketType::Pair);
    let mut old = pair.connect(b"", 10);
    old.send(&[b"last"]);
    drop(old);
    assert_eq!(
        pair.recv(),
        Some(msg(&[b"last"])),
        "what it sent is still read"
    );
    assert_eq!(pair.recv(), None);
    let mut new = pair.connect(b"", 10);
    assert!(pair.holds(new.id));
    pair.send(&[b"hello"]);
    assert_eq!(new.recv_all(), vec![msg(&[b"hello"])]);
}

#[test]
fn pair_blocks_at_the_high_water_mark_and_without_a_peer() {
    let mut pair = Socket::new(SocketType::Pair);
    assert!(would_block(pair.try_send(&[b"nobody"])));
    assert!(!pair.has_out());
    let mut peer = pair.connect(b"", 2);
    pair.send(&[b"1"]);
    pair.send(&[b"2"]);
    assert!(!pair.has_out());
    assert!(would_block(pair.try_send(&[b"3"])));
    assert_eq!(peer.recv(), Some(msg(&[b"1"])));
    assert_eq!(peer.recv(), Some(msg(&[b"2"])));
    assert_eq!(peer.recv(), None);
    assert!(pair.has_out());
    pair.send(&[b"3"]);
    assert_eq!(peer.recv_all(), vec![msg(&[b"3"])]);
}
