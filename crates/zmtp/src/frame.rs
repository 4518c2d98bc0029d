//! Frame headers: the flags octet and the short (1-octet) or long (8-octet) size.
//!
//! ```text
//! short frame:  | flags | size (1) | body ...          flags: bit 0 MORE
//! long frame:   | flags | size (8, big endian) | body     bit 1 LONG
//!                                                        bit 2 COMMAND
//! ```

use crate::error::ProtocolError;

/// More parts of the same message follow.
pub const MORE: u8 = 0x01;
/// The size field is 8 octets.
pub const LONG: u8 = 0x02;
/// The frame is a command, not a message part.
pub const COMMAND: u8 = 0x04;

/// The longest a header can be: flags plus an 8-octet size.
pub const MAX_HEADER_LEN: usize = 9;

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// The flags octet (reserved bits are guaranteed zero).
    pub flags: u8,
    /// Bytes taken by the header itself (2 or 9).
    pub header_len: usize,
    /// Bytes of body that follow the header.
    pub body_len: usize,
}

impl FrameHeader {
    /// True for a message part that has more parts after it.
    pub fn more(&self) -> bool {
        self.flags & MORE != 0
    }

    /// True for a command frame.
    pub fn is_command(&self) -> bool {
        self.flags & COMMAND != 0
    }

    /// Header plus body.
    pub fn frame_len(&self) -> usize {
        self.header_len + self.body_len
    }
}

/// Reads frame headers, refusing any frame larger than its limit before a byte is reserved.
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    max_body: u64,
    /// The largest command body accepted now: [`FrameDecoder::MAX_COMMAND`] until the
    /// handshake is over, so that a peer nobody has authenticated cannot make us hold a
    /// huge command, and no less than the message limit after it.
    max_command: u64,
}

impl FrameDecoder {
    /// A decoder that refuses message frames above `max_message_size` bytes (`None`: no limit
    /// but the protocol's own, 2^63 - 1, further capped to what this platform can address).
    /// Command frames are held to [`FrameDecoder::MAX_COMMAND`] until
    /// [`allow_traffic_commands`](Self::allow_traffic_commands) is called.
    pub fn new(max_message_size: Option<u64>) -> Self {
        let platform_max = isize::MAX as u64;
        let max_body = max_message_size.map_or(platform_max, |m| m.min(platform_max));
        FrameDecoder {
            max_body,
            max_command: Self::MAX_COMMAND,
        }
    }

    /// The handshake is over: commands may be as large as messages (a subscription carries a
    /// topic of any length), or [`FrameDecoder::MAX_COMMAND`] if that is larger, so that a
    /// small message limit never breaks a command.
    pub fn allow_traffic_commands(&mut self) {
        self.max_command = self.max_body.max(Self::MAX_COMMAND);
    }

    /// The largest command body accepted regardless of the message size limit. READY and
    /// the security handshakes fit comfortably; anything larger is an attack.
    pub const MAX_COMMAND: u64 = 64 * 1024;

    /// The largest message body this decoder accepts.
    pub fn max_message_size(&self) -> u64 {
        self.max_body
    }

    /// Decodes the header at the start of `input`. Returns `Ok(None)` when `input` holds only
    /// part of a header. The body may or may not be in `input` yet; the caller checks
    /// [`FrameHeader::frame_len`] against what it has.
    #[inline]
    pub fn decode_header(&self, input: &[u8]) -> Result<Option<FrameHeader>, ProtocolError> {
        let Some(&flags) = input.first() else {
            return Ok(None);
        };
        if flags & !(MORE | LONG | COMMAND) != 0 {
            return Err(ProtocolError::ReservedFlags(flags));
        }
        let (header_len, len) = if flags & LONG == 0 {
            match input.get(1) {
                Some(&n) => (2, u64::from(n)),
                None => return Ok(None),
            }
        } else {
            match input.get(1..9) {
                Some(size) => {
                    let mut be = [0u8; 8];
                    be.copy_from_slice(size);
                    (9, u64::from_be_bytes(be))
                }
                None => return Ok(None),
            }
        };
        let command = flags & COMMAND != 0;
        if command && flags & MORE != 0 {
            return Err(ProtocolError::CommandWithMore);
        }
        let max = if command {
            self.max_command
        } else {
            self.max_body
        };
        if len > max {
            return Err(ProtocolError::FrameTooLarge { len, max });
        }
        Ok(Some(FrameHeader {
            flags,
            header_len,
            // Cannot truncate: `max` is at most isize::MAX.
            body_len: len as usize,
        }))
    }
}

