//! Every socket pattern against the real libzmq (4.3, through the `zmq` crate), with each
//! library on each side of every pattern, over tcp and ipc, with either side binding; plus
//! load balancing and fair queuing between one socket and several peers of the other
//! library.

mod common;

use common::*;
use std::collections::HashSet;
use std::time::Duration;

fn req_rep(transport: Transport, binder: Lib, req_lib: Lib, rep_lib: Lib) {
    let kit = Kit::new();
    let req = kit.socket(req_lib, Kind::Req);
    let rep = kit.socket(rep_lib, Kind::Rep);
    link(&req, &rep, transport, binder);
    for i in 0..5 {
        let question = format!("question {i}");
        req.send(question.as_bytes());
        assert_eq!(rep.recv(), question.as_bytes(), "request {i} at the REP");
        let answer = format!("answer {i}");
        rep.send(answer.as_bytes());
        assert_eq!(req.recv(), answer.as_bytes(), "reply {i} at the REQ");
    }
}

fn ferro_req_libzmq_rep(t: Transport, binder: Lib) {
    req_rep(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_req_ferro_rep(t: Transport, binder: Lib) {
    req_rep(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_req_gets_replies_from_libzmq_rep,
    ferro_req_libzmq_rep
);
both_ways_on_both_transports!(
    libzmq_req_gets_replies_from_ferrozmq_rep,
    libzmq_req_ferro_rep
);

/// A SUB subscribed to "A" receives every "A..." message, in order, and no "B..." one.
fn pub_sub(transport: Transport, binder: Lib, pub_lib: Lib, sub_lib: Lib) {
    let kit = Kit::new();
    let publisher = kit.socket(pub_lib, Kind::Pub);
    let sub = kit.socket(sub_lib, Kind::Sub);
    sub.subscribe(b"A");
    link(&publisher, &sub, transport, binder);

    let early = sync_pub_sub(&publisher, &sub, &[b"B-probe", b"A-probe"], "sync");
    for m in &early {
        assert_eq!(
            m,
            &[b"A-probe".to_vec()],
            "only matching probes reach the SUB"
        );
    }

    for i in 0..20 {
        publisher.send(format!("B-{i}").as_bytes());
        publisher.send(format!("A-{i}").as_bytes());
    }
    for i in 0..20 {
        assert_eq!(
            sub.recv(),
            format!("A-{i}").into_bytes(),
            "message {i} of the run"
        );
    }
    // A trailing "B" would be the first thing to show up here.
    sub.set_rcvtimeo(100);
    assert_eq!(
        sub.try_recv_parts(),
        None,
        "nothing but the A messages arrives"
    );
}

fn ferro_pub_libzmq_sub(t: Transport, binder: Lib) {
    pub_sub(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_pub_ferro_sub(t: Transport, binder: Lib) {
    pub_sub(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_pub_reaches_matching_libzmq_sub,
    ferro_pub_libzmq_sub
);
both_ways_on_both_transports!(
    libzmq_pub_reaches_matching_ferrozmq_sub,
    libzmq_pub_ferro_sub
);

fn push_pull(transport: Transport, binder: Lib, push_lib: Lib, pull_lib: Lib) {
    let kit = Kit::new();
    let push = kit.socket(push_lib, Kind::Push);
    let pull = kit.socket(pull_lib, Kind::Pull);
    link(&push, &pull, transport, binder);
    for i in 0..200u32 {
        push.send(&i.to_be_bytes());
    }
    for i in 0..200u32 {
        assert_eq!(pull.recv(), i.to_be_bytes(), "message {i} in order");
    }
}

fn ferro_push_libzmq_pull(t: Transport, binder: Lib) {
    push_pull(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_push_ferro_pull(t: Transport, binder: Lib) {
    push_pull(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_push_feeds_libzmq_pull_in_order,
    ferro_push_libzmq_pull
);
both_ways_on_both_transports!(
    libzmq_push_feeds_ferrozmq_pull_in_order,
    libzmq_push_ferro_pull
);

/// Large frames are read into buffers of their own size, and the frames after them into
/// fresh ones: a stream that mixes large and small messages, and large parts within
/// multipart messages, must still arrive byte for byte, whichever library sends.
fn mixed_sizes(transport: Transport, binder: Lib, push_lib: Lib, pull_lib: Lib) {
    let kit = Kit::new();
    let push = kit.socket(push_lib, Kind::Push);
    let pull = kit.socket(pull_lib, Kind::Pull);
    link(&push, &pull, transport, binder);
    let sizes = [
        64 * 1024,
        64 * 1024,
        5,
        32 * 1024 - 10,
        32 * 1024,
        300 * 1024,
        70,
        1024 * 1024 + 3,
        64 * 1024,
        0,
        200_000,
    ];
    let messages: Vec<Vec<Vec<u8>>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            if i % 3 == 2 {
                // A large part between small ones in one message.
                vec![
                    payload(7, i as u8),
                    payload(len, i as u8 + 1),
                    payload(40_000, 9),
                ]
            } else {
                vec![payload(len, i as u8)]
            }
        })
        .collect();
    for _ in 0..3 {
        for message in &messages {
            push.send_parts(message);
        }
    }
    for round in 0..3 {
        for (i, want) in messages.iter().enumerate() {
            let got = pull.recv_parts();
            assert_same_message(&got, want, &format!("round {round}, message {i}"));
        }
    }
}

fn ferro_push_libzmq_pull_mixed(t: Transport, binder: Lib) {
    mixed_sizes(t, binder, Lib::Ferro, Lib::Zmq)
}

fn libzmq_push_ferro_pull_mixed(t: Transport, binder: Lib) {
    mixed_sizes(t, binder, Lib::Zmq, Lib::Ferro)
}

both_ways_on_both_transports!(
    ferrozmq_push_sends_large_and_small_messages_mixed_to_libzmq,
    ferro_push_libzmq_pull_mixed
);
both_ways_on_both_transports!(
    libzmq_push_sends_large_and_small_messages_mixed_to_ferrozmq,
    libzmq_push_ferro_pull_mixed
);

/// One PUSH connected to two bound PULLs of the other library: both connections exist from
/// `connect` on, so round robin hands each PULL exactly every other message.
fn push_round_robins_over_two_pulls(push_lib: Lib, pull_lib: Lib) {
    let kit = Kit::new();
    let push = kit.socket(push_lib, Kind::Push);
    let pulls = [
        kit.socket(pull_lib, Kind::Pull),
        kit.socket(pull_lib, Kind::Pull),
    ];
    for pull in &pulls {
        push.connect(&pull.bind(&Transport::Tcp.bind_endpoint()));
    }
    const N: u32 = 100;
    for i in 0..N {
        push.send(&i.to_be_bytes());
    }
    let mut seen = HashSet::new();
    for (p, pull) in pulls.iter().enumerate() {
        let got: Vec<u32> = (0..N / 2)
            .map(|_| {
                let body = pull.recv();
                u32::from_be_bytes(body.try_into().expect("4-byte message"))
            })
            .collect();
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "PULL {p} receives its share in order: {got:?}"
        );
        seen.extend(got);
        pull.set_rcvtimeo(100);
        assert_eq!(
            pull.try_recv_parts(),
            None,
            "PULL {p} gets no more than half"
        );
    }
    assert_eq!(
        seen.len(),
        N as usize,
        "every message reached exactly one PULL"
    );
}

#[test]
fn libzmq_push_round_robins_evenly_over_two_ferrozmq_pulls() {
    push_round_robins_over_two_pulls(Lib::Zmq, Lib::Ferro)
}

#[test]
fn ferrozmq_push_round_robins_evenly_over_two_libzmq_pulls() {
    push_round_robins_over_two_pulls(Lib::Ferro, Lib::Zmq)
}

/// One PULL connected to two bound PUSHes of the other library, both with a backlog
/// waiting: fair queuing takes from both in turn instead of draining one first.
fn pull_fair_queues_two_pushes(pull_lib: Lib, push_lib: Lib) {
    let kit = Kit::new();
    let pull = kit.socket(pull_lib, Kind::Pull);
    let pushes = [
        kit.socket(push_lib, Kind::Push),
        kit.socket(push_lib, Kind::Push),
    ];
    for push in &pushes {
        pull.connect(&push.bind(&Transport::Tcp.bind_endpoint()));
    }
    const N: u8 = 50;
    // A bound PUSH blocks (up to SNDTIMEO) until the PULL's connection arrives.
    for (p, push) in pushes.iter().enumerate() {
        for i in 0..N {
            push.send(&[p as u8, i]);
        }
    }
    // Let both backlogs cross the wire before the first receive, so fairness is
    // observable rather than an artefact of arrival order.
    std::thread::sleep(Duration::from_millis(300));
    let got: Vec<Vec<u8>> = (0..2 * N as usize).map(|_| pull.recv()).collect();
    for p in 0..2u8 {
        let from_p: Vec<u8> = got.iter().filter(|m| m[0] == p).map(|m| m[1]).collect();
        assert_eq!(
            from_p,
            (0..N).collect::<Vec<_>>(),
            "all of PUSH {p}'s messages, in its order"
        );
    }
    let first_from_0 = got[..20].iter().filter(|m| m[0] == 0).count();
    assert!(
        (5..=15).contains(&first_from_0),
        "the first 20 messages alternate between the two PUSHes, got {first_from_0} from PUSH 0: {:?}",
        got[..20].iter().map(|m| m[0]).collect::<Vec<_>>()
    );
}

#[test]
fn libzmq_pull_fair_queues_two_ferrozmq_pushes() {
    pull_fair_queues_two_pushes(Lib::Zmq, Lib::Ferro)
}

#[test]
fn ferrozmq_pull_fair_queues_two_libzmq_pushes() {
    pull_fair_queues_two_pushes(Lib::Ferro, Lib::Zmq)
}

/// A REQ connected to two REPs of the other library sends request i to REP i % 2: both
/// connections exist from `connect` on, in connect order.
fn req_load_balances_over_two_reps(req_lib: Lib, rep_lib: Lib) {
    let kit = Kit::new();
    let req = kit.socket(req_lib, Kind::Req);
    let reps = [
        kit.socket(rep_lib, Kind::Rep),
        kit.socket(rep_lib, Kind::Rep),
    ];
    for rep in &reps {
        req.connect(&rep.bind(&Transport::Tcp.bind_endpoint()));
    }
    for i in 0..6u8 {
        req.send(&[i]);
        let rep = &reps[usize::from(i % 2)];
        assert_eq!(rep.recv(), [i], "request {i} at REP {}", i % 2);
        rep.send(&[i, i]);
        assert_eq!(req.recv(), [i, i], "reply {i}");
    }
}

#[test]
fn libzmq_req_load_balances_requests_over_two_ferrozmq_reps() {
    req_load_balances_over_two_reps(Lib::Zmq, Lib::Ferro)
}

#[test]
fn ferrozmq_req_load_balances_requests_over_two_libzmq_reps() {
    req_load_balances_over_two_reps(Lib::Ferro, Lib::Zmq)
}
