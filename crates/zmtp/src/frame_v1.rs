//! ZMTP 1.0 framing (RFC 13), spoken with libzmq 2.x peers: the size comes first and counts
//! the flags octet too, so an empty frame has size 1.
//!
//! ```text
//! size 1..254:     | size (1) | flags | body (size - 1) ...
//! size 255 and up: | 0xFF | size (8, big endian) | flags | body (size - 1) ...
//!                                            flags: bit 0 MORE, bits 1-7 reserved
//! ```
//!
//! ZMTP 2.0 (libzmq 3.x) frames are those of ZMTP 3.x without commands, and go through
//! [`crate::frame`].

use crate::error::ProtocolError;
use crate::frame::{FrameHeader, MORE};

/// The longest a ZMTP 1.0 header can be: 0xFF, an 8-octet size and the flags.
pub const MAX_HEADER_LEN: usize = 10;

/// Decodes the ZMTP 1.0 header at the start of `input`, refusing a body over `max_body`
/// before a byte of it is reserved. `Ok(None)`: more input is needed. Reserved flag bits
/// are refused unless `any_flags` (RFC 13: the flags of an identity are not validated;
/// those of a message SHOULD be zero, which every libzmq 2.x peer honours and which tells
/// a stray HTTP request from a peer within a few octets).
///
/// The header returned has the shape of a ZMTP 3.x one: `flags` holds MORE only,
/// `body_len` the body alone.
pub fn decode_header(
    input: &[u8],
    max_body: u64,
    any_flags: bool,
) -> Result<Option<FrameHeader>, ProtocolError> {
    let Some(&first) = input.first() else {
        return Ok(None);
    };
    let (size_len, size) = if first == 0xFF {
        match input.get(1..9) {
            Some(size) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(size);
                (9, u64::from_be_bytes(be))
            }
            None => return Ok(None),
        }
    } else {
        (1, u64::from(first))
    };
    // The size counts the flags octet: a frame of size 0 cannot be.
    let Some(body_len) = size.checked_sub(1) else {
        return Err(ProtocolError::MalformedFrame);
    };
    if body_len > max_body {
        return Err(ProtocolError::FrameTooLarge {
            len: body_len,
            max: max_body,
        });
    }
    let Some(&flags) = input.get(size_len) else {
        return Ok(None);
    };
    if !any_flags && flags & !MORE != 0 {
        return Err(ProtocolError::ReservedFlags(flags));
    }
    Ok(Some(FrameHeader {
        flags: flags & MORE,
        header_len: size_len + 1,
        // Cannot truncate: `max_body` is at most what the platform can address.
        body_len: body_len as usize,
    }))
}

/// Appends the ZMTP 1.0 header of a frame with `body_len` octets of body to `out`, in the
/// short form whenever the size fits in one octet below 0xFF (as libzmq writes it).
pub fn encode_header(more: bool, body_len: usize, out: &mut Vec<u8>) {
    let size = body_len as u64 + 1;
    let flags = u8::from(more) * MORE;
    if size < 0xFF {
        out.extend_from_slice(&[size as u8, flags]);
    } else {
        out.push(0xFF);
        out.extend_from_slice(&size.to_be_bytes());
        out.push(flags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(more: bool, body_len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        encode_header(more, body_len, &mut out);
        out
    }

    #[test]
    fn short_and_long_sizes_count_the_flags() {
        assert_eq!(header(false, 0), [1, 0]);
        assert_eq!(header(true, 253), [254, 1]);
        assert_eq!(header(false, 254), [0xFF, 0, 0, 0, 0, 0, 0, 0, 255, 0]);
        for (more, len) in [
            (false, 0),
            (true, 5),
            (false, 253),
            (true, 254),
            (false, 70_000),
        ] {
            let bytes = header(more, len);
            let h = decode_header(&bytes, u64::MAX >> 1, false)
                .unwrap()
                .unwrap();
            assert_eq!(
                (h.more(), h.body_len, h.header_len),
                (more, len, bytes.len())
            );
        }
    }

    #[test]
    fn size_zero_reserved_flags_and_oversize_bodies_are_refused() {
        assert_eq!(
            decode_header(&[0, 0], 100, false),
            Err(ProtocolError::MalformedFrame)
        );
        assert_eq!(
            decode_header(&[3, 0x45], 100, false),
            Err(ProtocolError::ReservedFlags(0x45))
        );
        assert!(decode_header(&[3, 0x45], 100, true).unwrap().is_some());
        assert_eq!(
            decode_header(&[102, 0], 100, false),
            Err(ProtocolError::FrameTooLarge { len: 101, max: 100 })
        );
        // Refused from the size, before the flags arrive.
        let mut huge = vec![0xFF];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(
            decode_header(&huge, 100, false),
            Err(ProtocolError::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn partial_headers_ask_for_more() {
        assert_eq!(decode_header(&[], 10, false), Ok(None));
        assert_eq!(decode_header(&[3], 10, false), Ok(None));
        assert_eq!(decode_header(&[0xFF, 0, 0, 0], 10, false), Ok(None));
        assert_eq!(
            decode_header(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 2], 10, false),
            Ok(None)
        );
    }
}
