//! PLAIN (RFC 24): the client presents a username and password in clear; the server's
//! authenticator accepts or refuses them.
//!
//! ```text
//! C:HELLO     [5]"HELLO" username-len username password-len password
//! S:WELCOME   [7]"WELCOME"                         (or S:ERROR)
//! C:INITIATE  [8]"INITIATE" metadata
//! S:READY     [5]"READY" metadata                  (or S:ERROR)
//! ```
//!
//! No confidentiality at all: for networks where an eavesdropper is no concern.

use super::auth::{AuthRequest, Authorized, Verdict};
use super::error::MechanismError;
use super::wire;
use super::{Handshake, MechanismEvent, Outputs, Traffic};
use crate::greeting::MechanismName;
use crate::metadata::Metadata;
use bytes::Bytes;
use std::mem;

/// Longest username or password: the length travels in one octet.
pub(crate) const MAX_CREDENTIAL_LEN: usize = 255;

pub(crate) struct PlainClient {
    state: ClientState,
    metadata: Metadata,
    out: Outputs,
}

enum ClientState {
    ExpectWelcome,
    ExpectReady,
    Ready,
    Failed,
}

impl PlainClient {
    pub(crate) fn new(
        username: &[u8],
        password: &[u8],
        metadata: Metadata,
    ) -> Result<Self, MechanismError> {
        let username_len = credential_len("username", username)?;
        let password_len = credential_len("password", password)?;
        let mut out = Outputs::default();
        out.command(wire::build(
            wire::HELLO,
            &[&[username_len], username, &[password_len], password],
        ));
        Ok(PlainClient {
            state: ClientState::ExpectWelcome,
            metadata,
            out,
        })
    }
}

fn credential_len(field: &'static str, value: &[u8]) -> Result<u8, MechanismError> {
    match u8::try_from(value.len()) {
        Ok(len) if value.len() <= MAX_CREDENTIAL_LEN => Ok(len),
        _ => Err(MechanismError::CredentialTooLong {
            field,
            len: value.len(),
        }),
    }
}

impl ClientState {
    fn on_command(
        self,
        body: &[u8],
        metadata: &Metadata,
        out: &mut Outputs,
    ) -> Result<ClientState, MechanismError> {
        if let ClientState::Failed = self {
            return Err(MechanismError::Failed);
        }
        let (name, data) = wire::split(body)?;
        match (self, name) {
            (ClientState::ExpectWelcome | ClientState::ExpectReady, wire::ERROR) => {
                Err(wire::peer_error(data))
            }
            (ClientState::ExpectWelcome, wire::WELCOME) => {
                if !data.is_empty() {
                    return Err(MechanismError::MalformedCommand { command: "WELCOME" });
                }
                out.command(wire::with_metadata(wire::INITIATE, metadata));
                Ok(ClientState::ExpectReady)
            }
            (ClientState::ExpectWelcome, _) => Err(MechanismError::Unexpected {
                expected: "WELCOME",
            }),
            (ClientState::ExpectReady, wire::READY) => {
                let metadata = wire::metadata(data, "READY")?;
                out.event(MechanismEvent::Ready(
                    Authorized::default().outcome(metadata),
                ));
                Ok(ClientState::Ready)
            }
            _ => Err(MechanismError::Unexpected { expected: "READY" }),
        }
    }
}

impl Handshake for PlainClient {
    fn handle_command(&mut self, body: &[u8]) -> Result<(), MechanismError> {
        let state = mem::replace(&mut self.state, ClientState::Failed);
        self.state = state.on_command(body, &self.metadata, &mut self.out)?;
        Ok(())
    }

    fn handle_verdict(&mut self, _: Verdict) -> Result<(), MechanismError> {
        Err(MechanismError::NoVerdictPending)
    }

    fn outputs(&mut self) -> &mut Outputs {
        &mut self.out
    }

    fn traffic(&mut self) -> Traffic<'_> {
        match self.state {
            ClientState::Ready => Traffic::Clear,
            ClientState::Failed => Traffic::Failed,
            _ => Traffic::NotReady,
        }
    }

    fn fail(&mut self) {
        self.state = ClientState::Failed;
    }

    fn is_ready(&self) -> bool {
        matches!(self.state, ClientState::Ready)
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            ClientState::ExpectWelcome => "ExpectWelcome",
            ClientState::ExpectReady => "ExpectReady",
            ClientState::Ready => "Ready",
            ClientState::Failed => "Failed",
        }
    }
}

pub(crate) struct PlainServer {
    state: ServerState,
    metadata: Metadata,
    out: Outputs,
}

enum ServerState {
    ExpectHello,
    /// The credentials are with the authenticator; a well-behaved client sends nothing now.
    AwaitVerdict,
    ExpectInitiate {
        auth: Authorized,
    },
    Ready,
    Failed,
}

impl PlainServer {
    pub(crate) fn new(metadata: Metadata) -> Self {
        PlainServer {
            state: ServerState::ExpectHello,
            metadata,
            out: Outputs::default(),
        }
    }
}

/// Reads HELLO's data: two length-prefixed strings and nothing after them.
fn parse_hello(data: &[u8]) -> Result<(Bytes, Bytes), MechanismError> {
    let malformed = || MechanismError::MalformedCommand { command: "HELLO" };
    let (username, rest) = length_prefixed(data).ok_or_else(malformed)?;
    let (password, rest) = length_prefixed(rest).ok_or_else(malformed)?;
    if !rest.is_empty() {
        return Err(malformed());
    }
    Ok((
        Bytes::copy_from_slice(username),
        Bytes::copy_from_slice(password),
    ))
}

