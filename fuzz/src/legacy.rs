//! A whole connection with a ZMTP 1.0 or 2.0 peer (RFCs 13 and 15): the session module's
//! connection (NULL), fed an opening of the chosen version followed by the fuzzer's bytes,
//! which then land in the older framing, so that the downgrade and the ZMTP 1.0 framing
//! are reached on every input rather than by chance.
//!
//! Beyond the session checks (no panic or livelock, sane `bytes_wanted`, one `Ready` before
//! any message, exact recovery of unsent messages): a connection that gets ready says the
//! version it was opened with, and only a socket type of the older protocols' time does.

use crate::session;
use zmtp::SocketType;

/// Input: our socket type, a seed for chunk and write sizes, the message size limit, the
/// opening (bits 0-1: ZMTP 1.0 without a version, ZMTP 1.0 with revision 0, ZMTP 2.0;
/// bits 2-5: the peer's socket type number for a versioned opening; bits 6-7: its identity
/// length, 0, 1, 5 or 255), then what the peer sends after it.
pub fn check(data: &[u8]) -> session::Outcome {
    let Some((&[kind, seed, limit, opening], stream)) = data.split_first_chunk::<4>() else {
        return session::Outcome::default();
    };
    let socket_type = SocketType::ALL[usize::from(kind) % SocketType::ALL.len()];
    let identity = vec![b'i'; [0, 1, 5, 255][usize::from(opening >> 6)]];
    let number = (opening >> 2) & 0x0F;
    let mut bytes = Vec::with_capacity(stream.len() + 300);
    let version = match opening & 0x03 {
        0 | 3 => {
            push_v1_frame(&identity, &mut bytes);
            (1, 0)
        }
        1 => {
            bytes.extend_from_slice(b"\xff\0\0\0\0\0\0\0\x01\x7f\x00");
            bytes.push(number);
            push_v1_frame(&identity, &mut bytes);
            (1, 0)
        }
        _ => {
            bytes.extend_from_slice(b"\xff\0\0\0\0\0\0\0\x01\x7f\x01");
            bytes.push(number);
            zmtp::frame::encode_header(false, false, identity.len(), &mut bytes);
            bytes.extend_from_slice(&identity);
            (2, 0)
        }
    };
    bytes.extend_from_slice(stream);
    let outcome = session::run(socket_type, session::limit(limit), seed, 0, &bytes);
    if outcome.ready {
        assert_eq!(outcome.peer_version, version, "ready with another version");
        assert!(
            socket_type.has_legacy_peers(),
            "a {socket_type} talked to a ZMTP {}.{} peer",
            version.0,
            version.1
        );
    }
    outcome
}

/// A ZMTP 1.0 frame, flags 0.
fn push_v1_frame(body: &[u8], out: &mut Vec<u8>) {
    zmtp::frame_v1::encode_header(false, body.len(), out);
    out.extend_from_slice(body);
}
