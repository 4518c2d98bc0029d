//! What a peer that has not finished its handshake can make a session buffer. Until READY
//! (or the security handshake) is through, the peer is unknown and possibly hostile: a
//! command larger than any handshake needs must be refused from its header, whatever the
//! message size limit for traffic.

use ferrozmq_zmtp::frame::{FrameDecoder, COMMAND, LONG};
use ferrozmq_zmtp::greeting::{Greeting, MechanismName};
use ferrozmq_zmtp::{BytesMut, ProtocolError, Session, SessionConfig, SocketType};

/// A peer's greeting and the header of a command frame of `len` bytes, nothing more.
fn greeting_and_command_header(len: u64) -> BytesMut {
    let greeting = Greeting {
        version: (3, 1),
        mechanism: MechanismName::NULL,
        as_server: false,
    };
    let mut input = BytesMut::from(&greeting.encode()[..]);
    input.extend_from_slice(&[COMMAND | LONG]);
    input.extend_from_slice(&len.to_be_bytes());
    input
}

fn rep(max_message_size: Option<u64>) -> Session {
    Session::new(SessionConfig {
        socket_type: SocketType::Rep,
        routing_id: Default::default(),
        max_message_size,
        max_message_parts: None,
        max_multipart_size: None,
    })
}

#[test]
fn a_handshake_command_over_the_command_limit_is_refused_under_a_message_limit() {
    let mut session = rep(Some(1024));
    let mut input = greeting_and_command_header(FrameDecoder::MAX_COMMAND + 1);
    assert!(matches!(
        session.handle_input(&mut input),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
}

/// Without MAXMSGSIZE the decoder's command limit is `max(message limit, MAX_COMMAND)`,
/// that is none at all, so a peer announcing a 1 GiB READY is waited for (and buffered as it
/// arrives) until HANDSHAKE_IVL runs out.
#[test]
fn a_handshake_command_over_the_command_limit_is_refused_without_a_message_limit() {
    let mut session = rep(None);
    let mut input = greeting_and_command_header(1 << 30);
    let result = session.handle_input(&mut input);
    assert!(
        matches!(result, Err(ProtocolError::FrameTooLarge { .. })),
        "{result:?}, waiting for {} bytes",
        session.bytes_wanted()
    );
}
