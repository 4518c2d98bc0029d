//! The first part of a DGRAM message: the udp peer a datagram came from or goes to, as
//! text, `ip:port` (`192.0.2.7:5555`, `[2001:db8::7]:5555`). The body that follows it is
//! the datagram, byte for byte: a DGRAM talks to any udp program.
//!
//! A received address ends with a NUL byte, as libzmq writes it (C programs print the part
//! as it is); an address sent may end with one or not, so a received one can be sent back
//! unchanged.

use std::net::SocketAddr;

/// How a received datagram's sender is named to the application.
pub(crate) fn text(from: &SocketAddr) -> Vec<u8> {
    // `SocketAddr`'s own form, which `parse` reads back.
    let mut text = from.to_string().into_bytes();
    text.push(0);
    text
}

/// The address a DGRAM message names, `None` unless it is a numeric `ip:port`: a udp
/// datagram goes to an address, and resolving names on every send would block.
pub(crate) fn parse(part: &[u8]) -> Option<SocketAddr> {
    let part = part.strip_suffix(b"\0").unwrap_or(part);
    std::str::from_utf8(part).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_parse_round_trip_both_families() {
        for written in ["127.0.0.1:5559", "[::1]:40000", "[2001:db8::7]:1"] {
            let addr = parse(written.as_bytes()).expect(written);
            let text = text(&addr);
            assert_eq!(text, format!("{written}\0").as_bytes(), "NUL-terminated");
            assert_eq!(parse(&text), Some(addr));
        }
    }

    #[test]
    fn names_ports_and_garbage_are_refused() {
        for bad in [
            &b"localhost:5555"[..],
            b"127.0.0.1",
            b"127.0.0.1:",
            b"127.0.0.1:65536",
            b"::1:5555",
            b"127.0.0.1:5559\0\0",
            b"\0",
            b"",
            b"\xff\xfe",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
