//! The behaviours a new user tripped on (issue 15), each pinned down with real processes:
//! timeouts that bound what they say, senders that say when messages were lost, commands
//! that end, and error messages that say what is wrong.

use crate::support::{assert_fails_with_one_line, ferrozmq, free_port, run, tcp, Process};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn req_timeout_is_not_doubled_by_the_linger_at_exit() {
    // Nobody listens: the request waits in the queue, no reply comes.
    let started = Instant::now();
    let done = run([
        "req",
        &format!(">{}", tcp(free_port())),
        "--send",
        "Are you OK?",
        "--timeout",
        "1000",
    ]);
    let took = started.elapsed();
    assert_fails_with_one_line(&done, 1, "req --timeout 1000");
    assert!(done.stderr.contains("within 1000 ms"), "{done:?}");
    // It used to linger another second for the undelivered request.
    assert!(
        took < Duration::from_millis(1700),
        "took {took:?}: {done:?}"
    );
}

#[test]
fn push_with_no_peer_fails_when_its_message_is_dropped() {
    let done = run([
        "push",
        &format!("tcp://127.0.0.1:{}", free_port()),
        "--send",
        "x",
        "--timeout",
        "300",
    ]);
    assert_fails_with_one_line(&done, 1, "push to nobody");
    assert!(done.stderr.contains("1 message not delivered"), "{done:?}");
}

#[test]
fn push_that_delivered_everything_exits_0() {
    let port = free_port();
    let pull = ferrozmq(["pull", &format!("@{}", tcp(port)), "--count", "3"]);
    let push = run([
        "push",
        &tcp(port),
        "--send",
        "x",
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    assert!(push.status.success(), "{push:?}");
    assert_eq!(pull.finish().stdout, ["x"; 3]);
}

#[test]
fn monitor_of_a_socket_that_keeps_reconnecting_stops_at_its_timeout() {
    let started = Instant::now();
    let done = run([
        "monitor",
        "req",
        &format!(">{}", tcp(free_port())),
        "--timeout",
        "800",
    ]);
    let took = started.elapsed();
    assert_fails_with_one_line(&done, 1, "monitor --timeout");
    assert!(done.stderr.contains("timed out after 800 ms"), "{done:?}");
    // Reconnect attempts kept reporting events all along.
    let retries = done
        .stdout
        .iter()
        .filter(|line| line.starts_with("CONNECT_RETRIED\t"))
        .count();
    assert!(retries >= 2, "{done:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn monitor_that_saw_its_count_before_the_timeout_exits_0() {
    let done = run([
        "monitor",
        "req",
        &format!(">{}", tcp(free_port())),
        "--count",
        "2",
        "--timeout",
        "5000",
    ]);
    assert!(done.status.success(), "{done:?}");
    assert_eq!(done.stdout.len(), 2, "{done:?}");
}

/// Stops (`SIGSTOP`) or resumes (`SIGCONT`) a process.
fn signal(process: &Process, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &process.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal}");
}

#[test]
fn publisher_whose_subscriber_stalled_still_exits() {
    let port = free_port();
    let mut subscriber = ferrozmq(["sub", &tcp(port)]);
    // 64 KiB messages: the subscriber's socket buffers and queues fill after a few.
    let big = "x".repeat(64 * 1024);
    let publisher = ferrozmq([
        "pub",
        &format!("@{}", tcp(port)),
        "--send",
        &big,
        "--count",
        "2000",
        "--wait-peers",
        "1",
        "--timeout",
        "2000",
    ]);
    subscriber.expect_lines(1);
    signal(&subscriber, "-STOP");
    let started = Instant::now();
    let publisher = publisher.finish();
    signal(&subscriber, "-CONT");
    assert!(publisher.status.success(), "{publisher:?}");
    // A publisher drops for a subscriber that does not read: what it still held is
    // dropped at exit too, once --timeout has passed.
    assert!(started.elapsed() < Duration::from_secs(6), "{publisher:?}");
}

#[test]
fn publisher_without_timeout_lingers_a_bounded_time_for_a_stalled_subscriber() {
    let port = free_port();
    let mut subscriber = ferrozmq(["sub", &tcp(port)]);
    let big = "x".repeat(64 * 1024);
    let publisher = ferrozmq([
        "pub",
        &format!("@{}", tcp(port)),
        "--send",
        &big,
        "--count",
        "2000",
        "--wait-peers",
        "1",
    ]);
    subscriber.expect_lines(1);
    signal(&subscriber, "-STOP");
    // `finish` fails the test if it takes longer than its bound (10 s); with libzmq's
    // default linger (for ever) it never ends.
    let publisher = publisher.finish();
    signal(&subscriber, "-CONT");
    assert!(publisher.status.success(), "{publisher:?}");
}

#[test]
fn subscriber_started_first_gets_every_message_of_a_publisher_that_waits_for_it() {
    let port = free_port();
    // The subscriber comes first and keeps trying to connect.
    let subscriber = ferrozmq(["sub", &tcp(port), "--count", "3", "--timeout", "5000"]);
    thread::sleep(Duration::from_millis(300));
    let publisher = run([
        "pub",
        &tcp(port),
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
fn a_port_out_of_range_says_so() {
    let done = run(["pull", "tcp://*:99999"]);
    assert_fails_with_one_line(&done, 2, "port 99999");
    assert!(
        done.stderr.contains("port 99999 is out of range"),
        "{done:?}"
    );
}

#[test]
fn a_host_name_that_does_not_resolve_says_so() {
    let done = run(["push", "tcp://nohost.invalid:5555", "--send", "x"]);
    assert_fails_with_one_line(&done, 1, "nohost.invalid");
    assert!(
        done.stderr
            .contains("the host name 'nohost.invalid' does not resolve"),
        "{done:?}"
    );
}

#[test]
fn an_address_in_use_names_the_endpoint_once() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let endpoint = tcp(taken.local_addr().expect("local address").port());
    let done = run(["pull", &format!("@{endpoint}")]);
    assert_fails_with_one_line(&done, 1, "address in use");
    assert!(done.stderr.contains("already in use"), "{done:?}");
    assert_eq!(done.stderr.matches(&endpoint).count(), 1, "{done:?}");
}

#[test]
fn bench_help_works_outside_the_source_tree() {
    // An installed ferrozmq: no cargo around it, no harness beside it.
    let dir = std::env::temp_dir().join(format!("ferrozmq-bench-help-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("make a directory");
    let installed = dir.join("ferrozmq");
    std::fs::copy(crate::support::FERROZMQ, &installed).expect("copy the command");
    let mut command = Command::new(&installed);
    command.args(["bench", "--help"]).env_remove("CARGO");
    let done =
        Process::spawn_command("installed ferrozmq bench --help".into(), command, None).finish();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(done.status.success(), "{done:?}");
    assert!(
        done.stdout.iter().any(|line| line.contains("libzmq")),
        "{done:?}"
    );
}
