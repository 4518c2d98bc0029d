//! The CURVE server: WELCOME for a valid HELLO, the authenticator for a valid INITIATE, then
//! READY.

use super::{
    long_nonce, open, seal, short_nonce, Codec, ShortNonces, COOKIE_LEN, COOKIE_NONCE,
    HELLO_DATA_LEN, HELLO_NONCE, HELLO_PADDING, HELLO_SIGNATURE, INITIATE_NONCE,
    MIN_INITIATE_DATA_LEN, READY_NONCE, VERSION, VOUCH_LEN, VOUCH_NONCE, WELCOME_NONCE,
};
use crate::curve_keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
use crate::entropy::Entropy;
use crate::greeting::MechanismName;
use crate::mechanism::auth::{AuthRequest, Authorized};
use crate::mechanism::error::MechanismError;
use crate::mechanism::{wire, Handshake, MechanismEvent, Outputs, Traffic, Verdict};
use crate::metadata::Metadata;
use bytes::Bytes;
use crypto_box::SalsaBox;
use crypto_secretbox::{KeyInit, XSalsa20Poly1305};
use std::mem;
use zeroize::Zeroizing;

pub(crate) struct CurveServer {
    state: ServerState,
    context: ServerContext,
}

/// What the server knows for the whole handshake.
struct ServerContext {
    /// S and s.
    keys: CurveKeyPair,
    metadata: Metadata,
    entropy: Box<dyn Entropy + Send>,
    out: Outputs,
}

enum ServerState {
    ExpectHello,
    /// WELCOME is sent. Only the cookie key is kept: C' and s' are in the cookie.
    ExpectInitiate {
        cookie_key: Zeroizing<[u8; 32]>,
        nonces: ShortNonces,
    },
    /// The client's long-term key C is with the authenticator.
    AwaitVerdict {
        cipher: SalsaBox,
        nonces: ShortNonces,
        client_key: CurvePublicKey,
        peer: Metadata,
    },
    Ready(Codec),
    Failed,
}

impl CurveServer {
    pub(crate) fn new(
        keys: CurveKeyPair,
        metadata: Metadata,
        entropy: Box<dyn Entropy + Send>,
    ) -> Self {
        CurveServer {
            state: ServerState::ExpectHello,
            context: ServerContext {
                keys,
                metadata,
                entropy,
                out: Outputs::default(),
            },
        }
    }
}

impl ServerState {
    fn on_command(
        self,
        body: &[u8],
        context: &mut ServerContext,
    ) -> Result<ServerState, MechanismError> {
        if let ServerState::Failed = self {
            return Err(MechanismError::Failed);
        }
        let (name, data) = wire::split(body)?;
        match (self, name) {
            (ServerState::ExpectHello | ServerState::ExpectInitiate { .. }, wire::ERROR) => {
                Err(wire::peer_error(data))
            }
            (ServerState::ExpectHello, wire::HELLO) => on_hello(data, context),
            (ServerState::ExpectHello, _) => Err(MechanismError::Unexpected { expected: "HELLO" }),
            (ServerState::ExpectInitiate { cookie_key, nonces }, wire::INITIATE) => {
                on_initiate(data, &cookie_key, nonces, context)
            }
            (ServerState::ExpectInitiate { .. }, _) => Err(MechanismError::Unexpected {
                expected: "INITIATE",
            }),
            _ => Err(MechanismError::Unexpected {
                expected: "nothing before READY",
            }),
        }
    }

    fn on_verdict(
        self,
        verdict: Verdict,
        context: &mut ServerContext,
    ) -> Result<ServerState, MechanismError> {
        let ServerState::AwaitVerdict {
            cipher,
            mut nonces,
            client_key,
            peer,
        } = self
        else {
            return Err(MechanismError::NoVerdictPending);
        };
        if !verdict.is_allowed() {
            if let Some(error) = wire::refusal(verdict.status_code) {
                context.out.command(error);
            }
            return Err(MechanismError::Refused {
                status_code: verdict.status_code,
                status_text: verdict.status_text,
            });
        }
        let mut metadata = Vec::new();
        context.metadata.encode(&mut metadata);
        let short = nonces.take()?;
        let ready_box = seal(&cipher, &short_nonce(READY_NONCE, &short), &metadata)?;
        context
            .out
            .command(wire::build(wire::READY, &[&short, &ready_box]));
        let mut outcome = Authorized::from_verdict(verdict).outcome(peer);
        outcome.peer_key = Some(client_key);
        context.out.event(MechanismEvent::Ready(outcome));
        Ok(ServerState::Ready(Codec::server(cipher, nonces)))
    }
}

