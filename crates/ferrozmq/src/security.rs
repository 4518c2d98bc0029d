//! Security options (PLAIN, CURVE, ZAP) as a socket holds them, and the mechanism each new
//! connection gets from them.
//!
//! Like libzmq, the options describe one role: setting `PLAIN_USERNAME` makes the socket a
//! PLAIN client, `PLAIN_SERVER` a PLAIN server, `CURVE_SERVERKEY` a CURVE client,
//! `CURVE_SERVER` a CURVE server; the last of these wins. Connections take the role from the
//! options as they were at `bind` or `connect`, which also checks that the role has what it
//! needs (a CURVE client without its server's key fails there, not during a handshake).
//! inproc connections have no handshake and ignore all of this, as in libzmq.

use crate::error::{Error, Result};
use bytes::Bytes;
use zmtp::curve_keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
use zmtp::entropy::OsEntropy;
use zmtp::{Mechanism, MechanismError, Metadata};

/// Which mechanism the options last chose (libzmq's `options.mechanism`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Choice {
    #[default]
    Null,
    Plain,
    Curve,
}

/// The security options of a socket, with libzmq's defaults.
#[derive(Clone, Debug, Default)]
pub(crate) struct Security {
    pub(crate) choice: Choice,
    /// PLAIN_SERVER or CURVE_SERVER was set (for the mechanism chosen).
    pub(crate) as_server: bool,
    pub(crate) plain_username: Bytes,
    pub(crate) plain_password: Bytes,
    pub(crate) curve_public: Option<CurvePublicKey>,
    pub(crate) curve_secret: Option<CurveSecretKey>,
    pub(crate) curve_server_key: Option<CurvePublicKey>,
    /// ZAP_DOMAIN: empty leaves NULL connections unauthenticated.
    pub(crate) zap_domain: String,
    /// ZAP_ENFORCE_DOMAIN: refuse connections that would need a missing ZAP handler.
    pub(crate) zap_enforce_domain: bool,
}

/// What a new connection runs, decided from the options.
#[derive(Clone, Debug)]
enum Role {
    Null {
        authenticate: bool,
    },
    PlainClient,
    PlainServer,
    CurveClient {
        server_key: CurvePublicKey,
        keys: CurveKeyPair,
    },
    CurveServer {
        keys: CurveKeyPair,
    },
}

impl Security {
    /// Checks that the chosen role has what it needs; `bind` and `connect` call it so that a
    /// misconfigured socket fails there, with a reason, rather than in every handshake.
    pub(crate) fn validate(&self) -> Result<()> {
        self.role().map(|_| ())
    }

    fn role(&self) -> Result<Role> {
        Ok(match (self.choice, self.as_server) {
            (Choice::Null, _) => Role::Null {
                authenticate: !self.zap_domain.is_empty(),
            },
            (Choice::Plain, true) => Role::PlainServer,
            (Choice::Plain, false) => Role::PlainClient,
            (Choice::Curve, true) => Role::CurveServer {
                keys: self.own_keys()?,
            },
            (Choice::Curve, false) => Role::CurveClient {
                server_key: self.curve_server_key.ok_or(Error::InvalidArgument(
                    "a CURVE client needs CURVE_SERVERKEY",
                ))?,
                keys: self.own_keys()?,
            },
        })
    }

    /// The long-term key pair: the secret key, and the public key that follows from it
    /// (which CURVE_PUBLICKEY, when set, must be).
    fn own_keys(&self) -> Result<CurveKeyPair> {
        let secret = self
            .curve_secret
            .clone()
            .ok_or(Error::InvalidArgument("CURVE needs CURVE_SECRETKEY"))?;
        let keys = CurveKeyPair::from_secret(secret);
        match self.curve_public {
            Some(public) if public != keys.public => Err(Error::InvalidArgument(
                "CURVE_PUBLICKEY is not the public key of CURVE_SECRETKEY",
            )),
            _ => Ok(keys),
        }
    }

