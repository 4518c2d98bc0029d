//! The 64-octet greeting that opens every ZMTP connection.
//!
//! ```text
//! 0      1..9      9     10     11     12..32      32         33..64
//! | 0xFF | padding | 0x7F | major | minor | mechanism | as-server | filler (zeros) |
//! ```

use crate::error::ProtocolError;
use std::fmt;

/// Size of a complete greeting.
pub const GREETING_LEN: usize = 64;
/// Size of the signature that opens it: 0xFF, 8 octets of padding, 0x7F.
pub const SIGNATURE_LEN: usize = 10;
/// Where the major version (ZMTP 2.0's revision) sits, right after the signature.
pub const REVISION_POS: usize = 10;

/// A security mechanism name: up to 20 octets, null-padded on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MechanismName([u8; 20]);

impl MechanismName {
    /// The NULL mechanism (no security).
    pub const NULL: MechanismName = MechanismName::from_static("NULL");
    /// The PLAIN mechanism (RFC 24).
    pub const PLAIN: MechanismName = MechanismName::from_static("PLAIN");
    /// The CURVE mechanism (RFC 26).
    pub const CURVE: MechanismName = MechanismName::from_static("CURVE");

    const fn from_static(name: &str) -> Self {
        let bytes = name.as_bytes();
        let mut out = [0u8; 20];
        let mut i = 0;
        while i < bytes.len() {
            out[i] = bytes[i];
            i += 1;
        }
        MechanismName(out)
    }

    /// The name without its null padding.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(20);
        &self.0[..end]
    }
}

impl fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The fields of a greeting that carry meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Greeting {
    /// Protocol version (major, minor).
    pub version: (u8, u8),
    /// Security mechanism.
    pub mechanism: MechanismName,
    /// Whether the sender takes the server role in the security handshake.
    pub as_server: bool,
}

impl Greeting {
    /// The version this implementation speaks.
    pub const VERSION: (u8, u8) = (3, 1);

    /// Encodes the whole greeting, with the signature of an empty identity (see
    /// [`signature`](Self::signature); a session sends it in steps, as libzmq does).
    pub fn encode(&self) -> [u8; GREETING_LEN] {
        let mut out = [0u8; GREETING_LEN];
        out[0] = 0xFF;
        out[8] = 0x01;
        out[9] = 0x7F;
        out[10] = self.version.0;
        out[11] = self.version.1;
        out[12..32].copy_from_slice(&self.mechanism.0);
        out[32] = u8::from(self.as_server);
        out
    }

    /// The signature as libzmq sends it before it knows the peer's version: its padding
    /// holds the size of an identity frame of `identity_len` octets (the identity plus the
    /// flags octet, big endian), and octet 9 (0x7F) stands for that frame's flags. A ZMTP
    /// 1.0 peer reads it as the header of our identity; a later one ignores the padding.
    ///
    /// ```
    /// use ferrozmq_zmtp::greeting::Greeting;
    /// assert_eq!(Greeting::signature(0), *b"\xff\0\0\0\0\0\0\0\x01\x7f");
    /// assert_eq!(Greeting::signature(5)[8], 6);
    /// ```
    pub fn signature(identity_len: usize) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out[0] = 0xFF;
        out[1..9].copy_from_slice(&(identity_len as u64 + 1).to_be_bytes());
        out[9] = 0x7F;
        out
    }

    /// Checks what has arrived of a peer's greeting so far, so that garbage is refused on its
    /// first bytes instead of after 64. `Ok(())` means "consistent so far".
    pub fn check_prefix(prefix: &[u8]) -> Result<(), ProtocolError> {
        if let Some(&first) = prefix.first() {
            if first != 0xFF {
                return Err(ProtocolError::BadSignature);
            }
        }
        if let Some(&last) = prefix.get(9) {
            // Bit 0 of octet 9 is clear only in ZMTP 1.0 peers.
            if last & 0x01 == 0 {
                return Err(ProtocolError::BadSignature);
            }
        }
        if let Some(&major) = prefix.get(10) {
            if major < 3 {
                return Err(ProtocolError::UnsupportedVersion {
                    major,
                    minor: prefix.get(11).copied().unwrap_or(0),
                });
            }
        }
        Ok(())
    }

    /// Decodes a complete greeting.
    pub fn decode(bytes: &[u8; GREETING_LEN]) -> Result<Greeting, ProtocolError> {
        Self::check_prefix(bytes)?;
        let mut mechanism = [0u8; 20];
        mechanism.copy_from_slice(&bytes[12..32]);
        Ok(Greeting {
            version: (bytes[10], bytes[11]),
            mechanism: MechanismName(mechanism),
            as_server: bytes[32] != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The greeting libzmq 4.3 sends for the NULL mechanism (captured from the wire).
    const LIBZMQ_NULL: [u8; 64] = {
        let mut g = [0u8; 64];
        g[0] = 0xFF;
        g[8] = 0x01;
        g[9] = 0x7F;
        g[10] = 3;
        g[11] = 1;
        g[12] = b'N';
        g[13] = b'U';
        g[14] = b'L';
        g[15] = b'L';
        g
    };

    #[test]
    fn encodes_the_null_greeting() {
        let ours = Greeting {
            version: (3, 1),
            mechanism: MechanismName::NULL,
            as_server: false,
        }
        .encode();
        assert_eq!(ours, LIBZMQ_NULL);
    }

    #[test]
    fn decodes_libzmq_greeting_ignoring_padding() {
        let g = Greeting::decode(&LIBZMQ_NULL).unwrap();
        assert_eq!(g.version, (3, 1));
        assert_eq!(g.mechanism, MechanismName::NULL);
        assert!(!g.as_server);
    }

    #[test]
    fn garbage_is_refused_at_the_first_octet() {
        assert_eq!(
            Greeting::check_prefix(b"GET / HTTP/1.1"),
            Err(ProtocolError::BadSignature)
        );
        assert_eq!(Greeting::check_prefix(&[0xFF]), Ok(()));
    }

    #[test]
    fn zmtp_1_and_2_are_refused() {
        let mut old = LIBZMQ_NULL;
        old[9] = 0x00;
        assert_eq!(
            Greeting::check_prefix(&old[..10]),
            Err(ProtocolError::BadSignature)
        );
        let mut v2 = LIBZMQ_NULL;
        v2[10] = 1;
        assert!(matches!(
            Greeting::decode(&v2),
            Err(ProtocolError::UnsupportedVersion { major: 1, .. })
        ));
    }

    #[test]
    fn higher_versions_are_accepted() {
        let mut future = LIBZMQ_NULL;
        future[10] = 4;
        future[11] = 0;
        assert_eq!(Greeting::decode(&future).unwrap().version, (4, 0));
    }
}
