//! ZMTP 1.0 frame headers (`zmtp::frame_v1`): a decoded header is within its limit and no
//! longer than the input, its flags hold MORE alone, every shorter prefix asks for more
//! bytes instead of deciding, reserved flag bits are refused unless the caller takes any
//! (an identity), and our encoder's header for the same frame decodes to the same frame.

use zmtp::frame_v1::{decode_header, encode_header, MAX_HEADER_LEN};

/// Body size limits to pick from with the first input byte: none, the edges of the short
/// form (whose size counts the flags octet), an identity's limit and a large one.
const LIMITS: [u64; 7] = [0, 1, 253, 254, 255, 1 << 20, isize::MAX as u64];

/// Input: one byte choosing the limit (bits 0-6) and whether any flags go (bit 7), then the
/// bytes at the front of a read buffer.
pub fn check(data: &[u8]) {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let max = LIMITS[usize::from(pick & 0x7F) % LIMITS.len()];
    let any_flags = pick & 0x80 != 0;
    let Ok(decoded) = decode_header(input, max, any_flags) else {
        return;
    };
    let Some(header) = decoded else {
        assert!(
            input.len() < MAX_HEADER_LEN,
            "{} bytes hold a whole header, yet the decoder asks for more",
            input.len()
        );
        return;
    };
    assert!(
        header.header_len == 2 || header.header_len == MAX_HEADER_LEN,
        "header length {}",
        header.header_len
    );
    assert!(header.header_len <= input.len(), "header past the input");
    assert!(header.body_len as u64 <= max, "body over the limit");
    assert_eq!(header.flags & !1, 0, "flags beyond MORE");
    if !any_flags {
        assert_eq!(
            input[header.header_len - 1] & !1,
            0,
            "reserved flag bits accepted"
        );
    }
    for end in 0..header.header_len {
        assert_eq!(
            decode_header(&input[..end], max, any_flags),
            Ok(None),
            "decided on {end} of {} header octets",
            header.header_len
        );
    }
    let mut ours = Vec::new();
    encode_header(header.more(), header.body_len, &mut ours);
    let again = decode_header(&ours, max, false)
        .expect("our header decodes")
        .expect("our header is whole");
    assert_eq!(
        (again.more(), again.body_len),
        (header.more(), header.body_len),
        "round trip"
    );
}
