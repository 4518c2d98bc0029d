//! Client and server mechanisms driven against each other in memory, with an authenticator
//! in between and a hook that alters commands in flight.

use super::*;
use crate::curve_keys::CurveSecretKey;
use crate::entropy::testing::{ScriptedEntropy, SeededEntropy};
use crate::frame::FrameDecoder;
use crate::metadata;
use bytes::Bytes;
use crypto_box::aead::Aead;
use crypto_box::SalsaBox;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    ToServer,
    ToClient,
}

/// Answers an authentication request now (`Some`) or later (`None`: the test calls
/// [`Pair::verdict`] itself).
type Authenticator = Box<dyn FnMut(&AuthRequest) -> Option<Verdict>>;
type Tamper = Box<dyn FnMut(Direction, &mut Vec<u8>)>;

struct Pair {
    client: Mechanism,
    server: Mechanism,
    authenticator: Authenticator,
    tamper: Tamper,
    /// Every command delivered, as delivered (after tampering).
    to_server: Vec<Vec<u8>>,
    to_client: Vec<Vec<u8>>,
    requests: Vec<AuthRequest>,
    client_ready: Option<HandshakeOutcome>,
    server_ready: Option<HandshakeOutcome>,
    client_error: Option<MechanismError>,
    server_error: Option<MechanismError>,
}

impl Pair {
    fn new(client: Mechanism, server: Mechanism) -> Pair {
        Pair {
            client,
            server,
            authenticator: Box::new(|request| {
                Some(Verdict::allow(format!("user-of-{}", request.mechanism)))
            }),
            tamper: Box::new(|_, _| {}),
            to_server: Vec::new(),
            to_client: Vec::new(),
            requests: Vec::new(),
            client_ready: None,
            server_ready: None,
            client_error: None,
            server_error: None,
        }
    }

    fn authenticator(mut self, f: impl FnMut(&AuthRequest) -> Option<Verdict> + 'static) -> Self {
        self.authenticator = Box::new(f);
        self
    }

    fn tamper(mut self, f: impl FnMut(Direction, &mut Vec<u8>) + 'static) -> Self {
        self.tamper = Box::new(f);
        self
    }

    /// Moves commands and events until neither side has anything more to say.
    fn drive(&mut self) -> &mut Self {
        loop {
            let mut progress = false;
            while let Some(event) = self.server.poll_event() {
                progress = true;
                match event {
                    MechanismEvent::Authenticate(request) => {
                        self.requests.push(request.clone());
                        if let Some(verdict) = (self.authenticator)(&request) {
                            self.verdict(verdict);
                        }
                    }
                    MechanismEvent::Ready(outcome) => self.server_ready = Some(outcome),
                }
            }
            while let Some(event) = self.client.poll_event() {
                progress = true;
                match event {
                    MechanismEvent::Ready(outcome) => self.client_ready = Some(outcome),
                    MechanismEvent::Authenticate(_) => panic!("a client asked for a verdict"),
                }
            }
            while let Some(mut body) = self.client.poll_command() {
                progress = true;
                (self.tamper)(Direction::ToServer, &mut body);
                self.to_server.push(body.clone());
                if self.server_error.is_none() {
                    self.server_error = self.server.handle_command(&body).err();
                }
            }
            while let Some(mut body) = self.server.poll_command() {
                progress = true;
                (self.tamper)(Direction::ToClient, &mut body);
                self.to_client.push(body.clone());
                if self.client_error.is_none() {
                    self.client_error = self.client.handle_command(&body).err();
                }
            }
            if !progress {
                return self;
            }
        }
    }

    fn verdict(&mut self, verdict: Verdict) {
        if let Err(e) = self.server.handle_verdict(verdict) {
            self.server_error.get_or_insert(e);
        }
    }

    fn assert_ready(&self) {
        assert_eq!(self.client_error, None);
        assert_eq!(self.server_error, None);
        assert!(self.client.is_ready() && self.server.is_ready());
        assert!(self.client_ready.is_some() && self.server_ready.is_some());
    }

    fn sent_to_client(&self) -> usize {
        self.to_client.iter().map(Vec::len).sum()
    }
}

fn properties(socket_type: &str) -> Metadata {
    let mut m = Metadata::new();
    m.insert(metadata::SOCKET_TYPE, socket_type.to_string())
        .unwrap();
    m
}

fn socket_type(outcome: &Option<HandshakeOutcome>) -> Option<&[u8]> {
    outcome
        .as_ref()
        .and_then(|o| o.metadata.get(metadata::SOCKET_TYPE))
        .map(|v| &v[..])
}

fn name_of(body: &[u8]) -> &[u8] {
    wire::split(body).unwrap().0
}

fn key_pair(seed: u64) -> CurveKeyPair {
    CurveKeyPair::generate_with(&mut SeededEntropy::new(seed)).unwrap()
}

fn curve_pair(server: &CurveKeyPair, expected: CurvePublicKey, client: &CurveKeyPair) -> Pair {
    let client = Mechanism::curve_client(
        expected,
        client.clone(),
        properties("DEALER"),
        Box::new(SeededEntropy::new(100)),
    )
    .unwrap();
    let server = Mechanism::curve_server(
        server.clone(),
        properties("ROUTER"),
        Box::new(SeededEntropy::new(200)),
    );
    Pair::new(client, server)
}

/// A completed CURVE handshake between fresh keys.
fn curve_ready() -> Pair {
    let (server, client) = (key_pair(1), key_pair(2));
    let mut pair = curve_pair(&server, server.public, &client);
    pair.drive().assert_ready();
    pair
}

fn plain_pair(username: &[u8], password: &[u8]) -> Pair {
    Pair::new(
        Mechanism::plain_client(username, password, properties("REQ")).unwrap(),
        Mechanism::plain_server(properties("REP")),
    )
}

/// Encodes one frame of traffic as it goes on the wire.
fn send(from: &mut Mechanism, more: bool, command: bool, body: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    from.encode_frame(more, command, body, &mut out).unwrap();
    out.to_vec()
}

