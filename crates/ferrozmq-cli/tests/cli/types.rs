//! DEALER, ROUTER, STREAM, PAIR, XPUB and XSUB through the command: against each other, and against
//! libzmq through the Python peers of `tests/peers`.

use crate::support::{ferrozmq, free_port, peer_python, tcp};

/// Whether `id` is how the command prints an id a ROUTER made up: `0x`, then five bytes in
/// upper-case hex, the first zero.
fn is_generated_id(id: &str) -> bool {
    id.len() == 12
        && id.starts_with("0x00")
        && id[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

#[test]
fn router_prints_the_dealers_routing_id_and_answers_it() {
    let port = free_port();
    let router = ferrozmq([
        "router",
        &tcp(port),
        "--send",
        "world",
        "--count",
        "2",
        "--timeout",
        "5000",
    ]);
    let dealer = ferrozmq([
        "dealer",
        &tcp(port),
        "--send",
        "hello",
        "--send",
        "again",
        "--timeout",
        "1000",
    ])
    .finish();
    assert!(dealer.status.success(), "{dealer:?}");
    assert_eq!(dealer.stdout, ["world"; 2]);

    let router = router.finish();
    assert!(router.status.success(), "{router:?}");
    let lines: Vec<(&str, &str)> = router
        .stdout
        .iter()
        .map(|line| line.split_once('\t').expect("routing id, tab, message"))
        .collect();
    assert_eq!(lines.len(), 2, "{router:?}");
    assert!(is_generated_id(lines[0].0), "{router:?}");
    assert_eq!(lines[1].0, lines[0].0, "one dealer, one id");
    assert_eq!([lines[0].1, lines[1].1], ["hello", "again"]);
}

#[test]
fn router_answers_a_req_through_its_envelope() {
    let port = free_port();
    let router = ferrozmq([
        "router",
        &tcp(port),
        "--send",
        "answer",
        "--count",
        "1",
        "--timeout",
        "5000",
    ]);
    let req = ferrozmq(["req", &tcp(port), "--send", "question", "--timeout", "5000"]).finish();
    assert!(req.status.success(), "{req:?}");
    assert_eq!(req.stdout, ["answer"]);

    let router = router.finish();
    assert!(router.status.success(), "{router:?}");
    let [line] = &router.stdout[..] else {
        panic!("one message: {router:?}")
    };
    let (id, rest) = line.split_once('\t').expect("routing id, tab, message");
    assert!(is_generated_id(id), "{router:?}");
    assert_eq!(rest, "\tquestion", "the empty delimiter, then the request");
}

#[test]
fn stream_prints_a_plain_tcp_client_s_bytes_and_answers_them() {
    use std::io::{Read, Write};
    let port = free_port();
    let stream = ferrozmq([
        "stream",
        &tcp(port),
        "--send",
        "world",
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut client = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(client) => break client,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("the stream command never listened: {e}"),
        }
    };
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    client.write_all(b"hello").unwrap();
    let mut answer = [0u8; 5];
    client.read_exact(&mut answer).unwrap();
    assert_eq!(
        &answer, b"world",
        "the answer goes to the sender's connection"
    );
    drop(client);

    let stream = stream.finish();
    assert!(stream.status.success(), "{stream:?}");
    let lines: Vec<(&str, &str)> = stream
        .stdout
        .iter()
        .map(|line| line.split_once('\t').expect("routing id, tab, data"))
        .collect();
    assert_eq!(lines.len(), 3, "{stream:?}");
    assert!(is_generated_id(lines[0].0), "{stream:?}");
    assert!(
        lines.iter().all(|(id, _)| *id == lines[0].0),
        "one connection"
    );
    assert_eq!(
        [lines[0].1, lines[1].1, lines[2].1],
        ["", "hello", ""],
        "connected, the data, disconnected"
    );
}

#[test]
fn a_connecting_stream_speaks_first_to_a_plain_tcp_server() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        drop(listener);
        conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut request = [0u8; 5];
        conn.read_exact(&mut request).unwrap();
        conn.write_all(b"hi").unwrap();
        request
    });
    let stream = ferrozmq([
        "stream",
        &format!(">{}", tcp(port)),
        "--send",
        "hello",
        "--wait-peers",
        "1",
        "--timeout",
        "1000",
    ])
    .finish();
    assert_eq!(&server.join().unwrap(), b"hello");
    assert!(stream.status.success(), "{stream:?}");
    let lines: Vec<(&str, &str)> = stream
        .stdout
        .iter()
        .map(|line| line.split_once('\t').expect("routing id, tab, data"))
        .collect();
    assert!(is_generated_id(lines[0].0), "{stream:?}");
    assert!(
        lines.iter().all(|(id, _)| *id == lines[0].0),
        "one connection"
    );
    let data: Vec<&str> = lines.iter().map(|(_, data)| *data).collect();
    assert_eq!(data, ["", "hi", ""], "connected, the answer, disconnected");
}

#[test]
fn pairs_exchange_their_values() {
    let port = free_port();
    let bound = ferrozmq([
        "pair",
        &format!("@{}", tcp(port)),
        "--send",
        "ping",
        "--timeout",
        "1000",
    ]);
    let connected = ferrozmq(["pair", &tcp(port), "--send", "pong", "--timeout", "1000"]).finish();
    assert!(connected.status.success(), "{connected:?}");
    assert_eq!(connected.stdout, ["ping"]);
    let bound = bound.finish();
    assert!(bound.status.success(), "{bound:?}");
    assert_eq!(bound.stdout, ["pong"]);
}

