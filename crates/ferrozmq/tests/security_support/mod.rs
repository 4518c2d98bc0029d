//! What the security tests share: sockets with bounded waits, a monitor feed reader, the
//! standard messages, and libzmq peers run through pyzmq (`tests/peers/security_peer.py`).
#![allow(dead_code)]

use ferrozmq::{Context, EventKind, EventSet, Monitor, MonitorEvent, Socket, SocketType};
use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Once;
use std::thread::JoinHandle;
use std::time::Duration;

/// Upper bound of every wait that should end early.
pub const TIMEOUT_MS: i32 = 10_000;
/// [`TIMEOUT_MS`] as a duration.
pub const TIMEOUT: Duration = Duration::from_millis(TIMEOUT_MS as u64);

pub fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.options()
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    s.options().set_rcvtimeo(Some(TIMEOUT)).expect("rcvtimeo");
    s.options().set_sndtimeo(Some(TIMEOUT)).expect("sndtimeo");
    s
}

/// Binds an ephemeral loopback port and returns the endpoint.
pub fn bind(s: &Socket) -> String {
    s.bind("tcp://127.0.0.1:*").expect("bind")
}

pub fn recv_parts(s: &Socket) -> Vec<Vec<u8>> {
    s.recv_multipart()
        .expect("a message within the timeout")
        .into_iter()
        .map(|m| m.to_vec())
        .collect()
}

/// 1 MiB in a pattern the Python peer computes the same way.
pub fn big_body() -> Vec<u8> {
    (0..1usize << 20).map(|i| (i % 251) as u8).collect()
}

/// What the peers send each other: one part, several (one empty), and a 1 MiB part.
pub fn standard_messages() -> Vec<Vec<Vec<u8>>> {
    vec![
        vec![b"hello".to_vec()],
        vec![
            b"multi".to_vec(),
            Vec::new(),
            b"part".to_vec(),
            b"message".to_vec(),
        ],
        vec![b"big".to_vec(), big_body()],
    ]
}

/// A socket's monitor, read through `&self`.
pub struct Feed {
    monitor: RefCell<Monitor>,
}

impl Feed {
    /// Watches every event of `watched`, from now on.
    pub fn watch(watched: &Socket) -> Feed {
        let monitor = watched.monitor(EventSet::ALL).expect("monitor");
        Feed {
            monitor: RefCell::new(monitor),
        }
    }

    pub fn next(&self) -> MonitorEvent {
        self.monitor
            .borrow_mut()
            .recv_timeout(TIMEOUT)
            .expect("a monitor event within the timeout")
    }

    /// Skips events until one of `kind`.
    pub fn until(&self, kind: EventKind) -> MonitorEvent {
        loop {
            let event = self.next();
            if event.kind() == kind {
                return event;
            }
        }
    }

    /// Skips events until a handshake ends, well or not.
    pub fn until_handshake(&self) -> MonitorEvent {
        loop {
            let event = self.next();
            if matches!(
                event.kind(),
                EventKind::HandshakeSucceeded
                    | EventKind::HandshakeFailedNoDetail
                    | EventKind::HandshakeFailedProtocol
                    | EventKind::HandshakeFailedAuth
            ) {
                return event;
            }
        }
    }

    /// Skips events until a handshake fails; a handshake that succeeds meanwhile is a bug.
    pub fn until_handshake_failure(&self) -> MonitorEvent {
        let event = self.until_handshake();
        assert_ne!(
            event.kind(),
            EventKind::HandshakeSucceeded,
            "the handshake should have failed"
        );
        event
    }
}

fn check_pyzmq() {
    static CHECK: Once = Once::new();
    CHECK.call_once(|| {
        let status = Command::new("python3")
            .args([
                "-c",
                "import zmq, sys; sys.exit(0 if zmq.has('curve') else 4)",
            ])
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) if s.code() == Some(4) => {
                panic!("pyzmq's libzmq has no CURVE: install the pyzmq wheel (pip install pyzmq)")
            }
            _ => panic!(
                "these tests need python3 with pyzmq, whose libzmq is the peer: pip install pyzmq"
            ),
        }
    });
}

/// A libzmq peer: `tests/peers/security_peer.py` with a JSON configuration.
pub struct PyPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl PyPeer {
    pub fn spawn(config: &str) -> PyPeer {
        check_pyzmq();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/security_peer.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start python3");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        PyPeer {
            child,
            stdin,
            stdout,
        }
    }

    fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end().to_string()),
        }
    }

    /// The endpoint a binding peer printed.
    pub fn endpoint(&mut self) -> String {
        let line = self.line().expect("the peer printed its endpoint");
        line.strip_prefix("ENDPOINT ")
            .unwrap_or_else(|| panic!("expected ENDPOINT, got {line:?}"))
            .to_string()
    }

    /// Lets a publishing peer stop.
    pub fn close_stdin(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
    }

    /// Waits for the peer to succeed; returns what it printed before "OK".
    pub fn expect_ok(mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match self.line() {
                Some(line) if line == "OK" => break,
                Some(line) if line.starts_with("FAIL") => panic!("libzmq peer: {line}"),
                Some(line) => lines.push(line),
                None => panic!("libzmq peer ended without OK (after {lines:?})"),
            }
        }
        let status = self.child.wait().expect("wait for the peer");
        assert!(status.success(), "libzmq peer exited with {status}");
        lines
    }

    /// [`expect_ok`](Self::expect_ok) in a thread, for tests that must keep working while
    /// the peer does.
    pub fn finish_in_background(self) -> JoinHandle<Result<Vec<String>, String>> {
        std::thread::spawn(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.expect_ok()))
                .map_err(|e| format!("{:?}", e.downcast_ref::<String>()))
        })
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
