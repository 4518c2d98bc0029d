//! `--wait-peers N`: a sender starts once N peers are connected (publishers: once N have
//! subscribed), so that no subscriber misses the first messages and no worker gets all.

use crate::support::{assert_fails_with_one_line, ferrozmq, free_port, peer_python, run, tcp};
use std::thread;
use std::time::Duration;

#[test]
fn pub_waits_for_two_subscribers_and_each_gets_every_message() {
    let port = free_port();
    let publisher = ferrozmq([
        "pub",
        &format!("@{}", tcp(port)),
        "--send",
        "one",
        "--send",
        "two",
        "--send",
        "three",
        "--wait-peers",
        "2",
        "--timeout",
        "5000",
    ]);
    let first = ferrozmq(["sub", &tcp(port), "--count", "3", "--timeout", "5000"]);
    // The publisher must not start with one subscriber.
    thread::sleep(Duration::from_millis(500));
    let second = ferrozmq(["sub", &tcp(port), "--count", "3", "--timeout", "5000"]);
    for subscriber in [first, second] {
        let subscriber = subscriber.finish();
        assert!(subscriber.status.success(), "{subscriber:?}");
        assert_eq!(subscriber.stdout, ["one", "two", "three"]);
    }
    assert!(publisher.finish().status.success());
}

#[test]
fn pub_counts_a_libzmq_subscriber() {
    let port = free_port();
    let subscriber = peer_python("sub.py", &[&tcp(port), "", "3"]);
    let publisher = run([
        "pub",
        &format!("@{}", tcp(port)),
        "--send",
        "消息群发",
        "--count",
        "3",
        "--wait-peers",
        "1",
        "--timeout",
        "5000",
    ]);
    assert!(publisher.status.success(), "{publisher:?}");
    let subscriber = subscriber.finish();
    assert!(subscriber.status.success(), "{subscriber:?}");
    assert_eq!(subscriber.stdout, ["消息群发"; 3]);
}

#[test]
fn push_waits_for_its_workers_and_shares_the_work_between_them() {
    let port = free_port();
    let ventilator = ferrozmq([
        "push",
        &format!("@{}", tcp(port)),
        "--send",
        "task",
        "--count",
        "4",
        "--wait-peers",
        "2",
        "--timeout",
        "5000",
    ]);
    let worker = || {
        ferrozmq([
            "pull",
            &format!(">{}", tcp(port)),
            "--count",
            "2",
            "--timeout",
            "5000",
        ])
    };
    let first = worker();
    thread::sleep(Duration::from_millis(500));
    let second = worker();
    // Without waiting, the first worker would have had all four.
    for worker in [first, second] {
        let worker = worker.finish();
        assert!(worker.status.success(), "{worker:?}");
        assert_eq!(worker.stdout, ["task"; 2]);
    }
    assert!(ventilator.finish().status.success());
}

#[test]
fn req_that_connects_waits_for_the_server() {
    let port = free_port();
    let client = ferrozmq([
        "req",
        &tcp(port),
        "--send",
        "Are you OK?",
        "--wait-peers",
        "1",
        "--timeout",
        "5000",
    ]);
    thread::sleep(Duration::from_millis(300));
    let server = run([
        "rep",
        &tcp(port),
        "--reply",
        "I am OK!",
        "--count",
        "1",
        "--timeout",
        "5000",
    ]);
    assert!(server.status.success(), "{server:?}");
    let client = client.finish();
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, ["I am OK!"]);
}

#[test]
fn waiting_for_peers_that_never_come_times_out() {
    for (socket_type, what) in [("push", "connected peers"), ("pub", "subscribers")] {
        let done = run([
            socket_type,
            &format!("@{}", tcp(free_port())),
            "--send",
            "x",
            "--wait-peers",
            "1",
            "--timeout",
            "300",
        ]);
        assert_fails_with_one_line(&done, 1, socket_type);
        assert!(
            done.stderr
                .contains(&format!("fewer than 1 {what} within 300 ms")),
            "{done:?}"
        );
    }
}

#[test]
fn wait_peers_is_for_senders() {
    for args in [
        &["sub", "tcp://127.0.0.1:5555", "--wait-peers", "1"][..],
        &["rep", "tcp://127.0.0.1:5555", "--wait-peers", "1"],
        &["pub", "tcp://127.0.0.1:5555", "--wait-peers", "0"],
        &[
            "peer",
            "@tcp://127.0.0.1:5555",
            "--send",
            "x",
            "--wait-peers",
            "1",
        ],
    ] {
        let done = run(args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
    }
}
