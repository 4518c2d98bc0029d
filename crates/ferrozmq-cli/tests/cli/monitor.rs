//! `ferrozmq monitor`: a socket's events, printed as they happen.

use crate::support::{assert_fails_with_one_line, ferrozmq, free_port, run, tcp, Process};

/// Splits an event line into its name, endpoint and value, checking that the value is a
/// number.
fn event(line: &str) -> (&str, &str, u32) {
    let fields: Vec<_> = line.split('\t').collect();
    let [name, endpoint, value] = fields[..] else {
        panic!("event, endpoint, value: {line:?}")
    };
    let value = value
        .parse()
        .unwrap_or_else(|e| panic!("a numeric value in {line:?}: {e}"));
    (name, endpoint, value)
}

/// Reads events until one named `name`, and gives the names of those before it. Gives up
/// after a hundred: a socket that keeps reconnecting prints events for ever.
fn events_until(monitor: &mut Process, name: &str) -> Vec<String> {
    let mut before = Vec::new();
    for _ in 0..100 {
        let line = monitor.expect_lines(1).remove(0);
        let (seen, _, _) = event(&line);
        if seen == name {
            return before;
        }
        before.push(seen.to_owned());
    }
    panic!("no {name} among the events: {before:?}")
}

#[test]
fn monitor_prints_a_rep_listening_accepting_and_completing_the_handshake() {
    let port = free_port();
    let mut monitor = ferrozmq([
        "monitor",
        "rep",
        &format!("@{}", tcp(port)),
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    // The first event says the port is bound, so the req connects at its first try.
    monitor.expect_lines(1);
    // The monitored socket never replies: the req gives up after its timeout.
    let _req = ferrozmq(["req", &tcp(port), "--send", "anyone?", "--timeout", "5000"]);
    let monitor = monitor.finish();
    assert!(monitor.status.success(), "{monitor:?}");
    let events: Vec<_> = monitor.stdout.iter().map(|line| event(line)).collect();
    let names: Vec<_> = events.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(names, ["LISTENING", "ACCEPTED", "HANDSHAKE_SUCCEEDED"]);
    for (_, endpoint, _) in &events {
        assert_eq!(*endpoint, tcp(port), "{monitor:?}");
    }
    assert_eq!(events[2].2, 0, "a handshake's value is 0");
}

#[test]
fn monitor_reports_a_connection_made_and_lost() {
    let port = free_port();
    let pull = ferrozmq(["pull", &format!("@{}", tcp(port)), "--timeout", "10000"]);
    let mut monitor = ferrozmq(["monitor", "push", &tcp(port)]);
    events_until(&mut monitor, "HANDSHAKE_SUCCEEDED");
    drop(pull);
    let between = events_until(&mut monitor, "DISCONNECTED");
    assert!(between.is_empty(), "nothing between: {between:?}");
}

#[test]
fn monitor_times_out_when_no_event_comes() {
    let done = run([
        "monitor",
        "pull",
        &format!("@{}", tcp(free_port())),
        "--timeout",
        "300",
    ]);
    assert_fails_with_one_line(&done, 1, "monitor --timeout");
    assert!(done.stderr.contains("timed out"), "{done:?}");
    let names: Vec<_> = done.stdout.iter().map(|line| event(line).0).collect();
    assert_eq!(names, ["LISTENING"], "{done:?}");
}

#[test]
fn bad_monitor_command_lines_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["monitor"],
        &["monitor", "rep"],
        &["monitor", "bogus", "tcp://127.0.0.1:5555"],
        &["monitor", "rep", "bogus://127.0.0.1:5555"],
        &["monitor", "rep", "tcp://127.0.0.1:5555", "--send", "x"],
        &["monitor", "rep", "tcp://127.0.0.1:5555", "--count", "0"],
        &["monitor", "rep", "tcp://127.0.0.1:5555", "--timeout"],
    ];
    for args in cases {
        let done = run(*args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
    }
}
