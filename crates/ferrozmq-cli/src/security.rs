//! The security flags (`--curve-server`, `--curve-client`, `--plain-user`, ...), the
//! authenticator a server's flags start, and the `keygen` command.
//!
//! A socket whose endpoints all bind is a server: `--plain-user U --plain-password P` then
//! means "accept user U with password P" (repeat for more users), and `--allow-key` names a
//! client key CURVE lets in; either starts the library's ZAP handler in the process. A
//! socket that connects is a client: `--plain-user` and `--plain-password` are its
//! credentials.

use crate::error::CliError;
use crate::output::Output;
use clap::Args;
use ferrozmq::{Authenticator, Context, Error, Socket};

/// The security flags given for one socket. Their values may start with '-': Z85 keys do
/// (one in 85 that `keygen` prints), and so may passwords.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Security options")]
pub struct Security {
    /// Encrypt with CURVE as a server holding this secret key (Z85, see `ferrozmq
    /// keygen`); clients need its public key
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    curve_server: Option<String>,
    /// Encrypt with CURVE as a client holding this secret key, to the server whose public
    /// key --curve-serverkey gives
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    curve_client: Option<String>,
    /// The public key of the CURVE server a --curve-client connects to
    #[arg(long, value_name = "PUBLIC", allow_hyphen_values = true)]
    curve_serverkey: Option<String>,
    /// (with --curve-server) let in only clients holding one of these public keys;
    /// repeatable. Without it, any client that knows the server's key gets in
    #[arg(long = "allow-key", value_name = "PUBLIC", allow_hyphen_values = true)]
    allowed_keys: Vec<String>,
    /// PLAIN (in clear): a socket that connects logs in as USER; a socket that only binds
    /// accepts USER with the --plain-password given with it (repeat both for several)
    #[arg(long = "plain-user", value_name = "USER", allow_hyphen_values = true)]
    plain_users: Vec<String>,
    /// The password of the --plain-user given with it
    #[arg(
        long = "plain-password",
        value_name = "PASSWORD",
        allow_hyphen_values = true
    )]
    plain_passwords: Vec<String>,
}

impl Security {
    /// Checks that the flags go together, for a socket that is a server (only binds) or
    /// not.
    fn check(&self, server: bool) -> Result<(), CliError> {
        let curve = self.curve_server.is_some() || self.curve_client.is_some();
        let plain = !self.plain_users.is_empty() || !self.plain_passwords.is_empty();
        let problem = if self.curve_server.is_some() && self.curve_client.is_some() {
            "--curve-server and --curve-client exclude each other"
        } else if self.curve_client.is_some() != self.curve_serverkey.is_some() {
            "--curve-client and --curve-serverkey go together"
        } else if !self.allowed_keys.is_empty() && self.curve_server.is_none() {
            "--allow-key needs --curve-server"
        } else if curve && plain {
            "CURVE and PLAIN exclude each other"
        } else if self.plain_users.len() != self.plain_passwords.len() {
            "each --plain-user needs its --plain-password"
        } else if !server && self.plain_users.len() > 1 {
            "a socket that connects logs in as one --plain-user"
        } else {
            return Ok(());
        };
        Err(CliError::usage(problem))
    }

    /// Starts the ZAP handler a server's flags ask for (client keys or users to accept),
    /// before any socket binds; also checks the flags. Keep it for as long as the sockets.
    pub fn authenticator(
        &self,
        ctx: &Context,
        server: bool,
    ) -> Result<Option<Authenticator>, CliError> {
        self.check(server)?;
        let plain_server = server && !self.plain_users.is_empty();
        if self.allowed_keys.is_empty() && !plain_server {
            return Ok(None);
        }
        let auth = Authenticator::new(ctx)
            .map_err(|e| CliError::failed(format!("cannot start the authenticator: {e}")))?;
        for key in &self.allowed_keys {
            auth.allow_curve_key(key)
                .map_err(|e| CliError::usage(format!("--allow-key '{key}': {e}")))?;
        }
        if plain_server {
            for (user, password) in self.plain_users.iter().zip(&self.plain_passwords) {
                auth.add_plain_user(user, password);
            }
        }
        Ok(Some(auth))
    }

    /// Sets the socket's security options (before it binds or connects).
    pub fn apply(&self, socket: &Socket, server: bool) -> Result<(), CliError> {
        let usage = |flag: &str, e: Error| match e {
            Error::InvalidArgument(_) => CliError::usage(format!("{flag}: {e}")),
            e => CliError::failed(format!("cannot set {flag}: {e}")),
        };
        if let Some(secret) = &self.curve_server {
            socket
                .options()
                .set_curve_server(true)
                .map_err(|e| usage("--curve-server", e))?;
            socket
                .options()
                .set_curve_secretkey(secret.as_bytes())
                .map_err(|e| usage("--curve-server", e))?;
        }
        if let (Some(secret), Some(server_key)) = (&self.curve_client, &self.curve_serverkey) {
            socket
                .options()
                .set_curve_secretkey(secret.as_bytes())
                .map_err(|e| usage("--curve-client", e))?;
            socket
                .options()
                .set_curve_serverkey(server_key.as_bytes())
                .map_err(|e| usage("--curve-serverkey", e))?;
        }
        match (self.plain_users.first(), self.plain_passwords.first()) {
            (Some(_), _) if server => socket
                .options()
                .set_plain_server(true)
                .map_err(|e| usage("--plain-user", e))?,
            (Some(user), Some(password)) => {
                socket
                    .options()
                    .set_plain_username(Some(user))
                    .map_err(|e| usage("--plain-user", e))?;
                socket
                    .options()
                    .set_plain_password(Some(password))
                    .map_err(|e| usage("--plain-password", e))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// `ferrozmq keygen`: a new CURVE key pair, in Z85, for `--curve-server`,
/// `--curve-client`, `--curve-serverkey` and `--allow-key`.
pub fn keygen(out: &mut Output) -> Result<(), CliError> {
    let keys = ferrozmq::curve_keypair()
        .map_err(|e| CliError::failed(format!("cannot make a key pair: {e}")))?;
    out.line(&format!("public: {}", keys.public.to_z85()))?;
    out.line(&format!("secret: {}", keys.secret.to_z85()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The security flags of a socket given `flags`.
    fn security(flags: &[(&str, &str)]) -> Security {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            security: Security,
        }
        let mut args = vec!["test".to_string()];
        for (name, value) in flags {
            args.push(name.to_string());
            args.push(value.to_string());
        }
        match <Flags as clap::Parser>::try_parse_from(args) {
            Ok(flags) => flags.security,
            Err(e) => panic!("{flags:?}: {e}"),
        }
    }

    #[test]
    fn flags_that_do_not_go_together_are_refused() {
        let key = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
        for flags in [
            &[("--curve-server", key), ("--curve-client", key)][..],
            &[("--curve-client", key)],
            &[("--curve-serverkey", key)],
            &[("--allow-key", key)],
            &[
                ("--curve-server", key),
                ("--plain-user", "u"),
                ("--plain-password", "p"),
            ],
            &[("--plain-user", "u")],
        ] {
            assert!(security(flags).check(true).is_err(), "{flags:?}");
        }
        let two_users = security(&[
            ("--plain-user", "a"),
            ("--plain-password", "1"),
            ("--plain-user", "b"),
            ("--plain-password", "2"),
        ]);
        assert!(two_users.check(true).is_ok());
        assert!(two_users.check(false).is_err());
    }
}
