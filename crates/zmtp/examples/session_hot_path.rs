//! The traffic hot path of a NULL session, for counting instructions: a PUSH session
//! encodes `COUNT` single-part messages of `SIZE` bytes in batches of 256 and a PULL session
//! decodes them, in memory, after a real handshake. No I/O, no clock, so the count is the
//! same on every run.
//!
//! ```sh
//! cargo build --release -p ferrozmq-zmtp --example session_hot_path
//! valgrind --tool=callgrind target/release/examples/session_hot_path 64 1000000
//! ```
//!
//! Instructions per message are callgrind's total (`Collected`) over `COUNT`, handshake and
//! harness included; compare two builds side by side, never against a remembered figure.

use ferrozmq_zmtp::{BytesMut, Event, Message, Outbox, Session, SessionConfig, SocketType};
use std::io::IoSlice;

fn config(socket_type: SocketType) -> SessionConfig {
    SessionConfig {
        socket_type,
        routing_id: Default::default(),
        max_message_size: None,
        max_message_parts: None,
        max_multipart_size: None,
    }
}

/// Moves what `outbox` holds to the end of `into`, as a write and a read would.
fn drain(outbox: &mut Outbox, into: &mut BytesMut) {
    while !outbox.is_empty() {
        let mut slices = [IoSlice::new(&[]); 64];
        let n = outbox.io_slices(&mut slices);
        let len: usize = slices[..n].iter().map(|s| s.len()).sum();
        for slice in &slices[..n] {
            into.extend_from_slice(slice);
        }
        outbox.advance(len);
    }
}

fn argument(index: usize, name: &str) -> usize {
    std::env::args()
        .nth(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("usage: session_hot_path SIZE COUNT (missing {name})"))
}

fn main() {
    let size = argument(1, "SIZE");
    let count = argument(2, "COUNT");
    let mut push = Session::new(config(SocketType::Push));
    let mut pull = Session::new(config(SocketType::Pull));
    let (mut push_in, mut pull_in) = (BytesMut::new(), BytesMut::new());
    // Greetings and READYs cross in a few flights.
    for _ in 0..5 {
        let (mut to_pull, mut to_push) = (Outbox::new(), Outbox::new());
        push.poll_transmit(&mut to_pull);
        pull.poll_transmit(&mut to_push);
        drain(&mut to_pull, &mut pull_in);
        drain(&mut to_push, &mut push_in);
        while pull
            .handle_input(&mut pull_in)
            .expect("handshake")
            .is_some()
        {}
        while push
            .handle_input(&mut push_in)
            .expect("handshake")
            .is_some()
        {}
    }
    assert!(
        push.is_ready() && pull.is_ready(),
        "the handshake did not end"
    );

    let body = vec![0x5a; size];
    let mut out = Outbox::new();
    out.start_traffic();
    let (mut sent, mut received) = (0, 0);
    while sent < count {
        for _ in 0..256.min(count - sent) {
            push.encode(&Message::from_slice(&body), &mut out)
                .expect("encode");
            sent += 1;
        }
        push.poll_transmit(&mut out);
        drain(&mut out, &mut pull_in);
        while let Some(event) = pull.handle_input(&mut pull_in).expect("decode") {
            if let Event::Message(msg) = event {
                received += msg.len();
            }
        }
    }
    assert_eq!(received, size * count, "messages went missing");
}
