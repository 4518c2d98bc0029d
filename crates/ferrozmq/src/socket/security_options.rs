//! Security options: which mechanism (NULL, PLAIN, CURVE) tcp and ipc connections run, with
//! which credentials, and how a server asks its ZAP handler about clients. Like libzmq's,
//! they take effect for binds and connects made after they are set; see
//! [`Authenticator`](crate::Authenticator) for a ready-made ZAP handler.
//!
//! ```
//! use ferrozmq::{Context, REP, REQ};
//! let ctx = Context::new();
//! let server_keys = ferrozmq::curve_keypair().unwrap();
//! let server = ctx.socket(REP).unwrap();
//! server.options().set_curve_server(true).unwrap();
//! server.options().set_curve_secretkey(&server_keys.secret).unwrap();
//! let endpoint = server.bind("tcp://127.0.0.1:*").unwrap();
//!
//! let client_keys = ferrozmq::curve_keypair().unwrap();
//! let client = ctx.socket(REQ).unwrap();
//! client.options().set_curve_serverkey(&server_keys.public).unwrap();
//! client.options().set_curve_publickey(&client_keys.public).unwrap();
//! client.options().set_curve_secretkey(&client_keys.secret).unwrap();
//! client.connect(&endpoint).unwrap();
//!
//! client.send("sealed").unwrap();
//! assert_eq!(server.recv().unwrap(), "sealed");
//! ```

use super::options::SocketOptions;
use crate::error::{Error, Result};
use crate::security::{key_bytes, Choice};
use bytes::Bytes;
use zmtp::curve_keys::{CurvePublicKey, CurveSecretKey};

/// Longest PLAIN username or password, and ZAP domain: lengths travel in one octet.
const MAX_SHORT_STRING: usize = 255;

fn short_string(value: &str, what: &'static str) -> Result<Bytes> {
    if value.len() > MAX_SHORT_STRING {
        return Err(Error::InvalidArgument(what));
    }
    Ok(Bytes::copy_from_slice(value.as_bytes()))
}

/// The security mechanism a socket's connections run (`ZMQ_MECHANISM`), as its options
/// last chose it.
///
/// ```
/// use ferrozmq::{Context, Mechanism, REQ};
/// let req = Context::new().socket(REQ).unwrap();
/// assert_eq!(req.options().mechanism(), Mechanism::Null);
/// req.options().set_plain_username(Some("admin")).unwrap();
/// assert_eq!(req.options().mechanism(), Mechanism::Plain);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// No security (RFC 23's NULL), the default.
    Null,
    /// A username and password, in clear (RFC 24).
    Plain,
    /// Encryption and authentication with long-term keys (RFC 26).
    Curve,
}

