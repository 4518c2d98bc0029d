//! The CURVE client: HELLO, then INITIATE once WELCOME proves the server holds S.

use super::{
    long_nonce, open, seal, short_nonce, Codec, ShortNonces, HELLO_NONCE, HELLO_PADDING,
    HELLO_SIGNATURE, INITIATE_NONCE, READY_NONCE, TAG_LEN, VERSION, VOUCH_LEN, VOUCH_NONCE,
    WELCOME_DATA_LEN, WELCOME_NONCE,
};
use crate::curve_keys::{CurveKeyPair, CurvePublicKey};
use crate::entropy::Entropy;
use crate::mechanism::auth::HandshakeOutcome;
use crate::mechanism::error::MechanismError;
use crate::mechanism::{wire, Handshake, MechanismEvent, Outputs, Traffic, Verdict};
use crate::metadata::Metadata;
use crypto_box::SalsaBox;
use std::mem;
use zeroize::Zeroizing;

pub(crate) struct CurveClient {
    state: ClientState,
    context: ClientContext,
}

/// What the client knows for the whole handshake.
struct ClientContext {
    /// S: the only server we talk to.
    server_key: CurvePublicKey,
    /// C and c.
    keys: CurveKeyPair,
    metadata: Metadata,
    entropy: Box<dyn Entropy + Send>,
    out: Outputs,
}

enum ClientState {
    /// HELLO is sent; C' and c' wait for WELCOME.
    ExpectWelcome {
        transient: CurveKeyPair,
        nonces: ShortNonces,
    },
    /// INITIATE is sent; the cipher joins c' and S'.
    ExpectReady {
        cipher: SalsaBox,
        nonces: ShortNonces,
    },
    Ready(Codec),
    Failed,
}

impl CurveClient {
    pub(crate) fn new(
        server_key: CurvePublicKey,
        keys: CurveKeyPair,
        metadata: Metadata,
        mut entropy: Box<dyn Entropy + Send>,
    ) -> Result<Self, MechanismError> {
        let transient = CurveKeyPair::generate_with(&mut *entropy)?;
        let mut nonces = ShortNonces::new();
        let short = nonces.take()?;
        let cipher = SalsaBox::new(&server_key.to_box_key(), &transient.secret.to_box_key());
        let signature = seal(&cipher, &short_nonce(HELLO_NONCE, &short), &HELLO_SIGNATURE)?;
        let mut out = Outputs::default();
        out.command(wire::build(
            wire::HELLO,
            &[
                &VERSION,
                &[0; HELLO_PADDING],
                transient.public.as_bytes(),
                &short,
                &signature,
            ],
        ));
        Ok(CurveClient {
            state: ClientState::ExpectWelcome { transient, nonces },
            context: ClientContext {
                server_key,
                keys,
                metadata,
                entropy,
                out,
            },
        })
    }
}

impl ClientState {
    fn on_command(
        self,
        body: &[u8],
        context: &mut ClientContext,
    ) -> Result<ClientState, MechanismError> {
        if let ClientState::Failed = self {
            return Err(MechanismError::Failed);
        }
        let (name, data) = wire::split(body)?;
        match (self, name) {
            (ClientState::ExpectWelcome { .. } | ClientState::ExpectReady { .. }, wire::ERROR) => {
                Err(wire::peer_error(data))
            }
            (ClientState::ExpectWelcome { transient, nonces }, wire::WELCOME) => {
                on_welcome(data, transient, nonces, context)
            }
            (ClientState::ExpectWelcome { .. }, _) => Err(MechanismError::Unexpected {
                expected: "WELCOME",
            }),
            (ClientState::ExpectReady { cipher, nonces }, wire::READY) => {
                on_ready(data, cipher, nonces, context)
            }
            _ => Err(MechanismError::Unexpected { expected: "READY" }),
        }
    }
}

