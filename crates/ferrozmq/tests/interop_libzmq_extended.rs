//! DEALER, ROUTER, PAIR, XPUB and XSUB against the real libzmq (4.3, through the `zmq`
//! crate), each library on each side, over tcp and ipc, with either side binding; the
//! options that shape those types (ROUTER_MANDATORY, ROUTER_HANDOVER, PROBE_ROUTER,
//! CONNECT_ROUTING_ID, XPUB_VERBOSE/VERBOSER/MANUAL/WELCOME_MSG, REQ_CORRELATE/RELAXED,
//! INVERT_MATCHING) against libzmq peers; and brokers built from them with the two
//! libraries mixed.
//!
//! Where the right answer is not obvious (which subscription notices an XPUB hands its
//! application), the scenario is run with libzmq on both sides as well, and ferrozmq must
//! match what libzmq does.

mod common;

use common::*;
use std::thread;
use std::time::{Duration, Instant};

/// How long "nothing more arrives" is watched for: far longer than a message takes over
/// loopback, short enough to keep the suite quick.
const QUIET: Duration = Duration::from_millis(150);

fn other(lib: Lib) -> Lib {
    match lib {
        Lib::Ferro => Lib::Zmq,
        Lib::Zmq => Lib::Ferro,
    }
}

/// libzmq options the `zmq` crate 0.10 has no setter for, set through the C function that
/// crate links in. The numbers are those of libzmq 4.3's zmq.h (stable API).
mod libzmq_options {
    use std::os::raw::{c_int, c_void};

    pub const CONNECT_ROUTING_ID: c_int = 61;
    pub const XPUB_MANUAL: c_int = 71;
    pub const XPUB_VERBOSER: c_int = 78;
    pub const INVERT_MATCHING: c_int = 74;

    extern "C" {
        fn zmq_setsockopt(
            socket: *mut c_void,
            option: c_int,
            value: *const c_void,
            len: usize,
        ) -> c_int;
    }

    pub fn set_bytes(socket: &mut zmq::Socket, option: c_int, value: &[u8]) {
        // SAFETY: the socket pointer is valid while `socket` is borrowed, and libzmq reads
        // exactly `value.len()` bytes from `value`.
        let rc = unsafe {
            zmq_setsockopt(
                socket.as_mut_ptr(),
                option,
                value.as_ptr().cast(),
                value.len(),
            )
        };
        assert_eq!(
            rc,
            0,
            "libzmq setsockopt {option}: {}",
            std::io::Error::last_os_error()
        );
    }

    pub fn set_flag(socket: &mut zmq::Socket, option: c_int, on: bool) {
        set_bytes(socket, option, &c_int::from(on).to_ne_bytes());
    }
}

