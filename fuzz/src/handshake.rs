//! Security handshakes (NULL, PLAIN, CURVE) between our own client and server mechanisms,
//! with the fuzzer editing every command and frame in transit: passing it, replacing it
//! (the seeds replace ours with libzmq's), flipping a byte, cutting it short, delivering it
//! twice or dropping it. Our own peer does the cryptography, so the fuzzer reaches every
//! state of the receiving side without forging a box.
//!
//! Checked:
//! - no panic, whatever arrives;
//! - untouched, the handshake completes on both sides when the authenticator allows, and
//!   never completes on the server when it refuses;
//! - a mechanism that failed refuses all traffic afterwards;
//! - an untouched frame decodes to what was encoded; a CURVE frame whose body was altered,
//!   or that is delivered a second time, is refused.

use zmtp::entropy::{Entropy, EntropyError};
use zmtp::frame::FrameDecoder;
use zmtp::mechanism::{Frame, Mechanism, MechanismEvent, Verdict};
use zmtp::metadata::Metadata;
use zmtp::{BytesMut, CurveKeyPair, CurveSecretKey};

/// The long-term keys; `fuzz/capture_corpus.py` gives libzmq the same ones, so that the
/// captured HELLO opens here.
const SERVER_SECRET: [u8; 32] = [0x53; 32];
const CLIENT_SECRET: [u8; 32] = [0x43; 32];

/// Rounds of command exchange; every handshake finishes in two.
const MAX_ROUNDS: usize = 8;
/// Frames of traffic after the handshake.
const MAX_FRAMES: usize = 64;

/// Input: a mode octet (bits 0-1: NULL, NULL put to the authenticator, PLAIN, CURVE; bit 2:
/// the authenticator refuses), then edits, one taken for each command or frame in transit.
/// Returns whether both sides completed the handshake.
pub fn check(data: &[u8]) -> bool {
    let Some((&mode, edits)) = data.split_first() else {
        return false;
    };
    let deny = mode & 0x04 != 0;
    let authenticates = mode & 0x03 != 0;
    let (client, server) = mechanisms(mode & 0x03, fnv1a(data));
    let mut run = Run {
        sides: [Side::new(client), Side::new(server)],
        edits: Edits(edits),
        tampered: false,
    };
    run.handshake(deny);
    let [client, server] = &run.sides;
    if !run.tampered {
        if deny && authenticates {
            assert!(!server.mechanism.is_ready(), "a refused client got through");
        } else {
            assert!(
                client.mechanism.is_ready() && server.mechanism.is_ready(),
                "an untouched handshake did not complete: {:?} / {:?}",
                client.mechanism,
                server.mechanism
            );
        }
    }
    let completed = client.mechanism.is_ready() && server.mechanism.is_ready();
    run.traffic(mode & 0x03 == 3);
    completed
}

/// A hash of the input, to seed the transient keys: with the same keys in every run, a frame
/// sealed in one run is genuine in the next, and libFuzzer, which records the bytes it sees
/// compared, learns to "forge" frames by replaying them (it did). Keys that depend on the
/// whole input make every input its own connection, as in life.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn mechanisms(kind: u8, seed: u64) -> (Mechanism, Mechanism) {
    let mut client_md = Metadata::new();
    let mut server_md = Metadata::new();
    client_md
        .insert("Socket-Type", "DEALER")
        .expect("valid name");
    client_md.insert("Identity", "fuzz").expect("valid name");
    server_md
        .insert("Socket-Type", "ROUTER")
        .expect("valid name");
    match kind {
        0 => (Mechanism::null(client_md), Mechanism::null(server_md)),
        1 => (
            Mechanism::null(client_md),
            Mechanism::null_authenticated(server_md),
        ),
        2 => (
            Mechanism::plain_client(b"admin", b"secret", client_md).expect("short credentials"),
            Mechanism::plain_server(server_md),
        ),
        _ => {
            let server_keys = CurveKeyPair::from_secret(CurveSecretKey::from_bytes(SERVER_SECRET));
            let client_keys = CurveKeyPair::from_secret(CurveSecretKey::from_bytes(CLIENT_SECRET));
            let client = Mechanism::curve_client(
                server_keys.public,
                client_keys,
                client_md,
                Box::new(Counter(seed ^ 1)),
            )
            .expect("entropy never fails");
            let server =
                Mechanism::curve_server(server_keys, server_md, Box::new(Counter(seed ^ 2)));
            (client, server)
        }
    }
}

/// Reproducible "randomness", so that a crash replays exactly.
struct Counter(u64);

impl Entropy for Counter {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), EntropyError> {
        for byte in dest {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            *byte = (self.0 >> 33) as u8;
        }
        Ok(())
    }
}

struct Side {
    mechanism: Mechanism,
    /// The mechanism has returned an error: it must refuse everything from now on.
    failed: bool,
}

impl Side {
    fn new(mechanism: Mechanism) -> Side {
        Side {
            mechanism,
            failed: false,
        }
    }

    fn note<T, E>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(_) => {
                self.failed = true;
                None
            }
        }
    }
}

/// What the fuzzer does to one command or frame in transit.
enum Edit {
    Pass,
    Replace(Vec<u8>),
    Flip { at: usize, xor: u8 },
    Truncate(usize),
    Duplicate,
    Drop,
}

