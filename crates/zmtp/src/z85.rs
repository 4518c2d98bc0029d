//! Z85 (RFC 32): binary data as printable text, four octets to five characters.
//!
//! CURVE keys travel through configuration files and command lines in this form: a 32-octet
//! key is 40 characters.
//!
//! ```text
//! octets   86 4F D2 6F | B5 59 F7 5B     each group of 4 is a big-endian u32,
//! text     H e l l o   | W o r l d       written as 5 base-85 digits, most significant first
//! ```
//!
//! ```
//! use ferrozmq_zmtp::z85;
//!
//! let text = z85::encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]).unwrap();
//! assert_eq!(text, "HelloWorld");
//! assert_eq!(z85::decode("HelloWorld").unwrap(), [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
//! ```

use std::fmt;

/// The 85 digits, in value order.
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Digit value of every byte, or `INVALID`.
const DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};
const INVALID: u8 = 0xFF;

/// Length of a 32-octet key in Z85.
pub const KEY_TEXT_LEN: usize = 40;

/// Why a Z85 conversion failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Z85Error {
    /// Binary input must be a multiple of 4 octets, text a multiple of 5 characters (a key:
    /// exactly 40).
    BadLength {
        /// The length given.
        len: usize,
    },
    /// A character outside the Z85 alphabet.
    BadCharacter {
        /// Its position in the text.
        position: usize,
        /// The byte found there.
        byte: u8,
    },
    /// Five characters whose value exceeds 2^32 - 1, so no four octets encode to them.
    Overflow {
        /// Position of the group's first character.
        position: usize,
    },
}

impl fmt::Display for Z85Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Z85Error::BadLength { len } => write!(
                f,
                "Z85 needs whole groups (4 octets or 5 characters); got a length of {len}"
            ),
            Z85Error::BadCharacter { position, byte } => {
                write!(
                    f,
                    "byte {byte:#04x} at position {position} is not a Z85 character"
                )
            }
            Z85Error::Overflow { position } => write!(
                f,
                "the Z85 group at position {position} does not encode four octets"
            ),
        }
    }
}

impl std::error::Error for Z85Error {}

/// Encodes `data`, whose length must be a multiple of 4.
///
/// ```
/// assert_eq!(ferrozmq_zmtp::z85::encode(&[0, 0, 0, 0]).unwrap(), "00000");
/// assert!(ferrozmq_zmtp::z85::encode(&[1, 2, 3]).is_err());
/// ```
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if data.len() % 4 != 0 {
        return Err(Z85Error::BadLength { len: data.len() });
    }
    Ok(encode_groups(data))
}

/// Encodes the whole 4-octet groups of `data`.
fn encode_groups(data: &[u8]) -> String {
    let mut text = String::with_capacity(data.len() / 4 * 5);
    for group in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        let mut digits = [0u8; 5];
        for digit in digits.iter_mut().rev() {
            *digit = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        // Every digit comes from the ASCII alphabet.
        text.extend(digits.iter().map(|&d| char::from(d)));
    }
    text
}

/// Decodes `text`, whose length must be a multiple of 5.
///
/// ```
/// assert_eq!(ferrozmq_zmtp::z85::decode("00000").unwrap(), [0, 0, 0, 0]);
/// assert!(ferrozmq_zmtp::z85::decode("Hello Wrld").is_err());
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, Z85Error> {
    let text = text.as_bytes();
    if text.len() % 5 != 0 {
        return Err(Z85Error::BadLength { len: text.len() });
    }
    let mut data = Vec::with_capacity(text.len() / 5 * 4);
    for (index, group) in text.chunks_exact(5).enumerate() {
        let start = index * 5;
        let mut value: u64 = 0;
        for (offset, &byte) in group.iter().enumerate() {
            let digit = DIGITS[usize::from(byte)];
            if digit == INVALID {
                return Err(Z85Error::BadCharacter {
                    position: start + offset,
                    byte,
                });
            }
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow { position: start })?;
        data.extend_from_slice(&value.to_be_bytes());
    }
    Ok(data)
}

/// Encodes a 32-octet key as its 40 characters.
///
/// ```
/// let text = ferrozmq_zmtp::z85::encode_key(&[0u8; 32]);
/// assert_eq!(text, "0".repeat(40));
/// ```
pub fn encode_key(key: &[u8; 32]) -> String {
    encode_groups(key)
}

/// Decodes the 40 characters of a key.
///
/// ```
/// let key = ferrozmq_zmtp::z85::decode_key("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7").unwrap();
/// assert_eq!(key.len(), 32);
/// assert!(ferrozmq_zmtp::z85::decode_key("HelloWorld").is_err());
/// ```
pub fn decode_key(text: &str) -> Result<[u8; 32], Z85Error> {
    if text.len() != KEY_TEXT_LEN {
        return Err(Z85Error::BadLength { len: text.len() });
    }
    let data = decode(text)?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&data);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_OCTETS: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn rfc_32_test_vector_both_ways() {
        assert_eq!(encode(&RFC_OCTETS).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), RFC_OCTETS);
    }

    #[test]
    fn extremes_of_a_group() {
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(decode("%nSc0").unwrap(), [0xFF; 4]);
        assert_eq!(encode(&[]).unwrap(), "");
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn every_group_value_round_trips() {
        let mut data = Vec::new();
        let mut x: u32 = 0x1234_5678;
        for _ in 0..1000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            data.extend_from_slice(&x.to_be_bytes());
        }
        assert_eq!(decode(&encode(&data).unwrap()).unwrap(), data);
    }

    #[test]
    fn lengths_that_are_not_whole_groups_are_refused() {
        assert_eq!(encode(&[1, 2, 3]), Err(Z85Error::BadLength { len: 3 }));
        assert_eq!(decode("Hello1"), Err(Z85Error::BadLength { len: 6 }));
        assert_eq!(
            decode_key("HelloWorld"),
            Err(Z85Error::BadLength { len: 10 })
        );
    }

    #[test]
    fn characters_outside_the_alphabet_are_refused_with_their_position() {
        assert_eq!(
            decode("Hello Wrld"),
            Err(Z85Error::BadCharacter {
                position: 5,
                byte: b' '
            })
        );
        for bad in [b'"', b'\'', b',', b';', b'\\', b'_', b'`', b'|', b'~', 0x80] {
            let text = [b'0', b'0', bad, b'0', b'0'];
            let text = String::from_utf8_lossy(&text).into_owned();
            assert!(decode(&text).is_err(), "{bad:#04x}");
        }
    }

    #[test]
    fn groups_above_u32_max_are_refused() {
        // "%nSc1" is 2^32: one more than the largest group.
        assert_eq!(
            decode("00000%nSc1"),
            Err(Z85Error::Overflow { position: 5 })
        );
        assert_eq!(decode("#####"), Err(Z85Error::Overflow { position: 0 }));
    }

    #[test]
    fn keys_are_forty_characters() {
        let mut key = [0u8; 32];
        for (i, b) in key.iter_mut().enumerate() {
            *b = (i * 7) as u8;
        }
        let text = encode_key(&key);
        assert_eq!(text.len(), KEY_TEXT_LEN);
        assert_eq!(decode_key(&text).unwrap(), key);
    }
}
