//! Timeouts, bad command lines and unusable endpoints: a non-zero exit with one line on
//! standard error, never a panic or a hang.

use crate::support::{assert_fails_with_one_line, free_port, run, tcp};
use std::ffi::OsString;
use std::net::TcpListener;
use std::os::unix::ffi::OsStringExt;
use std::time::{Duration, Instant};

#[test]
fn timeout_without_messages_exits_1() {
    let started = Instant::now();
    let done = run([
        "pull",
        &format!("@{}", tcp(free_port())),
        "--timeout",
        "300",
    ]);
    assert_fails_with_one_line(&done, 1, "pull --timeout");
    assert!(done.stderr.contains("timed out"), "{done:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn req_gives_up_waiting_for_a_reply() {
    // Connecting to a port nobody listens on: the request queues, no reply ever comes, and
    // the linger (the timeout) lets the process exit with the request undelivered.
    let done = run([
        "req",
        &format!(">{}", tcp(free_port())),
        "--send",
        "Are you OK?",
        "--timeout",
        "300",
    ]);
    assert_fails_with_one_line(&done, 1, "req --timeout");
    assert!(done.stderr.contains("reply"), "{done:?}");
    assert!(done.stdout.is_empty(), "{done:?}");
}

#[test]
fn bad_command_lines_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &[],
        &["bogus", "tcp://127.0.0.1:5555"],
        &["--bogus"],
        &["req"],
        &["req", "--send", "x"],
        &["req", "bogus://127.0.0.1:5555"],
        &["req", "tcp://127.0.0.1:notaport"],
        &["req", "@"],
        &["req", "tcp://127.0.0.1:5555", "--frobnicate"],
        &["req", "tcp://127.0.0.1:5555", "--count"],
        &["req", "tcp://127.0.0.1:5555", "--count", "zero"],
        &["req", "tcp://127.0.0.1:5555", "--count", "0"],
        &["req", "tcp://127.0.0.1:5555", "--count", "-1"],
        &[
            "req",
            "tcp://127.0.0.1:5555",
            "--count",
            "1",
            "--count",
            "2",
        ],
        &["req", "tcp://127.0.0.1:5555", "--timeout", "99999999999"],
        &["pull", "tcp://127.0.0.1:5555", "--linger", "-5"],
        &["sub", "tcp://127.0.0.1:5555", "--reply", "x"],
        &["pull", "tcp://127.0.0.1:5555", "--send", "x"],
        &["push", "tcp://127.0.0.1:5555", "--subscribe", "x"],
        &["xpub", "tcp://127.0.0.1:5555", "--subscribe", "x"],
        &["router", "tcp://127.0.0.1:5555", "--interval", "10"],
        &["dealer", "tcp://127.0.0.1:5555", "--interval", "10"],
        &["router", "tcp://127.0.0.1:5555", "--reply", "x"],
        &["gather", "tcp://127.0.0.1:5555", "--send", "x"],
        &["server", "tcp://127.0.0.1:5555", "--interval", "10"],
        &[
            "peer",
            "@tcp://127.0.0.1:5555",
            "--send",
            "x",
            "--interval",
            "10",
        ],
        &["demo", "extra"],
        &["proxy", "pull", ">tcp://127.0.0.1:5557"],
        &[
            "proxy",
            "bogus",
            ">tcp://127.0.0.1:5557",
            "push",
            ">tcp://127.0.0.1:5558",
        ],
        &["proxy", "pull", "nope://x", "push", ">tcp://127.0.0.1:5558"],
    ];
    for args in cases {
        let done = run(*args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
    }
}

#[test]
fn names_and_endpoints_that_are_not_utf8_are_refused() {
    let not_utf8 = OsString::from_vec(vec![b'x', 0xff, b'y']);
    let endpoint = run([OsString::from("pull"), not_utf8.clone()]);
    assert_fails_with_one_line(&endpoint, 2, "non-UTF-8 endpoint");
    let socket_type = run([not_utf8]);
    assert_fails_with_one_line(&socket_type, 2, "non-UTF-8 type");
}

#[test]
fn an_address_in_use_exits_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("local address").port();
    let done = run(["pull", &format!("@{}", tcp(port)), "--timeout", "1000"]);
    assert_fails_with_one_line(&done, 1, "address in use");
}

#[test]
fn help_prints_usage_and_exits_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["req", "--help"],
        &["proxy", "--help"],
        &["monitor", "--help"],
        &["monitor", "rep", "tcp://127.0.0.1:5555", "--help"],
    ] {
        let done = run(args);
        assert!(done.status.success(), "{args:?}: {done:?}");
        assert!(
            done.stdout.iter().any(|l| l.starts_with("Usage:")),
            "{args:?}: {done:?}"
        );
        assert!(done.stderr.is_empty(), "{args:?}: {done:?}");
    }
}
