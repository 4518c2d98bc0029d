//! The command against itself: every pattern, each side a separate process.

use crate::support::{ferrozmq, ferrozmq_with_input, free_port, tcp};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn req_cycles_its_values_and_prints_the_fixed_reply() {
    let port = free_port();
    let rep = ferrozmq([
        "rep",
        &format!("@{}", tcp(port)),
        "--count",
        "3",
        "--reply",
        "I am OK!",
    ]);
    let req = ferrozmq([
        "req",
        &format!(">{}", tcp(port)),
        "--send",
        "Are you OK?",
        "--send",
        "Still OK?",
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let req = req.finish();
    assert!(req.status.success(), "{req:?}");
    assert_eq!(req.stdout, ["I am OK!"; 3]);
    let rep = rep.finish();
    assert!(rep.status.success(), "{rep:?}");
    assert_eq!(rep.stdout, ["Are you OK?", "Still OK?", "Are you OK?"]);
}

#[test]
fn rep_echoes_requests_read_from_standard_input() {
    let port = free_port();
    // Bare endpoints: REP binds, REQ connects.
    let rep = ferrozmq(["rep", &tcp(port), "--count", "2"]);
    let req = ferrozmq_with_input(["req", &tcp(port), "--timeout", "5000"], "hello\n你好\n");
    let req = req.finish();
    assert!(req.status.success(), "{req:?}");
    assert_eq!(req.stdout, ["hello", "你好"]);
    let rep = rep.finish();
    assert!(rep.status.success(), "{rep:?}");
    assert_eq!(rep.stdout, ["hello", "你好"]);
}

#[test]
fn req_and_rep_talk_over_ws() {
    let endpoint = format!("ws://127.0.0.1:{}/cli", free_port());
    // Bare endpoints, as for tcp: REP binds, REQ connects.
    let rep = ferrozmq(["rep", &endpoint, "--count", "2", "--reply", "pong"]);
    let req = ferrozmq([
        "req",
        &endpoint,
        "--send",
        "ping",
        "--count",
        "2",
        "--timeout",
        "5000",
    ]);
    let req = req.finish();
    assert!(req.status.success(), "{req:?}");
    assert_eq!(req.stdout, ["pong"; 2]);
    let rep = rep.finish();
    assert!(rep.status.success(), "{rep:?}");
    assert_eq!(rep.stdout, ["ping"; 2]);
}

/// wss:// from the command line: the server's certificate and key, and the client's
/// trust and expected name, as PEM files and flags.
#[test]
fn req_and_rep_talk_over_wss() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("ferrozmq-cli-wss-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let endpoint = format!("wss://127.0.0.1:{port}/cli");
    let rep = ferrozmq([
        "rep",
        &endpoint,
        "--count",
        "2",
        "--reply",
        "pong",
        "--wss-cert",
        cert_file.to_str().unwrap(),
        "--wss-key",
        key_file.to_str().unwrap(),
    ]);
    let req = ferrozmq([
        "req",
        &endpoint,
        "--send",
        "ping",
        "--count",
        "2",
        "--timeout",
        "5000",
        "--wss-trust",
        cert_file.to_str().unwrap(),
        "--wss-hostname",
        "localhost",
    ]);
    let req = req.finish();
    let rep = rep.finish();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(req.status.success(), "{req:?}");
    assert_eq!(req.stdout, ["pong"; 2]);
    assert!(rep.status.success(), "{rep:?}");
    assert_eq!(rep.stdout, ["ping"; 2]);
}

#[test]
fn pub_reaches_two_subs_which_filter_by_prefix() {
    let port = free_port();
    // Publishes until the test ends: subscriptions take a moment to arrive, and whatever
    // is published before they do is lost.
    let _publisher = ferrozmq([
        "pub",
        &format!("@{}", tcp(port)),
        "--send",
        "weather sunny",
        "--send",
        "sports goal",
        "--send",
        "news flash",
        "--count",
        "1000000",
        "--interval",
        "10",
    ]);
    let weather = ferrozmq([
        "sub",
        &tcp(port),
        "--subscribe",
        "weather",
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let others = ferrozmq([
        "sub",
        &tcp(port),
        "--subscribe",
        "sports",
        "--subscribe",
        "news",
        "--count",
        "6",
        "--timeout",
        "5000",
    ]);

    let weather = weather.finish();
    assert!(weather.status.success(), "{weather:?}");
    assert_eq!(weather.stdout, ["weather sunny"; 3]);

    let others = others.finish();
    assert!(others.status.success(), "{others:?}");
    assert_eq!(others.stdout.len(), 6);
    assert!(
        others
            .stdout
            .iter()
            .all(|l| l == "sports goal" || l == "news flash"),
        "{:?}",
        others.stdout
    );
    assert!(others.stdout.contains(&"sports goal".to_string()));
    assert!(others.stdout.contains(&"news flash".to_string()));
}

#[test]
fn push_cycles_its_values_to_pull() {
    let port = free_port();
    let pull = ferrozmq(["pull", &format!("@{}", tcp(port)), "--count", "3"]);
    let push = ferrozmq([
        "push",
        &format!(">{}", tcp(port)),
        "--send",
        "测试消息",
        "--count",
        "3",
    ])
    .finish();
    assert!(push.status.success(), "{push:?}");
    let pull = pull.finish();
    assert!(pull.status.success(), "{pull:?}");
    assert_eq!(pull.stdout, ["测试消息"; 3]);
}

#[test]
fn push_waits_the_interval_between_sends() {
    let port = free_port();
    let mut pull = ferrozmq(["pull", &tcp(port), "--count", "3"]);
    let started = Instant::now();
    let push = ferrozmq([
        "push",
        &tcp(port),
        "--send",
        "tick",
        "--count",
        "3",
        "--interval",
        "200",
    ]);
    assert_eq!(pull.expect_lines(3), ["tick"; 3]);
    // Two pauses between three sends.
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(push.finish().status.success());
}

#[test]
fn push_sends_standard_input_and_waits_until_it_is_delivered() {
    let (first, second) = (free_port(), free_port());
    let from_stdin = ferrozmq_with_input(["push", &tcp(first)], "one\ntwo\nthree\n");
    let from_values = ferrozmq(["push", &tcp(second), "--send", "four"]);

    // Nobody is pulling yet, so the default linger keeps both waiting to deliver.
    thread::sleep(Duration::from_millis(300));
    let mut waiting = [from_stdin, from_values];
    for push in &mut waiting {
        assert!(push.is_running(), "a push exited with undelivered messages");
    }

    // One PULL binding both endpoints.
    let mut pull = ferrozmq([
        "pull",
        &tcp(first),
        &format!("@{}", tcp(second)),
        "--count",
        "4",
    ]);
    let mut lines = pull.expect_lines(4);
    lines.sort();
    assert_eq!(lines, ["four", "one", "three", "two"]);
    for push in waiting {
        let push = push.finish();
        assert!(push.status.success(), "{push:?}");
    }
    assert!(pull.finish().status.success());
}

#[test]
fn pipeline_runs_through_the_proxy_command() {
    let (work, results) = (free_port(), free_port());
    let sink = ferrozmq([
        "pull",
        &format!("@{}", tcp(results)),
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let _worker = ferrozmq([
        "proxy",
        "pull",
        &format!(">{}", tcp(work)),
        "push",
        &format!(">{}", tcp(results)),
    ]);
    let ventilator = ferrozmq([
        "push",
        &format!("@{}", tcp(work)),
        "--send",
        "测试消息",
        "--count",
        "3",
        "--timeout",
        "5000",
    ])
    .finish();
    assert!(ventilator.status.success(), "{ventilator:?}");
    let sink = sink.finish();
    assert!(sink.status.success(), "{sink:?}");
    assert_eq!(sink.stdout, ["测试消息"; 3]);
}