/// Opens WELCOME to learn S' and the cookie, and answers with INITIATE.
fn on_welcome(
    data: &[u8],
    transient: CurveKeyPair,
    mut nonces: ShortNonces,
    context: &mut ClientContext,
) -> Result<ClientState, MechanismError> {
    let malformed = MechanismError::MalformedCommand { command: "WELCOME" };
    if data.len() != WELCOME_DATA_LEN {
        return Err(malformed);
    }
    let (welcome_nonce, welcome_box) = data.split_first_chunk::<16>().ok_or(malformed.clone())?;
    let hello_cipher = SalsaBox::new(
        &context.server_key.to_box_key(),
        &transient.secret.to_box_key(),
    );
    let welcome = open(
        &hello_cipher,
        &long_nonce(WELCOME_NONCE, welcome_nonce),
        welcome_box,
        "WELCOME",
    )?;
    let (server_transient, cookie) = welcome.split_first_chunk::<32>().ok_or(malformed)?;
    let server_transient = CurvePublicKey::from_bytes(*server_transient).to_box_key();

    // The vouch: Box[C' | S](C->S'), proving that the holder of C stands behind C'.
    let mut vouch_nonce = [0u8; 16];
    context.entropy.fill(&mut vouch_nonce)?;
    let vouch_cipher = SalsaBox::new(&server_transient, &context.keys.secret.to_box_key());
    let mut vouched = [0u8; 64];
    vouched[..32].copy_from_slice(transient.public.as_bytes());
    vouched[32..].copy_from_slice(context.server_key.as_bytes());
    let vouch_box = seal(
        &vouch_cipher,
        &long_nonce(VOUCH_NONCE, &vouch_nonce),
        &vouched,
    )?;

    let mut plaintext = Zeroizing::new(Vec::with_capacity(32 + VOUCH_LEN + 64));
    plaintext.extend_from_slice(context.keys.public.as_bytes());
    plaintext.extend_from_slice(&vouch_nonce);
    plaintext.extend_from_slice(&vouch_box);
    context.metadata.encode(&mut plaintext);
    let cipher = SalsaBox::new(&server_transient, &transient.secret.to_box_key());
    let short = nonces.take()?;
    let initiate_box = seal(&cipher, &short_nonce(INITIATE_NONCE, &short), &plaintext)?;
    context.out.command(wire::build(
        wire::INITIATE,
        &[cookie, &short, &initiate_box],
    ));
    Ok(ClientState::ExpectReady { cipher, nonces })
}

/// Opens READY: the server accepted us, and its metadata completes the handshake.
fn on_ready(
    data: &[u8],
    cipher: SalsaBox,
    mut nonces: ShortNonces,
    context: &mut ClientContext,
) -> Result<ClientState, MechanismError> {
    let malformed = MechanismError::MalformedCommand { command: "READY" };
    let (short, ready_box) = data.split_first_chunk::<8>().ok_or(malformed.clone())?;
    if ready_box.len() < TAG_LEN {
        return Err(malformed);
    }
    let received = nonces.check(short)?;
    let metadata = open(
        &cipher,
        &short_nonce(READY_NONCE, short),
        ready_box,
        "READY",
    )?;
    nonces.accept(received);
    let metadata = wire::metadata(&metadata, "READY")?;
    context.out.event(MechanismEvent::Ready(HandshakeOutcome {
        metadata,
        peer_key: Some(context.server_key),
        ..HandshakeOutcome::default()
    }));
    Ok(ClientState::Ready(Codec::client(cipher, nonces)))
}

impl Handshake for CurveClient {
    fn handle_command(&mut self, body: &[u8]) -> Result<(), MechanismError> {
        let state = mem::replace(&mut self.state, ClientState::Failed);
        self.state = state.on_command(body, &mut self.context)?;
        Ok(())
    }

    fn handle_verdict(&mut self, _: Verdict) -> Result<(), MechanismError> {
        Err(MechanismError::NoVerdictPending)
    }

    fn outputs(&mut self) -> &mut Outputs {
        &mut self.context.out
    }

    fn traffic(&mut self) -> Traffic<'_> {
        match &mut self.state {
            ClientState::Ready(codec) => Traffic::Encrypted(codec),
            ClientState::Failed => Traffic::Failed,
            _ => Traffic::NotReady,
        }
    }

    fn fail(&mut self) {
        self.state = ClientState::Failed;
    }

    fn is_ready(&self) -> bool {
        matches!(self.state, ClientState::Ready(_))
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            ClientState::ExpectWelcome { .. } => "ExpectWelcome",
            ClientState::ExpectReady { .. } => "ExpectReady",
            ClientState::Ready(_) => "Ready",
            ClientState::Failed => "Failed",
        }
    }
}
