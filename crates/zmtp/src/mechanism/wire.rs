//! Command bodies as the mechanisms exchange them: a 1-octet name length, the name, then the
//! command's data. Framing (the ZMTP frame header) is the session's business.

use super::error::MechanismError;
use super::Verdict;
use crate::metadata::Metadata;

pub(crate) const HELLO: &[u8] = b"HELLO";
pub(crate) const WELCOME: &[u8] = b"WELCOME";
pub(crate) const INITIATE: &[u8] = b"INITIATE";
pub(crate) const READY: &[u8] = b"READY";
pub(crate) const ERROR: &[u8] = b"ERROR";
pub(crate) const MESSAGE: &[u8] = b"MESSAGE";

/// How libzmq 4.3's PLAIN server spells ERROR: its name length and the name's first letter
/// run together into one octet, 0x5E (a `"\x05ERROR"` literal in C reads `\x05E` as a single
/// hex escape). The reason follows as usual.
const LIBZMQ_PLAIN_ERROR: &[u8] = b"\x5eRROR";

/// Splits a command body into its name and its data.
pub(crate) fn split(body: &[u8]) -> Result<(&[u8], &[u8]), MechanismError> {
    if let Some(data) = body.strip_prefix(LIBZMQ_PLAIN_ERROR) {
        return Ok((ERROR, data));
    }
    let malformed = MechanismError::MalformedCommand { command: "unnamed" };
    let (&len, rest) = body.split_first().ok_or(malformed.clone())?;
    let len = usize::from(len);
    if len == 0 || rest.len() < len {
        return Err(malformed);
    }
    Ok(rest.split_at(len))
}

/// A command body: the name, then `parts` one after another.
pub(crate) fn build(name: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let len = 1 + name.len() + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut body = Vec::with_capacity(len);
    // Every name used here is a short constant.
    body.push(name.len() as u8);
    body.extend_from_slice(name);
    for part in parts {
        body.extend_from_slice(part);
    }
    body
}

/// A READY or INITIATE carrying `metadata` in clear (NULL and PLAIN).
pub(crate) fn with_metadata(name: &[u8], metadata: &Metadata) -> Vec<u8> {
    let mut data = Vec::new();
    metadata.encode(&mut data);
    build(name, &[&data])
}

/// Parses metadata sent in clear, naming the command on failure.
pub(crate) fn metadata(data: &[u8], command: &'static str) -> Result<Metadata, MechanismError> {
    Metadata::decode(data).map_err(|_| MechanismError::MalformedMetadata { command })
}

/// An ERROR command: a 1-octet length, then at most 255 octets of reason.
pub(crate) fn error(reason: &[u8]) -> Vec<u8> {
    let reason = &reason[..reason.len().min(255)];
    build(ERROR, &[&[reason.len() as u8], reason])
}

/// The ERROR a server sends when its authenticator refuses a client: the status code alone,
/// which is how libzmq peers tell an authentication failure from other errors. None for a
/// temporary failure (300): the server then just closes, as libzmq does, so the client's
/// reconnection asks again later instead of taking a refusal as final.
pub(crate) fn refusal(status_code: u16) -> Option<Vec<u8>> {
    (status_code != Verdict::TEMPORARY_FAILURE).then(|| error(status_code.to_string().as_bytes()))
}

/// What the peer's ERROR data means for us.
pub(crate) fn peer_error(data: &[u8]) -> MechanismError {
    let Some((&len, reason)) = data.split_first() else {
        return MechanismError::MalformedCommand { command: "ERROR" };
    };
    let Some(reason) = reason.get(..usize::from(len)) else {
        return MechanismError::MalformedCommand { command: "ERROR" };
    };
    match reason {
        [a @ b'3'..=b'5', b, c] if b.is_ascii_digit() && c.is_ascii_digit() => {
            MechanismError::RefusedByPeer {
                status_code: u16::from(a - b'0') * 100
                    + u16::from(b - b'0') * 10
                    + u16::from(c - b'0'),
            }
        }
        _ => MechanismError::PeerError {
            reason: String::from_utf8_lossy(reason).into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_data_split_apart() {
        assert_eq!(
            split(b"\x05HELLOxyz").unwrap(),
            (&b"HELLO"[..], &b"xyz"[..])
        );
        assert_eq!(split(b"\x05READY").unwrap(), (&b"READY"[..], &b""[..]));
        for bad in [&b""[..], b"\x00", b"\x06HELLO"] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn libzmq_plain_servers_misspelt_error_is_read_as_error() {
        // What libzmq 4.3.5's PLAIN server sends when its ZAP handler answers 400.
        let body = b"\x5eRROR\x03400";
        let (name, data) = split(body).unwrap();
        assert_eq!(name, ERROR);
        assert_eq!(
            peer_error(data),
            MechanismError::RefusedByPeer { status_code: 400 }
        );
    }

    #[test]
    fn error_reasons_tell_refusals_from_other_errors() {
        assert_eq!(
            peer_error(&error(b"400")[6..]),
            MechanismError::RefusedByPeer { status_code: 400 }
        );
        assert_eq!(
            peer_error(&error(b"Invalid socket type")[6..]),
            MechanismError::PeerError {
                reason: "Invalid socket type".into()
            }
        );
        assert_eq!(
            peer_error(&error(b"200")[6..]),
            MechanismError::PeerError {
                reason: "200".into()
            }
        );
        assert!(matches!(
            peer_error(b"\x05abc"),
            MechanismError::MalformedCommand { .. }
        ));
        assert_eq!(error(&[b'x'; 300]).len(), 6 + 1 + 255);
    }
}