impl SocketOptions<'_> {
    /// The security mechanism connections made from now on run (`ZMQ_MECHANISM`,
    /// read-only: the options below choose it).
    pub fn mechanism(&self) -> Mechanism {
        match self.core().options.security.choice {
            Choice::Null => Mechanism::Null,
            Choice::Plain => Mechanism::Plain,
            Choice::Curve => Mechanism::Curve,
        }
    }

    /// Act as a PLAIN server: clients must present a username and password, which the ZAP
    /// handler judges (`ZMQ_PLAIN_SERVER`). Without a handler (see
    /// [`Authenticator`](crate::Authenticator)) every PLAIN client is refused, as libzmq
    /// refuses them. `false` returns the socket to NULL.
    pub fn set_plain_server(&self, on: bool) -> Result<()> {
        let security = &mut self.core().options.security;
        security.as_server = on;
        security.choice = if on { Choice::Plain } else { Choice::Null };
        Ok(())
    }

    /// See [`set_plain_server`](Self::set_plain_server).
    pub fn plain_server(&self) -> bool {
        let security = &self.core().options.security;
        security.choice == Choice::Plain && security.as_server
    }

    /// Act as a PLAIN client with this username, at most 255 bytes (`ZMQ_PLAIN_USERNAME`);
    /// `None` returns the socket to NULL.
    pub fn set_plain_username(&self, username: Option<&str>) -> Result<()> {
        self.set_plain_credential(username, true)
    }

    /// See [`set_plain_username`](Self::set_plain_username); empty when none was set.
    pub fn plain_username(&self) -> String {
        let name = &self.core().options.security.plain_username;
        String::from_utf8_lossy(name).into_owned()
    }

    /// Act as a PLAIN client with this password, at most 255 bytes (`ZMQ_PLAIN_PASSWORD`);
    /// `None` returns the socket to NULL.
    pub fn set_plain_password(&self, password: Option<&str>) -> Result<()> {
        self.set_plain_credential(password, false)
    }

    /// See [`set_plain_password`](Self::set_plain_password); empty when none was set.
    pub fn plain_password(&self) -> String {
        let password = &self.core().options.security.plain_password;
        String::from_utf8_lossy(password).into_owned()
    }

    fn set_plain_credential(&self, value: Option<&str>, username: bool) -> Result<()> {
        let value = value
            .map(|v| short_string(v, "PLAIN credentials are at most 255 bytes"))
            .transpose()?;
        let security = &mut self.core().options.security;
        let Some(value) = value else {
            security.choice = Choice::Null;
            return Ok(());
        };
        if username {
            security.plain_username = value;
        } else {
            security.plain_password = value;
        }
        security.as_server = false;
        security.choice = Choice::Plain;
        Ok(())
    }

    /// Act as a CURVE server (`ZMQ_CURVE_SERVER`): traffic is encrypted, and clients must
    /// know this socket's public key. Needs [`set_curve_secretkey`](Self::set_curve_secretkey).
    /// Clients are put to the ZAP handler if one is bound; without one every client that
    /// knows the key gets in, unless [`set_zap_enforce_domain`](Self::set_zap_enforce_domain)
    /// and a ZAP domain say otherwise (libzmq's rules). `false` returns the socket to NULL.
    pub fn set_curve_server(&self, on: bool) -> Result<()> {
        let security = &mut self.core().options.security;
        security.as_server = on;
        security.choice = if on { Choice::Curve } else { Choice::Null };
        Ok(())
    }

    /// See [`set_curve_server`](Self::set_curve_server).
    pub fn curve_server(&self) -> bool {
        let security = &self.core().options.security;
        security.choice == Choice::Curve && security.as_server
    }

    /// This socket's long-term CURVE public key: a [`CurvePublicKey`], its 32 bytes, or its
    /// 40 characters of Z85 (`ZMQ_CURVE_PUBLICKEY`). Optional: it follows from the secret
    /// key, and when given must match it.
    pub fn set_curve_publickey(&self, key: impl AsRef<[u8]>) -> Result<()> {
        let key = CurvePublicKey::from_bytes(key_bytes(key.as_ref())?);
        let security = &mut self.core().options.security;
        security.curve_public = Some(key);
        security.choice = Choice::Curve;
        Ok(())
    }

    /// The public key set, or the one that follows from the secret key; `None` when neither
    /// is set (libzmq reads 32 zeros then).
    pub fn curve_publickey(&self) -> Option<CurvePublicKey> {
        let security = &self.core().options.security;
        security.curve_public.or_else(|| {
            security
                .curve_secret
                .as_ref()
                .map(CurveSecretKey::public_key)
        })
    }

    /// This socket's long-term CURVE secret key: a [`CurveSecretKey`], its 32 bytes, or its
    /// 40 characters of Z85 (`ZMQ_CURVE_SECRETKEY`). Needed by CURVE servers and clients
    /// alike.
    pub fn set_curve_secretkey(&self, key: impl AsRef<[u8]>) -> Result<()> {
        let key = CurveSecretKey::from_bytes(key_bytes(key.as_ref())?);
        let security = &mut self.core().options.security;
        security.curve_secret = Some(key);
        security.choice = Choice::Curve;
        Ok(())
    }

    /// See [`set_curve_secretkey`](Self::set_curve_secretkey); `None` when unset.
    pub fn curve_secretkey(&self) -> Option<CurveSecretKey> {
        self.core().options.security.curve_secret.clone()
    }

    /// Act as a CURVE client of the server with this public key: a [`CurvePublicKey`], its
    /// 32 bytes, or its 40 characters of Z85 (`ZMQ_CURVE_SERVERKEY`). Needs
    /// [`set_curve_secretkey`](Self::set_curve_secretkey) too. A server holding another key
    /// never answers the handshake.
    pub fn set_curve_serverkey(&self, key: impl AsRef<[u8]>) -> Result<()> {
        let key = CurvePublicKey::from_bytes(key_bytes(key.as_ref())?);
        let security = &mut self.core().options.security;
        security.curve_server_key = Some(key);
        security.as_server = false;
        security.choice = Choice::Curve;
        Ok(())
    }

    /// See [`set_curve_serverkey`](Self::set_curve_serverkey); `None` when unset.
    pub fn curve_serverkey(&self) -> Option<CurvePublicKey> {
        self.core().options.security.curve_server_key
    }

    /// The domain this socket's connections are authenticated in, at most 255 bytes
    /// (`ZMQ_ZAP_DOMAIN`, default empty). It goes in every ZAP request; for NULL
    /// connections, setting it is what turns authentication on (the handler may then refuse
    /// peers by address).
    pub fn set_zap_domain(&self, domain: &str) -> Result<()> {
        short_string(domain, "ZAP_DOMAIN is at most 255 bytes")?;
        self.core().options.security.zap_domain = domain.to_string();
        Ok(())
    }

    /// See [`set_zap_domain`](Self::set_zap_domain).
    pub fn zap_domain(&self) -> String {
        self.core().options.security.zap_domain.clone()
    }

    /// Follow RFC 27 strictly (`ZMQ_ZAP_ENFORCE_DOMAIN`, default false, as in libzmq 4.3):
    /// a NULL or CURVE server with a ZAP domain refuses every client while no ZAP handler is
    /// bound (reported as [`HandshakeFailedNoDetail`](crate::EventKind::HandshakeFailedNoDetail)
    /// with `EFAULT`), and a CURVE server without a domain no longer asks the handler.
    pub fn set_zap_enforce_domain(&self, on: bool) -> Result<()> {
        self.core().options.security.zap_enforce_domain = on;
        Ok(())
    }

    /// See [`set_zap_enforce_domain`](Self::set_zap_enforce_domain).
    pub fn zap_enforce_domain(&self) -> bool {
        self.core().options.security.zap_enforce_domain
    }
}
