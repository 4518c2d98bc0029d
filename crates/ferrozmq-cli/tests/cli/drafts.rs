//! The draft socket types through the command: SERVER and CLIENT, RADIO and DISH (over tcp
//! and udp), SCATTER and GATHER, PEER and CHANNEL, each side a separate process.

use crate::support::{assert_fails_with_one_line, ferrozmq, free_port, run, tcp, Process};

/// Splits a line printed by a SERVER or PEER into the sender's routing id and the message,
/// checking that the id is printed in decimal.
fn from_peer(line: &str) -> (u32, &str) {
    let (id, body) = line
        .split_once('\t')
        .unwrap_or_else(|| panic!("routing id, tab, message: {line:?}"));
    let id = id
        .parse()
        .unwrap_or_else(|e| panic!("a decimal routing id in {line:?}: {e}"));
    (id, body)
}

/// A RADIO that sends `body` to `group` every 20 ms until the test ends: a dish's JOIN
/// takes a moment to arrive, and whatever is sent before it does is not for that dish.
fn broadcasting_radio(endpoint: &str, group: &str, body: &str) -> Process {
    ferrozmq([
        "radio",
        endpoint,
        "--group",
        group,
        "--send",
        body,
        "--count",
        "1000000",
        "--interval",
        "20",
    ])
}

#[test]
fn server_prints_the_clients_routing_id_and_answers_it() {
    let port = free_port();
    // Bare endpoints: SERVER binds, CLIENT connects.
    let server = ferrozmq([
        "server",
        &tcp(port),
        "--send",
        "world",
        "--count",
        "2",
        "--timeout",
        "5000",
    ]);
    let client = ferrozmq([
        "client",
        &tcp(port),
        "--send",
        "hello",
        "--send",
        "again",
        "--timeout",
        "1000",
    ])
    .finish();
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, ["world"; 2]);

    let server = server.finish();
    assert!(server.status.success(), "{server:?}");
    let lines: Vec<_> = server.stdout.iter().map(|l| from_peer(l)).collect();
    assert_eq!(lines.len(), 2, "{server:?}");
    assert_eq!(lines[0].0, lines[1].0, "one client, one routing id");
    assert_eq!([lines[0].1, lines[1].1], ["hello", "again"]);
}

#[test]
fn dish_prints_only_the_groups_it_joined_over_tcp() {
    let port = free_port();
    // Bare endpoints: DISH binds, RADIO connects. The radio of a group the dish did not
    // join starts first, so that it is sending before the dish counts anything.
    let dish = ferrozmq([
        "dish",
        &tcp(port),
        "--group",
        "rain",
        "--group",
        "snow",
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let _sun = broadcasting_radio(&tcp(port), "sun", "sunglasses");
    let _snow = broadcasting_radio(&tcp(port), "snow", "boots");
    let dish = dish.finish();
    assert!(dish.status.success(), "{dish:?}");
    assert_eq!(dish.stdout, ["snow\tboots"; 3]);
}

#[test]
fn dish_prints_only_the_groups_it_joined_over_udp() {
    let port = free_port();
    let endpoint = format!("udp://127.0.0.1:{port}");
    // Over udp every datagram reaches the dish, which keeps the groups it joined.
    let dish = ferrozmq([
        "dish",
        &endpoint,
        "--group",
        "rain",
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let _sun = broadcasting_radio(&endpoint, "sun", "sunglasses");
    let _rain = broadcasting_radio(&endpoint, "rain", "umbrellas");
    let dish = dish.finish();
    assert!(dish.status.success(), "{dish:?}");
    assert_eq!(dish.stdout, ["rain\tumbrellas"; 3]);
}

#[test]
fn scatter_feeds_gather() {
    let port = free_port();
    // Bare endpoints: GATHER binds, SCATTER connects.
    let gather = ferrozmq(["gather", &tcp(port), "--count", "3", "--timeout", "5000"]);
    let scatter = ferrozmq([
        "scatter",
        &tcp(port),
        "--send",
        "一",
        "--send",
        "二",
        "--send",
        "三",
        "--timeout",
        "5000",
    ])
    .finish();
    assert!(scatter.status.success(), "{scatter:?}");
    let gather = gather.finish();
    assert!(gather.status.success(), "{gather:?}");
    assert_eq!(gather.stdout, ["一", "二", "三"]);
}

#[test]
fn a_connecting_peer_speaks_first_and_a_binding_peer_answers() {
    let port = free_port();
    let bound = ferrozmq([
        "peer",
        &format!("@{}", tcp(port)),
        "--send",
        "pong",
        "--count",
        "2",
        "--timeout",
        "5000",
    ]);
    // Bare endpoint: PEER connects.
    let connected = ferrozmq([
        "peer",
        &tcp(port),
        "--send",
        "ping",
        "--send",
        "again",
        "--timeout",
        "1000",
    ])
    .finish();
    assert!(connected.status.success(), "{connected:?}");
    let answers: Vec<_> = connected.stdout.iter().map(|l| from_peer(l)).collect();
    assert_eq!(answers.len(), 2, "{connected:?}");
    assert_eq!(answers[0].0, answers[1].0, "one peer, one routing id");
    assert_eq!([answers[0].1, answers[1].1], ["pong"; 2]);

    let bound = bound.finish();
    assert!(bound.status.success(), "{bound:?}");
    let requests: Vec<_> = bound.stdout.iter().map(|l| from_peer(l)).collect();
    assert_eq!(requests.len(), 2, "{bound:?}");
    assert_eq!(requests[0].0, requests[1].0, "one peer, one routing id");
    assert_eq!([requests[0].1, requests[1].1], ["ping", "again"]);
}

#[test]
fn channels_exchange_their_values() {
    let port = free_port();
    let bound = ferrozmq([
        "channel",
        &format!("@{}", tcp(port)),
        "--send",
        "ping",
        "--timeout",
        "1000",
    ]);
    // Bare endpoint: CHANNEL connects.
    let connected = ferrozmq(["channel", &tcp(port), "--send", "pong", "--timeout", "1000"]);
    let connected = connected.finish();
    assert!(connected.status.success(), "{connected:?}");
    assert_eq!(connected.stdout, ["ping"]);
    let bound = bound.finish();
    assert!(bound.status.success(), "{bound:?}");
    assert_eq!(bound.stdout, ["pong"]);
}

#[test]
fn bad_group_use_is_a_usage_error() {
    let too_long = "g".repeat(256);
    let cases: &[&[&str]] = &[
        &["radio", "tcp://127.0.0.1:5555", "--send", "x"],
        &[
            "radio",
            "tcp://127.0.0.1:5555",
            "--group",
            "a",
            "--group",
            "b",
        ],
        &["dish", "tcp://127.0.0.1:5555"],
        &[
            "dish",
            "tcp://127.0.0.1:5555",
            "--group",
            "a",
            "--group",
            "a",
        ],
        &["dish", "tcp://127.0.0.1:5555", "--group", ""],
        &["dish", "tcp://127.0.0.1:5555", "--group", &too_long],
        &["dish", "tcp://127.0.0.1:5555", "--group"],
        &[
            "dish",
            "tcp://127.0.0.1:5555",
            "--group",
            "a",
            "--send",
            "x",
        ],
        &["pub", "tcp://127.0.0.1:5555", "--group", "a"],
        &["server", "tcp://127.0.0.1:5555", "--group", "a"],
    ];
    for args in cases {
        let done = run(*args);
        assert_fails_with_one_line(&done, 2, &format!("{args:?}"));
    }
}
