//! CURVE traffic: every frame travels as a MESSAGE sealed with the transient keys.
//!
//! ```text
//! frame header (flags 0) | [7]"MESSAGE" | short nonce (8) | tag (16) | encrypted: flags (1) | body
//! ```
//!
//! The MESSAGE goes in a plain data frame with no flags: MORE and COMMAND travel inside the
//! box. RFC 26 calls MESSAGE a command, but libzmq 4.3 sends it in a data frame and drops a
//! connection whose MESSAGE arrives as a command frame, so that is what we send. We accept
//! either on receipt, and ignore the outer flags.
//!
//! Both directions encrypt in place: the body is copied once, into the output buffer or out
//! of the input buffer, and never again.

use super::{ShortNonces, CLIENT_MESSAGE_NONCE, MESSAGE_OVERHEAD, SERVER_MESSAGE_NONCE, TAG_LEN};
use crate::frame::{FrameHeader, MAX_HEADER_LEN};
use crate::mechanism::error::MechanismError;
use crate::mechanism::{wire, write_header, Frame};
use bytes::{Buf, BufMut, BytesMut};
use crypto_box::aead::generic_array::GenericArray;
use crypto_box::aead::AeadInPlace;
use crypto_box::SalsaBox;
use std::fmt;
use std::sync::Arc;

/// MESSAGE flag: more parts follow.
const MORE: u8 = 0x01;
/// MESSAGE flag: the frame inside is a ZMTP command.
const COMMAND: u8 = 0x02;

/// Offsets within a MESSAGE command body.
const NONCE_AT: usize = 8;
const TAG_AT: usize = NONCE_AT + 8;
const PLAINTEXT_AT: usize = TAG_AT + TAG_LEN;

/// Seals outgoing frames and opens incoming ones for one side of a connection.
pub(crate) struct Codec {
    /// The transient keys' shared secret, computed once (and shared with [`SentFrames`]).
    cipher: Arc<SalsaBox>,
    nonces: ShortNonces,
    send_prefix: &'static [u8; 16],
    receive_prefix: &'static [u8; 16],
}

impl Codec {
    pub(super) fn client(cipher: SalsaBox, nonces: ShortNonces) -> Self {
        Codec {
            cipher: Arc::new(cipher),
            nonces,
            send_prefix: CLIENT_MESSAGE_NONCE,
            receive_prefix: SERVER_MESSAGE_NONCE,
        }
    }

    pub(super) fn server(cipher: SalsaBox, nonces: ShortNonces) -> Self {
        Codec {
            cipher: Arc::new(cipher),
            nonces,
            send_prefix: SERVER_MESSAGE_NONCE,
            receive_prefix: CLIENT_MESSAGE_NONCE,
        }
    }

    /// Appends the MESSAGE frame carrying one frame to `out`.
    pub(crate) fn seal(
        &mut self,
        more: bool,
        command: bool,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        debug_assert!(!(more && command), "a command has no further parts");
        let short = self.nonces.take()?;
        let nonce = super::short_nonce(self.send_prefix, &short);
        let start = out.len();
        let message_len = MESSAGE_OVERHEAD + body.len();
        out.reserve(MAX_HEADER_LEN + message_len);
        write_header(false, false, message_len, out);
        let body_at = out.len();
        out.put_u8(wire::MESSAGE.len() as u8);
        out.put_slice(wire::MESSAGE);
        out.put_slice(&short);
        out.put_bytes(0, TAG_LEN);
        out.put_u8((u8::from(more) * MORE) | (u8::from(command) * COMMAND));
        out.put_slice(body);
        let (tag, plaintext) = out[body_at + TAG_AT..].split_at_mut(TAG_LEN);
        match self
            .cipher
            .encrypt_in_place_detached(&nonce, b"", plaintext)
        {
            Ok(sealed_tag) => {
                tag.copy_from_slice(&sealed_tag);
                Ok(())
            }
            Err(_) => {
                out.truncate(start);
                Err(MechanismError::SealFailed)
            }
        }
    }

    /// Opens one received frame, which must be a MESSAGE, into the frame it carries.
    pub(crate) fn open(
        &mut self,
        header: FrameHeader,
        body: BytesMut,
    ) -> Result<Frame, MechanismError> {
        match wire::split(&body) {
            Ok((wire::ERROR, data)) if header.is_command() => return Err(wire::peer_error(data)),
            _ => {}
        }
        let nonces = &mut self.nonces;
        open_message(&self.cipher, self.receive_prefix, body, |short| {
            let received = nonces.check(short)?;
            Ok(move || nonces.accept(received))
        })
    }

    /// What it takes to open the MESSAGE boxes this side sealed: see [`SentFrames`].
    pub(crate) fn sent_frames(&self) -> SentFrames {
        SentFrames {
            cipher: self.cipher.clone(),
            prefix: self.send_prefix,
        }
    }
}

/// Opens the MESSAGE boxes one side of a connection sealed, so that messages it queued but
/// never completely wrote can be read back and sent again, over a new connection with new
/// keys. Only boxes this side sealed open with it; nonces are not checked (the frames never
/// left this process).
#[derive(Clone)]
pub(crate) struct SentFrames {
    cipher: Arc<SalsaBox>,
    prefix: &'static [u8; 16],
}

impl fmt::Debug for SentFrames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SentFrames { .. }")
    }
}

impl SentFrames {
    /// Opens the body of one MESSAGE frame that [`Codec::seal`] produced.
    pub(crate) fn open(&self, body: BytesMut) -> Result<Frame, MechanismError> {
        open_message(&self.cipher, self.prefix, body, |_| Ok(|| ()))
    }
}

/// Opens a MESSAGE body sealed with `cipher` under nonces starting with `prefix`. `check`
/// vets the short nonce before the box is opened and returns what to do once it opened
/// (a forged box must not move the replay window).
fn open_message<A: FnOnce()>(
    cipher: &SalsaBox,
    prefix: &[u8; 16],
    mut body: BytesMut,
    check: impl FnOnce(&[u8; 8]) -> Result<A, MechanismError>,
) -> Result<Frame, MechanismError> {
    match wire::split(&body) {
        Ok((wire::MESSAGE, _)) => {}
        _ => {
            return Err(MechanismError::Unexpected {
                expected: "MESSAGE",
            })
        }
    }
    if body.len() < MESSAGE_OVERHEAD {
        return Err(MechanismError::MalformedCommand { command: "MESSAGE" });
    }
    let (_, rest) = body.split_at_mut(NONCE_AT);
    let (short, rest) = rest.split_at_mut(8);
    let (tag, ciphertext) = rest.split_at_mut(TAG_LEN);
    let mut short_bytes = [0u8; 8];
    short_bytes.copy_from_slice(short);
    let accept = check(&short_bytes)?;
    let nonce = super::short_nonce(prefix, &short_bytes);
    cipher
        .decrypt_in_place_detached(&nonce, b"", ciphertext, GenericArray::from_slice(tag))
        .map_err(|_| MechanismError::BoxNotOpened { what: "MESSAGE" })?;
    accept();
    let flags = body[PLAINTEXT_AT];
    if flags & !(MORE | COMMAND) != 0 || flags == MORE | COMMAND {
        return Err(MechanismError::BadMessageFlags(flags));
    }
    body.advance(PLAINTEXT_AT + 1);
    Ok(Frame {
        more: flags & MORE != 0,
        command: flags & COMMAND != 0,
        body,
    })
}
