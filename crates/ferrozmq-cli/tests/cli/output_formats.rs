//! `--format text|hex|json` (every byte kept, parsed back and compared) and `--stats`.

use crate::support::{ferrozmq, free_port, run, tcp};
use base64::Engine as _;
use serde_json::Value;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// The bytes a JSON part stands for: a string's UTF-8, or `{"base64": ...}` decoded.
fn part_bytes(part: &Value) -> Vec<u8> {
    match part {
        Value::String(text) => text.as_bytes().to_vec(),
        Value::Object(object) => {
            let encoded = object["base64"].as_str().expect("a base64 string");
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .expect("valid base64")
        }
        other => panic!("not a part: {other}"),
    }
}

fn parsed(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"))
}

#[test]
fn json_gives_back_every_byte_of_text_and_binary_messages() {
    let port = free_port();
    let pull = ferrozmq([
        "pull",
        &format!("@{}", tcp(port)),
        "--count",
        "3",
        "--format",
        "json",
        "--timeout",
        "5000",
    ]);
    let sent: Vec<Vec<u8>> = vec![
        "消息 \"quoted\"\ttab\\".as_bytes().to_vec(),
        // (A command line cannot carry NUL.)
        vec![0xFF, 0x01, 0x80, b'x', 0xC3],
        Vec::new(),
    ];
    let mut args: Vec<OsString> = vec!["push".into(), tcp(port).into()];
    for message in &sent {
        args.push("--send".into());
        args.push(OsString::from_vec(message.clone()));
    }
    args.extend(["--timeout".into(), "5000".into()]);
    let push = run(args);
    assert!(push.status.success(), "{push:?}");
    let pull = pull.finish();
    assert!(pull.status.success(), "{pull:?}");
    let received: Vec<Vec<u8>> = pull
        .stdout
        .iter()
        .map(|line| {
            let parts = parsed(line)["parts"].as_array().expect("parts").clone();
            assert_eq!(parts.len(), 1, "{line}");
            part_bytes(&parts[0])
        })
        .collect();
    assert_eq!(received, sent);
    // Text stays readable; only what is not UTF-8 is encoded.
    assert!(pull.stdout[0].contains("消息"), "{pull:?}");
    assert!(pull.stdout[1].contains("base64"), "{pull:?}");
}