/// Checks HELLO and answers with WELCOME. Nothing is sent for a HELLO that fails a check.
fn on_hello(data: &[u8], context: &mut ServerContext) -> Result<ServerState, MechanismError> {
    let malformed = MechanismError::MalformedCommand { command: "HELLO" };
    let (version, rest) = data.split_first_chunk::<2>().ok_or(malformed.clone())?;
    if *version != VERSION {
        return Err(MechanismError::UnsupportedCurveVersion {
            major: version[0],
            minor: version[1],
        });
    }
    if data.len() != HELLO_DATA_LEN {
        return Err(malformed);
    }
    let (padding, rest) = rest
        .split_first_chunk::<HELLO_PADDING>()
        .ok_or(malformed.clone())?;
    if padding.iter().any(|&b| b != 0) {
        return Err(malformed);
    }
    let (client_transient, rest) = rest.split_first_chunk::<32>().ok_or(malformed.clone())?;
    let (short, signature) = rest.split_first_chunk::<8>().ok_or(malformed)?;

    let mut nonces = ShortNonces::new();
    let received = nonces.check(short)?;
    let client_transient = CurvePublicKey::from_bytes(*client_transient);
    let cipher = SalsaBox::new(
        &client_transient.to_box_key(),
        &context.keys.secret.to_box_key(),
    );
    let zeros = open(
        &cipher,
        &short_nonce(HELLO_NONCE, short),
        signature,
        "HELLO",
    )?;
    if zeros[..] != HELLO_SIGNATURE {
        return Err(MechanismError::BadBoxContents { what: "HELLO" });
    }
    nonces.accept(received);

    // S' and s' for this connection; s' leaves this function only inside the cookie.
    let transient = CurveKeyPair::generate_with(&mut *context.entropy)?;
    let mut cookie_key = Zeroizing::new([0u8; 32]);
    context.entropy.fill(&mut cookie_key[..])?;
    let mut cookie_nonce = [0u8; 16];
    context.entropy.fill(&mut cookie_nonce)?;
    let mut cookie_contents = Zeroizing::new([0u8; 64]);
    cookie_contents[..32].copy_from_slice(client_transient.as_bytes());
    cookie_contents[32..].copy_from_slice(transient.secret.as_bytes());
    let cookie_box = seal(
        &XSalsa20Poly1305::new(&(*cookie_key).into()),
        &long_nonce(COOKIE_NONCE, &cookie_nonce),
        &cookie_contents[..],
    )?;

    let mut welcome = Vec::with_capacity(32 + COOKIE_LEN);
    welcome.extend_from_slice(transient.public.as_bytes());
    welcome.extend_from_slice(&cookie_nonce);
    welcome.extend_from_slice(&cookie_box);
    let mut welcome_nonce = [0u8; 16];
    context.entropy.fill(&mut welcome_nonce)?;
    let welcome_box = seal(
        &cipher,
        &long_nonce(WELCOME_NONCE, &welcome_nonce),
        &welcome,
    )?;
    context
        .out
        .command(wire::build(wire::WELCOME, &[&welcome_nonce, &welcome_box]));
    Ok(ServerState::ExpectInitiate { cookie_key, nonces })
}

