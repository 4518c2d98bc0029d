//! The HTTP/1.1 upgrade that opens a ZWS connection (RFC 6455 §4, RFC 45 "Handshake"): the
//! client asks for `websocket` with the ZWS subprotocol of its mechanism, the server
//! answers `101 Switching Protocols` naming the one it chose, or `400 Bad Request` and
//! drops the connection.
//!
//! A server whose socket can talk to a peer without a mechanism also accepts the bare
//! `ZWS2.0` (RFC 45 "No Mechanism", which every implementation must speak): browsers can
//! only offer that one, since a WebSocket subprotocol must be an HTTP token and `/` is not
//! allowed in one. A client offering both gets the mechanism.

use super::codec::WsError;
use base64::Engine as _;
use sha1::{Digest, Sha1};
use zmtp::greeting::MechanismName;

/// RFC 6455's fixed GUID, appended to the client's key for the accept hash.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The largest request or response head accepted: a peer cannot make us buffer more.
const MAX_HEAD: usize = 8 * 1024;
/// Most header lines parsed.
const MAX_HEADERS: usize = 32;
const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
pub(crate) fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// RFC 45's subprotocol without a mechanism: ZMTP 2.0-like traffic, identity first.
pub(crate) const NO_MECHANISM: &str = "ZWS2.0";

/// The ZWS subprotocol that stands for a mechanism.
pub(crate) fn subprotocol(mechanism: MechanismName) -> &'static str {
    if mechanism == MechanismName::PLAIN {
        "ZWS2.0/PLAIN"
    } else if mechanism == MechanismName::CURVE {
        "ZWS2.0/CURVE"
    } else {
        "ZWS2.0/NULL"
    }
}

fn complete(status: httparse::Status<usize>) -> Option<usize> {
    match status {
        httparse::Status::Complete(n) => Some(n),
        httparse::Status::Partial => None,
    }
}

/// One side's upgrade under way: the head received so far.
pub(crate) struct Handshake {
    head: Vec<u8>,
    /// The client's key (base64), `None` on the server.
    key: Option<String>,
    /// Whether the server accepts [`NO_MECHANISM`].
    no_mechanism_allowed: bool,
    /// Whether the server chose [`NO_MECHANISM`].
    no_mechanism: bool,
}

impl Handshake {
    pub(crate) fn client(key: [u8; 16]) -> Handshake {
        Handshake {
            head: Vec::new(),
            key: Some(base64::engine::general_purpose::STANDARD.encode(key)),
            no_mechanism_allowed: false,
            no_mechanism: false,
        }
    }

    /// A server's side; `no_mechanism_allowed` lets it accept [`NO_MECHANISM`] (when its
    /// mechanism is NULL).
    pub(crate) fn server(no_mechanism_allowed: bool) -> Handshake {
        Handshake {
            head: Vec::new(),
            key: None,
            no_mechanism_allowed,
            no_mechanism: false,
        }
    }

    /// Whether the agreed subprotocol is [`NO_MECHANISM`].
    pub(crate) fn chose_no_mechanism(&self) -> bool {
        self.no_mechanism
    }

    /// The client's request.
    pub(crate) fn write_request(
        &self,
        host: &str,
        path: &str,
        mechanism: MechanismName,
        wire: &mut Vec<u8>,
    ) {
        let key = self.key.as_deref().unwrap_or_default();
        let protocol = subprotocol(mechanism);
        wire.extend_from_slice(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n\
                 Sec-WebSocket-Protocol: {protocol}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            .as_bytes(),
        );
    }

