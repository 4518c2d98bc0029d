//! The command against libzmq: the seed's Python programs, through pyzmq, on the other
//! end of each pattern.

use crate::support::{ferrozmq, free_port, python, seed_python, tcp};

#[test]
fn python_rep_server_answers_ferrozmq_req() {
    let port = free_port();
    let server = seed_python("reqrep_server.py", &[&format!("tcp://*:{port}"), "2"]);
    let client = ferrozmq([
        "req",
        &format!("tcp://localhost:{port}"),
        "--send",
        "Are you OK?",
        "--count",
        "2",
        "--timeout",
        "5000",
    ])
    .finish();
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, ["I am OK!"; 2]);
    let server = server.finish();
    assert!(server.status.success(), "{server:?}");
    assert_eq!(server.stdout, ["Received: Are you OK?"; 2]);
}

#[test]
fn ferrozmq_rep_answers_python_req_client() {
    let port = free_port();
    let server = ferrozmq([
        "rep",
        &format!("tcp://*:{port}"),
        "--reply",
        "I am OK!",
        "--count",
        "2",
        "--timeout",
        "5000",
    ]);
    let client = seed_python("reqrep_client.py", &[&tcp(port), "2"]).finish();
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, ["response: I am OK!"; 2]);
    let server = server.finish();
    assert!(server.status.success(), "{server:?}");
    assert_eq!(server.stdout, ["Are you OK?"; 2]);
}

#[test]
fn python_pub_reaches_ferrozmq_sub() {
    let port = free_port();
    let _publisher = seed_python(
        "pubsub_server.py",
        &[&format!("tcp://*:{port}"), "1000", "0.02"],
    );
    let subscriber = ferrozmq(["sub", &tcp(port), "--count", "3", "--timeout", "5000"]).finish();
    assert!(subscriber.status.success(), "{subscriber:?}");
    assert_eq!(subscriber.stdout, ["消息群发"; 3]);
}

#[test]
fn ferrozmq_pub_reaches_python_sub() {
    let port = free_port();
    let _publisher = ferrozmq([
        "pub",
        &format!("tcp://*:{port}"),
        "--send",
        "消息群发",
        "--count",
        "1000000",
        "--interval",
        "20",
    ]);
    let subscribers = [
        seed_python("pubsub_client.py", &[&tcp(port), "3"]),
        seed_python("pubsub_client.py", &[&tcp(port), "3"]),
    ];
    for subscriber in subscribers {
        let subscriber = subscriber.finish();
        assert!(subscriber.status.success(), "{subscriber:?}");
        assert_eq!(subscriber.stdout, ["response: 消息群发"; 3]);
    }
}

#[test]
fn python_ventilator_through_ferrozmq_proxy_to_python_sink() {
    let (work, results) = (free_port(), free_port());
    let sink = seed_python("pipeline_sink.py", &[&format!("tcp://*:{results}"), "3"]);
    let _worker = ferrozmq([
        "proxy",
        "pull",
        &format!(">{}", tcp(work)),
        "push",
        &format!(">{}", tcp(results)),
    ]);
    let ventilator = seed_python(
        "pipeline_ventilator.py",
        &[&format!("tcp://*:{work}"), "3", "0.05"],
    );
    let sink = sink.finish();
    assert!(sink.status.success(), "{sink:?}");
    assert_eq!(sink.stdout, ["response: 测试消息"; 3]);
    let ventilator = ventilator.finish();
    assert!(ventilator.status.success(), "{ventilator:?}");
    assert_eq!(ventilator.stdout, ["已发送"; 3]);
}

#[test]
fn ferrozmq_ventilator_through_python_worker_to_ferrozmq_sink() {
    let (work, results) = (free_port(), free_port());
    let sink = ferrozmq([
        "pull",
        &format!("@{}", tcp(results)),
        "--count",
        "3",
        "--timeout",
        "5000",
    ]);
    let worker = seed_python("pipeline_worker.py", &[&tcp(work), &tcp(results), "3"]);
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
    let worker = worker.finish();
    assert!(worker.status.success(), "{worker:?}");
    assert_eq!(worker.stdout, ["正在转发..."; 3]);
}

/// A libzmq REQ that sends three parts, the last not UTF-8, and prints the reply's parts
/// joined by tabs.
const MULTIPART_CLIENT: &str = r#"
import sys
import zmq

socket = zmq.Context().socket(zmq.REQ)
socket.connect(sys.argv[1])
socket.send_multipart([b"first", "第二".encode(), b"\xff"])
reply = socket.recv_multipart()
print("\t".join(part.decode("utf-8", "replace") for part in reply))
"#;

#[test]
fn multipart_requests_print_tab_separated_and_echo_whole() {
    let port = free_port();
    let server = ferrozmq(["rep", &tcp(port), "--count", "1", "--timeout", "5000"]);
    let client = python(&["-c", MULTIPART_CLIENT, &tcp(port)]).finish();
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, ["first\t第二\t\u{fffd}"]);
    let server = server.finish();
    assert!(server.status.success(), "{server:?}");
    assert_eq!(server.stdout, ["first\t第二\t\u{fffd}"]);
}
