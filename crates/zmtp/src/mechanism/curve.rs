//! CURVE (RFC 25, CurveZMQ RFC 26): a handshake that authenticates both sides with
//! long-term X25519 keys, agrees on per-connection transient keys, and then encrypts every
//! frame.
//!
//! Notation: C and S are the client's and server's long-term public keys, C' and S' the
//! transient ones (secret halves in lower case); Box\[X\](A->B) is NaCl `crypto_box`
//! (X25519, XSalsa20, Poly1305) sealing X with A's secret key for B's public key: a 16-octet
//! tag, then the ciphertext.
//!
//! ```text
//! C:HELLO     [5]"HELLO" 1 0 | 72 zeros | C' | short nonce | Box[64 zeros](C'->S)      200 octets
//! S:WELCOME   [7]"WELCOME" long nonce | Box[S' | cookie](S->C')                        168 octets
//!             cookie = long nonce | SecretBox[C' | s'](K)                               96 octets
//! C:INITIATE  [8]"INITIATE" cookie | short nonce | Box[C | vouch | metadata](C'->S')   257+ octets
//!             vouch  = long nonce | Box[C' | S](C->S')                                  96 octets
//! S:READY     [5]"READY" short nonce | Box[metadata](S'->C')                           30+ octets
//! C:MESSAGE / S:MESSAGE  [7]"MESSAGE" short nonce | Box[flags | body](C'<->S')          33+ octets
//!             (in a data frame, as libzmq sends it; see the codec)
//! S:ERROR     [5]"ERROR" reason, in clear
//! ```
//!
//! Each box's 24-octet nonce is an 8- or 16-octet prefix naming its purpose ("CurveZMQHELLO---",
//! "WELCOME-", "COOKIE--", "CurveZMQINITIATE", "VOUCH---", "CurveZMQREADY---",
//! "CurveZMQMESSAGEC" from the client, "CurveZMQMESSAGES" from the server) followed by the
//! command's nonce. Long nonces are 16 random octets. Short nonces count up from 1 on each
//! side, across HELLO, INITIATE and MESSAGE (client) or READY and MESSAGE (server): a short
//! nonce from the peer that does not exceed the last one accepted is a replay, and ends the
//! connection.
//!
//! Choices this implementation makes where the RFC leaves room:
//!
//! * **Cookie key.** The server draws a fresh cookie key K for each connection when HELLO
//!   arrives, and forgets it once INITIATE has been checked (or the handshake fails). The
//!   server's transient secret s' is not kept between WELCOME and INITIATE: it exists only
//!   inside the cookie, which only this connection's K opens, so an INITIATE replayed from
//!   another connection (or to another server instance) fails with
//!   [`MechanismError::BoxNotOpened`] "cookie". A key shared by all connections and rotated
//!   every minute would save 32 octets per half-open connection; ZMTP runs over connections
//!   that hold state anyway, so the per-connection key buys simplicity at no real cost.
//! * **Anti-amplification.** Before INITIATE has proved the client holds C' (and got past the
//!   cookie), the only thing a server sends is WELCOME, 168 octets for a HELLO of exactly 200:
//!   malformed or forged HELLOs are dropped without an answer. The ERROR for a refused client
//!   follows a valid INITIATE.
//! * **Strictness.** HELLO must be exactly 200 octets with zero padding and a signature box of
//!   zeros; WELCOME exactly 168; the vouch must name this connection's C' and our S.
//! * **MESSAGE flags.** Bit 0 is MORE; bit 1 marks a ZMTP command (SUBSCRIBE, PING, ...)
//!   carried inside the box, as libzmq does for ZMTP 3.1 peers. Other bits, or MORE with
//!   COMMAND, are an error.
//! * **MESSAGE framing.** Sent in a data frame without flags, which is what libzmq 4.3 sends
//!   and accepts (checked against pyzmq's libzmq 4.3.5); accepted in data or command frames.

mod client;
mod codec;
mod server;

pub(crate) use client::CurveClient;
pub(crate) use codec::{Codec, SentFrames};
pub(crate) use server::CurveServer;

use super::error::MechanismError;
use crypto_box::aead::consts::{U16, U24};
use crypto_box::aead::generic_array::GenericArray;
use crypto_box::aead::AeadInPlace;
use crypto_box::Nonce;
use zeroize::Zeroizing;

/// Octets a frame grows by inside a MESSAGE command: name (8), short nonce (8), tag (16),
/// flags (1).
pub const MESSAGE_OVERHEAD: usize = 8 + 8 + TAG_LEN + 1;

/// Size of a Poly1305 tag, by which a box exceeds its contents.
const TAG_LEN: usize = 16;
/// The CurveZMQ version in HELLO.
const VERSION: [u8; 2] = [1, 0];
/// Zeros that make HELLO larger than WELCOME.
const HELLO_PADDING: usize = 72;
/// What HELLO's signature box holds.
const HELLO_SIGNATURE: [u8; 64] = [0; 64];

const HELLO_NONCE: &[u8; 16] = b"CurveZMQHELLO---";
const WELCOME_NONCE: &[u8; 8] = b"WELCOME-";
const COOKIE_NONCE: &[u8; 8] = b"COOKIE--";
const INITIATE_NONCE: &[u8; 16] = b"CurveZMQINITIATE";
const VOUCH_NONCE: &[u8; 8] = b"VOUCH---";
const READY_NONCE: &[u8; 16] = b"CurveZMQREADY---";
const CLIENT_MESSAGE_NONCE: &[u8; 16] = b"CurveZMQMESSAGEC";
const SERVER_MESSAGE_NONCE: &[u8; 16] = b"CurveZMQMESSAGES";

