//! REQ and REP: the strict request/reply alternation and the envelope each side adds,
//! strips and follows (RFC 28).

use super::*;

#[test]
fn req_wraps_a_request_in_a_delimiter_and_unwraps_the_reply() {
    let mut req = Socket::new(SocketType::Req);
    let mut rep = req.connect(b"", 10);
    req.send(&[b"hello"]);
    assert_eq!(rep.recv_all(), vec![msg(&[b"", b"hello"])]);
    rep.send(&[b"", b"world", b"!"]);
    assert_eq!(req.recv(), Some(msg(&[b"world", b"!"])));
}

#[test]
fn req_alternates_strictly_between_request_and_reply() {
    let mut req = Socket::new(SocketType::Req);
    let mut rep = req.connect(b"", 10);
    assert!(matches!(
        req.recv_part(),
        Err(RecvError::Fail(Error::State))
    ));
    assert!(req.has_out() && !req.has_in());
    req.send(&[b"one"]);
    assert!(failed_with(req.try_send(&[b"two"]), |e| matches!(
        e,
        Error::State
    )));
    assert!(!req.has_out(), "no second request before the reply");
    assert_eq!(rep.recv_all().len(), 1, "the refused request went nowhere");
    rep.send(&[b"", b"reply"]);
    assert!(req.has_in());
    assert_eq!(req.recv(), Some(msg(&[b"reply"])));
    assert!(matches!(
        req.recv_part(),
        Err(RecvError::Fail(Error::State))
    ));
    req.send(&[b"two"]);
    assert_eq!(rep.recv_all(), vec![msg(&[b"", b"two"])]);
}

#[test]
fn req_sends_successive_requests_round_robin() {
    let mut req = Socket::new(SocketType::Req);
    let mut peers: Vec<Peer> = (0..3).map(|_| req.connect(b"", 10)).collect();
    let mut served = Vec::new();
    for round in 0..6u8 {
        req.send(&[&[round]]);
        let i = peers
            .iter_mut()
            .position(|p| p.end.has_message())
            .expect("the request went somewhere");
        assert_eq!(peers[i].recv_all(), vec![msg(&[b"", &[round]])]);
        peers[i].send(&[b"", b"ok"]);
        assert_eq!(req.recv(), Some(msg(&[b"ok"])));
        served.push(i);
    }
    assert_eq!(served, vec![0, 1, 2, 0, 1, 2]);
}

#[test]
fn req_drops_replies_from_peers_it_did_not_ask() {
    let mut req = Socket::new(SocketType::Req);
    let mut asked = req.connect(b"", 10);
    let mut other = req.connect(b"", 10);
    req.send(&[b"question"]);
    assert_eq!(asked.recv_all().len(), 1);
    other.send(&[b"", b"forged", b"answer"]);
    assert_eq!(
        req.recv(),
        None,
        "a reply from the wrong peer is dropped whole"
    );
    asked.send(&[b"", b"answer"]);
    assert_eq!(req.recv(), Some(msg(&[b"answer"])));
    assert!(!req.has_in());
}

#[test]
fn req_drops_a_reply_without_its_delimiter() {
    let mut req = Socket::new(SocketType::Req);
    let mut rep = req.connect(b"", 10);
    req.send(&[b"q"]);
    rep.send(&[b"no delimiter", b"body"]);
    rep.send(&[b""]);
    assert_eq!(req.recv(), None);
    rep.send(&[b"", b"good"]);
    assert_eq!(req.recv(), Some(msg(&[b"good"])));
}

#[test]
fn req_skips_a_full_peer_and_waits_when_all_are_full() {
    let mut req = Socket::new(SocketType::Req).with(PatternOption::ReqRelaxed(true));
    let mut a = req.connect(b"", 1);
    let mut b = req.connect(b"", 1);
    req.send(&[b"1"]);
    req.send(&[b"2"]);
    assert!(would_block(req.try_send(&[b"3"])), "both peers are full");
    assert!(!req.has_out());
    assert_eq!(a.recv_all(), vec![msg(&[b"", b"1"])]);
    assert!(req.has_out(), "a read makes room");
    req.send(&[b"3"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"", b"3"])]);
    assert_eq!(b.recv_all(), vec![msg(&[b"", b"2"])]);
}

#[test]
fn req_relaxed_abandons_the_request_in_flight() {
    let mut req = Socket::new(SocketType::Req).with(PatternOption::ReqRelaxed(true));
    let mut a = req.connect(b"", 10);
    let mut b = req.connect(b"", 10);
    req.send(&[b"first"]);
    req.send(&[b"second"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"", b"first"])]);
    assert_eq!(b.recv_all(), vec![msg(&[b"", b"second"])]);
    a.send(&[b"", b"late"]);
    assert_eq!(req.recv(), None, "the abandoned request's reply is dropped");
    b.send(&[b"", b"current"]);
    assert_eq!(req.recv(), Some(msg(&[b"current"])));
}