#[test]
fn pair_without_values_prints_what_it_receives() {
    let port = free_port();
    let receiver = ferrozmq(["pair", &tcp(port), "--count", "2", "--timeout", "5000"]);
    let sender = ferrozmq([
        "pair",
        &format!("@{}", tcp(port)),
        "--send",
        "一",
        "--send",
        "二",
        "--timeout",
        "2000",
    ]);
    let receiver = receiver.finish();
    assert!(receiver.status.success(), "{receiver:?}");
    assert_eq!(receiver.stdout, ["一", "二"]);
    let sender = sender.finish();
    assert!(sender.status.success(), "{sender:?}");
}

/// An XPUB that publishes `values` every 20 ms until the test ends.
fn publishing_xpub(port: u16, values: &[&str]) -> crate::support::Process {
    let mut args = vec![
        "xpub".to_owned(),
        tcp(port),
        "--count".to_owned(),
        "1000000".to_owned(),
        "--interval".to_owned(),
        "20".to_owned(),
    ];
    for value in values {
        args.extend(["--send".to_owned(), (*value).to_owned()]);
    }
    ferrozmq(args)
}

#[test]
fn xpub_prints_a_subs_subscription_and_its_end() {
    let port = free_port();
    let mut xpub = publishing_xpub(port, &["news flash", "sports goal"]);
    let sub = ferrozmq([
        "sub",
        &tcp(port),
        "--subscribe",
        "news",
        "--count",
        "2",
        "--timeout",
        "5000",
    ])
    .finish();
    assert!(sub.status.success(), "{sub:?}");
    assert_eq!(sub.stdout, ["news flash"; 2]);
    assert_eq!(xpub.expect_lines(1), ["+news"]);
    assert_eq!(
        xpub.expect_lines(1),
        ["-news"],
        "the subscriber left, and with it its subscription"
    );
}

#[test]
fn xsub_subscribes_by_message_and_receives_what_matches() {
    let port = free_port();
    let mut xpub = publishing_xpub(port, &["B filtered", "A wanted"]);
    let xsub = ferrozmq([
        "xsub",
        &tcp(port),
        "--subscribe",
        "A",
        "--count",
        "2",
        "--timeout",
        "5000",
    ])
    .finish();
    assert!(xsub.status.success(), "{xsub:?}");
    assert_eq!(xsub.stdout, ["A wanted"; 2]);
    assert_eq!(xpub.expect_lines(1), ["+A"]);
}

#[test]
fn ferrozmq_router_answers_a_python_dealer_by_its_announced_id() {
    let port = free_port();
    let router = ferrozmq([
        "router",
        &tcp(port),
        "--send",
        "world",
        "--count",
        "2",
        "--timeout",
        "5000",
    ]);
    let dealer = peer_python("dealer.py", &[&tcp(port), "py-dealer", "hello", "2"]).finish();
    assert!(dealer.status.success(), "{dealer:?}");
    assert_eq!(dealer.stdout, ["world"; 2]);
    let router = router.finish();
    assert!(router.status.success(), "{router:?}");
    assert_eq!(router.stdout, ["py-dealer\thello"; 2]);
}

#[test]
fn ferrozmq_dealer_is_answered_by_a_python_router() {
    let port = free_port();
    let router = peer_python("router.py", &[&format!("tcp://*:{port}"), "2"]);
    // Starting Python and importing zmq can take seconds on a loaded machine: the dealer's
    // quiet period must outlast that.
    let dealer = ferrozmq([
        "dealer",
        &tcp(port),
        "--send",
        "hello",
        "--send",
        "bye",
        "--timeout",
        "4000",
    ])
    .finish();
    assert!(dealer.status.success(), "{dealer:?}");
    assert_eq!(dealer.stdout, ["ack: hello", "ack: bye"]);
    let router = router.finish();
    assert!(router.status.success(), "{router:?}");
    let bodies: Vec<_> = router
        .stdout
        .iter()
        .map(|line| {
            let (id, body) = line.split_once('\t').expect("hex id, tab, message");
            assert!(
                id.len() == 10 && id.starts_with("00"),
                "a generated id: {id}"
            );
            body
        })
        .collect();
    assert_eq!(bodies, ["hello", "bye"]);
}

#[test]
fn ferrozmq_xpub_prints_a_python_subs_subscription_and_its_end() {
    let port = free_port();
    let mut xpub = publishing_xpub(port, &["news flash", "sports goal"]);
    let sub = peer_python("sub.py", &[&tcp(port), "news", "2"]).finish();
    assert!(sub.status.success(), "{sub:?}");
    assert_eq!(sub.stdout, ["news flash"; 2]);
    assert_eq!(xpub.expect_lines(2), ["+news", "-news"]);
}

#[test]
fn ferrozmq_xsub_subscribes_to_a_python_xpub() {
    let port = free_port();
    let xpub = peer_python("xpub.py", &[&format!("tcp://*:{port}"), "3"]);
    let xsub = ferrozmq([
        "xsub",
        &tcp(port),
        "--subscribe",
        "A",
        "--count",
        "3",
        "--timeout",
        "5000",
    ])
    .finish();
    assert!(xsub.status.success(), "{xsub:?}");
    assert_eq!(xsub.stdout, ["A 0", "A 1", "A 2"]);
    let xpub = xpub.finish();
    assert!(xpub.status.success(), "{xpub:?}");
    assert_eq!(xpub.stdout, ["+A"]);
}