#[test]
fn json_of_a_router_keeps_the_routing_id_apart() {
    let port = free_port();
    let router = ferrozmq([
        "router",
        &format!("@{}", tcp(port)),
        "--count",
        "1",
        "--send",
        "answer",
        "--format",
        "json",
        "--timeout",
        "5000",
    ]);
    let req = run([
        "req",
        &tcp(port),
        "--send",
        "question",
        "--routing-id",
        "client-1",
        "--timeout",
        "5000",
    ]);
    assert!(req.status.success(), "{req:?}");
    let router = router.finish();
    assert!(router.status.success(), "{router:?}");
    let [line] = &router.stdout[..] else {
        panic!("one message: {router:?}")
    };
    let message = parsed(line);
    assert_eq!(part_bytes(&message["routing_id"]), b"client-1");
    let parts: Vec<Vec<u8>> = message["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(part_bytes)
        .collect();
    assert_eq!(parts, [b"".to_vec(), b"question".to_vec()]);
}

#[test]
fn json_of_an_xpub_shows_subscriptions() {
    let port = free_port();
    let xpub = ferrozmq([
        "xpub",
        &format!("@{}", tcp(port)),
        "--count",
        "1",
        "--format",
        "json",
        "--timeout",
        "5000",
    ]);
    let _sub = ferrozmq([
        "sub",
        &tcp(port),
        "--subscribe",
        "weather",
        "--timeout",
        "5000",
    ]);
    let xpub = xpub.finish();
    assert!(xpub.status.success(), "{xpub:?}");
    assert_eq!(
        parsed(&xpub.stdout[0]),
        serde_json::json!({ "subscribe": "weather" })
    );
}

#[test]
fn hex_prints_every_byte_of_every_part() {
    let port = free_port();
    let rep = ferrozmq([
        "rep",
        &format!("@{}", tcp(port)),
        "--count",
        "1",
        "--format",
        "hex",
        "--timeout",
        "5000",
    ]);
    let req = run([
        OsString::from("req"),
        tcp(port).into(),
        "--send".into(),
        OsString::from_vec(vec![0x01, 0xFF, b'A']),
        "--timeout".into(),
        "5000".into(),
    ]);
    assert!(req.status.success(), "{req:?}");
    assert_eq!(rep.finish().stdout, ["01ff41"]);
}

#[test]
fn monitor_events_as_json() {
    let done = run([
        "monitor",
        "pull",
        &format!("@{}", tcp(free_port())),
        "--count",
        "1",
        "--format",
        "json",
    ]);
    assert!(done.status.success(), "{done:?}");
    let event = parsed(&done.stdout[0]);
    assert_eq!(event["event"], "LISTENING");
    assert!(event["endpoint"]
        .as_str()
        .is_some_and(|e| e.starts_with("tcp://")));
    assert!(event["value"].is_u64());
}

#[test]
fn format_is_refused_where_nothing_is_printed() {
    let done = run(["push", "tcp://127.0.0.1:5555", "--format", "json"]);
    crate::support::assert_fails_with_one_line(&done, 2, "push --format");
    let done = run(["pull", "tcp://127.0.0.1:5555", "--format", "yaml"]);
    crate::support::assert_fails_with_one_line(&done, 2, "--format yaml");
}

/// The numbers in the `--stats` totals line of `stderr` for `direction` ("sent",
/// "received"): messages and the rest of the line.
fn total_messages(stderr: &str, direction: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|line| line.contains(" in all: "))
        .unwrap_or_else(|| panic!("no totals in {stderr:?}"));
    let after = line
        .split(&format!("{direction} "))
        .nth(1)
        .unwrap_or_else(|| panic!("no {direction} in {line:?}"));
    after
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"))
}

#[test]
fn stats_report_rates_each_second_and_totals_at_exit() {
    let port = free_port();
    let pull = ferrozmq([
        "pull",
        &format!("@{}", tcp(port)),
        "--count",
        "12",
        "--stats",
        "--timeout",
        "5000",
    ]);
    // 12 messages 120 ms apart: about 1.3 s, so at least one line of rates.
    let push = run([
        "push",
        &tcp(port),
        "--send",
        "0123456789",
        "--count",
        "12",
        "--interval",
        "120",
        "--stats",
        "--timeout",
        "5000",
    ]);
    assert!(push.status.success(), "{push:?}");
    let pull = pull.finish();
    assert!(pull.status.success(), "{pull:?}");
    assert_eq!(pull.stdout.len(), 12, "messages still print: {pull:?}");
    assert_eq!(total_messages(&push.stderr, "sent"), 12, "{push:?}");
    assert!(
        push.stderr.contains("120 B"),
        "12 messages of 10 bytes: {push:?}"
    );
    assert_eq!(total_messages(&pull.stderr, "received"), 12, "{pull:?}");
    // In a pipe, one plain line a second: no carriage returns.
    let periodic: Vec<&str> = push
        .stderr
        .lines()
        .filter(|line| line.starts_with("stats: 1 s: sent "))
        .collect();
    assert_eq!(periodic.len(), 1, "{push:?}");
    assert!(periodic[0].contains("msg/s"), "{push:?}");
    assert!(!push.stderr.contains('\r'), "{push:?}");
}

#[test]
fn stats_print_the_totals_when_interrupted() {
    let port = free_port();
    let mut pull = ferrozmq(["pull", &format!("@{}", tcp(port)), "--stats"]);
    let push = run(["push", &tcp(port), "--send", "tick", "--timeout", "5000"]);
    assert!(push.status.success(), "{push:?}");
    // Printed: the command is past setting up its statistics.
    assert_eq!(pull.expect_lines(1), ["tick"]);
    let status = std::process::Command::new("kill")
        .args(["-INT", &pull.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let pull = pull.finish();
    assert_eq!(pull.status.code(), Some(130), "{pull:?}");
    assert_eq!(total_messages(&pull.stderr, "received"), 1, "{pull:?}");
}