#[test]
fn req_correlate_accepts_only_the_reply_tagged_with_the_last_request() {
    let mut req = Socket::new(SocketType::Req)
        .with(PatternOption::ReqRelaxed(true))
        .with(PatternOption::ReqCorrelate(true));
    let mut rep = req.connect(b"", 10);
    req.send(&[b"first"]);
    req.send(&[b"second"]);
    let requests = rep.recv_all();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.len(), 3, "id, delimiter, body: {request:?}");
        assert_eq!(request[0].len(), 4);
        assert!(request[1].is_empty());
    }
    assert_ne!(
        requests[0][0], requests[1][0],
        "each request has its own id"
    );
    // The same peer answers both: only the id tells the replies apart.
    let (old, new) = (&requests[0][0], &requests[1][0]);
    rep.send(&[old, b"", b"to first"]);
    assert_eq!(req.recv(), None);
    rep.send(&[new, b"", b"to second"]);
    assert_eq!(req.recv(), Some(msg(&[b"to second"])));
}

#[test]
fn rep_returns_the_reply_along_the_request_envelope() {
    let mut rep = Socket::new(SocketType::Rep);
    let mut router = rep.connect(b"", 10);
    router.send(&[b"hop1", b"hop2", b"", b"request", b"body"]);
    assert_eq!(rep.recv(), Some(msg(&[b"request", b"body"])));
    assert!(rep.has_out());
    rep.send(&[b"reply", b"parts"]);
    assert_eq!(
        router.recv_all(),
        vec![msg(&[b"hop1", b"hop2", b"", b"reply", b"parts"])]
    );
}

#[test]
fn rep_replies_to_the_peer_the_request_came_from() {
    let mut rep = Socket::new(SocketType::Rep);
    let mut a = rep.connect(b"", 10);
    let mut b = rep.connect(b"", 10);
    b.send(&[b"", b"from b"]);
    assert_eq!(rep.recv(), Some(msg(&[b"from b"])));
    rep.send(&[b"to b"]);
    assert!(a.recv_all().is_empty());
    assert_eq!(b.recv_all(), vec![msg(&[b"", b"to b"])]);
    a.send(&[b"", b"from a"]);
    assert_eq!(rep.recv(), Some(msg(&[b"from a"])));
    rep.send(&[b"to a"]);
    assert_eq!(a.recv_all(), vec![msg(&[b"", b"to a"])]);
    assert!(b.recv_all().is_empty());
}

#[test]
fn rep_alternates_strictly_between_request_and_reply() {
    let mut rep = Socket::new(SocketType::Rep);
    let mut req = rep.connect(b"", 10);
    assert!(failed_with(rep.try_send(&[b"unasked"]), |e| matches!(
        e,
        Error::State
    )));
    assert!(!rep.has_out());
    req.send(&[b"", b"1"]);
    req.send(&[b"", b"2"]);
    assert_eq!(rep.recv(), Some(msg(&[b"1"])));
    assert!(!rep.has_in(), "the next request waits for the reply");
    assert!(matches!(
        rep.recv_part(),
        Err(RecvError::Fail(Error::State))
    ));
    rep.send(&[b"r1"]);
    assert_eq!(rep.recv(), Some(msg(&[b"2"])));
}

#[test]
fn rep_drops_requests_without_a_delimiter() {
    let mut rep = Socket::new(SocketType::Rep);
    let mut req = rep.connect(b"", 10);
    req.send(&[b"no", b"delimiter"]);
    req.send(&[b"alone"]);
    req.send(&[b"", b"good"]);
    assert_eq!(rep.recv(), Some(msg(&[b"good"])));
    rep.send(&[b"ok"]);
    assert_eq!(req.recv_all(), vec![msg(&[b"", b"ok"])]);
}

#[test]
fn rep_drops_a_reply_the_requester_cannot_take_and_moves_on() {
    let mut rep = Socket::new(SocketType::Rep);
    let mut req = rep.connect(b"", 1);
    req.send(&[b"", b"1"]);
    assert_eq!(rep.recv(), Some(msg(&[b"1"])));
    rep.send(&[b"r1"]);
    req.send(&[b"", b"2"]);
    assert_eq!(rep.recv(), Some(msg(&[b"2"])));
    // The requester has not read r1: its pipe is full, and a REP never blocks on a reply.
    assert!(rep.has_out());
    rep.send(&[b"r2"]);
    assert_eq!(req.recv_all(), vec![msg(&[b"", b"r1"])]);
    req.send(&[b"", b"3"]);
    assert_eq!(rep.recv(), Some(msg(&[b"3"])));
}

#[test]
fn rep_survives_a_requester_that_left_before_the_reply() {
    let mut rep = Socket::new(SocketType::Rep);
    let mut gone = rep.connect(b"", 10);
    let mut stays = rep.connect(b"", 10);
    gone.send(&[b"", b"bye"]);
    let gone_id = gone.id;
    drop(gone.end);
    assert_eq!(rep.recv(), Some(msg(&[b"bye"])), "its request still counts");
    rep.send(&[b"nobody hears this"]);
    assert!(!rep.holds(gone_id), "the dead pipe is removed once drained");
    stays.send(&[b"", b"next"]);
    assert_eq!(rep.recv(), Some(msg(&[b"next"])));
}