/// Decodes one wire frame.
fn receive(to: &mut Mechanism, wire: &[u8]) -> Result<Frame, MechanismError> {
    let header = FrameDecoder::new(None)
        .decode_header(wire)
        .unwrap()
        .unwrap();
    assert_eq!(header.frame_len(), wire.len());
    to.decode_frame(header, BytesMut::from(&wire[header.header_len..]))
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// NaCl crypto_box through the crate's allocating API: the tag, then the ciphertext.
fn nacl_box(to: &CurvePublicKey, from: &CurveSecretKey, nonce: &[u8], plaintext: &[u8]) -> Vec<u8> {
    SalsaBox::new(&to.to_box_key(), &from.to_box_key())
        .encrypt(nonce.into(), plaintext)
        .unwrap()
}

fn nacl_open(from: &CurvePublicKey, to: &CurveSecretKey, nonce: &[u8], sealed: &[u8]) -> Vec<u8> {
    SalsaBox::new(&from.to_box_key(), &to.to_box_key())
        .decrypt(nonce.into(), sealed)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// NULL

#[test]
fn null_handshake_exchanges_metadata_without_authentication() {
    let mut pair = Pair::new(
        Mechanism::null(properties("PUB")),
        Mechanism::null(properties("SUB")),
    );
    pair.drive().assert_ready();
    assert!(pair.requests.is_empty());
    assert_eq!(socket_type(&pair.client_ready), Some(&b"SUB"[..]));
    assert_eq!(socket_type(&pair.server_ready), Some(&b"PUB"[..]));
    assert_eq!(
        pair.to_server,
        vec![b"\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB".to_vec()]
    );
}

#[test]
fn null_with_authentication_sends_ready_only_after_the_verdict() {
    let mut pair = Pair::new(
        Mechanism::null(properties("DEALER")),
        Mechanism::null_authenticated(properties("ROUTER")),
    )
    .authenticator(|_| None);
    pair.drive();
    assert_eq!(
        pair.requests,
        vec![AuthRequest {
            mechanism: MechanismName::NULL,
            credentials: vec![]
        }]
    );
    // The client's READY has arrived; ours waits for the authenticator.
    assert!(pair.to_client.is_empty() && !pair.server.is_ready());
    pair.verdict(Verdict::allow("anonymous"));
    pair.drive().assert_ready();
    assert_eq!(&pair.server_ready.unwrap().user_id[..], b"anonymous");
}

#[test]
fn null_with_authentication_refuses_with_the_status_code() {
    let mut pair = Pair::new(
        Mechanism::null(properties("DEALER")),
        Mechanism::null_authenticated(properties("ROUTER")),
    )
    .authenticator(|_| Some(Verdict::deny(400, "address not allowed")));
    pair.drive();
    assert_eq!(
        pair.server_error,
        Some(MechanismError::Refused {
            status_code: 400,
            status_text: "address not allowed".into()
        })
    );
    assert_eq!(pair.to_client, vec![b"\x05ERROR\x03400".to_vec()]);
    assert_eq!(
        pair.client_error,
        Some(MechanismError::RefusedByPeer { status_code: 400 })
    );
}

#[test]
fn a_temporary_failure_closes_without_an_error() {
    let mut pair = Pair::new(
        Mechanism::null(properties("DEALER")),
        Mechanism::null_authenticated(properties("ROUTER")),
    )
    .authenticator(|_| Some(Verdict::deny(300, "try later")));
    pair.drive();
    assert_eq!(
        pair.server_error,
        Some(MechanismError::Refused {
            status_code: 300,
            status_text: "try later".into()
        })
    );
    assert!(pair.to_client.is_empty(), "{:?}", pair.to_client);
    assert_eq!(pair.client_error, None);
}

// ---------------------------------------------------------------------------------------------
// PLAIN

#[test]
fn plain_handshake_puts_the_credentials_to_the_authenticator() {
    let mut pair = plain_pair(b"admin", b"secret").authenticator(|request| {
        let ok = request.credentials == [Bytes::from("admin"), Bytes::from("secret")];
        Some(if ok {
            let mut verdict = Verdict::allow("joe");
            verdict.metadata.insert("Department", "ops").unwrap();
            verdict
        } else {
            Verdict::deny(400, "bad credentials")
        })
    });
    pair.drive().assert_ready();
    assert_eq!(pair.requests.len(), 1);
    assert_eq!(pair.requests[0].mechanism, MechanismName::PLAIN);
    let names: Vec<_> = pair.to_server.iter().map(|c| name_of(c).to_vec()).collect();
    assert_eq!(names, [b"HELLO".to_vec(), b"INITIATE".to_vec()]);
    let names: Vec<_> = pair.to_client.iter().map(|c| name_of(c).to_vec()).collect();
    assert_eq!(names, [b"WELCOME".to_vec(), b"READY".to_vec()]);
    let server_view = pair.server_ready.as_ref().unwrap();
    assert_eq!(&server_view.user_id[..], b"joe");
    assert_eq!(
        server_view.auth_metadata.get("Department").map(|v| &v[..]),
        Some(&b"ops"[..])
    );
    assert_eq!(socket_type(&pair.server_ready), Some(&b"REQ"[..]));
    assert_eq!(socket_type(&pair.client_ready), Some(&b"REP"[..]));
}

#[test]
fn plain_bad_password_gets_an_error_instead_of_welcome() {
    let mut pair = plain_pair(b"admin", b"guess").authenticator(|request| {
        Some(if request.credentials[1] == "secret" {
            Verdict::allow("admin")
        } else {
            Verdict::deny(400, "bad password")
        })
    });
    pair.drive();
    assert!(matches!(
        pair.server_error,
        Some(MechanismError::Refused {
            status_code: 400,
            ..
        })
    ));
    assert_eq!(pair.to_client, vec![b"\x05ERROR\x03400".to_vec()]);
    assert_eq!(
        pair.client_error,
        Some(MechanismError::RefusedByPeer { status_code: 400 })
    );
    assert!(!pair.client.is_ready() && !pair.server.is_ready());
    // Nothing further is accepted on either side.
    assert_eq!(
        pair.server.handle_command(b"\x08INITIATE"),
        Err(MechanismError::Failed)
    );
    assert_eq!(
        pair.client.handle_command(b"\x07WELCOME"),
        Err(MechanismError::Failed)
    );
}

#[test]
fn plain_server_waits_for_a_verdict_that_comes_later() {
    let mut pair = plain_pair(b"u", b"p").authenticator(|_| None);
    pair.drive();
    assert_eq!(pair.requests.len(), 1);
    assert!(pair.to_client.is_empty());
    // A client that does not wait is out of order.
    let mut eager = plain_pair(b"u", b"p").authenticator(|_| None);
    eager.drive();
    assert_eq!(
        eager.server.handle_command(b"\x08INITIATE"),
        Err(MechanismError::Unexpected {
            expected: "nothing before WELCOME"
        })
    );
    // The verdict arrives; the handshake finishes.
    pair.verdict(Verdict::allow("u"));
    pair.drive().assert_ready();
}

#[test]
fn a_verdict_nobody_asked_for_is_refused_without_harm() {
    let mut pair = plain_pair(b"u", b"p");
    assert_eq!(
        pair.server.handle_verdict(Verdict::allow("x")),
        Err(MechanismError::NoVerdictPending)
    );
    assert_eq!(
        pair.client.handle_verdict(Verdict::allow("x")),
        Err(MechanismError::NoVerdictPending)
    );
    pair.drive().assert_ready();
    assert_eq!(
        pair.server.handle_verdict(Verdict::allow("x")),
        Err(MechanismError::NoVerdictPending)
    );
}

#[test]
fn plain_commands_out_of_order_or_cut_short_are_errors() {
    let mut server = Mechanism::plain_server(Metadata::new());
    assert_eq!(
        server.handle_command(b"\x08INITIATE"),
        Err(MechanismError::Unexpected { expected: "HELLO" })
    );
    let mut server = Mechanism::plain_server(Metadata::new());
    assert_eq!(
        server.handle_command(b"\x05HELLO\x05admin\x06sec"),
        Err(MechanismError::MalformedCommand { command: "HELLO" })
    );
    assert_eq!(
        server.handle_command(b"\x05HELLO\x00\x00"),
        Err(MechanismError::Failed)
    );
    let mut client = Mechanism::plain_client(b"u", b"p", Metadata::new()).unwrap();
    assert_eq!(
        client.handle_command(b"\x07WELCOMEextra"),
        Err(MechanismError::MalformedCommand { command: "WELCOME" })
    );
    let mut client = Mechanism::plain_client(b"u", b"p", Metadata::new()).unwrap();
    assert_eq!(
        client.handle_command(b"\x05READY"),
        Err(MechanismError::Unexpected {
            expected: "WELCOME"
        })
    );
}

#[test]
fn malformed_initiate_metadata_is_named() {
    let mut pair = plain_pair(b"u", b"p").tamper(|direction, body| {
        if direction == Direction::ToServer && name_of(body) == b"INITIATE" {
            body.extend_from_slice(b"\x05Bad");
        }
    });
    pair.drive();
    assert_eq!(
        pair.server_error,
        Some(MechanismError::MalformedMetadata {
            command: "INITIATE"
        })
    );
}

#[test]
fn clear_mechanisms_pass_frames_through() {
    let mut pair = plain_pair(b"u", b"p");
    assert_eq!(
        pair.client
            .encode_frame(false, false, b"early", &mut BytesMut::new()),
        Err(MechanismError::NotReady)
    );
    pair.drive().assert_ready();
    assert_eq!(pair.client.frame_overhead(), 0);
    let wire = send(&mut pair.client, true, false, b"part");
    assert_eq!(wire, b"\x01\x04part");
    let frame = receive(&mut pair.server, &wire).unwrap();
    assert!(frame.more && !frame.command);
    assert_eq!(&frame.body[..], b"part");
    let long = vec![7u8; 300];
    let wire = send(&mut pair.server, false, true, &long);
    assert_eq!(wire[0], frame::COMMAND | frame::LONG);
    assert_eq!(
        receive(&mut pair.client, &wire).unwrap().body.to_vec(),
        long
    );
}

// ---------------------------------------------------------------------------------------------
// Greeting checks

#[test]
fn the_peer_greeting_must_name_our_mechanism_whatever_its_role_flag() {
    let server = Mechanism::plain_server(Metadata::new());
    let greeting = |mechanism, as_server| Greeting {
        version: (3, 1),
        mechanism,
        as_server,
    };
    assert_eq!(server.name(), MechanismName::PLAIN);
    assert!(server.as_server());
    assert!(matches!(
        server.check_peer_greeting(&greeting(MechanismName::CURVE, false)),
        Err(ProtocolError::MechanismMismatch { .. })
    ));
    // libzmq servers announce as-server 0, so the flag decides nothing.
    for as_server in [false, true] {
        assert!(server
            .check_peer_greeting(&greeting(MechanismName::PLAIN, as_server))
            .is_ok());
    }
    // Two clients fail at the first command instead.
    let mut client = Mechanism::plain_client(b"u", b"p", Metadata::new()).unwrap();
    let mut twin = Mechanism::plain_client(b"u", b"p", Metadata::new()).unwrap();
    assert_eq!(
        twin.handle_command(&client.poll_command().unwrap()),
        Err(MechanismError::Unexpected {
            expected: "WELCOME"
        })
    );
}

// ---------------------------------------------------------------------------------------------
// CURVE handshake

#[test]
fn curve_handshake_authenticates_the_client_key_and_exchanges_metadata() {
    let (server, client) = (key_pair(1), key_pair(2));
    let mut pair = curve_pair(&server, server.public, &client);
    pair.drive().assert_ready();
    assert_eq!(
        pair.requests,
        vec![AuthRequest {
            mechanism: MechanismName::CURVE,
            credentials: vec![Bytes::copy_from_slice(client.public.as_bytes())],
        }]
    );
    let server_view = pair.server_ready.as_ref().unwrap();
    assert_eq!(server_view.peer_key, Some(client.public));
    assert_eq!(&server_view.user_id[..], b"user-of-CURVE");
    assert_eq!(
        pair.client_ready.as_ref().unwrap().peer_key,
        Some(server.public)
    );
    assert_eq!(socket_type(&pair.server_ready), Some(&b"DEALER"[..]));
    assert_eq!(socket_type(&pair.client_ready), Some(&b"ROUTER"[..]));
    assert_eq!(pair.client.name(), MechanismName::CURVE);
    assert!(!pair.client.as_server() && pair.server.as_server());
}

#[test]
fn curve_commands_have_the_rfc_sizes_and_welcome_is_smaller_than_hello() {
    let pair = curve_ready();
    let sizes: Vec<_> = pair.to_server.iter().map(Vec::len).collect();
    let names: Vec<_> = pair.to_server.iter().map(|c| name_of(c).to_vec()).collect();
    assert_eq!(names, [b"HELLO".to_vec(), b"INITIATE".to_vec()]);
    assert_eq!(sizes[0], 200);
    // INITIATE: 257 plus the metadata (Socket-Type DEALER: 1 + 11 + 4 + 6).
    assert_eq!(sizes[1], 257 + 22);
    let sizes: Vec<_> = pair.to_client.iter().map(Vec::len).collect();
    assert_eq!(sizes, [168, 30 + 22]);
    // Anti-amplification: before INITIATE, the server sends less than it received.
    assert!(pair.to_client[0].len() < pair.to_server[0].len());
    let hello = &pair.to_server[0];
    assert_eq!(&hello[6..8], &[1, 0]);
    assert!(hello[8..80].iter().all(|&b| b == 0));
    assert_eq!(&hello[112..120], &1u64.to_be_bytes());
}

#[test]
fn client_with_the_wrong_server_key_gets_no_answer() {
    let (server, client, other) = (key_pair(1), key_pair(2), key_pair(3));
    let mut pair = curve_pair(&server, other.public, &client);
    pair.drive();
    assert_eq!(
        pair.server_error,
        Some(MechanismError::BoxNotOpened { what: "HELLO" })
    );
    assert_eq!(pair.sent_to_client(), 0);
    assert!(pair.requests.is_empty());
}

#[test]
fn client_refuses_a_welcome_not_sealed_by_the_expected_server() {
    // An impostor answers with a well-formed WELCOME sealed with its own key for the client's
    // (public) transient key.
    let (server, client, impostor) = (key_pair(1), key_pair(2), key_pair(3));
    let mut mechanism = Mechanism::curve_client(
        server.public,
        client,
        Metadata::new(),
        Box::new(SeededEntropy::new(5)),
    )
    .unwrap();
    let hello = mechanism.poll_command().unwrap();
    let client_transient = CurvePublicKey::from_bytes(hello[80..112].try_into().unwrap());
    let welcome_nonce = [9u8; 16];
    let nonce = [&b"WELCOME-"[..], &welcome_nonce].concat();
    let sealed = nacl_box(&client_transient, &impostor.secret, &nonce, &[0u8; 128]);
    let welcome = wire::build(wire::WELCOME, &[&welcome_nonce, &sealed]);
    assert_eq!(welcome.len(), 168);
    assert_eq!(
        mechanism.handle_command(&welcome),
        Err(MechanismError::BoxNotOpened { what: "WELCOME" })
    );
    assert_eq!(mechanism.poll_command(), None);
    assert_eq!(
        mechanism.handle_command(&welcome),
        Err(MechanismError::Failed)
    );
}

#[test]
fn unknown_client_key_is_refused_with_an_error() {
    let (server, client) = (key_pair(1), key_pair(2));
    let allowed = key_pair(4).public;
    let mut pair = curve_pair(&server, server.public, &client).authenticator(move |request| {
        Some(if request.credentials[0][..] == allowed.as_bytes()[..] {
            Verdict::allow("known")
        } else {
            Verdict::deny(400, "unknown key")
        })
    });
    pair.drive();
    assert_eq!(
        pair.server_error,
        Some(MechanismError::Refused {
            status_code: 400,
            status_text: "unknown key".into()
        })
    );
    assert_eq!(pair.to_client.last().unwrap(), b"\x05ERROR\x03400");
    assert_eq!(
        pair.client_error,
        Some(MechanismError::RefusedByPeer { status_code: 400 })
    );
    assert!(!pair.server.is_ready());
}

#[test]
fn a_second_hello_on_the_same_connection_is_refused() {
    let (server, client) = (key_pair(1), key_pair(2));
    let mut pair = curve_pair(&server, server.public, &client);
    let hello = pair.client.poll_command().unwrap();
    pair.server.handle_command(&hello).unwrap();
    assert_eq!(
        pair.server.handle_command(&hello),
        Err(MechanismError::Unexpected {
            expected: "INITIATE"
        })
    );
    assert_eq!(
        pair.server.handle_command(&hello),
        Err(MechanismError::Failed)
    );
}

#[test]
fn a_recorded_handshake_replayed_to_a_new_server_fails_at_the_cookie() {
    let (server_keys, client) = (key_pair(1), key_pair(2));
    let mut recorded = curve_pair(&server_keys, server_keys.public, &client);
    recorded.drive().assert_ready();
    let (hello, initiate) = (&recorded.to_server[0], &recorded.to_server[1]);

    // Same long-term keys, new instance: HELLO still earns a WELCOME (which the attacker
    // cannot open), but the old INITIATE's cookie was made with another cookie key.
    let mut fresh = Mechanism::curve_server(
        server_keys.clone(),
        Metadata::new(),
        Box::new(SeededEntropy::new(300)),
    );
    fresh.handle_command(hello).unwrap();
    assert_eq!(name_of(&fresh.poll_command().unwrap()), b"WELCOME");
    assert_eq!(
        fresh.handle_command(initiate),
        Err(MechanismError::BoxNotOpened { what: "cookie" })
    );
    assert_eq!(fresh.poll_event(), None);
}

#[test]
fn malformed_or_forged_hellos_get_no_answer() {
    let (server_keys, client) = (key_pair(1), key_pair(2));
    let good = curve_pair(&server_keys, server_keys.public, &client)
        .client
        .poll_command()
        .unwrap();
    let mut cases: Vec<(Vec<u8>, MechanismError)> = Vec::new();
    let malformed = MechanismError::MalformedCommand { command: "HELLO" };
    cases.push((good[..199].to_vec(), malformed.clone()));
    cases.push(([&good[..], &[0]].concat(), malformed.clone()));
    let mut padded = good.clone();
    padded[50] = 1;
    cases.push((padded, malformed));
    let mut version = good.clone();
    version[6] = 2;
    cases.push((
        version,
        MechanismError::UnsupportedCurveVersion { major: 2, minor: 0 },
    ));
    let mut forged = good.clone();
    forged[150] ^= 0x20;
    cases.push((forged, MechanismError::BoxNotOpened { what: "HELLO" }));
    let mut other_nonce = good.clone();
    other_nonce[119] ^= 1;
    cases.push((other_nonce, MechanismError::BoxNotOpened { what: "HELLO" }));
    for (hello, expected) in cases {
        let mut server = Mechanism::curve_server(
            server_keys.clone(),
            Metadata::new(),
            Box::new(SeededEntropy::new(1)),
        );
        assert_eq!(server.handle_command(&hello), Err(expected));
        assert_eq!(server.poll_command(), None, "the server must stay silent");
    }
}

#[test]
fn hello_whose_signature_is_not_zeros_is_refused() {
    let server_keys = key_pair(1);
    let transient = key_pair(7);
    let short = 1u64.to_be_bytes();
    let nonce = [&b"CurveZMQHELLO---"[..], &short].concat();
    let signature = nacl_box(&server_keys.public, &transient.secret, &nonce, &[1u8; 64]);
    let hello = wire::build(
        wire::HELLO,
        &[
            &[1, 0],
            &[0; 72],
            transient.public.as_bytes(),
            &short,
            &signature,
        ],
    );
    let mut server = Mechanism::curve_server(
        server_keys,
        Metadata::new(),
        Box::new(SeededEntropy::new(1)),
    );
    assert_eq!(
        server.handle_command(&hello),
        Err(MechanismError::BadBoxContents { what: "HELLO" })
    );
}

#[test]
fn truncated_or_altered_initiates_are_refused() {
    let initiate_error = |alter: fn(&mut Vec<u8>)| {
        let (server, client) = (key_pair(1), key_pair(2));
        let mut pair =
            curve_pair(&server, server.public, &client).tamper(move |direction, body| {
                if direction == Direction::ToServer && name_of(body) == b"INITIATE" {
                    alter(body);
                }
            });
        pair.drive();
        assert!(pair.requests.is_empty());
        assert_eq!(pair.to_client.len(), 1, "only WELCOME was sent");
        pair.server_error
    };
    let malformed = Some(MechanismError::MalformedCommand {
        command: "INITIATE",
    });
    assert_eq!(initiate_error(|b| b.truncate(256)), malformed);
    assert_eq!(initiate_error(|b| b.truncate(9 + 96 + 8 + 100)), malformed);
    assert_eq!(
        initiate_error(|b| b.truncate(b.len() - 1)),
        Some(MechanismError::BoxNotOpened { what: "INITIATE" })
    );
    assert_eq!(
        initiate_error(|b| b[40] ^= 1),
        Some(MechanismError::BoxNotOpened { what: "cookie" })
    );
    assert_eq!(
        initiate_error(|b| b[200] ^= 1),
        Some(MechanismError::BoxNotOpened { what: "INITIATE" })
    );
    // A short nonce that does not follow HELLO's.
    assert_eq!(
        initiate_error(|b| b[9 + 96..9 + 96 + 8].copy_from_slice(&1u64.to_be_bytes())),
        Some(MechanismError::NonceNotIncreasing {
            received: 1,
            last: 1
        })
    );
}

/// Builds INITIATE by hand from the secrets a scripted client used, to forge vouches.
fn initiate_with_vouch(
    vouch_signer: &CurveSecretKey,
    vouched_server: &CurvePublicKey,
) -> Result<(), MechanismError> {
    let (server_keys, client) = (key_pair(1), key_pair(2));
    let client_transient_secret = [0x42u8; 32];
    let entropy = ScriptedEntropy::new(&[&client_transient_secret, &[0u8; 16]]);
    let mut mechanism = Mechanism::curve_client(
        server_keys.public,
        client.clone(),
        Metadata::new(),
        Box::new(entropy),
    )
    .unwrap();
    let mut server = Mechanism::curve_server(
        server_keys.clone(),
        Metadata::new(),
        Box::new(SeededEntropy::new(9)),
    );
    server
        .handle_command(&mechanism.poll_command().unwrap())
        .unwrap();
    let welcome = server.poll_command().unwrap();
    let transient = CurveKeyPair::from_secret(CurveSecretKey::from_bytes(client_transient_secret));
    let welcome_nonce = [&b"WELCOME-"[..], &welcome[8..24]].concat();
    let opened = nacl_open(
        &server_keys.public,
        &transient.secret,
        &welcome_nonce,
        &welcome[24..],
    );
    let server_transient = CurvePublicKey::from_bytes(opened[..32].try_into().unwrap());
    let cookie = &opened[32..];

    let vouch_nonce = [3u8; 16];
    let vouched = [
        &transient.public.as_bytes()[..],
        &vouched_server.as_bytes()[..],
    ]
    .concat();
    let vouch_box = nacl_box(
        &server_transient,
        vouch_signer,
        &[&b"VOUCH---"[..], &vouch_nonce].concat(),
        &vouched,
    );
    let plaintext = [&client.public.as_bytes()[..], &vouch_nonce[..], &vouch_box].concat();
    let short = 2u64.to_be_bytes();
    let initiate_box = nacl_box(
        &server_transient,
        &transient.secret,
        &[&b"CurveZMQINITIATE"[..], &short].concat(),
        &plaintext,
    );
    let initiate = wire::build(wire::INITIATE, &[cookie, &short, &initiate_box]);
    server.handle_command(&initiate)?;
    assert!(matches!(
        server.poll_event(),
        Some(MechanismEvent::Authenticate(_))
    ));
    Ok(())
}

#[test]
fn a_vouch_must_be_signed_by_the_client_key_for_this_server() {
    let (server_keys, client) = (key_pair(1), key_pair(2));
    // The genuine article, built by hand, passes: the forgeries fail for their vouch alone.
    assert_eq!(
        initiate_with_vouch(&client.secret, &server_keys.public),
        Ok(())
    );
    // Vouched for another server: lifted from a connection to someone else.
    assert_eq!(
        initiate_with_vouch(&client.secret, &key_pair(8).public),
        Err(MechanismError::BadBoxContents { what: "vouch" })
    );
    // Signed by a key other than the C the client claims.
    assert_eq!(
        initiate_with_vouch(&key_pair(9).secret, &server_keys.public),
        Err(MechanismError::BoxNotOpened { what: "vouch" })
    );
}

#[test]
fn altered_welcome_or_ready_is_refused_by_the_client() {
    for (command, at, expected) in [
        (
            &b"WELCOME"[..],
            100,
            MechanismError::BoxNotOpened { what: "WELCOME" },
        ),
        (
            &b"WELCOME"[..],
            10,
            MechanismError::BoxNotOpened { what: "WELCOME" },
        ),
        (
            &b"READY"[..],
            20,
            MechanismError::BoxNotOpened { what: "READY" },
        ),
    ] {
        let (server, client) = (key_pair(1), key_pair(2));
        let mut pair =
            curve_pair(&server, server.public, &client).tamper(move |direction, body| {
                if direction == Direction::ToClient && name_of(body) == command {
                    body[at] ^= 0x80;
                }
            });
        pair.drive();
        assert_eq!(pair.client_error, Some(expected));
        assert!(!pair.client.is_ready());
    }
    let (server, client) = (key_pair(1), key_pair(2));
    let mut pair = curve_pair(&server, server.public, &client).tamper(|direction, body| {
        if direction == Direction::ToClient && name_of(body) == b"WELCOME" {
            body.pop();
        }
    });
    pair.drive();
    assert_eq!(
        pair.client_error,
        Some(MechanismError::MalformedCommand { command: "WELCOME" })
    );
}

#[test]
fn a_client_without_randomness_cannot_start() {
    let keys = key_pair(1);
    let result = Mechanism::curve_client(
        keys.public,
        keys.clone(),
        Metadata::new(),
        Box::new(ScriptedEntropy::new(&[&[0u8; 31]])),
    );
    assert!(matches!(result, Err(MechanismError::Entropy(_))));
}

#[test]
fn debug_output_shows_the_state_but_no_keys() {
    let mut pair = curve_ready();
    let text = format!("{:?}", pair.server);
    assert!(text.contains("CURVE") && text.contains("Ready"), "{text}");
    assert!(receive(&mut pair.client, b"\x00\x01x").is_err());
    let text = format!("{:?}", pair.client);
    assert!(text.contains("Failed"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// CURVE traffic

#[test]
fn curve_messages_carry_flags_and_bodies_both_ways() {
    let mut pair = curve_ready();
    assert_eq!(pair.client.frame_overhead(), CURVE_MESSAGE_OVERHEAD);
    for (more, command, body) in [
        (true, false, &b"first"[..]),
        (false, false, b""),
        (false, true, b"\x09SUBSCRIBEweather"),
    ] {
        let wire = send(&mut pair.client, more, command, body);
        assert_eq!(
            wire[0], 0,
            "MESSAGE goes in a data frame, flags inside the box"
        );
        assert_eq!(wire.len(), 2 + CURVE_MESSAGE_OVERHEAD + body.len());
        let frame = receive(&mut pair.server, &wire).unwrap();
        assert_eq!(
            (frame.more, frame.command, &frame.body[..]),
            (more, command, body)
        );
        let wire = send(&mut pair.server, more, command, body);
        let frame = receive(&mut pair.client, &wire).unwrap();
        assert_eq!(
            (frame.more, frame.command, &frame.body[..]),
            (more, command, body)
        );
    }
    let large = vec![0xA5u8; 100_000];
    let wire = send(&mut pair.server, false, false, &large);
    assert_eq!(wire[0], frame::LONG);
    assert_eq!(
        receive(&mut pair.client, &wire).unwrap().body.to_vec(),
        large
    );
}

#[test]
fn message_nonces_count_up_from_the_handshake() {
    let mut pair = curve_ready();
    // Client: HELLO 1, INITIATE 2, so traffic starts at 3. Server: READY 1, traffic from 2.
    let wire = send(&mut pair.client, false, false, b"x");
    assert_eq!(&wire[2 + 8..2 + 16], &3u64.to_be_bytes());
    let wire = send(&mut pair.client, false, false, b"y");
    assert_eq!(&wire[2 + 8..2 + 16], &4u64.to_be_bytes());
    let wire = send(&mut pair.server, false, false, b"z");
    assert_eq!(&wire[2 + 8..2 + 16], &2u64.to_be_bytes());
}

#[test]
fn a_flipped_bit_in_a_message_ends_the_connection() {
    let mut pair = curve_ready();
    let good = send(&mut pair.client, false, false, b"payload");
    for at in [2 + 20, 2 + 33, good.len() - 1] {
        let mut pair = curve_ready();
        let mut wire = send(&mut pair.client, false, false, b"payload");
        wire[at] ^= 0x01;
        assert_eq!(
            receive(&mut pair.server, &wire),
            Err(MechanismError::BoxNotOpened { what: "MESSAGE" })
        );
        // Refused from then on, even the next genuine message.
        let next = send(&mut pair.client, false, false, b"next");
        assert_eq!(
            receive(&mut pair.server, &next),
            Err(MechanismError::Failed)
        );
        assert_eq!(
            pair.server
                .encode_frame(false, false, b"x", &mut BytesMut::new()),
            Err(MechanismError::Failed)
        );
    }
}

#[test]
fn a_repeated_message_nonce_is_a_replay() {
    let mut pair = curve_ready();
    let first = send(&mut pair.client, false, false, b"once");
    receive(&mut pair.server, &first).unwrap();
    assert_eq!(
        receive(&mut pair.server, &first),
        Err(MechanismError::NonceNotIncreasing {
            received: 3,
            last: 3
        })
    );
}

#[test]
fn messages_out_of_order_are_refused() {
    let mut pair = curve_ready();
    let first = send(&mut pair.client, false, false, b"1");
    let second = send(&mut pair.client, false, false, b"2");
    receive(&mut pair.server, &second).unwrap();
    assert_eq!(
        receive(&mut pair.server, &first),
        Err(MechanismError::NonceNotIncreasing {
            received: 3,
            last: 4
        })
    );
}

#[test]
fn a_message_reflected_back_to_its_sender_does_not_open() {
    let mut pair = curve_ready();
    let wire = send(&mut pair.client, false, false, b"mirror");
    // Same keys, but the client's nonces say "from the client".
    assert_eq!(
        receive(&mut pair.client, &wire),
        Err(MechanismError::BoxNotOpened { what: "MESSAGE" })
    );
}

#[test]
fn short_or_clear_frames_in_curve_traffic_are_refused() {
    let mut pair = curve_ready();
    let clear = b"\x00\x05hello";
    assert_eq!(
        receive(&mut pair.server, clear),
        Err(MechanismError::Unexpected {
            expected: "MESSAGE"
        })
    );
    let mut pair = curve_ready();
    let wire = send(&mut pair.client, false, false, b"");
    let mut short = wire[..wire.len() - 1].to_vec();
    short[1] -= 1;
    assert_eq!(
        receive(&mut pair.server, &short),
        Err(MechanismError::MalformedCommand { command: "MESSAGE" })
    );
    let mut pair = curve_ready();
    assert_eq!(
        receive(&mut pair.server, b"\x04\x05\x04PING"),
        Err(MechanismError::Unexpected {
            expected: "MESSAGE"
        })
    );
    let mut pair = curve_ready();
    assert_eq!(
        receive(&mut pair.client, b"\x04\x0a\x05ERROR\x03500"),
        Err(MechanismError::RefusedByPeer { status_code: 500 })
    );
}

#[test]
fn messages_with_reserved_flags_are_refused() {
    for flags in [0x04u8, 0x80, 0x03] {
        let (server_keys, client) = (key_pair(1), key_pair(2));
        let transient_secret = [0x42u8; 32];
        let mut pair = curve_pair(&server_keys, server_keys.public, &client);
        pair.client = Mechanism::curve_client(
            server_keys.public,
            client,
            properties("DEALER"),
            Box::new(ScriptedEntropy::new(&[&transient_secret, &[0u8; 16]])),
        )
        .unwrap();
        pair.drive().assert_ready();
        // Seal a MESSAGE by hand with the client's transient secret and the server's S'.
        let welcome = &pair.to_client[0];
        let transient = CurveSecretKey::from_bytes(transient_secret);
        let opened = nacl_open(
            &server_keys.public,
            &transient,
            &[&b"WELCOME-"[..], &welcome[8..24]].concat(),
            &welcome[24..],
        );
        let server_transient = CurvePublicKey::from_bytes(opened[..32].try_into().unwrap());
        let short = 3u64.to_be_bytes();
        let sealed = nacl_box(
            &server_transient,
            &transient,
            &[&b"CurveZMQMESSAGEC"[..], &short].concat(),
            &[flags, b'x'],
        );
        let body = wire::build(wire::MESSAGE, &[&short, &sealed]);
        let wire = [&[frame::COMMAND, body.len() as u8][..], &body].concat();
        assert_eq!(
            receive(&mut pair.server, &wire),
            Err(MechanismError::BadMessageFlags(flags))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Known answers: a transcript computed with libsodium (through PyNaCl) from fixed keys and
// nonces, independently of this code.

mod transcript {
    pub const HELLO: &str = concat!(
        "0548454c4c4f01000000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f0000000000000001",
        "349faf1b63e95ac97f34a31fd8866889ebca099a3dc9e177e15e62d1a6fd7069e630ab6028a4f03f",
        "3369b21613493d5b631aa3d8611f98d0b581a2f8533f0d071577e388be00364c68a2e8e6d36be714",
    );
    pub const WELCOME: &str = concat!(
        "0757454c434f4d45e0e1e2e3e4e5e6e7e8e9eaebecedeeef46b7bdfa3b9ccc4f01d1369120f194a9",
        "022883c1264d0b5c44f558f656422d1650ec051401b178e30787275a35e878ba3057f9a896001624",
        "0da642b2a15cd280c3361d3fcd32de55975e23cb3cf2e3586ccc974501c050490cdc4a196cf1b923",
        "182f4a8d9c5e02b7b55d2b4b2939269a7bff4fbbfb47c145077df03564e0654050380a762f3bc891",
        "1ca209f604f1d746",
    );
    pub const INITIATE: &str = concat!(
        "08494e495449415445d0d1d2d3d4d5d6d7d8d9dadbdcdddedf077bd411cd547bbe9c664751241b0f",
        "2ab2181d5cf987dbbec8aa1eb010845fc7b994bac089ba716410855fae9fd6f8d781c932989f85f3",
        "863f777f0894dcded65f430c9a239083c675c7ff7a794bf67c0000000000000002c47d829edd62c3",
        "125e853e8fd5cafcda51fb1f3ccf9f2c0f95bb9f4823120550a6ebe3116d44b02702ff4ebc4aebe3",
        "a0e62e7c902fa0091e0317292fef61732acb54ec43f276b14dd7e9d09129e1ca9bd90728f84d2663",
        "e681d56d4cc413ddc9c966aa8ad4ffa8648311280bd86f80366330f84b2160a48c93c3be59605a1d",
        "594178b55a9bcc838cfb363ea54e53976b94db5108db4bdee039620f88d125a873d90689e3b5de",
    );
    pub const READY: &str = concat!(
        "0552454144590000000000000001e3707ff56957947574703251cef09b1095754d05f2ba46cdce53",
        "71f68dd8675de0279e7adfbb",
    );
    /// Client to server: MORE, "Hello".
    pub const CLIENT_MESSAGE: &str =
        "074d45535341474500000000000000033cdab817b4157cddae34e14ef5ff020aa13a96c4372a";
    /// Server to client: a SUBSCRIBE command for "topic".
    pub const SERVER_MESSAGE: &str = concat!(
        "074d45535341474500000000000000020afbabfb21692e1c0b53e628dabeedc0c6038e231bcbaabb",
        "cdc34111381ff58e",
    );
}

fn bytes_from(from: u8, to: u8) -> Vec<u8> {
    (from..to).collect()
}

fn secret(from: u8) -> CurveSecretKey {
    CurveSecretKey::from_bytes(bytes_from(from, from + 32).try_into().unwrap())
}

#[test]
fn curve_transcript_matches_libsodium_byte_for_byte() {
    let server_keys = CurveKeyPair::from_secret(secret(0x20));
    let client_keys = CurveKeyPair::from_secret(secret(0x40));
    // Client draws: c' (0x60..0x80), then the vouch nonce (0x80..0x90).
    let client = Mechanism::curve_client(
        server_keys.public,
        client_keys,
        properties("DEALER"),
        Box::new(ScriptedEntropy::new(&[&bytes_from(0x60, 0x90)])),
    )
    .unwrap();
    // Server draws: s' (0x90..0xB0), cookie key, cookie nonce, WELCOME nonce.
    let server = Mechanism::curve_server(
        server_keys,
        properties("ROUTER"),
        Box::new(ScriptedEntropy::new(&[&bytes_from(0x90, 0xF0)])),
    );
    let mut pair = Pair::new(client, server);
    pair.drive().assert_ready();
    assert_eq!(pair.to_server[0], hex(transcript::HELLO));
    assert_eq!(pair.to_client[0], hex(transcript::WELCOME));
    assert_eq!(pair.to_server[1], hex(transcript::INITIATE));
    assert_eq!(pair.to_client[1], hex(transcript::READY));

    let wire = send(&mut pair.client, true, false, b"Hello");
    assert_eq!(wire[..2], [0, 38]);
    assert_eq!(wire[2..], hex(transcript::CLIENT_MESSAGE));
    let wire = send(&mut pair.server, false, true, b"\x09SUBSCRIBEtopic");
    assert_eq!(wire[2..], hex(transcript::SERVER_MESSAGE));

    // And the other way round: libsodium's frames open here, in a command frame too (as
    // RFC 26 has it).
    let frame = receive(
        &mut pair.client,
        &[&[frame::COMMAND, 48][..], &hex(transcript::SERVER_MESSAGE)].concat(),
    );
    let frame = frame.unwrap();
    assert!(frame.command && !frame.more);
    assert_eq!(&frame.body[..], b"\x09SUBSCRIBEtopic");
}

// ---------------------------------------------------------------------------------------------
// Robustness: no input makes a mechanism panic.

#[test]
fn every_truncation_of_every_handshake_command_is_an_error_not_a_panic() {
    let (server, client) = (key_pair(1), key_pair(2));
    let mut reference = curve_pair(&server, server.public, &client);
    reference.drive().assert_ready();
    let mut plain = plain_pair(b"user", b"pass");
    plain.drive().assert_ready();
    let commands: Vec<(bool, Vec<u8>)> = reference
        .to_server
        .iter()
        .chain(&plain.to_server)
        .map(|c| (true, c.clone()))
        .chain(
            reference
                .to_client
                .iter()
                .chain(&plain.to_client)
                .map(|c| (false, c.clone())),
        )
        .collect();
    for (to_server, command) in &commands {
        for len in 0..command.len() {
            let cut = &command[..len];
            let mut targets = vec![
                Mechanism::plain_server(Metadata::new()),
                Mechanism::null(Metadata::new()),
                Mechanism::plain_client(b"u", b"p", Metadata::new()).unwrap(),
            ];
            if *to_server {
                targets.push(Mechanism::curve_server(
                    server.clone(),
                    Metadata::new(),
                    Box::new(SeededEntropy::new(1)),
                ));
            } else {
                targets.push(
                    Mechanism::curve_client(
                        server.public,
                        client.clone(),
                        Metadata::new(),
                        Box::new(SeededEntropy::new(1)),
                    )
                    .unwrap(),
                );
            }
            for mut target in targets {
                let _ = target.handle_command(cut);
                let _ = target.handle_command(command);
            }
        }
    }
}

#[test]
fn garbage_commands_never_panic() {
    let server = key_pair(1);
    let mut noise = SeededEntropy::new(42);
    for round in 0..300usize {
        let mut body = vec![0u8; round];
        noise.fill(&mut body).unwrap();
        // Give half of them a real command name so they reach the parsers.
        if round % 2 == 0 && body.len() > 9 {
            let names: [&[u8]; 5] = [b"HELLO", b"WELCOME", b"INITIATE", b"READY", b"ERROR"];
            let name = names[(round / 2) % names.len()];
            body[0] = name.len() as u8;
            body[1..1 + name.len()].copy_from_slice(name);
        }
        let mut targets = [
            Mechanism::curve_server(
                server.clone(),
                Metadata::new(),
                Box::new(SeededEntropy::new(1)),
            ),
            Mechanism::curve_client(
                server.public,
                server.clone(),
                Metadata::new(),
                Box::new(SeededEntropy::new(1)),
            )
            .unwrap(),
            Mechanism::plain_server(Metadata::new()),
            Mechanism::null(Metadata::new()),
        ];
        for target in &mut targets {
            let _ = target.handle_command(&body);
        }
    }
    for round in 0..40usize {
        let mut body = vec![0u8; 33 + round];
        noise.fill(&mut body).unwrap();
        body[..8].copy_from_slice(b"\x07MESSAGE");
        let header = FrameHeader {
            flags: frame::COMMAND,
            header_len: 2,
            body_len: body.len(),
        };
        let mut pair = curve_ready();
        assert!(pair
            .server
            .decode_frame(header, BytesMut::from(&body[..]))
            .is_err());
        assert!(pair
            .client
            .decode_frame(header, BytesMut::from(&body[..]))
            .is_err());
    }
}