    /// Takes bytes of the peer's head. `Ok(Some(n))` once it is complete and accepted,
    /// `n` being how many of `input` it used (the rest is WebSocket frames); `Ok(None)`
    /// while it is incomplete. A server's answer goes to `wire`.
    pub(crate) fn handle_input(
        &mut self,
        input: &[u8],
        mechanism: MechanismName,
        wire: &mut Vec<u8>,
    ) -> Result<Option<usize>, WsError> {
        let before = self.head.len();
        // Never look past the first head's end: keep at most what could still be head.
        let take = input.len().min(MAX_HEAD + 1 - before.min(MAX_HEAD));
        self.head.extend_from_slice(&input[..take]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let parsed = if self.key.is_some() {
            let mut response = httparse::Response::new(&mut headers);
            response
                .parse(&self.head)
                .map(|s| complete(s).map(|n| (n, response.code.unwrap_or(0), response.headers)))
        } else {
            let mut request = httparse::Request::new(&mut headers);
            let status = request.parse(&self.head);
            if let Ok(httparse::Status::Complete(_)) = status {
                if request.method != Some("GET") || request.version != Some(1) {
                    wire.extend_from_slice(BAD_REQUEST);
                    return Err(WsError::Handshake("not an HTTP/1.1 GET"));
                }
            }
            status.map(|s| complete(s).map(|n| (n, 0, request.headers)))
        };
        let (end, code, headers) = match parsed {
            Ok(Some(done)) => done,
            Ok(None) if self.head.len() <= MAX_HEAD => return Ok(None),
            Ok(None) | Err(_) => {
                if self.key.is_none() {
                    wire.extend_from_slice(BAD_REQUEST);
                }
                return Err(WsError::Handshake("malformed or oversized HTTP head"));
            }
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .map(str::trim)
        };
        let has_token = |name: &str, token: &str| {
            header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        };
        let ours = subprotocol(mechanism);
        let result = if let Some(key) = &self.key {
            if code != 101 {
                Err("the server did not switch protocols")
            } else if !has_token("upgrade", "websocket") || !has_token("connection", "upgrade") {
                Err("the server's answer is not a WebSocket upgrade")
            } else if header("sec-websocket-accept") != Some(accept_key(key).as_str()) {
                Err("wrong Sec-WebSocket-Accept")
            } else if header("sec-websocket-protocol") != Some(ours) {
                Err("the server chose another subprotocol")
            } else {
                Ok(())
            }
        } else {
            let key = header("sec-websocket-key");
            let key_ok = key.is_some_and(|k| {
                base64::engine::general_purpose::STANDARD
                    .decode(k)
                    .is_ok_and(|k| k.len() == 16)
            });
            if !has_token("upgrade", "websocket") || !has_token("connection", "upgrade") {
                Err("not a WebSocket upgrade")
            } else if header("sec-websocket-version") != Some("13") {
                Err("WebSocket version other than 13")
            } else if !key_ok {
                Err("missing or malformed Sec-WebSocket-Key")
            } else {
                let offered = |protocol| has_token("sec-websocket-protocol", protocol);
                let bare = self.no_mechanism_allowed && mechanism == MechanismName::NULL;
                let chosen = if offered(ours) {
                    Some(ours)
                } else if bare && offered(NO_MECHANISM) {
                    self.no_mechanism = true;
                    Some(NO_MECHANISM)
                } else {
                    None
                };
                match chosen {
                    None => Err("no subprotocol this socket speaks"),
                    Some(chosen) => {
                        wire.extend_from_slice(
                            format!(
                                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                                 Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\
                                 Sec-WebSocket-Protocol: {chosen}\r\n\r\n",
                                accept_key(key.unwrap_or_default())
                            )
                            .as_bytes(),
                        );
                        Ok(())
                    }
                }
            }
        };
        match result {
            Ok(()) => {
                self.head.clear();
                Ok(Some(end - before))
            }
            Err(why) => {
                if self.key.is_none() {
                    wire.extend_from_slice(BAD_REQUEST);
                }
                Err(WsError::Handshake(why))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(request: &str) -> (Result<Option<usize>, WsError>, Vec<u8>) {
        let mut wire = Vec::new();
        let r = Handshake::server(true).handle_input(
            request.as_bytes(),
            MechanismName::NULL,
            &mut wire,
        );
        (r, wire)
    }

    const GOOD: &str =
        "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Protocol: ZWS2.0, ZWS2.0/NULL\r\n\r\n";

    #[test]
    fn the_accept_key_is_rfc_6455s_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn a_good_request_is_switched_with_the_chosen_subprotocol() {
        let (r, wire) = serve(&format!("{GOOD}\u{1}"));
        assert_eq!(r, Ok(Some(GOOD.len())));
        let answer = String::from_utf8(wire).unwrap();
        assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
        assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(answer.contains("Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n"));
    }

    #[test]
    fn the_bare_subprotocol_is_chosen_only_when_it_is_all_there_is() {
        let bare = GOOD.replace("ZWS2.0, ZWS2.0/NULL", "ZWS2.0");
        let mut hs = Handshake::server(true);
        let mut wire = Vec::new();
        let r = hs.handle_input(bare.as_bytes(), MechanismName::NULL, &mut wire);
        assert_eq!(r, Ok(Some(bare.len())));
        assert!(hs.chose_no_mechanism());
        let answer = String::from_utf8(wire).unwrap();
        assert!(
            answer.contains("Sec-WebSocket-Protocol: ZWS2.0\r\n"),
            "{answer}"
        );
        // Offered with the mechanism's, the mechanism wins.
        let mut hs = Handshake::server(true);
        let r = hs.handle_input(GOOD.as_bytes(), MechanismName::NULL, &mut Vec::new());
        assert_eq!(r, Ok(Some(GOOD.len())));
        assert!(!hs.chose_no_mechanism());
        // Refused by a server that may not take it, and by a PLAIN one.
        for (allowed, mechanism) in [(false, MechanismName::NULL), (true, MechanismName::PLAIN)] {
            let mut wire = Vec::new();
            let r = Handshake::server(allowed).handle_input(bare.as_bytes(), mechanism, &mut wire);
            assert!(matches!(r, Err(WsError::Handshake(_))), "{r:?}");
            assert!(wire.starts_with(b"HTTP/1.1 400 "));
        }
    }

    #[test]
    fn bad_requests_get_400_and_an_error() {
        let cases = [
            GOOD.replace("ZWS2.0, ZWS2.0/NULL", "ZWS2.0/PLAIN"),
            GOOD.replace("Sec-WebSocket-Protocol: ZWS2.0, ZWS2.0/NULL\r\n", ""),
            GOOD.replace("Upgrade: websocket\r\n", ""),
            GOOD.replace("keep-alive, Upgrade", "keep-alive"),
            GOOD.replace("Version: 13", "Version: 8"),
            GOOD.replace("dGhlIHNhbXBsZSBub25jZQ==", "short"),
            GOOD.replace("GET", "POST"),
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n".to_string(),
            "\u{0}\u{1}garbage\r\n\r\n".to_string(),
        ];
        for request in cases {
            let (r, wire) = serve(&request);
            assert!(matches!(r, Err(WsError::Handshake(_))), "{request}: {r:?}");
            assert!(wire.starts_with(b"HTTP/1.1 400 "), "{request}");
        }
    }

    #[test]
    fn a_head_that_never_ends_is_refused_past_its_limit() {
        let mut hs = Handshake::server(true);
        let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        let mut wire = Vec::new();
        let mut result = Ok(None);
        for _ in 0..1000 {
            result = hs.handle_input(line, MechanismName::NULL, &mut wire);
            if result.is_err() {
                break;
            }
        }
        assert!(result.is_err());
        assert!(hs.head.len() <= MAX_HEAD + 1);
    }

    #[test]
    fn a_client_checks_the_accept_and_the_subprotocol() {
        let mut hs = Handshake::client([1; 16]);
        let key = hs.key.clone().unwrap();
        let good = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n",
            accept_key(&key)
        );
        for bad in [
            good.replace("101 Switching Protocols", "200 OK"),
            good.replace("ZWS2.0/NULL", "ZWS2.0/PLAIN"),
            good.replace(&accept_key(&key), "AAAA"),
        ] {
            let mut hs = Handshake::client([1; 16]);
            let r = hs.handle_input(bad.as_bytes(), MechanismName::NULL, &mut Vec::new());
            assert!(r.is_err(), "{bad}");
        }
        let r = hs.handle_input(good.as_bytes(), MechanismName::NULL, &mut Vec::new());
        assert_eq!(r, Ok(Some(good.len())));
    }
}
