//! NULL (RFC 23/37): each side sends READY with its metadata; nobody proves anything.
//!
//! ```text
//! C:READY  S:READY          (in either order; neither waits for the other)
//! ```
//!
//! With authentication (a server that puts even unauthenticated peers to its ZAP handler),
//! the verdict is asked for at once and our READY waits for it; the peer's READY may arrive
//! before or after.

use super::auth::{AuthRequest, Authorized, Verdict};
use super::error::MechanismError;
use super::wire;
use super::{Handshake, MechanismEvent, Outputs, Traffic};
use crate::greeting::MechanismName;
use crate::metadata::Metadata;
use std::mem;

pub(crate) struct Null {
    state: State,
    metadata: Metadata,
    out: Outputs,
    /// Every peer is put to the authenticator (a ZAP domain is set).
    authenticates: bool,
}

enum State {
    /// Our READY waits for the authenticator; the peer's READY may already be here.
    AwaitVerdict {
        peer: Option<Metadata>,
    },
    ExpectReady {
        auth: Authorized,
    },
    Ready,
    Failed,
}

impl Null {
    pub(crate) fn new(metadata: Metadata, authenticate: bool) -> Self {
        let mut out = Outputs::default();
        let state = if authenticate {
            out.event(MechanismEvent::Authenticate(AuthRequest {
                mechanism: MechanismName::NULL,
                credentials: Vec::new(),
            }));
            State::AwaitVerdict { peer: None }
        } else {
            out.command(wire::with_metadata(wire::READY, &metadata));
            State::ExpectReady {
                auth: Authorized::default(),
            }
        };
        Null {
            state,
            metadata,
            out,
            authenticates: authenticate,
        }
    }
}

impl Null {
    /// Whether every peer is put to the authenticator.
    pub(crate) fn authenticates(&self) -> bool {
        self.authenticates
    }
}

impl State {
    fn on_command(self, body: &[u8], out: &mut Outputs) -> Result<State, MechanismError> {
        if let State::Failed = self {
            return Err(MechanismError::Failed);
        }
        let (name, data) = wire::split(body)?;
        match (self, name) {
            (State::AwaitVerdict { peer: None }, wire::READY) => Ok(State::AwaitVerdict {
                peer: Some(wire::metadata(data, "READY")?),
            }),
            (State::ExpectReady { auth }, wire::READY) => {
                let metadata = wire::metadata(data, "READY")?;
                out.event(MechanismEvent::Ready(auth.outcome(metadata)));
                Ok(State::Ready)
            }
            (State::AwaitVerdict { .. } | State::ExpectReady { .. }, wire::ERROR) => {
                Err(wire::peer_error(data))
            }
            _ => Err(MechanismError::Unexpected { expected: "READY" }),
        }
    }

    fn on_verdict(
        self,
        verdict: Verdict,
        metadata: &Metadata,
        out: &mut Outputs,
    ) -> Result<State, MechanismError> {
        let State::AwaitVerdict { peer } = self else {
            return Err(MechanismError::NoVerdictPending);
        };
        if !verdict.is_allowed() {
            if let Some(error) = wire::refusal(verdict.status_code) {
                out.command(error);
            }
            return Err(MechanismError::Refused {
                status_code: verdict.status_code,
                status_text: verdict.status_text,
            });
        }
        out.command(wire::with_metadata(wire::READY, metadata));
        let auth = Authorized::from_verdict(verdict);
        Ok(match peer {
            Some(peer) => {
                out.event(MechanismEvent::Ready(auth.outcome(peer)));
                State::Ready
            }
            None => State::ExpectReady { auth },
        })
    }
}

impl Handshake for Null {
    fn handle_command(&mut self, body: &[u8]) -> Result<(), MechanismError> {
        let state = mem::replace(&mut self.state, State::Failed);
        self.state = state.on_command(body, &mut self.out)?;
        Ok(())
    }

    fn handle_verdict(&mut self, verdict: Verdict) -> Result<(), MechanismError> {
        if !matches!(self.state, State::AwaitVerdict { .. }) {
            return Err(MechanismError::NoVerdictPending);
        }
        let state = mem::replace(&mut self.state, State::Failed);
        self.state = state.on_verdict(verdict, &self.metadata, &mut self.out)?;
        Ok(())
    }

    fn outputs(&mut self) -> &mut Outputs {
        &mut self.out
    }

    fn traffic(&mut self) -> Traffic<'_> {
        match self.state {
            State::Ready => Traffic::Clear,
            State::Failed => Traffic::Failed,
            _ => Traffic::NotReady,
        }
    }

    fn fail(&mut self) {
        self.state = State::Failed;
    }

    fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready)
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            State::AwaitVerdict { .. } => "AwaitVerdict",
            State::ExpectReady { .. } => "ExpectReady",
            State::Ready => "Ready",
            State::Failed => "Failed",
        }
    }
}