fn length_prefixed(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = data.split_first()?;
    let len = usize::from(len);
    (rest.len() >= len).then(|| rest.split_at(len))
}

impl ServerState {
    fn on_command(
        self,
        body: &[u8],
        metadata: &Metadata,
        out: &mut Outputs,
    ) -> Result<ServerState, MechanismError> {
        if let ServerState::Failed = self {
            return Err(MechanismError::Failed);
        }
        let (name, data) = wire::split(body)?;
        match (self, name) {
            (ServerState::ExpectHello, wire::HELLO) => {
                let (username, password) = parse_hello(data)?;
                out.event(MechanismEvent::Authenticate(AuthRequest {
                    mechanism: MechanismName::PLAIN,
                    credentials: vec![username, password],
                }));
                Ok(ServerState::AwaitVerdict)
            }
            (ServerState::ExpectHello, wire::ERROR)
            | (ServerState::ExpectInitiate { .. }, wire::ERROR) => Err(wire::peer_error(data)),
            (ServerState::ExpectHello, _) => Err(MechanismError::Unexpected { expected: "HELLO" }),
            (ServerState::AwaitVerdict, _) => Err(MechanismError::Unexpected {
                expected: "nothing before WELCOME",
            }),
            (ServerState::ExpectInitiate { auth }, wire::INITIATE) => {
                let peer = wire::metadata(data, "INITIATE")?;
                out.command(wire::with_metadata(wire::READY, metadata));
                out.event(MechanismEvent::Ready(auth.outcome(peer)));
                Ok(ServerState::Ready)
            }
            _ => Err(MechanismError::Unexpected {
                expected: "INITIATE",
            }),
        }
    }

    fn on_verdict(
        self,
        verdict: Verdict,
        out: &mut Outputs,
    ) -> Result<ServerState, MechanismError> {
        if !matches!(self, ServerState::AwaitVerdict) {
            return Err(MechanismError::NoVerdictPending);
        }
        if !verdict.is_allowed() {
            if let Some(error) = wire::refusal(verdict.status_code) {
                out.command(error);
            }
            return Err(MechanismError::Refused {
                status_code: verdict.status_code,
                status_text: verdict.status_text,
            });
        }
        out.command(wire::build(wire::WELCOME, &[]));
        Ok(ServerState::ExpectInitiate {
            auth: Authorized::from_verdict(verdict),
        })
    }
}

impl Handshake for PlainServer {
    fn handle_command(&mut self, body: &[u8]) -> Result<(), MechanismError> {
        let state = mem::replace(&mut self.state, ServerState::Failed);
        self.state = state.on_command(body, &self.metadata, &mut self.out)?;
        Ok(())
    }

    fn handle_verdict(&mut self, verdict: Verdict) -> Result<(), MechanismError> {
        if !matches!(self.state, ServerState::AwaitVerdict) {
            return Err(MechanismError::NoVerdictPending);
        }
        let state = mem::replace(&mut self.state, ServerState::Failed);
        self.state = state.on_verdict(verdict, &mut self.out)?;
        Ok(())
    }

    fn outputs(&mut self) -> &mut Outputs {
        &mut self.out
    }

    fn traffic(&mut self) -> Traffic<'_> {
        match self.state {
            ServerState::Ready => Traffic::Clear,
            ServerState::Failed => Traffic::Failed,
            _ => Traffic::NotReady,
        }
    }

    fn fail(&mut self) {
        self.state = ServerState::Failed;
    }

    fn is_ready(&self) -> bool {
        matches!(self.state, ServerState::Ready)
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            ServerState::ExpectHello => "ExpectHello",
            ServerState::AwaitVerdict => "AwaitVerdict",
            ServerState::ExpectInitiate { .. } => "ExpectInitiate",
            ServerState::Ready => "Ready",
            ServerState::Failed => "Failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_has_the_rfc_layout() {
        let mut client = PlainClient::new(b"admin", b"secret", Metadata::new()).unwrap();
        let hello = client.outputs().commands.pop_front().unwrap();
        assert_eq!(hello, b"\x05HELLO\x05admin\x06secret".to_vec());
        assert_eq!(
            parse_hello(&hello[6..]).unwrap(),
            (Bytes::from_static(b"admin"), Bytes::from_static(b"secret"))
        );
    }

    #[test]
    fn empty_and_longest_credentials_are_allowed() {
        assert!(PlainClient::new(b"", b"", Metadata::new()).is_ok());
        let longest = [b'x'; MAX_CREDENTIAL_LEN];
        assert!(PlainClient::new(&longest, &longest, Metadata::new()).is_ok());
    }

    #[test]
    fn credentials_over_255_octets_are_refused() {
        let long = [b'x'; MAX_CREDENTIAL_LEN + 1];
        assert!(matches!(
            PlainClient::new(&long, b"", Metadata::new()),
            Err(MechanismError::CredentialTooLong {
                field: "username",
                len: 256
            })
        ));
        assert!(matches!(
            PlainClient::new(b"", &long, Metadata::new()),
            Err(MechanismError::CredentialTooLong {
                field: "password",
                ..
            })
        ));
    }

    #[test]
    fn hello_with_missing_or_extra_bytes_is_malformed() {
        for bad in [
            &b""[..],
            b"\x05adm",
            b"\x05admin",
            b"\x05admin\x06secre",
            b"\x05admin\x06secretX",
        ] {
            assert!(parse_hello(bad).is_err(), "{bad:?}");
        }
    }
}
