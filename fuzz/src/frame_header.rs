//! Frame headers: a decoded header is within its limit and no longer than the input, every
//! shorter prefix asks for more bytes instead of deciding, and our encoder's header for the
//! same frame decodes to the same frame.

use zmtp::frame::{encode_header, FrameDecoder, MAX_HEADER_LEN};

/// Message size limits to pick from with the first input byte: none, the edges of the short
/// form, the command limit, and one larger than the platform allows.
const LIMITS: [Option<u64>; 9] = [
    None,
    Some(0),
    Some(1),
    Some(255),
    Some(256),
    Some(FrameDecoder::MAX_COMMAND - 1),
    Some(FrameDecoder::MAX_COMMAND + 1),
    Some(1 << 20),
    Some(u64::MAX),
];

/// Input: one byte choosing the limit, then the bytes at the front of a read buffer.
pub fn check(data: &[u8]) {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let decoder = FrameDecoder::new(LIMITS[usize::from(pick) % LIMITS.len()]);
    let Ok(decoded) = decoder.decode_header(input) else {
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
    let max = if header.is_command() {
        decoder.max_message_size().max(FrameDecoder::MAX_COMMAND)
    } else {
        decoder.max_message_size()
    };
    assert!(header.body_len as u64 <= max, "body over the limit");
    assert!(
        !(header.is_command() && header.more()),
        "a command with MORE"
    );
    // A reader that stops on a short read must not decide before the header is complete.
    for end in 0..header.header_len {
        assert_eq!(
            decoder.decode_header(&input[..end]),
            Ok(None),
            "decided on {end} of {} header octets",
            header.header_len
        );
    }
    let mut ours = Vec::new();
    encode_header(
        header.more(),
        header.is_command(),
        header.body_len,
        &mut ours,
    );
    let again = decoder
        .decode_header(&ours)
        .expect("our own header decodes")
        .expect("our own header is complete");
    assert_eq!(
        (again.more(), again.is_command(), again.body_len),
        (header.more(), header.is_command(), header.body_len),
        "re-encoded header describes the same frame"
    );
}