/// A socket option, so that a scenario sets it the same way whichever library it runs on.
#[derive(Clone, Copy, Debug)]
enum Opt<'a> {
    RoutingId(&'a [u8]),
    ConnectRoutingId(&'a [u8]),
    RouterMandatory,
    RouterHandover,
    ProbeRouter,
    XpubVerbose,
    XpubVerboser,
    XpubManual,
    XpubWelcome(&'a str),
    ReqCorrelate,
    ReqRelaxed,
    InvertMatching,
    Immediate,
    NoReconnect,
}

fn set(peer: &mut Peer, opt: Opt) {
    let lib = peer.lib();
    let result = match peer {
        Peer::Ferro(s) => match opt {
            Opt::RoutingId(id) => s.options().set_routing_id(id),
            Opt::ConnectRoutingId(id) => s.options().set_connect_routing_id(id),
            Opt::RouterMandatory => s.options().set_router_mandatory(true),
            Opt::RouterHandover => s.options().set_router_handover(true),
            Opt::ProbeRouter => s.options().set_probe_router(true),
            Opt::XpubVerbose => s.options().set_xpub_verbose(true),
            Opt::XpubVerboser => s.options().set_xpub_verboser(true),
            Opt::XpubManual => s.options().set_xpub_manual(true),
            Opt::XpubWelcome(text) => s.options().set_xpub_welcome_msg(Some(text.as_bytes())),
            Opt::ReqCorrelate => s.options().set_req_correlate(true),
            Opt::ReqRelaxed => s.options().set_req_relaxed(true),
            Opt::InvertMatching => s.options().set_invert_matching(true),
            Opt::Immediate => s.options().set_immediate(true),
            Opt::NoReconnect => s.options().set_reconnect_ivl(None),
        }
        .map_err(|e| e.to_string()),
        Peer::Zmq(s) => match opt {
            Opt::RoutingId(id) => s.set_identity(id),
            Opt::ConnectRoutingId(id) => {
                libzmq_options::set_bytes(s, libzmq_options::CONNECT_ROUTING_ID, id);
                Ok(())
            }
            Opt::RouterMandatory => s.set_router_mandatory(true),
            Opt::RouterHandover => s.set_router_handover(true),
            Opt::ProbeRouter => s.set_probe_router(true),
            Opt::XpubVerbose => s.set_xpub_verbose(true),
            Opt::XpubVerboser => {
                libzmq_options::set_flag(s, libzmq_options::XPUB_VERBOSER, true);
                Ok(())
            }
            Opt::XpubManual => {
                libzmq_options::set_flag(s, libzmq_options::XPUB_MANUAL, true);
                Ok(())
            }
            Opt::XpubWelcome(text) => s.set_xpub_welcome_msg(Some(text)),
            Opt::ReqCorrelate => s.set_req_correlate(true),
            Opt::ReqRelaxed => s.set_req_relaxed(true),
            Opt::InvertMatching => {
                libzmq_options::set_flag(s, libzmq_options::INVERT_MATCHING, true);
                Ok(())
            }
            Opt::Immediate => s.set_immediate(true),
            Opt::NoReconnect => s.set_reconnect_ivl(-1),
        }
        .map_err(|e| e.to_string()),
    };
    result.unwrap_or_else(|e| panic!("{lib} {opt:?}: {e}"));
}

fn unsubscribe(peer: &Peer, prefix: &[u8]) {
    let result = match peer {
        Peer::Ferro(s) => s.unsubscribe(prefix).map_err(|e| e.to_string()),
        Peer::Zmq(s) => s.set_unsubscribe(prefix).map_err(|e| e.to_string()),
    };
    result.unwrap_or_else(|e| panic!("{} unsubscribe: {e}", peer.lib()));
}

/// Fails unless nothing arrives at `peer` for [`QUIET`].
fn assert_quiet(peer: &Peer, what: &str) {
    peer.set_rcvtimeo(QUIET.as_millis() as i32);
    let got = peer.try_recv_parts();
    peer.set_rcvtimeo(TIMEOUT_MS);
    assert_eq!(got, None, "{what}: {} received something", peer.lib());
}

/// What became of a message a ROUTER was asked to route, without blocking.
#[derive(Debug, PartialEq, Eq)]
enum Routed {
    Sent,
    HostUnreachable,
}

fn route(router: &Peer, message: &[&[u8]]) -> Routed {
    match router {
        Peer::Ferro(s) => match s.try_send_multipart(message.iter().copied()) {
            Ok(()) => Routed::Sent,
            Err(ferrozmq::Error::HostUnreachable) => Routed::HostUnreachable,
            Err(e) => panic!("ferrozmq ROUTER send: {e:?}"),
        },
        Peer::Zmq(s) => match s.send_multipart(message.iter().copied(), zmq::DONTWAIT) {
            Ok(()) => Routed::Sent,
            Err(zmq::Error::EHOSTUNREACH) => Routed::HostUnreachable,
            Err(e) => panic!("libzmq ROUTER send: {e:?}"),
        },
    }
}

/// Retries [`route`] until it gives `want`: a peer's routing id becomes known (or
/// forgotten) only when its connection is up (or gone), a moment after `connect` (or
/// close).
fn route_until(router: &Peer, message: &[&[u8]], want: Routed, what: &str) {
    let deadline = Instant::now() + TIMEOUT;
    while route(router, message) != want {
        assert!(
            Instant::now() < deadline,
            "{what}: {} ROUTER never gave {want:?} within {TIMEOUT:?}",
            router.lib()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// The first message each of `waiting` receives, while every socket in `waiting` and
/// `idle` gets a short turn in rotation; `idle` sockets must receive nothing meanwhile.
///
/// A socket (of either library) takes in a new connection, and sends what it sends on every
/// new connection (its subscriptions, a welcome message, a probe), only when its
/// application calls it. A socket that bound and sits idle while its peer waits would
/// never do so, so scenarios in which the other side waits first give it turns here.
fn recv_pumping(waiting: &[&Peer], idle: &[&Peer]) -> Vec<Vec<Vec<u8>>> {
    const TURN_MS: i32 = 10;
    let mut received: Vec<Option<Vec<Vec<u8>>>> = vec![None; waiting.len()];
    let deadline = Instant::now() + TIMEOUT;
    while received.iter().any(Option::is_none) {
        assert!(
            Instant::now() < deadline,
            "no message within {TIMEOUT:?} at the waiting {:?}",
            waiting.iter().map(|p| p.lib()).collect::<Vec<_>>()
        );
        for peer in idle {
            peer.set_rcvtimeo(TURN_MS);
            let got = peer.try_recv_parts();
            assert_eq!(got, None, "{} was to receive nothing yet", peer.lib());
        }
        for (peer, slot) in waiting.iter().zip(&mut received) {
            if slot.is_none() {
                peer.set_rcvtimeo(TURN_MS);
                *slot = peer.try_recv_parts();
            }
        }
    }
    for peer in waiting.iter().chain(idle) {
        peer.set_rcvtimeo(TIMEOUT_MS);
    }
    received.into_iter().flatten().collect()
}

/// The next message at `receiver`, giving `idle` turns (see [`recv_pumping`]).
fn recv_while_pumping(receiver: &Peer, idle: &Peer) -> Vec<Vec<u8>> {
    recv_pumping(&[receiver], &[idle])
        .pop()
        .expect("one message")
}

fn parts(list: &[&[u8]]) -> Vec<Vec<u8>> {
    list.iter().map(|p| p.to_vec()).collect()
}

// ---------------------------------------------------------------------------------------
// DEALER, ROUTER, REQ, REP
// ---------------------------------------------------------------------------------------

/// A ROUTER hears a DEALER that set ROUTING_ID by that id, and an anonymous one by a
/// generated id (five bytes, the first zero), and both ids route replies back.
fn dealer_router(transport: Transport, binder: Lib, dealer_lib: Lib, router_lib: Lib) {
    let kit = Kit::new();
    let router = kit.socket(router_lib, Kind::Router);
    let mut named = kit.socket(dealer_lib, Kind::Dealer);
    set(&mut named, Opt::RoutingId(b"worker-1"));
    let anonymous = kit.socket(dealer_lib, Kind::Dealer);
    link(&router, &named, transport, binder);
    link(&router, &anonymous, transport, binder);

    named.send(b"from named");
    assert_eq!(
        router.recv_parts(),
        parts(&[b"worker-1", b"from named"]),
        "the announced routing id comes first"
    );
    anonymous.send_parts(&[b"a", b"b"]);
    let got = router.recv_parts();
    assert_eq!(got.len(), 3, "generated id and two parts: {got:?}");
    let generated = &got[0];
    assert_eq!(
        generated.len(),
        5,
        "generated ids are 5 bytes: {generated:?}"
    );
    assert_eq!(generated[0], 0, "generated ids start with a zero byte");
    assert_eq!(got[1..], parts(&[b"a", b"b"]));

    router.send_parts(&[&generated[..], b"back", b"to you"]);
    assert_eq!(anonymous.recv_parts(), parts(&[b"back", b"to you"]));
    router.send_parts(&[&b"worker-1"[..], b"to named"]);
    assert_eq!(named.recv(), b"to named");
    assert_quiet(&anonymous, "a reply to worker-1 reaches only worker-1");
}

fn ferro_dealer_libzmq_router(t: Transport, binder: Lib) {
    dealer_router(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_dealer_ferro_router(t: Transport, binder: Lib) {
    dealer_router(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    libzmq_router_knows_ferrozmq_dealers_by_announced_and_generated_ids,
    ferro_dealer_libzmq_router
);
both_ways_on_both_transports!(
    ferrozmq_router_knows_libzmq_dealers_by_announced_and_generated_ids,
    libzmq_dealer_ferro_router
);

/// A REP strips everything up to the empty delimiter a DEALER sends and puts it back on
/// the reply, however many address parts precede it.
fn dealer_rep(transport: Transport, binder: Lib, dealer_lib: Lib, rep_lib: Lib) {
    let kit = Kit::new();
    let dealer = kit.socket(dealer_lib, Kind::Dealer);
    let rep = kit.socket(rep_lib, Kind::Rep);
    link(&dealer, &rep, transport, binder);

    dealer.send_parts(&[&b""[..], b"request"]);
    assert_eq!(rep.recv(), b"request");
    rep.send(b"reply");
    assert_eq!(dealer.recv_parts(), parts(&[b"", b"reply"]));

    dealer.send_parts(&[&b"hop-1"[..], b"hop-2", b"", b"again"]);
    assert_eq!(rep.recv(), b"again");
    rep.send_parts(&[&b"re"[..], b"ply"]);
    assert_eq!(
        dealer.recv_parts(),
        parts(&[b"hop-1", b"hop-2", b"", b"re", b"ply"]),
        "the whole envelope comes back"
    );
}

fn ferro_dealer_libzmq_rep(t: Transport, binder: Lib) {
    dealer_rep(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_dealer_ferro_rep(t: Transport, binder: Lib) {
    dealer_rep(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    libzmq_rep_returns_the_envelope_of_a_ferrozmq_dealer,
    ferro_dealer_libzmq_rep
);
both_ways_on_both_transports!(
    ferrozmq_rep_returns_the_envelope_of_a_libzmq_dealer,
    libzmq_dealer_ferro_rep
);

/// A REQ's request reaches a ROUTER as [routing id, empty delimiter, body], and the REQ
/// takes the reply the ROUTER addresses the same way.
fn req_router(transport: Transport, binder: Lib, req_lib: Lib, router_lib: Lib) {
    let kit = Kit::new();
    let mut req = kit.socket(req_lib, Kind::Req);
    set(&mut req, Opt::RoutingId(b"client-7"));
    let router = kit.socket(router_lib, Kind::Router);
    link(&req, &router, transport, binder);
    for i in 0..3 {
        let question = format!("question {i}");
        req.send(question.as_bytes());
        assert_eq!(
            router.recv_parts(),
            parts(&[b"client-7", b"", question.as_bytes()]),
            "request {i} in its envelope"
        );
        let answer = format!("answer {i}");
        router.send_parts(&[&b"client-7"[..], b"", answer.as_bytes()]);
        assert_eq!(req.recv(), answer.as_bytes(), "reply {i}");
    }
}

fn ferro_req_libzmq_router(t: Transport, binder: Lib) {
    req_router(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_req_ferro_router(t: Transport, binder: Lib) {
    req_router(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    libzmq_router_serves_a_ferrozmq_req_through_its_envelope,
    ferro_req_libzmq_router
);
both_ways_on_both_transports!(
    ferrozmq_router_serves_a_libzmq_req_through_its_envelope,
    libzmq_req_ferro_router
);

/// Two DEALERs pass multipart messages both ways, in order.
fn dealer_dealer(transport: Transport, binder: Lib) {
    let kit = Kit::new();
    let ferro = kit.socket(Lib::Ferro, Kind::Dealer);
    let zmq = kit.socket(Lib::Zmq, Kind::Dealer);
    link(&ferro, &zmq, transport, binder);
    for (from, to) in [(&ferro, &zmq), (&zmq, &ferro)] {
        for i in 0..20u8 {
            from.send_parts(&[&[i][..], b"", b"tail"]);
        }
        for i in 0..20u8 {
            assert_eq!(
                to.recv_parts(),
                parts(&[&[i], b"", b"tail"]),
                "message {i} from {} to {}",
                from.lib(),
                to.lib()
            );
        }
    }
}

both_ways_on_both_transports!(
    dealers_of_both_libraries_exchange_multipart_messages_in_order,
    dealer_dealer
);

/// ROUTER to ROUTER, libzmq's way: the connecting ROUTER names the peer of its next
/// connect with CONNECT_ROUTING_ID and may address it at once; the binding ROUTER learns
/// the connecting one's ROUTING_ID from its first message.
fn router_router_with_connect_routing_id(transport: Transport, binder: Lib) {
    let kit = Kit::new();
    let mut server = kit.socket(binder, Kind::Router);
    set(&mut server, Opt::RoutingId(b"server"));
    let mut client = kit.socket(other(binder), Kind::Router);
    set(&mut client, Opt::RoutingId(b"client"));
    set(&mut client, Opt::RouterMandatory);
    // Deliberately not the id the server announces: the connect-side name wins.
    set(&mut client, Opt::ConnectRoutingId(b"alias"));
    let endpoint = server.bind(&transport.bind_endpoint());
    client.connect(&endpoint);

    assert_eq!(
        route(&client, &[b"alias", b"hello"]),
        Routed::Sent,
        "the peer is addressable from connect on, even before the handshake"
    );
    assert_eq!(server.recv_parts(), parts(&[b"client", b"hello"]));
    server.send_parts(&[&b"client"[..], b"world"]);
    assert_eq!(client.recv_parts(), parts(&[b"alias", b"world"]));
}

both_ways_on_both_transports!(
    routers_of_both_libraries_talk_when_the_connecting_one_names_its_peer,
    router_router_with_connect_routing_id
);

/// ROUTER to ROUTER without CONNECT_ROUTING_ID: the connecting ROUTER knows the binding
/// one by the ROUTING_ID it announces, once the handshake has brought it (until then a
/// ROUTER_MANDATORY send fails with EHOSTUNREACH).
fn router_router_by_announced_id(transport: Transport, binder: Lib) {
    let kit = Kit::new();
    let mut server = kit.socket(binder, Kind::Router);
    set(&mut server, Opt::RoutingId(b"server"));
    let mut client = kit.socket(other(binder), Kind::Router);
    set(&mut client, Opt::RoutingId(b"client"));
    set(&mut client, Opt::RouterMandatory);
    let endpoint = server.bind(&transport.bind_endpoint());
    client.connect(&endpoint);

    route_until(
        &client,
        &[b"server", b"hello"],
        Routed::Sent,
        "the server's announced id",
    );
    assert_eq!(server.recv_parts(), parts(&[b"client", b"hello"]));
    server.send_parts(&[&b"client"[..], b"world"]);
    assert_eq!(client.recv_parts(), parts(&[b"server", b"world"]));
}

both_ways_on_both_transports!(
    routers_of_both_libraries_talk_by_announced_routing_ids,
    router_router_by_announced_id
);

/// Whether `peer` reports POLLIN within `wait`.
fn readable_within(peer: &Peer, wait: Duration) -> bool {
    let ms = wait.as_millis() as i64;
    match peer {
        Peer::Ferro(s) => !s
            .poll(ferrozmq::POLLIN, Some(wait))
            .expect("ferrozmq poll")
            .is_empty(),
        Peer::Zmq(s) => s.poll(zmq::POLLIN, ms).expect("libzmq poll") > 0,
    }
}

/// A peer leaving is no message: once a fair-queuing socket (ROUTER, DEALER) has received
/// all its peer sent, that peer's disconnection does not make it readable. (An application
/// that trusts POLLIN and receives without DONTWAIT would block for ever.)
fn not_readable_when_a_peer_leaves(transport: Transport, receiver_lib: Lib, receiver_kind: Kind) {
    let kit = Kit::new();
    let receiver = kit.socket(receiver_lib, receiver_kind);
    let endpoint = receiver.bind(&transport.bind_endpoint());
    let mut leaving = kit.socket(other(receiver_lib), Kind::Dealer);
    set(&mut leaving, Opt::NoReconnect);
    leaving.connect(&endpoint);
    leaving.send(b"last words");
    assert_eq!(receiver.recv_parts().last(), Some(&b"last words".to_vec()));
    drop(leaving);
    assert!(
        !readable_within(&receiver, 2 * QUIET),
        "{} {receiver_kind:?} reports POLLIN for a peer that left without sending more",
        receiver.lib()
    );
}

#[test]
fn ferrozmq_router_is_not_readable_when_a_libzmq_peer_leaves() {
    for transport in [Transport::Tcp, Transport::Ipc] {
        not_readable_when_a_peer_leaves(transport, Lib::Ferro, Kind::Router);
    }
}

#[test]
fn ferrozmq_dealer_is_not_readable_when_a_libzmq_peer_leaves() {
    not_readable_when_a_peer_leaves(Transport::Tcp, Lib::Ferro, Kind::Dealer);
}

#[test]
fn libzmq_router_is_not_readable_when_a_ferrozmq_peer_leaves() {
    not_readable_when_a_peer_leaves(Transport::Tcp, Lib::Zmq, Kind::Router);
}

// ---------------------------------------------------------------------------------------
// PAIR
// ---------------------------------------------------------------------------------------

fn pair_pair(transport: Transport, binder: Lib) {
    let kit = Kit::new();
    let ferro = kit.socket(Lib::Ferro, Kind::Pair);
    let zmq = kit.socket(Lib::Zmq, Kind::Pair);
    link(&ferro, &zmq, transport, binder);
    for (from, to) in [(&ferro, &zmq), (&zmq, &ferro)] {
        for i in 0..50u8 {
            from.send_parts(&[&[i][..], "双向".as_bytes()]);
        }
        for i in 0..50u8 {
            assert_eq!(
                to.recv_parts(),
                parts(&[&[i], "双向".as_bytes()]),
                "message {i} from {} to {}",
                from.lib(),
                to.lib()
            );
        }
    }
}

both_ways_on_both_transports!(pairs_of_both_libraries_talk_both_ways, pair_pair);

// ---------------------------------------------------------------------------------------
// XPUB, XSUB
// ---------------------------------------------------------------------------------------

/// An XPUB hears a SUB's subscription as `\x01prefix`; once it has, the filter is in
/// place and only matching messages reach the SUB.
fn xpub_sub(transport: Transport, binder: Lib, xpub_lib: Lib, sub_lib: Lib) {
    let kit = Kit::new();
    let xpub = kit.socket(xpub_lib, Kind::XPub);
    let sub = kit.socket(sub_lib, Kind::Sub);
    sub.subscribe(b"A");
    link(&xpub, &sub, transport, binder);
    assert_eq!(
        recv_while_pumping(&xpub, &sub),
        parts(&[b"\x01A"]),
        "the subscription notice"
    );
    for i in 0..10 {
        xpub.send(format!("B-{i}").as_bytes());
        xpub.send(format!("A-{i}").as_bytes());
    }
    for i in 0..10 {
        assert_eq!(sub.recv(), format!("A-{i}").into_bytes(), "message {i}");
    }
    assert_quiet(&sub, "no B message gets through");
}

fn ferro_xpub_libzmq_sub(t: Transport, binder: Lib) {
    xpub_sub(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_xpub_ferro_sub(t: Transport, binder: Lib) {
    xpub_sub(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_xpub_hears_and_applies_libzmq_sub_subscriptions,
    ferro_xpub_libzmq_sub
);
both_ways_on_both_transports!(
    libzmq_xpub_hears_and_applies_ferrozmq_sub_subscriptions,
    libzmq_xpub_ferro_sub
);

/// Publishes `probe` until `xsub` receives nothing for a few windows in a row: the cancel
/// it sent has reached the publisher.
fn publish_until_filtered_out(publisher: &Peer, xsub: &Peer, probe: &[u8]) {
    xsub.set_rcvtimeo(20);
    let deadline = Instant::now() + TIMEOUT;
    let mut quiet_windows = 0;
    while quiet_windows < 3 {
        assert!(
            Instant::now() < deadline,
            "{} publisher still sends {probe:?} after the cancel",
            publisher.lib()
        );
        publisher.send(probe);
        match xsub.try_recv_parts() {
            Some(m) => {
                assert_eq!(m, parts(&[probe]), "only the probe arrives");
                quiet_windows = 0;
            }
            None => quiet_windows += 1,
        }
    }
    xsub.set_rcvtimeo(TIMEOUT_MS);
}

/// An XSUB subscribes by sending `\x01prefix` and cancels by sending `\x00prefix`; the
/// publisher filters accordingly.
fn pub_xsub(transport: Transport, binder: Lib, pub_lib: Lib, xsub_lib: Lib) {
    let kit = Kit::new();
    let publisher = kit.socket(pub_lib, Kind::Pub);
    let xsub = kit.socket(xsub_lib, Kind::XSub);
    link(&publisher, &xsub, transport, binder);
    xsub.send(b"\x01A");
    for m in sync_pub_sub(&publisher, &xsub, &[b"B-probe", b"A-probe"], "subscribe") {
        assert_eq!(m, parts(&[b"A-probe"]), "only A messages reach the XSUB");
    }
    for i in 0..10 {
        publisher.send(format!("B-{i}").as_bytes());
        publisher.send(format!("A-{i}").as_bytes());
    }
    for i in 0..10 {
        assert_eq!(xsub.recv(), format!("A-{i}").into_bytes(), "message {i}");
    }
    xsub.send(b"\x00A");
    publish_until_filtered_out(&publisher, &xsub, b"A-late");
}

fn ferro_pub_libzmq_xsub(t: Transport, binder: Lib) {
    pub_xsub(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_pub_ferro_xsub(t: Transport, binder: Lib) {
    pub_xsub(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_pub_filters_for_a_libzmq_xsub,
    ferro_pub_libzmq_xsub
);
both_ways_on_both_transports!(
    libzmq_pub_filters_for_a_ferrozmq_xsub,
    libzmq_pub_ferro_xsub
);

/// XPUB to XSUB: subscriptions and cancels surface as notices, other messages the XSUB
/// sends travel upstream as they are, and the XPUB filters what it publishes.
fn xpub_xsub(transport: Transport, binder: Lib, xpub_lib: Lib, xsub_lib: Lib) {
    let kit = Kit::new();
    let xpub = kit.socket(xpub_lib, Kind::XPub);
    let xsub = kit.socket(xsub_lib, Kind::XSub);
    link(&xpub, &xsub, transport, binder);
    xsub.send(b"\x01A");
    assert_eq!(recv_while_pumping(&xpub, &xsub), parts(&[b"\x01A"]));
    xpub.send(b"B-1");
    xpub.send(b"A-1");
    assert_eq!(xsub.recv(), b"A-1");
    xsub.send(b"upstream");
    assert_eq!(xpub.recv(), b"upstream", "a plain message goes upstream");
    xsub.send(b"\x00A");
    assert_eq!(xpub.recv(), b"\x00A");
    xpub.send(b"A-2");
    assert_quiet(&xsub, "nothing is published to a cancelled subscription");
}

fn ferro_xpub_libzmq_xsub(t: Transport, binder: Lib) {
    xpub_xsub(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_xpub_ferro_xsub(t: Transport, binder: Lib) {
    xpub_xsub(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_xpub_and_libzmq_xsub_exchange_subscriptions_and_messages,
    ferro_xpub_libzmq_xsub
);
both_ways_on_both_transports!(
    libzmq_xpub_and_ferrozmq_xsub_exchange_subscriptions_and_messages,
    libzmq_xpub_ferro_xsub
);

/// INVERT_MATCHING on both sides: the subscriber gets what matches none of its prefixes.
fn inverted_pub_sub(transport: Transport, binder: Lib, pub_lib: Lib, sub_lib: Lib) {
    let kit = Kit::new();
    let mut publisher = kit.socket(pub_lib, Kind::Pub);
    set(&mut publisher, Opt::InvertMatching);
    let mut sub = kit.socket(sub_lib, Kind::Sub);
    set(&mut sub, Opt::InvertMatching);
    sub.subscribe(b"A");
    link(&publisher, &sub, transport, binder);
    for m in sync_pub_sub(&publisher, &sub, &[b"A-probe", b"B-probe"], "inverted") {
        assert_eq!(m, parts(&[b"B-probe"]), "only what does not match arrives");
    }
    for i in 0..10 {
        publisher.send(format!("A-{i}").as_bytes());
        publisher.send(format!("B-{i}").as_bytes());
    }
    for i in 0..10 {
        assert_eq!(sub.recv(), format!("B-{i}").into_bytes(), "message {i}");
    }
    assert_quiet(&sub, "no A message gets through");
}

fn ferro_inverted_pub_libzmq_sub(t: Transport, binder: Lib) {
    inverted_pub_sub(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_inverted_pub_ferro_sub(t: Transport, binder: Lib) {
    inverted_pub_sub(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_pub_inverts_matching_for_a_libzmq_sub,
    ferro_inverted_pub_libzmq_sub
);
both_ways_on_both_transports!(
    libzmq_pub_inverts_matching_for_a_ferrozmq_sub,
    libzmq_inverted_pub_ferro_sub
);

/// The XPUB options whose notices are compared with libzmq's.
#[derive(Clone, Copy, Debug)]
enum Notices {
    /// New subscriptions and the last cancel of a prefix only.
    Plain,
    /// XPUB_VERBOSE: every subscription, still only the last cancel.
    Verbose,
    /// XPUB_VERBOSER: every subscription and every cancel.
    Verboser,
    /// XPUB_MANUAL: everything, the application decides.
    Manual,
}

/// What two subscribers do, in turn, to an XPUB.
#[derive(Clone, Copy, Debug)]
enum Action {
    Subscribe(usize, &'static [u8]),
    Unsubscribe(usize, &'static [u8]),
    Disconnect(usize),
}

/// Covers a new prefix, the same prefix from another peer and again from the same peer,
/// a cancel that leaves a count behind at the SUB, a cancel that leaves another peer
/// subscribed, the last cancel, the empty prefix, and disconnects with subscriptions
/// shared and not.
const ACTIONS: [Action; 11] = [
    Action::Subscribe(0, b"A"),
    Action::Subscribe(1, b"A"),
    Action::Subscribe(0, b"A"),
    Action::Subscribe(0, b"B"),
    Action::Unsubscribe(0, b"A"),
    Action::Unsubscribe(0, b"A"),
    Action::Unsubscribe(1, b"A"),
    Action::Subscribe(1, b"B"),
    Action::Subscribe(1, b""),
    Action::Disconnect(0),
    Action::Disconnect(1),
];

/// A notice as `+prefix` or `-prefix`, so that differences read easily.
fn notice_text(notice: &[u8]) -> String {
    match notice.split_first() {
        Some((1, prefix)) => format!("+{}", String::from_utf8_lossy(prefix)),
        Some((0, prefix)) => format!("-{}", String::from_utf8_lossy(prefix)),
        _ => panic!("not a subscription notice: {notice:?}"),
    }
}

/// The notices an XPUB of `xpub_lib` hands its application for each of [`ACTIONS`] done by
/// two SUBs of `sub_lib`.
///
/// After each subscribe or unsubscribe, the acting SUB also subscribes to a fresh marker
/// prefix: a new prefix is always notified, and a peer's messages arrive in order, so the
/// marker's notice closes the action's notices without a wait. A disconnect leaves no such
/// marker: its notices are those that arrive before [`QUIET`] passes, sorted, since
/// libzmq does not promise an order among the prefixes a leaving peer held.
fn xpub_notices(
    transport: Transport,
    mode: Notices,
    xpub_lib: Lib,
    sub_lib: Lib,
) -> Vec<(String, Vec<String>)> {
    let kit = Kit::new();
    let mut xpub = kit.socket(xpub_lib, Kind::XPub);
    match mode {
        Notices::Plain => {}
        Notices::Verbose => set(&mut xpub, Opt::XpubVerbose),
        Notices::Verboser => set(&mut xpub, Opt::XpubVerboser),
        Notices::Manual => set(&mut xpub, Opt::XpubManual),
    }
    let endpoint = xpub.bind(&transport.bind_endpoint());
    let mut subs: Vec<Option<Peer>> = (0..2)
        .map(|_| {
            let sub = kit.socket(sub_lib, Kind::Sub);
            sub.connect(&endpoint);
            Some(sub)
        })
        .collect();

    let mut record = Vec::new();
    for (step, action) in ACTIONS.into_iter().enumerate() {
        let mut notices = Vec::new();
        match action {
            Action::Subscribe(who, prefix) | Action::Unsubscribe(who, prefix) => {
                let sub = subs[who].as_ref().expect("a connected subscriber");
                if matches!(action, Action::Subscribe(..)) {
                    sub.subscribe(prefix);
                } else {
                    unsubscribe(sub, prefix);
                }
                let marker = format!("~{step}");
                sub.subscribe(marker.as_bytes());
                let marker_notice = format!("+{marker}");
                loop {
                    let notice = notice_text(&xpub.recv());
                    if notice == marker_notice {
                        break;
                    }
                    notices.push(notice);
                }
            }
            Action::Disconnect(who) => {
                drop(subs[who].take());
                xpub.set_rcvtimeo(QUIET.as_millis() as i32);
                while let Some(notice) = xpub.try_recv_parts() {
                    assert_eq!(notice.len(), 1, "notices are single-part: {notice:?}");
                    notices.push(notice_text(&notice[0]));
                }
                xpub.set_rcvtimeo(TIMEOUT_MS);
                notices.sort();
            }
        }
        record.push((format!("{step}: {action:?}"), notices));
    }
    record
}

/// Runs [`ACTIONS`] against a libzmq XPUB and a ferrozmq XPUB, with SUBs of each library,
/// and requires the same notices.
fn same_notices_as_libzmq(transport: Transport, mode: Notices) {
    for sub_lib in [Lib::Zmq, Lib::Ferro] {
        let reference = xpub_notices(transport, mode, Lib::Zmq, sub_lib);
        let ferro = xpub_notices(transport, mode, Lib::Ferro, sub_lib);
        for ((action, want), (_, got)) in reference.iter().zip(&ferro) {
            assert_eq!(
                got, want,
                "{mode:?} XPUB, {sub_lib:?} SUBs, after {action}: ferrozmq's notices (left) \
                 differ from libzmq's (right)"
            );
        }
    }
}

macro_rules! notices_on_both_transports {
    ($name:ident, $mode:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn over_tcp() {
                same_notices_as_libzmq(Transport::Tcp, $mode)
            }
            #[test]
            fn over_ipc() {
                same_notices_as_libzmq(Transport::Ipc, $mode)
            }
        }
    };
}

notices_on_both_transports!(xpub_notifies_new_prefixes_like_libzmq, Notices::Plain);
notices_on_both_transports!(
    xpub_verbose_notifies_every_subscription_like_libzmq,
    Notices::Verbose
);
notices_on_both_transports!(
    xpub_verboser_notifies_every_subscription_and_cancel_like_libzmq,
    Notices::Verboser
);
notices_on_both_transports!(
    xpub_manual_passes_every_subscription_and_cancel_like_libzmq,
    Notices::Manual
);

/// Through a verboser libzmq XPUB, which shows everything a subscriber sends, a ferrozmq
/// SUB sends what a libzmq SUB sends for the same calls.
#[test]
fn ferrozmq_sub_sends_the_subscriptions_and_cancels_libzmq_sub_sends() {
    for transport in [Transport::Tcp, Transport::Ipc] {
        let reference = xpub_notices(transport, Notices::Verboser, Lib::Zmq, Lib::Zmq);
        let ferro = xpub_notices(transport, Notices::Verboser, Lib::Zmq, Lib::Ferro);
        assert_eq!(ferro, reference, "{transport:?}: ferrozmq SUBs (left)");
    }
}

/// XPUB_MANUAL: the subscription a subscriber asked for does not filter; the one the
/// application sets in answer to its notice does. The subscriber is an XSUB, which does
/// not filter on its own side, so what arrives is what the XPUB chose to send.
fn xpub_manual(transport: Transport, binder: Lib, xpub_lib: Lib, xsub_lib: Lib) {
    let kit = Kit::new();
    let mut xpub = kit.socket(xpub_lib, Kind::XPub);
    set(&mut xpub, Opt::XpubManual);
    let xsub = kit.socket(xsub_lib, Kind::XSub);
    link(&xpub, &xsub, transport, binder);
    xsub.send(b"\x01A");
    assert_eq!(recv_while_pumping(&xpub, &xsub), parts(&[b"\x01A"]));
    xpub.subscribe(b"B");
    xpub.send(b"A-1");
    xpub.send(b"B-1");
    assert_eq!(
        xsub.recv(),
        b"B-1",
        "only the subscription the application set filters"
    );
    assert_quiet(&xsub, "nothing else is published");
}

fn ferro_manual_xpub_libzmq_xsub(t: Transport, binder: Lib) {
    xpub_manual(t, binder, Lib::Ferro, Lib::Zmq)
}

both_ways_on_both_transports!(
    ferrozmq_xpub_manual_filters_a_libzmq_xsub_by_what_the_application_subscribes,
    ferro_manual_xpub_libzmq_xsub
);

#[test]
fn libzmq_xpub_manual_filters_a_ferrozmq_xsub_by_what_the_application_subscribes() {
    xpub_manual(Transport::Tcp, Lib::Zmq, Lib::Zmq, Lib::Ferro)
}

/// XPUB_WELCOME_MSG: every new subscriber gets the welcome message (a SUB only if it
/// subscribes to it). XPUB_VERBOSE makes each subscriber's arrival visible at the XPUB.
fn xpub_welcome(transport: Transport, binder: Lib, xpub_lib: Lib, sub_lib: Lib) {
    let kit = Kit::new();
    let mut xpub = kit.socket(xpub_lib, Kind::XPub);
    set(&mut xpub, Opt::XpubWelcome("welcome"));
    set(&mut xpub, Opt::XpubVerbose);
    let subs = [
        kit.socket(sub_lib, Kind::Sub),
        kit.socket(sub_lib, Kind::Sub),
    ];
    for (i, sub) in subs.iter().enumerate() {
        sub.subscribe(b"welcome");
        link(&xpub, sub, transport, binder);
        assert_eq!(
            recv_pumping(&[&xpub, sub], &[]),
            [parts(&[b"\x01welcome"]), parts(&[b"welcome"])],
            "subscriber {i}: its subscription at the XPUB, the welcome at the SUB"
        );
    }
}

fn ferro_welcoming_xpub_libzmq_sub(t: Transport, binder: Lib) {
    xpub_welcome(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_welcoming_xpub_ferro_sub(t: Transport, binder: Lib) {
    xpub_welcome(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_xpub_welcomes_each_libzmq_sub,
    ferro_welcoming_xpub_libzmq_sub
);
both_ways_on_both_transports!(
    libzmq_xpub_welcomes_each_ferrozmq_sub,
    libzmq_welcoming_xpub_ferro_sub
);

// ---------------------------------------------------------------------------------------
// ROUTER options
// ---------------------------------------------------------------------------------------

/// ROUTER_MANDATORY: an unknown id fails with EHOSTUNREACH and a peer's id routes once its
/// connection is up. When the peer leaves, a ROUTER that accepted its connection forgets
/// the id; one that made the connection keeps it (and queues) for the reconnection, as
/// libzmq does.
fn router_mandatory(transport: Transport, binder: Lib, router_lib: Lib, dealer_lib: Lib) {
    let kit = Kit::new();
    let mut router = kit.socket(router_lib, Kind::Router);
    set(&mut router, Opt::RouterMandatory);
    let mut dealer = kit.socket(dealer_lib, Kind::Dealer);
    set(&mut dealer, Opt::RoutingId(b"known"));
    set(&mut dealer, Opt::NoReconnect);

    assert_eq!(
        route(&router, &[b"known", b"early"]),
        Routed::HostUnreachable,
        "nobody is connected yet"
    );
    link(&router, &dealer, transport, binder);
    route_until(&router, &[b"known", b"hello"], Routed::Sent, "peer arrives");
    assert_eq!(dealer.recv(), b"hello");
    assert_eq!(
        route(&router, &[b"unknown", b"lost"]),
        Routed::HostUnreachable,
        "an id nobody announced"
    );
    drop(dealer);
    if binder == router_lib {
        route_until(
            &router,
            &[b"known", b"bye"],
            Routed::HostUnreachable,
            "peer leaves",
        );
    } else {
        thread::sleep(QUIET);
        assert_eq!(
            route(&router, &[b"known", b"queued"]),
            Routed::Sent,
            "the connecting ROUTER keeps the id of a peer it will reconnect to"
        );
    }
}

fn ferro_mandatory_router(t: Transport, binder: Lib) {
    router_mandatory(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_mandatory_router(t: Transport, binder: Lib) {
    router_mandatory(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_router_mandatory_reports_libzmq_peers_unreachable_until_connected_and_after_leaving,
    ferro_mandatory_router
);
both_ways_on_both_transports!(
    libzmq_router_mandatory_reports_ferrozmq_peers_unreachable_until_connected_and_after_leaving,
    libzmq_mandatory_router
);

/// Two DEALERs announce the same routing id to a ROUTER. With ROUTER_HANDOVER the second
/// takes the id over and the first is disconnected; without it the second is ignored.
fn router_handover(transport: Transport, router_lib: Lib, dealer_lib: Lib, handover: bool) {
    let kit = Kit::new();
    let mut router = kit.socket(router_lib, Kind::Router);
    if handover {
        set(&mut router, Opt::RouterHandover);
    }
    let endpoint = router.bind(&transport.bind_endpoint());
    let mut first = kit.socket(dealer_lib, Kind::Dealer);
    set(&mut first, Opt::RoutingId(b"dup"));
    // A displaced peer that came back would take the id back in turn.
    set(&mut first, Opt::NoReconnect);
    first.connect(&endpoint);
    first.send(b"from first");
    assert_eq!(router.recv_parts(), parts(&[b"dup", b"from first"]));

    let mut second = kit.socket(dealer_lib, Kind::Dealer);
    set(&mut second, Opt::RoutingId(b"dup"));
    set(&mut second, Opt::NoReconnect);
    // IMMEDIATE: the send waits for the handshake, so the ROUTER has the second peer's
    // id before it sees the message.
    set(&mut second, Opt::Immediate);
    second.connect(&endpoint);
    second.send(b"from second");
    if handover {
        assert_eq!(router.recv_parts(), parts(&[b"dup", b"from second"]));
    } else {
        assert_quiet(&router, "an ignored peer's messages are dropped");
    }
    router.send_parts(&[&b"dup"[..], b"to dup"]);
    let (owner, displaced) = if handover {
        (&second, &first)
    } else {
        (&first, &second)
    };
    assert_eq!(owner.recv(), b"to dup", "handover {handover}");
    assert_quiet(displaced, "the other peer hears nothing");
}

#[test]
fn ferrozmq_router_handover_gives_a_libzmq_peers_id_to_the_newcomer() {
    for transport in [Transport::Tcp, Transport::Ipc] {
        router_handover(transport, Lib::Ferro, Lib::Zmq, true);
    }
}

#[test]
fn ferrozmq_router_without_handover_ignores_a_libzmq_peer_with_a_taken_id() {
    for transport in [Transport::Tcp, Transport::Ipc] {
        router_handover(transport, Lib::Ferro, Lib::Zmq, false);
    }
}

#[test]
fn libzmq_router_handover_gives_a_ferrozmq_peers_id_to_the_newcomer() {
    router_handover(Transport::Tcp, Lib::Zmq, Lib::Ferro, true);
}

#[test]
fn libzmq_router_without_handover_ignores_a_ferrozmq_peer_with_a_taken_id() {
    router_handover(Transport::Tcp, Lib::Zmq, Lib::Ferro, false);
}

/// PROBE_ROUTER: a socket greets each new ROUTER peer with an empty message, so that the
/// ROUTER learns its routing id before it says anything.
fn probe_router(
    transport: Transport,
    binder: Lib,
    prober_lib: Lib,
    prober_kind: Kind,
    router_lib: Lib,
) {
    let kit = Kit::new();
    let mut prober = kit.socket(prober_lib, prober_kind);
    set(&mut prober, Opt::ProbeRouter);
    set(&mut prober, Opt::RoutingId(b"prober"));
    let mut router = kit.socket(router_lib, Kind::Router);
    set(&mut router, Opt::RoutingId(b"hub"));
    link(&prober, &router, transport, binder);
    assert_eq!(
        recv_while_pumping(&router, &prober),
        parts(&[b"prober", b""]),
        "the probe: the prober's id and an empty part"
    );
    router.send_parts(&[&b"prober"[..], b"seen you"]);
    let want = match prober_kind {
        Kind::Router => parts(&[b"hub", b"seen you"]),
        _ => parts(&[b"seen you"]),
    };
    assert_eq!(prober.recv_parts(), want);
}

fn ferro_dealer_probes_libzmq_router(t: Transport, binder: Lib) {
    probe_router(t, binder, Lib::Ferro, Kind::Dealer, Lib::Zmq)
}

fn libzmq_dealer_probes_ferro_router(t: Transport, binder: Lib) {
    probe_router(t, binder, Lib::Zmq, Kind::Dealer, Lib::Ferro)
}

fn ferro_router_probes_libzmq_router(t: Transport, binder: Lib) {
    probe_router(t, binder, Lib::Ferro, Kind::Router, Lib::Zmq)
}

both_ways_on_both_transports!(
    ferrozmq_dealer_probe_tells_libzmq_router_its_id,
    ferro_dealer_probes_libzmq_router
);
both_ways_on_both_transports!(
    libzmq_dealer_probe_tells_ferrozmq_router_its_id,
    libzmq_dealer_probes_ferro_router
);
both_ways_on_both_transports!(
    ferrozmq_router_probe_tells_libzmq_router_its_id,
    ferro_router_probes_libzmq_router
);

/// REQ_CORRELATE + REQ_RELAXED against a libzmq ROUTER server that drops the first
/// request: the client asks again, the server's late answer to the first request is
/// discarded and the answer to the second delivered. Requests carry a 4-byte id, one more
/// for each request.
fn relaxed_correlated_req(transport: Transport, binder: Lib, req_lib: Lib) {
    let kit = Kit::new();
    let mut req = kit.socket(req_lib, Kind::Req);
    set(&mut req, Opt::RoutingId(b"client"));
    set(&mut req, Opt::ReqCorrelate);
    set(&mut req, Opt::ReqRelaxed);
    let server = kit.socket(Lib::Zmq, Kind::Router);
    link(&req, &server, transport, binder);

    req.send(b"first");
    let first = server.recv_parts();
    assert_eq!(first.len(), 4, "id, request id, delimiter, body: {first:?}");
    assert_eq!(first[0], b"client");
    assert_eq!(first[1].len(), 4, "request ids are 4 bytes");
    assert_eq!(first[2..], parts(&[b"", b"first"]));

    req.send(b"second");
    let second = server.recv_parts();
    assert_eq!(second[2..], parts(&[b"", b"second"]));
    let id = |part: &[u8]| u32::from_ne_bytes(part.try_into().expect("4-byte request id"));
    assert_eq!(
        id(&second[1]),
        id(&first[1]).wrapping_add(1),
        "each request's id is one more"
    );

    server.send_parts(&[&first[0][..], &first[1][..], b"", b"late answer to first"]);
    server.send_parts(&[&second[0][..], &second[1][..], b"", b"answer to second"]);
    assert_eq!(req.recv(), b"answer to second");

    req.send(b"third");
    let third = server.recv_parts();
    server.send_parts(&[&third[0][..], &third[1][..], b"", b"answer to third"]);
    assert_eq!(req.recv(), b"answer to third");
}

fn ferro_relaxed_req(t: Transport, binder: Lib) {
    relaxed_correlated_req(t, binder, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_req_correlate_relaxed_recovers_from_a_libzmq_server_dropping_a_request,
    ferro_relaxed_req
);

#[test]
fn libzmq_req_correlate_relaxed_behaves_the_same_against_the_same_server() {
    relaxed_correlated_req(Transport::Tcp, Lib::Zmq, Lib::Zmq)
}

// ---------------------------------------------------------------------------------------
// Brokers
// ---------------------------------------------------------------------------------------

const CLIENTS: usize = 3;
const WORKERS: usize = 2;
const ROUNDS: usize = 5;

/// A REP worker in a thread, answering `request` with `worker N: request`, until its
/// context shuts down; returns how many it served.
fn ferro_worker(ctx: &ferrozmq::Context, backend: &str, n: usize) -> thread::JoinHandle<usize> {
    let socket = ctx.socket(ferrozmq::REP).expect("worker socket");
    socket
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("worker LINGER");
    socket.connect(backend).expect("worker connect");
    thread::spawn(move || {
        let mut served = 0;
        loop {
            match socket.recv().map(Vec::from) {
                Ok(request) => {
                    let mut reply = format!("worker {n}: ").into_bytes();
                    reply.extend_from_slice(&request);
                    socket.send(reply).expect("worker reply");
                    served += 1;
                }
                Err(ferrozmq::Error::Terminated) => return served,
                Err(e) => panic!("worker {n}: {e:?}"),
            }
        }
    })
}

/// Every client sends a request per round, all clients at once, and each gets the answer
/// to its own request from one of the workers. Returns the workers' names per reply.
fn run_clients(clients: &[Peer]) -> Vec<String> {
    let mut served_by = Vec::new();
    for round in 0..ROUNDS {
        for (c, client) in clients.iter().enumerate() {
            client.send(format!("client {c} round {round}").as_bytes());
        }
        for (c, client) in clients.iter().enumerate() {
            let reply = String::from_utf8(client.recv()).expect("UTF-8 reply");
            let (worker, request) = reply.split_once(": ").expect("worker: request");
            assert_eq!(request, format!("client {c} round {round}"), "own reply");
            served_by.push(worker.to_owned());
        }
    }
    served_by
}

#[test]
fn ferrozmq_router_dealer_broker_serves_libzmq_clients_with_ferrozmq_workers() {
    let kit = Kit::new();
    let broker_ctx = ferrozmq::Context::new();
    let frontend = broker_ctx.socket(ferrozmq::ROUTER).expect("frontend");
    frontend
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("frontend LINGER");
    let front = frontend.bind("tcp://127.0.0.1:*").expect("frontend bind");
    let backend = broker_ctx.socket(ferrozmq::DEALER).expect("backend");
    backend
        .options()
        .set_linger(Some(Duration::ZERO))
        .expect("backend LINGER");
    let back = Transport::Ipc.bind_endpoint();
    backend.bind(&back).expect("backend bind");
    let broker = thread::spawn(move || ferrozmq::proxy(&frontend, &backend));

    let workers_ctx = ferrozmq::Context::new();
    let workers: Vec<_> = (0..WORKERS)
        .map(|n| ferro_worker(&workers_ctx, &back, n))
        .collect();
    let clients: Vec<Peer> = (0..CLIENTS)
        .map(|_| {
            let client = kit.socket(Lib::Zmq, Kind::Req);
            client.connect(&front);
            client
        })
        .collect();
    let served_by = run_clients(&clients);
    assert_eq!(served_by.len(), CLIENTS * ROUNDS);

    broker_ctx.shutdown();
    let stopped = broker.join().expect("broker thread");
    assert!(
        matches!(stopped, Err(ferrozmq::Error::Terminated)),
        "the proxy stops with the context: {stopped:?}"
    );
    workers_ctx.shutdown();
    let served: usize = workers
        .into_iter()
        .map(|w| w.join().expect("worker thread"))
        .sum();
    assert_eq!(served, CLIENTS * ROUNDS, "every request served once");
}

#[test]
fn libzmq_router_dealer_broker_serves_ferrozmq_clients_with_ferrozmq_workers() {
    let kit = Kit::new();
    let frontend = kit.zmq.socket(zmq::ROUTER).expect("frontend");
    frontend.set_linger(0).expect("frontend LINGER");
    frontend.bind("tcp://127.0.0.1:*").expect("frontend bind");
    let front = frontend
        .get_last_endpoint()
        .expect("frontend endpoint")
        .expect("UTF-8");
    let backend = kit.zmq.socket(zmq::DEALER).expect("backend");
    backend.set_linger(0).expect("backend LINGER");
    let back = Transport::Ipc.bind_endpoint();
    backend.bind(&back).expect("backend bind");
    // libzmq's proxy stops when its control socket receives TERMINATE.
    let control = kit.zmq.socket(zmq::PAIR).expect("control");
    control.set_linger(0).expect("control LINGER");
    control
        .bind("inproc://broker-control")
        .expect("control bind");
    let control_end = kit.zmq.socket(zmq::PAIR).expect("control end");
    control_end.set_linger(0).expect("control end LINGER");
    control_end
        .connect("inproc://broker-control")
        .expect("control connect");
    let broker = thread::spawn(move || {
        let (mut frontend, mut backend, mut control) = (frontend, backend, control);
        zmq::proxy_steerable(&mut frontend, &mut backend, &mut control)
    });

    let workers_ctx = ferrozmq::Context::new();
    let workers: Vec<_> = (0..WORKERS)
        .map(|n| ferro_worker(&workers_ctx, &back, n))
        .collect();
    let clients: Vec<Peer> = (0..CLIENTS)
        .map(|_| {
            let client = kit.socket(Lib::Ferro, Kind::Req);
            client.connect(&front);
            client
        })
        .collect();
    let served_by = run_clients(&clients);
    assert_eq!(served_by.len(), CLIENTS * ROUNDS);

    control_end.send("TERMINATE", 0).expect("stop the proxy");
    broker
        .join()
        .expect("broker thread")
        .expect("the proxy stops cleanly on TERMINATE");
    workers_ctx.shutdown();
    let served: usize = workers
        .into_iter()
        .map(|w| w.join().expect("worker thread"))
        .sum();
    assert_eq!(served, CLIENTS * ROUNDS, "every request served once");
}

/// A forwarder between a libzmq XPUB publisher and libzmq SUBs: subscriptions travel up
/// through the forwarder (the publisher hears them), messages travel down, filtered.
#[test]
fn ferrozmq_xsub_xpub_forwarder_joins_libzmq_publisher_and_subscribers() {
    let kit = Kit::new();
    let publisher = kit.socket(Lib::Zmq, Kind::XPub);
    let upstream = publisher.bind(&Transport::Tcp.bind_endpoint());

    let forwarder_ctx = ferrozmq::Context::new();
    let xsub = forwarder_ctx.socket(ferrozmq::XSUB).expect("XSUB");
    xsub.options()
        .set_linger(Some(Duration::ZERO))
        .expect("XSUB LINGER");
    xsub.connect(&upstream).expect("XSUB connect");
    let xpub = forwarder_ctx.socket(ferrozmq::XPUB).expect("XPUB");
    xpub.options()
        .set_linger(Some(Duration::ZERO))
        .expect("XPUB LINGER");
    let downstream = xpub.bind("tcp://127.0.0.1:*").expect("XPUB bind");
    let forwarder = thread::spawn(move || ferrozmq::proxy(&xsub, &xpub));

    let prefixes: [&[u8]; 2] = [b"weather", b"sport"];
    let subs: Vec<Peer> = prefixes
        .iter()
        .map(|prefix| {
            let sub = kit.socket(Lib::Zmq, Kind::Sub);
            sub.subscribe(prefix);
            sub.connect(&downstream);
            sub
        })
        .collect();
    let mut heard = vec![publisher.recv(), publisher.recv()];
    heard.sort();
    assert_eq!(
        heard,
        parts(&[b"\x01sport", b"\x01weather"]),
        "both subscriptions reach the publisher"
    );

    for i in 0..10 {
        for topic in ["news", "sport", "weather"] {
            publisher.send(format!("{topic} {i}").as_bytes());
        }
    }
    for (sub, prefix) in subs.iter().zip(prefixes) {
        let topic = String::from_utf8_lossy(prefix);
        for i in 0..10 {
            assert_eq!(sub.recv(), format!("{topic} {i}").into_bytes());
        }
        assert_quiet(sub, "only the subscribed topic arrives");
    }

    forwarder_ctx.shutdown();
    let stopped = forwarder.join().expect("forwarder thread");
    assert!(
        matches!(stopped, Err(ferrozmq::Error::Terminated)),
        "the forwarder stops with the context: {stopped:?}"
    );
}

/// Several subscribers to one prefix behind a forwarder: the forwarder's XSUB passes each
/// subscription its verbose XPUB hands it upstream, as libzmq's XSUB does, so a verbose
/// publisher hears every one.
#[test]
fn forwarder_xsub_passes_every_duplicate_subscription_upstream_like_libzmq() {
    let heard_through = |forwarder_lib: Lib| {
        let kit = Kit::new();
        let mut publisher = kit.socket(Lib::Zmq, Kind::XPub);
        set(&mut publisher, Opt::XpubVerbose);
        let upstream = publisher.bind(&Transport::Tcp.bind_endpoint());
        let xsub = kit.socket(forwarder_lib, Kind::XSub);
        xsub.connect(&upstream);
        let mut xpub = kit.socket(forwarder_lib, Kind::XPub);
        set(&mut xpub, Opt::XpubVerbose);
        let downstream = xpub.bind(&Transport::Tcp.bind_endpoint());
        let subs: Vec<Peer> = (0..3)
            .map(|_| {
                let sub = kit.socket(Lib::Zmq, Kind::Sub);
                sub.subscribe(b"A");
                sub.connect(&downstream);
                sub
            })
            .collect();
        // The forwarding loop, by hand: each notice from downstream goes upstream.
        subs.iter()
            .map(|_| {
                xsub.send(&xpub.recv());
                notice_text(&publisher.recv())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(heard_through(Lib::Zmq), ["+A"; 3], "libzmq forwarder");
    assert_eq!(heard_through(Lib::Ferro), ["+A"; 3], "ferrozmq forwarder");
}
