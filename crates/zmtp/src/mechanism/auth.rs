//! The hand-off between a server mechanism and its authenticator (a ZAP handler, RFC 27).
//!
//! A server mechanism never decides on its own whether a client may in: it emits
//! [`MechanismEvent::Authenticate`](super::MechanismEvent::Authenticate) with what the client
//! presented, and waits until [`Mechanism::handle_verdict`](super::Mechanism::handle_verdict)
//! brings the answer, however long that takes. The session adds what only it knows (domain,
//! peer address, routing id, request id) to build the ZAP request.

use crate::curve_keys::CurvePublicKey;
use crate::greeting::MechanismName;
use crate::metadata::Metadata;
use bytes::Bytes;

/// What the client presented, for the authenticator to judge.
///
/// ```
/// use ferrozmq_zmtp::greeting::MechanismName;
/// use ferrozmq_zmtp::mechanism::AuthRequest;
///
/// fn zap_credentials(request: &AuthRequest) -> (&[u8], usize) {
///     (request.mechanism.as_bytes(), request.credentials.len())
/// }
/// let request = AuthRequest {
///     mechanism: MechanismName::PLAIN,
///     credentials: vec!["admin".into(), "secret".into()],
/// };
/// assert_eq!(zap_credentials(&request), (&b"PLAIN"[..], 2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    /// The mechanism: the ZAP request's mechanism frame.
    pub mechanism: MechanismName,
    /// The ZAP request's credential frames. NULL: none; PLAIN: username, then password;
    /// CURVE: the client's 32-octet long-term public key.
    pub credentials: Vec<Bytes>,
}

/// The authenticator's answer (a ZAP reply's status, user id and metadata).
///
/// ```
/// use ferrozmq_zmtp::mechanism::Verdict;
///
/// assert!(Verdict::allow("joe").is_allowed());
/// assert!(!Verdict::deny(400, "unknown key").is_allowed());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// 200 lets the client in; 300 (temporary failure), 400 (refused) and 500 (internal error)
    /// keep it out.
    pub status_code: u16,
    /// Explanation, for logs.
    pub status_text: String,
    /// The user the client authenticated as (200 only).
    pub user_id: Bytes,
    /// Properties the authenticator attaches to the connection (200 only). They are not sent
    /// to the peer; the session attaches them to received messages.
    pub metadata: Metadata,
}

impl Verdict {
    /// The status code that lets a client in.
    pub const SUCCESS: u16 = 200;

    /// The status code of a temporary failure: the client is not told (no ERROR), only
    /// disconnected, and may try again when it reconnects.
    pub const TEMPORARY_FAILURE: u16 = 300;

    /// Lets the client in as `user_id`.
    pub fn allow(user_id: impl Into<Bytes>) -> Self {
        Verdict {
            status_code: Self::SUCCESS,
            status_text: "OK".to_string(),
            user_id: user_id.into(),
            metadata: Metadata::new(),
        }
    }

    /// Keeps the client out.
    pub fn deny(status_code: u16, status_text: impl Into<String>) -> Self {
        Verdict {
            status_code,
            status_text: status_text.into(),
            user_id: Bytes::new(),
            metadata: Metadata::new(),
        }
    }

    /// True for status 200.
    pub fn is_allowed(&self) -> bool {
        self.status_code == Self::SUCCESS
    }
}

/// What a completed handshake established about the peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandshakeOutcome {
    /// The peer's properties (from its READY, or its INITIATE for PLAIN and CURVE clients):
    /// `Socket-Type`, `Identity`, ...
    pub metadata: Metadata,
    /// Server side: the user id the authenticator gave (empty without authentication).
    pub user_id: Bytes,
    /// Server side: the properties the authenticator attached.
    pub auth_metadata: Metadata,
    /// CURVE: the peer's long-term public key (the client's, as authenticated, on a server;
    /// the server's on a client).
    pub peer_key: Option<CurvePublicKey>,
}

/// What a server learnt from an accepting verdict, carried until the handshake completes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Authorized {
    pub(crate) user_id: Bytes,
    pub(crate) metadata: Metadata,
}

impl Authorized {
    pub(crate) fn from_verdict(verdict: Verdict) -> Self {
        Authorized {
            user_id: verdict.user_id,
            metadata: verdict.metadata,
        }
    }

    pub(crate) fn outcome(self, metadata: Metadata) -> HandshakeOutcome {
        HandshakeOutcome {
            metadata,
            user_id: self.user_id,
            auth_metadata: self.metadata,
            peer_key: None,
        }
    }
}
