//! Options for reaching tcp peers through a SOCKS5 proxy (`ZMQ_SOCKS_PROXY`,
//! `ZMQ_SOCKS_USERNAME`, `ZMQ_SOCKS_PASSWORD`). Like the other connection options, they
//! apply to the connects made after they are set.

use super::options::SocketOptions;
use crate::error::{Error, Result};

/// Usernames and passwords travel with a one-octet length (RFC 1929).
const CREDENTIAL_MAX: usize = 255;

impl SocketOptions<'_> {
    /// The SOCKS5 proxy, as `host:port`, that this socket's tcp connects go through;
    /// `None` (the default) connects directly (`ZMQ_SOCKS_PROXY`). The socket connects to
    /// the proxy and asks it to connect onwards; a host name in the endpoint is passed to
    /// the proxy unresolved. A proxy that refuses is a failed connect: the monitor sees the
    /// connect closed and retried, as for a peer that refuses.
    ///
    /// ```
    /// use ferrozmq::{Context, PULL};
    /// let pull = Context::new().socket(PULL).unwrap();
    /// pull.options().set_socks_proxy(Some("127.0.0.1:1080")).unwrap();
    /// assert_eq!(pull.options().socks_proxy().as_deref(), Some("127.0.0.1:1080"));
    /// assert!(pull.options().set_socks_proxy(Some("")).is_err());
    /// ```
    pub fn set_socks_proxy(&self, proxy: Option<&str>) -> Result<()> {
        if proxy.is_some_and(str::is_empty) {
            return Err(Error::InvalidArgument("the SOCKS proxy address is empty"));
        }
        self.core().options.socks_proxy = proxy.map(str::to_string);
        Ok(())
    }

    /// See [`set_socks_proxy`](Self::set_socks_proxy).
    pub fn socks_proxy(&self) -> Option<String> {
        self.core().options.socks_proxy.clone()
    }

    /// The username for the SOCKS5 proxy, at most 255 bytes (`ZMQ_SOCKS_USERNAME`). When
    /// not empty, the proxy is asked for username/password authentication (RFC 1929) and
    /// nothing else; empty (the default) asks for no authentication.
    ///
    /// ```
    /// use ferrozmq::{Context, DEALER};
    /// let dealer = Context::new().socket(DEALER).unwrap();
    /// dealer.options().set_socks_username("alice").unwrap();
    /// dealer.options().set_socks_password("s3cret").unwrap();
    /// assert_eq!(dealer.options().socks_username(), "alice");
    /// ```
    pub fn set_socks_username(&self, username: &str) -> Result<()> {
        if username.len() > CREDENTIAL_MAX {
            return Err(Error::InvalidArgument(
                "the SOCKS username is over 255 bytes",
            ));
        }
        self.core().options.socks_username = username.to_string();
        Ok(())
    }

    /// See [`set_socks_username`](Self::set_socks_username).
    pub fn socks_username(&self) -> String {
        self.core().options.socks_username.clone()
    }

    /// The password sent with [`set_socks_username`](Self::set_socks_username)'s username,
    /// at most 255 bytes, empty by default (`ZMQ_SOCKS_PASSWORD`).
    pub fn set_socks_password(&self, password: &str) -> Result<()> {
        if password.len() > CREDENTIAL_MAX {
            return Err(Error::InvalidArgument(
                "the SOCKS password is over 255 bytes",
            ));
        }
        self.core().options.socks_password = password.to_string();
        Ok(())
    }

    /// See [`set_socks_password`](Self::set_socks_password).
    pub fn socks_password(&self) -> String {
        self.core().options.socks_password.clone()
    }
}
