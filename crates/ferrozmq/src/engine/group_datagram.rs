//! The udp datagram that carries one RADIO message, laid out as libzmq 4.3 lays it out:
//!
//! ```text
//! | group length: 1 byte | group: that many bytes | body: the rest of the datagram |
//! ```
//!
//! One message per datagram, no handshake, no membership commands: over udp a RADIO sends
//! every group and each DISH keeps the groups it joined.

/// Largest datagram sent or accepted, in bytes (libzmq's limit); larger messages are
/// dropped.
pub(crate) const MAX_DATAGRAM: usize = 8192;

/// Lays out `group` and `body` as a datagram in `out` (replacing what it held). False when
/// they do not fit: a group longer than 255 bytes, or more than [`MAX_DATAGRAM`] in all.
pub(crate) fn encode(group: &[u8], body: &[u8], out: &mut Vec<u8>) -> bool {
    let Ok(group_len) = u8::try_from(group.len()) else {
        return false;
    };
    if 1 + group.len() + body.len() > MAX_DATAGRAM {
        return false;
    }
    out.clear();
    out.push(group_len);
    out.extend_from_slice(group);
    out.extend_from_slice(body);
    true
}

/// The group and body of a datagram, or `None` when it is malformed: empty, shorter than
/// its group length says, or longer than [`MAX_DATAGRAM`].
pub(crate) fn decode(datagram: &[u8]) -> Option<(&[u8], &[u8])> {
    if datagram.len() > MAX_DATAGRAM {
        return None;
    }
    let (&group_len, rest) = datagram.split_first()?;
    let group_len = usize::from(group_len);
    (rest.len() >= group_len).then(|| rest.split_at(group_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_length_group_then_body() {
        let mut out = Vec::new();
        assert!(encode(b"weather", b"sunny", &mut out));
        assert_eq!(out, b"\x07weathersunny");
        assert_eq!(
            decode(&out),
            Some((&b"weather"[..], &b"sunny"[..])),
            "round trip"
        );
    }

    #[test]
    fn an_empty_body_or_group_is_well_formed() {
        assert_eq!(decode(b"\x01g"), Some((&b"g"[..], &b""[..])));
        assert_eq!(decode(b"\x00body"), Some((&b""[..], &b"body"[..])));
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let mut out = b"untouched".to_vec();
        assert!(!encode(&[b'g'; 256], b"", &mut out));
        let body = vec![0; MAX_DATAGRAM - 1];
        assert!(!encode(b"g", &body, &mut out));
        assert_eq!(out, b"untouched");
        assert!(encode(b"", &body, &mut out), "exactly the limit fits");
        assert_eq!(out.len(), MAX_DATAGRAM);
    }

    #[test]
    fn malformed_datagrams_decode_to_nothing() {
        assert_eq!(decode(b""), None);
        assert_eq!(decode(b"\x05abcd"), None, "group length past the end");
        assert_eq!(decode(b"\xff"), None);
        assert_eq!(decode(&vec![0; MAX_DATAGRAM + 1]), None, "oversize");
    }

    #[test]
    fn every_length_byte_against_every_size_stays_in_bounds() {
        for group_len in 0..=255u8 {
            for size in 1..=260 {
                let mut datagram = vec![b'x'; size];
                datagram[0] = group_len;
                match decode(&datagram) {
                    Some((group, body)) => {
                        assert_eq!(group.len(), usize::from(group_len));
                        assert_eq!(1 + group.len() + body.len(), size);
                    }
                    None => assert!(size <= usize::from(group_len), "{group_len} in {size}"),
                }
            }
        }
    }
}
