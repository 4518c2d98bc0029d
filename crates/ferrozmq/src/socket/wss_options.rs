//! Options for `wss://` (`ZMQ_WSS_CERT_PEM`, `ZMQ_WSS_KEY_PEM`, `ZMQ_WSS_TRUST_PEM`,
//! `ZMQ_WSS_HOSTNAME`, `ZMQ_WSS_TRUST_SYSTEM`). Like the other connection options, they
//! apply to the binds and connects made after they are set.

use super::options::SocketOptions;
use crate::error::Result;
use crate::transport::ws::tls;

impl SocketOptions<'_> {
    /// The certificate chain (PEM, the server's own certificate first) a `wss://` bind
    /// presents (`ZMQ_WSS_CERT_PEM`). A `wss://` bind needs it and
    /// [`set_wss_key_pem`](Self::set_wss_key_pem); text that holds no certificate is
    /// refused, an empty one clears it.
    ///
    /// ```
    /// use ferrozmq::{Context, REP};
    /// let rep = Context::new().socket(REP).unwrap();
    /// assert!(rep.options().set_wss_cert_pem(b"not a certificate").is_err());
    /// // Without a certificate and key a wss bind fails.
    /// assert!(rep.bind("wss://127.0.0.1:*/zmq").is_err());
    /// ```
    pub fn set_wss_cert_pem(&self, pem: &[u8]) -> Result<()> {
        tls::check_certificates(pem)?;
        self.core().options.wss.cert_pem = pem.to_vec();
        Ok(())
    }

    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of
    /// [`set_wss_cert_pem`](Self::set_wss_cert_pem)'s certificate (`ZMQ_WSS_KEY_PEM`);
    /// text that holds no key is refused, an empty one clears it.
    pub fn set_wss_key_pem(&self, pem: &[u8]) -> Result<()> {
        tls::check_key(pem)?;
        self.core().options.wss.key_pem = pem.to_vec();
        Ok(())
    }

    /// Certificates (PEM) a `wss://` connect trusts (`ZMQ_WSS_TRUST_PEM`): authorities
    /// whose chains it accepts, or a server's own (self-signed) certificate, accepted
    /// when the server presents exactly it. Text that holds no certificate is refused, an
    /// empty one clears it. A connect that trusts nothing the server presents fails its
    /// handshake (the monitor sees `HandshakeFailedNoDetail`) and is retried.
    ///
    /// ```
    /// use ferrozmq::{Context, REQ};
    /// let req = Context::new().socket(REQ).unwrap();
    /// assert!(req.options().set_wss_trust_pem(b"").is_ok());
    /// assert!(req.options().set_wss_trust_pem(b"garbage").is_err());
    /// ```
    pub fn set_wss_trust_pem(&self, pem: &[u8]) -> Result<()> {
        tls::check_certificates(pem)?;
        self.core().options.wss.trust_pem = pem.to_vec();
        Ok(())
    }

    /// The name a `wss://` connect expects the server's certificate to carry, and sends
    /// as TLS's server name (`ZMQ_WSS_HOSTNAME`); empty (the default) means the
    /// endpoint's host. libzmq checks no name at all when it is empty; ferrozmq checks
    /// the endpoint's, as an HTTPS client does.
    ///
    /// ```
    /// use ferrozmq::{Context, REQ};
    /// let req = Context::new().socket(REQ).unwrap();
    /// req.options().set_wss_hostname("zeromq.org").unwrap();
    /// assert_eq!(req.options().wss_hostname(), "zeromq.org");
    /// ```
    pub fn set_wss_hostname(&self, name: &str) -> Result<()> {
        self.core().options.wss.hostname = name.to_string();
        Ok(())
    }

    /// See [`set_wss_hostname`](Self::set_wss_hostname).
    pub fn wss_hostname(&self) -> String {
        self.core().options.wss.hostname.clone()
    }

    /// Whether a `wss://` connect also trusts the public certificate authorities
    /// (`ZMQ_WSS_TRUST_SYSTEM`, off by default): the Mozilla root list that the
    /// `webpki-roots` crate carries, the same on every system.
    pub fn set_wss_trust_system(&self, trust: bool) -> Result<()> {
        self.core().options.wss.trust_system = trust;
        Ok(())
    }

    /// See [`set_wss_trust_system`](Self::set_wss_trust_system).
    pub fn wss_trust_system(&self) -> bool {
        self.core().options.wss.trust_system
    }
}