/// Appends the header for a frame with `body_len` bytes of body to `out`, choosing the short
/// form whenever the body fits in 255 bytes (libzmq does the same, and the RFC says SHOULD).
#[inline]
pub fn encode_header(more: bool, command: bool, body_len: usize, out: &mut Vec<u8>) {
    let mut flags = 0;
    if more {
        flags |= MORE;
    }
    if command {
        flags |= COMMAND;
    }
    if body_len <= 255 {
        out.extend_from_slice(&[flags, body_len as u8]);
    } else {
        let mut header = [0u8; MAX_HEADER_LEN];
        header[0] = flags | LONG;
        header[1..].copy_from_slice(&(body_len as u64).to_be_bytes());
        out.extend_from_slice(&header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(flags: u8, body_len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        encode_header(flags & MORE != 0, flags & COMMAND != 0, body_len, &mut out);
        out
    }

    #[test]
    fn short_and_long_boundary_is_255() {
        assert_eq!(header(0, 255), vec![0x00, 255]);
        assert_eq!(header(MORE, 256), vec![0x03, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(header(COMMAND, 0), vec![0x04, 0]);
        assert_eq!(header(COMMAND, 300)[0], 0x06);
    }

    #[test]
    fn decodes_what_it_encodes() {
        let mut d = FrameDecoder::new(None);
        d.allow_traffic_commands();
        for (flags, len) in [(0, 0), (MORE, 1), (0, 255), (MORE, 256), (COMMAND, 70000)] {
            let bytes = header(flags, len);
            let h = d.decode_header(&bytes).unwrap().unwrap();
            assert_eq!(h.body_len, len);
            assert_eq!(h.header_len, bytes.len());
            assert_eq!(h.more(), flags & MORE != 0);
            assert_eq!(h.is_command(), flags & COMMAND != 0);
        }
    }

    #[test]
    fn large_commands_wait_for_the_end_of_the_handshake() {
        let mut d = FrameDecoder::new(None);
        let big = header(COMMAND, 70_000);
        assert!(matches!(
            d.decode_header(&big),
            Err(ProtocolError::FrameTooLarge { max, .. }) if max == FrameDecoder::MAX_COMMAND
        ));
        d.allow_traffic_commands();
        assert!(d.decode_header(&big).unwrap().is_some());
    }

    #[test]
    fn partial_headers_ask_for_more() {
        let d = FrameDecoder::new(None);
        assert_eq!(d.decode_header(&[]), Ok(None));
        assert_eq!(d.decode_header(&[0x00]), Ok(None));
        assert_eq!(d.decode_header(&[0x02, 0, 0, 0, 0, 0, 0, 0]), Ok(None));
    }

    #[test]
    fn oversize_frame_is_refused_from_its_header() {
        let d = FrameDecoder::new(Some(1000));
        let mut bytes = header(0, 1001);
        bytes.truncate(9);
        assert_eq!(
            d.decode_header(&bytes),
            Err(ProtocolError::FrameTooLarge {
                len: 1001,
                max: 1000
            })
        );
        assert!(d.decode_header(&header(0, 1000)).unwrap().is_some());
    }

    #[test]
    fn frame_claiming_two_to_the_63_is_refused_without_a_limit() {
        let d = FrameDecoder::new(None);
        let mut bytes = vec![LONG];
        bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert!(matches!(
            d.decode_header(&bytes),
            Err(ProtocolError::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn small_message_limit_still_allows_handshake_commands() {
        let d = FrameDecoder::new(Some(10));
        assert!(d.decode_header(&header(COMMAND, 200)).unwrap().is_some());
        assert!(d.decode_header(&header(0, 200)).is_err());
    }

    #[test]
    fn reserved_bits_and_more_on_commands_are_errors() {
        let d = FrameDecoder::new(None);
        assert_eq!(
            d.decode_header(&[0x08, 0]),
            Err(ProtocolError::ReservedFlags(0x08))
        );
        assert_eq!(
            d.decode_header(&[0x05, 0]),
            Err(ProtocolError::CommandWithMore)
        );
    }
}