/// HELLO's data after the name: version, padding, C', short nonce, signature box.
const HELLO_DATA_LEN: usize = 2 + HELLO_PADDING + 32 + 8 + (64 + TAG_LEN);
/// A cookie: long nonce, then SecretBox[C' | s'](K).
const COOKIE_LEN: usize = 16 + (64 + TAG_LEN);
/// WELCOME's data after the name: long nonce, then Box[S' | cookie](S->C').
const WELCOME_DATA_LEN: usize = 16 + (32 + COOKIE_LEN + TAG_LEN);
/// A vouch: long nonce, then Box[C' | S](C->S').
const VOUCH_LEN: usize = 16 + (64 + TAG_LEN);
/// The shortest INITIATE data: cookie, short nonce, Box[C | vouch](C'->S') without metadata.
const MIN_INITIATE_DATA_LEN: usize = COOKIE_LEN + 8 + (32 + VOUCH_LEN + TAG_LEN);

/// A nonce for boxes sealed with transient keys: a 16-octet prefix and a short nonce.
fn short_nonce(prefix: &[u8; 16], short: &[u8; 8]) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[..16].copy_from_slice(prefix);
    nonce[16..].copy_from_slice(short);
    nonce
}

/// A nonce for boxes that involve a long-term key or the cookie key: an 8-octet prefix and
/// 16 random octets.
fn long_nonce(prefix: &[u8; 8], long: &[u8; 16]) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(long);
    nonce
}

/// Seals `plaintext`: the tag, then the ciphertext.
fn seal<A>(cipher: &A, nonce: &Nonce, plaintext: &[u8]) -> Result<Vec<u8>, MechanismError>
where
    A: AeadInPlace<NonceSize = U24, TagSize = U16>,
{
    let mut sealed = vec![0u8; TAG_LEN + plaintext.len()];
    sealed[TAG_LEN..].copy_from_slice(plaintext);
    let tag = cipher
        .encrypt_in_place_detached(nonce, b"", &mut sealed[TAG_LEN..])
        .map_err(|_| MechanismError::SealFailed)?;
    sealed[..TAG_LEN].copy_from_slice(&tag);
    Ok(sealed)
}

/// Opens a box sealed by [`seal`]. The plaintext is wiped when dropped: some boxes hold
/// secret keys.
fn open<A>(
    cipher: &A,
    nonce: &Nonce,
    sealed: &[u8],
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, MechanismError>
where
    A: AeadInPlace<NonceSize = U24, TagSize = U16>,
{
    let (tag, ciphertext) = sealed
        .split_first_chunk::<TAG_LEN>()
        .ok_or(MechanismError::BoxNotOpened { what })?;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_in_place_detached(nonce, b"", &mut plaintext, GenericArray::from_slice(tag))
        .map_err(|_| MechanismError::BoxNotOpened { what })?;
    Ok(plaintext)
}

/// One side's short nonces: the next one to send, and the last one accepted from the peer.
#[derive(Clone, Debug)]
struct ShortNonces {
    next: u64,
    last_received: Option<u64>,
}

impl ShortNonces {
    fn new() -> Self {
        ShortNonces {
            next: 1,
            last_received: None,
        }
    }

    /// Our next short nonce, in network order.
    fn take(&mut self) -> Result<[u8; 8], MechanismError> {
        let nonce = self.next;
        self.next = nonce.checked_add(1).ok_or(MechanismError::NonceExhausted)?;
        Ok(nonce.to_be_bytes())
    }

    /// Checks that a short nonce from the peer exceeds the last one accepted. Only
    /// [`accept`](Self::accept) it once the box it came with has opened: a forged command
    /// must not move the window.
    fn check(&self, received: &[u8; 8]) -> Result<u64, MechanismError> {
        let received = u64::from_be_bytes(*received);
        match self.last_received {
            Some(last) if received <= last => {
                Err(MechanismError::NonceNotIncreasing { received, last })
            }
            _ => Ok(received),
        }
    }

    fn accept(&mut self, received: u64) {
        self.last_received = Some(received);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_sizes_match_the_rfc() {
        assert_eq!(6 + HELLO_DATA_LEN, 200);
        assert_eq!(8 + WELCOME_DATA_LEN, 168);
        assert_eq!(9 + MIN_INITIATE_DATA_LEN, 257);
        assert_eq!(6 + 8 + TAG_LEN, 30);
        assert_eq!(MESSAGE_OVERHEAD, 33);
    }

    #[test]
    fn short_nonces_count_up_and_refuse_repeats() {
        let mut nonces = ShortNonces::new();
        assert_eq!(nonces.take().unwrap(), 1u64.to_be_bytes());
        assert_eq!(nonces.take().unwrap(), 2u64.to_be_bytes());
        assert_eq!(nonces.check(&5u64.to_be_bytes()), Ok(5));
        nonces.accept(5);
        assert_eq!(
            nonces.check(&5u64.to_be_bytes()),
            Err(MechanismError::NonceNotIncreasing {
                received: 5,
                last: 5
            })
        );
        assert!(nonces.check(&4u64.to_be_bytes()).is_err());
        assert_eq!(nonces.check(&6u64.to_be_bytes()), Ok(6));
    }

    #[test]
    fn the_last_short_nonce_is_never_reused() {
        let mut nonces = ShortNonces {
            next: u64::MAX - 1,
            last_received: None,
        };
        assert_eq!(nonces.take().unwrap(), (u64::MAX - 1).to_be_bytes());
        assert_eq!(nonces.take(), Err(MechanismError::NonceExhausted));
        assert_eq!(nonces.take(), Err(MechanismError::NonceExhausted));
    }
}