struct Edits<'a>(&'a [u8]);

impl Edits<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        b
    }

    fn u16(&mut self) -> usize {
        usize::from(u16::from_be_bytes([self.byte(), self.byte()]))
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken.to_vec()
    }

    fn next(&mut self) -> Edit {
        match self.byte() {
            1 => {
                let len = self.u16();
                Edit::Replace(self.bytes(len))
            }
            2 => Edit::Flip {
                at: self.u16(),
                xor: self.byte(),
            },
            3 => Edit::Truncate(self.u16()),
            4 => Edit::Duplicate,
            5 => Edit::Drop,
            _ => Edit::Pass,
        }
    }

    /// The copies of `bytes` that arrive, and whether any differs from what was sent.
    fn apply(&mut self, bytes: Vec<u8>) -> (Vec<Vec<u8>>, bool) {
        match self.next() {
            Edit::Pass => (vec![bytes], false),
            Edit::Replace(other) => {
                let changed = other != bytes;
                (vec![other], changed)
            }
            Edit::Flip { at, xor } => {
                let mut bytes = bytes;
                let changed = !bytes.is_empty() && xor != 0;
                if let Some(len) = std::num::NonZeroUsize::new(bytes.len()) {
                    bytes[at % len] ^= xor;
                }
                (vec![bytes], changed)
            }
            Edit::Truncate(len) => {
                let changed = len < bytes.len();
                let mut bytes = bytes;
                bytes.truncate(len);
                (vec![bytes], changed)
            }
            Edit::Duplicate => (vec![bytes.clone(), bytes], true),
            Edit::Drop => (Vec::new(), true),
        }
    }
}

struct Run<'a> {
    sides: [Side; 2],
    edits: Edits<'a>,
    /// Some command was altered, duplicated or dropped.
    tampered: bool,
}

impl Run<'_> {
    fn handshake(&mut self, deny: bool) {
        for _ in 0..MAX_ROUNDS {
            let mut moved = false;
            for from in [0, 1] {
                self.answer_authenticator(from, deny);
                while let Some(command) = self.sides[from].mechanism.poll_command() {
                    moved = true;
                    let (copies, changed) = self.edits.apply(command);
                    self.tampered |= changed;
                    let to = &mut self.sides[1 - from];
                    for copy in copies {
                        let result = to.mechanism.handle_command(&copy);
                        to.note(result);
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn answer_authenticator(&mut self, side: usize, deny: bool) {
        let side = &mut self.sides[side];
        while let Some(event) = side.mechanism.poll_event() {
            if let MechanismEvent::Authenticate(_) = event {
                let verdict = if deny {
                    Verdict::deny(400, "fuzz says no")
                } else {
                    Verdict::allow("fuzz")
                };
                let result = side.mechanism.handle_verdict(verdict);
                side.note(result);
            }
        }
    }

    fn traffic(&mut self, encrypted: bool) {
        let decoder = FrameDecoder::new(None);
        for _ in 0..MAX_FRAMES {
            if self.edits.0.is_empty() {
                return;
            }
            let control = self.edits.byte();
            let len = usize::from(self.edits.byte());
            let body = self.edits.bytes(len);
            let (more, command) = (control & 1 != 0, control & 2 != 0 && control & 1 == 0);
            let from = usize::from(control >> 2 & 1);
            let mut wire = BytesMut::new();
            let sender = &mut self.sides[from];
            let sent_after_failure = sender.failed;
            let result = sender
                .mechanism
                .encode_frame(more, command, &body, &mut wire);
            if sent_after_failure || !sender.mechanism.is_ready() {
                assert!(
                    result.is_err(),
                    "a failed or unready mechanism sealed a frame"
                );
            }
            if sender.note(result).is_none() {
                continue;
            }
            let header_len = decoder
                .decode_header(&wire)
                .expect("our own frame header decodes")
                .expect("our own frame is complete")
                .header_len;
            let (copies, _) = self.edits.apply(wire.to_vec());
            let receiver = &mut self.sides[1 - from];
            for (n, copy) in copies.into_iter().enumerate() {
                let Ok(Some(header)) = decoder.decode_header(&copy) else {
                    continue;
                };
                if header.frame_len() > copy.len() {
                    continue;
                }
                let body_changed = copy.get(header_len..) != wire.get(header_len..);
                let received_after_failure = receiver.failed;
                let got = receiver.mechanism.decode_frame(
                    header,
                    BytesMut::from(&copy[header.header_len..header.frame_len()]),
                );
                if received_after_failure {
                    assert!(got.is_err(), "a failed mechanism opened a frame");
                }
                if encrypted && (body_changed || n > 0) {
                    assert!(
                        got.is_err(),
                        "an altered or replayed CURVE frame was accepted"
                    );
                }
                let untouched = copy == wire.as_ref() && n == 0;
                if let Some(frame) = receiver.note(got) {
                    if untouched && !received_after_failure {
                        let want = Frame {
                            more,
                            command,
                            body: BytesMut::from(&body[..]),
                        };
                        assert_eq!(frame, want, "frame changed on its way");
                    }
                }
            }
        }
    }
}
