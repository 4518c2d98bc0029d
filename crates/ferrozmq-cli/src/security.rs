//! The security flags (`--curve-server`, `--curve-client`, `--plain-user`, ...), the
//! authenticator a server's flags start, and the `keygen` command.
//!
//! A socket whose endpoints all bind is a server: `--plain-user U --plain-password P` then
//! means "accept user U with password P" (repeat for more users), and `--allow-key` names a
//! client key CURVE lets in; either starts the library's ZAP handler in the process. A
//! socket that connects is a client: `--plain-user` and `--plain-password` are its
//! credentials.

use crate::args::OptionArg;
use crate::error::CliError;
use crate::output::Output;
use ferrozmq::{Authenticator, Context, Error, Socket};

/// The flags, for `--help`.
pub const HELP: &str = "
Security options (every socket command, monitor, and each side of a proxy):
  --curve-server SECRET
                     encrypt with CURVE as a server holding this secret key
                     (Z85, see keygen); clients need its public key
  --curve-client SECRET --curve-serverkey PUBLIC
                     encrypt with CURVE as a client holding this secret key, to
                     the server whose public key is PUBLIC
  --allow-key PUBLIC (with --curve-server) let in only clients holding one of
                     these public keys; repeatable. Without it, any client that
                     knows the server's key gets in
  --plain-user USER --plain-password PASSWORD
                     PLAIN (in clear): a socket that connects logs in with
                     these; a socket that only binds accepts this user with
                     this password (repeat both for several users)
";

/// The security flags given for one socket.
#[derive(Debug, Default)]
pub struct Security {
    curve_server: Option<String>,
    curve_client: Option<String>,
    curve_serverkey: Option<String>,
    allowed_keys: Vec<String>,
    plain_users: Vec<String>,
    plain_passwords: Vec<String>,
}

impl Security {
    /// Reads `option` if it is a security flag; false, leaving it to the caller, if not.
    pub fn read(&mut self, option: &mut OptionArg<'_>) -> Result<bool, CliError> {
        let name = option.name;
        let once = |slot: &mut Option<String>, value: String| match slot {
            Some(_) => Err(CliError::usage(format!("{name} given more than once"))),
            None => {
                *slot = Some(value);
                Ok(())
            }
        };
        match name {
            "--curve-server" => once(&mut self.curve_server, text(option)?)?,
            "--curve-client" => once(&mut self.curve_client, text(option)?)?,
            "--curve-serverkey" => once(&mut self.curve_serverkey, text(option)?)?,
            "--allow-key" => self.allowed_keys.push(text(option)?),
            "--plain-user" => self.plain_users.push(text(option)?),
            "--plain-password" => self.plain_passwords.push(text(option)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

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

fn text(option: &mut OptionArg<'_>) -> Result<String, CliError> {
    let name = option.name;
    String::from_utf8(option.value()?)
        .map_err(|_| CliError::usage(format!("{name} needs UTF-8 text")))
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

    /// The security flags of a rep socket command given `flags`.
    fn security(flags: &[(&str, &str)]) -> Security {
        let mut args = vec!["rep".to_string(), "@tcp://127.0.0.1:5555".to_string()];
        for (name, value) in flags {
            args.push(name.to_string());
            args.push(value.to_string());
        }
        match crate::args::parse(args.into_iter().map(Into::into)) {
            Ok(crate::args::Command::Socket(socket)) => socket.security,
            other => panic!("{flags:?} parsed as {other:?}"),
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