/// Opens the cookie, INITIATE's box and the vouch; asks the authenticator about C.
fn on_initiate(
    data: &[u8],
    cookie_key: &[u8; 32],
    mut nonces: ShortNonces,
    context: &mut ServerContext,
) -> Result<ServerState, MechanismError> {
    let malformed = MechanismError::MalformedCommand {
        command: "INITIATE",
    };
    if data.len() < MIN_INITIATE_DATA_LEN {
        return Err(malformed);
    }
    let (cookie, rest) = data
        .split_first_chunk::<COOKIE_LEN>()
        .ok_or(malformed.clone())?;
    let (short, initiate_box) = rest.split_first_chunk::<8>().ok_or(malformed.clone())?;

    // Only this connection's cookie key opens the cookie.
    let (cookie_nonce, cookie_box) = cookie.split_first_chunk::<16>().ok_or(malformed.clone())?;
    let cookie = open(
        &XSalsa20Poly1305::new(&(*cookie_key).into()),
        &long_nonce(COOKIE_NONCE, cookie_nonce),
        cookie_box,
        "cookie",
    )?;
    let (client_transient, server_secret) =
        cookie.split_first_chunk::<32>().ok_or(malformed.clone())?;
    let server_secret = server_secret.first_chunk::<32>().ok_or(malformed.clone())?;
    let client_transient = CurvePublicKey::from_bytes(*client_transient);
    let server_transient_secret = CurveSecretKey::from_bytes(*server_secret);

    let received = nonces.check(short)?;
    let cipher = SalsaBox::new(
        &client_transient.to_box_key(),
        &server_transient_secret.to_box_key(),
    );
    let plaintext = open(
        &cipher,
        &short_nonce(INITIATE_NONCE, short),
        initiate_box,
        "INITIATE",
    )?;
    let (client_key, rest) = plaintext
        .split_first_chunk::<32>()
        .ok_or(malformed.clone())?;
    let client_key = CurvePublicKey::from_bytes(*client_key);
    let (vouch, metadata) = rest
        .split_first_chunk::<VOUCH_LEN>()
        .ok_or(malformed.clone())?;
    let (vouch_nonce, vouch_box) = vouch.split_first_chunk::<16>().ok_or(malformed)?;
    let vouched = open(
        &SalsaBox::new(
            &client_key.to_box_key(),
            &server_transient_secret.to_box_key(),
        ),
        &long_nonce(VOUCH_NONCE, vouch_nonce),
        vouch_box,
        "vouch",
    )?;
    // The vouch must speak for this connection's C' and for us; one lifted from another
    // connection, or made out for another server, does not.
    if vouched[..32] != client_transient.as_bytes()[..]
        || vouched[32..] != context.keys.public.as_bytes()[..]
    {
        return Err(MechanismError::BadBoxContents { what: "vouch" });
    }
    let peer = wire::metadata(metadata, "INITIATE")?;
    nonces.accept(received);
    context.out.event(MechanismEvent::Authenticate(AuthRequest {
        mechanism: MechanismName::CURVE,
        credentials: vec![Bytes::copy_from_slice(client_key.as_bytes())],
    }));
    Ok(ServerState::AwaitVerdict {
        cipher,
        nonces,
        client_key,
        peer,
    })
}

impl Handshake for CurveServer {
    fn handle_command(&mut self, body: &[u8]) -> Result<(), MechanismError> {
        let state = mem::replace(&mut self.state, ServerState::Failed);
        self.state = state.on_command(body, &mut self.context)?;
        Ok(())
    }

    fn handle_verdict(&mut self, verdict: Verdict) -> Result<(), MechanismError> {
        if !matches!(self.state, ServerState::AwaitVerdict { .. }) {
            return Err(MechanismError::NoVerdictPending);
        }
        let state = mem::replace(&mut self.state, ServerState::Failed);
        self.state = state.on_verdict(verdict, &mut self.context)?;
        Ok(())
    }

    fn outputs(&mut self) -> &mut Outputs {
        &mut self.context.out
    }

    fn traffic(&mut self) -> Traffic<'_> {
        match &mut self.state {
            ServerState::Ready(codec) => Traffic::Encrypted(codec),
            ServerState::Failed => Traffic::Failed,
            _ => Traffic::NotReady,
        }
    }

    fn fail(&mut self) {
        self.state = ServerState::Failed;
    }

    fn is_ready(&self) -> bool {
        matches!(self.state, ServerState::Ready(_))
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            ServerState::ExpectHello => "ExpectHello",
            ServerState::ExpectInitiate { .. } => "ExpectInitiate",
            ServerState::AwaitVerdict { .. } => "AwaitVerdict",
            ServerState::Ready(_) => "Ready",
            ServerState::Failed => "Failed",
        }
    }
}
