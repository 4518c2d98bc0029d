//! METADATA: application properties announced in the handshake, read by the peer with each
//! message, both ways with pyzmq (libzmq 4.3.5 from PyPI, where `msg.get("X-...")` is
//! `zmq_msg_gets`).

use ferrozmq::{Context, PULL, PUSH};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn pyzmq_reads_our_metadata_and_we_read_its() {
    let ctx = Context::new();
    let pull = ctx.socket(PULL).unwrap();
    pull.options()
        .set_rcvtimeo(Some(Duration::from_secs(10)))
        .unwrap();
    let ours = pull.bind("tcp://127.0.0.1:*").unwrap();
    // The Python side binds a PULL for us, prints its endpoint, connects a PUSH announcing
    // X-Py to ours, then prints the X-Rust property of the message we send it.
    let script = format!(
        r#"
import sys, zmq
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.rcvtimeo = 10000
pull.bind("tcp://127.0.0.1:*")
print(pull.last_endpoint.decode(), flush=True)
push = ctx.socket(zmq.PUSH)
push.setsockopt(zmq.METADATA, b"X-Py:snake")
push.linger = 5000
push.connect("{ours}")
push.send(b"from python")
frame = pull.recv(copy=False)
print(frame.get("X-Rust"), flush=True)
push.close()
"#
    );
    let mut python = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 with pyzmq (python3 -m pip install pyzmq, as .ci/run does)");
    let mut lines = BufReader::new(python.stdout.take().unwrap()).lines();
    let theirs = lines.next().unwrap().unwrap();
    let push = ctx.socket(PUSH).unwrap();
    push.options().set_metadata("X-Rust", "crab").unwrap();
    push.connect(&theirs).unwrap();
    push.send("from rust").unwrap();
    let (msg, properties) = pull.recv_with_properties().unwrap();
    assert_eq!(msg, "from python");
    assert_eq!(properties.get_str("X-Py"), Some("snake"));
    assert_eq!(lines.next().unwrap().unwrap(), "crab");
    assert!(python.wait().unwrap().success());
}

#[test]
fn metadata_names_must_be_application_properties() {
    let socket = Context::new().socket(PUSH).unwrap();
    let options = socket.options();
    assert!(options.set_metadata("Socket-Type", "PUB").is_err());
    assert!(options.set_metadata("X-", "v").is_err());
    assert!(options.set_metadata("X-bad name", "v").is_err());
    options.set_metadata("X-a", "1").unwrap();
    options.set_metadata("x-A", "2").unwrap();
    assert_eq!(
        options.metadata().len(),
        1,
        "a name is set once, whatever its case"
    );
    assert_eq!(&options.metadata()[0].1[..], b"2");
}
