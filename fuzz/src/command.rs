//! Command bodies (READY, ERROR, SUBSCRIBE, CANCEL, JOIN, LEAVE, PING, PONG, unknown): what
//! decodes re-encodes to a frame that decodes to the same command, and for the commands
//! whose body is fully determined by their fields, to the very same bytes.

use zmtp::command::Command;
use zmtp::frame::FrameDecoder;

/// Input: the body of a command frame, as the session hands it to [`Command::decode`].
pub fn check(body: &[u8]) {
    let Ok(command) = Command::decode(body) else {
        return;
    };
    let name_len = usize::from(body[0]);
    assert_eq!(
        command.name(),
        &body[1..1 + name_len],
        "name taken verbatim"
    );
    let mut wire = Vec::new();
    command.encode(&mut wire);
    let header = FrameDecoder::new(None)
        .decode_header(&wire)
        .expect("our own header decodes")
        .expect("our own header is complete");
    assert!(header.is_command(), "a command is framed as one");
    assert_eq!(header.frame_len(), wire.len(), "frame length");
    let encoded_body = &wire[header.header_len..];
    let again = Command::decode(encoded_body).expect("our own command decodes");
    assert_eq!(again, command, "command survives a round trip");
    // ERROR ignores octets after its reason and unknown commands keep only their name;
    // every other body is exactly its fields.
    let exact = !matches!(command, Command::Error { .. } | Command::Unknown { .. });
    if exact {
        assert_eq!(encoded_body, body, "re-encoded body differs");
    }
}