    /// The mechanism for a new tcp or ipc connection announcing `metadata`. Fails only when
    /// the options are incomplete (checked at bind and connect already) or the system has no
    /// randomness for CURVE's keys.
    pub(crate) fn mechanism(&self, metadata: Metadata) -> Result<Mechanism> {
        let mechanism_error = |e: MechanismError| Error::Io(std::io::Error::other(e));
        Ok(match self.role()? {
            Role::Null {
                authenticate: false,
            } => Mechanism::null(metadata),
            Role::Null { authenticate: true } => Mechanism::null_authenticated(metadata),
            Role::PlainServer => Mechanism::plain_server(metadata),
            Role::PlainClient => {
                Mechanism::plain_client(&self.plain_username, &self.plain_password, metadata)
                    .map_err(mechanism_error)?
            }
            Role::CurveServer { keys } => {
                Mechanism::curve_server(keys, metadata, Box::new(OsEntropy))
            }
            Role::CurveClient { server_key, keys } => {
                Mechanism::curve_client(server_key, keys, metadata, Box::new(OsEntropy))
                    .map_err(mechanism_error)?
            }
        })
    }
}

/// Reads a CURVE key given as libzmq takes it: 32 octets, or their 40-character Z85 text.
pub(crate) fn key_bytes(key: &[u8]) -> Result<[u8; 32]> {
    if let Ok(raw) = <[u8; 32]>::try_from(key) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(key)
        .map_err(|_| Error::InvalidArgument("a CURVE key is 32 bytes or 40 Z85 characters"))?;
    if text.len() != 40 {
        return Err(Error::InvalidArgument(
            "a CURVE key is 32 bytes or 40 Z85 characters",
        ));
    }
    zmtp::z85::decode_key(text)
        .map_err(|_| Error::InvalidArgument("a CURVE key in Z85 has an invalid character"))
}

/// A new CURVE key pair from the operating system's generator, like `zmq_curve_keypair`.
/// Each half gives its 32 bytes (`as_bytes`) and its 40 characters of Z85 (`to_z85`); the
/// public key follows from the secret one ([`CurveSecretKey::public_key`]).
///
/// ```
/// use ferrozmq::CurveSecretKey;
/// let keys = ferrozmq::curve_keypair().unwrap();
/// let secret = keys.secret.to_z85();
/// assert_eq!((keys.public.to_z85().len(), secret.len()), (40, 40));
/// let parsed = CurveSecretKey::from_z85(&secret).unwrap();
/// assert_eq!(parsed.public_key(), keys.public);
/// ```
pub fn curve_keypair() -> Result<CurveKeyPair> {
    CurveKeyPair::generate().map_err(|e| Error::Io(std::io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_role_chosen_wins_and_keys_are_checked() {
        let mut security = Security::default();
        assert!(matches!(
            security.role().unwrap(),
            Role::Null {
                authenticate: false
            }
        ));
        security.zap_domain = "global".into();
        assert!(matches!(
            security.role().unwrap(),
            Role::Null { authenticate: true }
        ));
        security.choice = Choice::Curve;
        assert!(matches!(
            security.validate(),
            Err(Error::InvalidArgument(_))
        ));
        let keys = CurveKeyPair::generate().unwrap();
        security.curve_secret = Some(keys.secret.clone());
        assert!(matches!(
            security.validate(),
            Err(Error::InvalidArgument(
                "a CURVE client needs CURVE_SERVERKEY"
            ))
        ));
        security.as_server = true;
        assert!(security.validate().is_ok());
        security.curve_public = Some(CurveKeyPair::generate().unwrap().public);
        assert!(security.validate().is_err());
    }

    #[test]
    fn keys_are_read_in_binary_or_z85() {
        let raw = [7u8; 32];
        assert_eq!(key_bytes(&raw).unwrap(), raw);
        let text = zmtp::z85::encode_key(&raw);
        assert_eq!(key_bytes(text.as_bytes()).unwrap(), raw);
        assert!(key_bytes(&[0u8; 31]).is_err());
        assert!(key_bytes(&[b'"'; 40]).is_err());
    }
}
