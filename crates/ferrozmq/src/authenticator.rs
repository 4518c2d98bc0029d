//! A ready-made ZAP handler (RFC 27): address allow and deny lists, a password table for
//! PLAIN, and the client keys CURVE lets in.
//!
//! ```text
//!  server socket's connection ──ZAP request──► inproc://zeromq.zap.01 ──► Authenticator thread
//!  (I/O thread, never waits)   ◄──ZAP reply───                           (checks the Policy)
//! ```
//!
//! The rules, in order, for every connection a server socket of the context asks about:
//!
//! 1. with addresses allowed ([`Authenticator::allow`]), the client's IP address must be one
//!    of them; otherwise an address denied ([`Authenticator::deny`]) is refused;
//! 2. NULL clients that passed 1 are let in;
//! 3. PLAIN clients must present a username and password from the table
//!    ([`Authenticator::add_plain_user`]); their user id is the username;
//! 4. CURVE clients must hold one of the allowed keys ([`Authenticator::allow_curve_key`]),
//!    or any key once [`Authenticator::allow_any_curve_key`] was called; their user id is
//!    their public key in Z85.
//!
//! Refusals are status 400 with a reason; the server's monitor reports
//! [`HandshakeFailedAuth`](crate::EventKind::HandshakeFailedAuth) with 400. Changes to the
//! policy apply to the connections that come after them.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::poll::{poll, POLLIN};
use crate::socket::Socket;
use crate::{Message, PAIR, REP};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;
use zmtp::curve_keys::CurvePublicKey;

/// Where ZAP handlers bind (RFC 27).
const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// Names the control pipe of each authenticator uniquely.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What the authenticator lets in.
#[derive(Debug, Default)]
struct Policy {
    allowed_addresses: HashSet<String>,
    denied_addresses: HashSet<String>,
    passwords: HashMap<Vec<u8>, Vec<u8>>,
    curve_keys: HashSet<[u8; 32]>,
    any_curve_key: bool,
}

/// The answer to one request: status code, status text, user id.
type Answer = (&'static str, &'static str, Vec<u8>);

impl Policy {
    fn judge(&self, address: &[u8], mechanism: &[u8], credentials: &[Message]) -> Answer {
        let address = String::from_utf8_lossy(address);
        if !self.allowed_addresses.is_empty() {
            if !self.allowed_addresses.contains(address.as_ref()) {
                return ("400", "Address not allowed", Vec::new());
            }
        } else if self.denied_addresses.contains(address.as_ref()) {
            return ("400", "Address denied", Vec::new());
        }
        match (mechanism, credentials) {
            (b"NULL", []) => ("200", "OK", Vec::new()),
            (b"PLAIN", [username, password]) => match self.passwords.get(&username[..]) {
                Some(expected) if expected[..] == password[..] => ("200", "OK", username.to_vec()),
                _ => ("400", "Invalid username or password", Vec::new()),
            },
            (b"CURVE", [key]) => match <[u8; 32]>::try_from(&key[..]) {
                Ok(key) if self.any_curve_key || self.curve_keys.contains(&key) => (
                    "200",
                    "OK",
                    CurvePublicKey::from_bytes(key).to_z85().into_bytes(),
                ),
                _ => ("400", "Unknown key", Vec::new()),
            },
            _ => ("400", "Unsupported mechanism", Vec::new()),
        }
    }
}

/// A ZAP handler running in a thread of its own, for the server sockets of one context:
/// CZMQ's `zauth`, in Rust.
///
/// It binds `inproc://zeromq.zap.01`, so it must exist before the server sockets bind (ZAP
/// requires the handler to start first), and only one may run per context. Dropping it, or
/// [`stop`](Self::stop), ends the thread and unbinds.
///
/// ```
/// use ferrozmq::{Authenticator, Context, REP, REQ};
/// let ctx = Context::new();
/// let auth = Authenticator::new(&ctx).unwrap();
/// auth.add_plain_user("admin", "secret");
///
/// let server = ctx.socket(REP).unwrap();
/// server.options().set_plain_server(true).unwrap();
/// server.bind("tcp://127.0.0.1:*").unwrap();
/// let client = ctx.socket(REQ).unwrap();
/// client.options().set_plain_username(Some("admin")).unwrap();
/// client.options().set_plain_password(Some("secret")).unwrap();
/// client.connect(&server.last_endpoint().unwrap()).unwrap();
///
/// client.send("hello").unwrap();
/// let (_, properties) = server.recv_with_properties().unwrap();
/// assert_eq!(properties.user_id(), Some("admin"));
/// ```
pub struct Authenticator {
    policy: Arc<Mutex<Policy>>,
    control: Socket,
    thread: Option<JoinHandle<()>>,
}

impl Authenticator {
    /// Binds the context's ZAP endpoint and starts answering. With an empty policy, NULL
    /// clients get in and PLAIN and CURVE clients do not. Fails with
    /// [`Error::AddrInUse`] when the context has a ZAP handler already.
    pub fn new(ctx: &Context) -> Result<Authenticator> {
        let handler = ctx.socket(REP)?;
        handler.options().set_linger(Some(Duration::ZERO))?;
        handler.bind(ZAP_ENDPOINT)?;
        let control_endpoint = format!(
            "inproc://ferrozmq.authenticator.{}",
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        let control = ctx.socket(PAIR)?;
        control.bind(&control_endpoint)?;
        let stop = ctx.socket(PAIR)?;
        stop.connect(&control_endpoint)?;
        let policy = Arc::new(Mutex::new(Policy::default()));
        let thread_policy = policy.clone();
        let thread = std::thread::Builder::new()
            .name("ferrozmq-zap".into())
            .spawn(move || serve(&handler, &stop, &thread_policy))
            .map_err(Error::Io)?;
        Ok(Authenticator {
            policy,
            control,
            thread: Some(thread),
        })
    }

    fn policy(&self) -> MutexGuard<'_, Policy> {
        self.policy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets in only clients from these IP addresses (textual form, as the connection reports
    /// it: `127.0.0.1`, `::1`), whatever the deny list says. Each call adds one.
    pub fn allow(&self, address: &str) {
        self.policy().allowed_addresses.insert(address.to_string());
    }

    /// Refuses clients from this IP address, unless an allow list is in force. Each call
    /// adds one.
    pub fn deny(&self, address: &str) {
        self.policy().denied_addresses.insert(address.to_string());
    }

    /// Accepts this PLAIN username with this password (replacing an earlier password).
    pub fn add_plain_user(&self, username: &str, password: &str) {
        self.policy()
            .passwords
            .insert(username.as_bytes().to_vec(), password.as_bytes().to_vec());
    }

    /// Accepts CURVE clients holding this public key: 32 bytes or 40 characters of Z85.
    pub fn allow_curve_key(&self, public_key: impl AsRef<[u8]>) -> Result<()> {
        let key = crate::security::key_bytes(public_key.as_ref())?;
        self.policy().curve_keys.insert(key);
        Ok(())
    }

    /// Accepts every CURVE client, whatever its key: the traffic is still encrypted, and
    /// clients still need the server's public key.
    pub fn allow_any_curve_key(&self) {
        self.policy().any_curve_key = true;
    }

    /// Stops answering and unbinds the ZAP endpoint; handshakes waiting for an answer then
    /// fail. Dropping the authenticator does the same.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(thread) = self.thread.take() {
            // Failing to send means the thread is gone already.
            let _ = self.control.send("STOP");
            let _ = thread.join();
        }
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("policy", &*self.policy())
            .finish()
    }
}

/// The handler thread: answers requests until told to stop (or the context ends).
fn serve(handler: &Socket, stop: &Socket, policy: &Mutex<Policy>) {
    loop {
        let mut items = [handler.as_poll_item(POLLIN), stop.as_poll_item(POLLIN)];
        if poll(&mut items, None).is_err() || items[1].is_readable() {
            return;
        }
        if !items[0].is_readable() {
            continue;
        }
        let Ok(request) = handler.recv_multipart() else {
            return;
        };
        let reply = answer(&request, policy);
        if handler.send_multipart(reply).is_err() {
            return;
        }
    }
}

/// The reply to one request (after the REP socket took off the envelope).
fn answer(request: &[Message], policy: &Mutex<Policy>) -> Vec<Vec<u8>> {
    let reply = |request_id: &[u8], (code, text, user_id): Answer| {
        vec![
            b"1.0".to_vec(),
            request_id.to_vec(),
            code.as_bytes().to_vec(),
            text.as_bytes().to_vec(),
            user_id,
            Vec::new(),
        ]
    };
    match request {
        [version, request_id, _domain, address, _identity, mechanism, credentials @ ..]
            if &version[..] == b"1.0" =>
        {
            let policy = policy.lock().unwrap_or_else(|e| e.into_inner());
            reply(request_id, policy.judge(address, mechanism, credentials))
        }
        [_, request_id, ..] => reply(request_id, ("500", "Malformed ZAP request", Vec::new())),
        _ => reply(b"", ("500", "Malformed ZAP request", Vec::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(parts: &[&str]) -> Vec<Message> {
        parts.iter().map(|p| Message::from(*p)).collect()
    }

    #[test]
    fn addresses_are_checked_before_credentials() {
        let mut policy = Policy::default();
        assert_eq!(policy.judge(b"10.0.0.1", b"NULL", &[]).0, "200");
        policy.denied_addresses.insert("10.0.0.1".into());
        assert_eq!(policy.judge(b"10.0.0.1", b"NULL", &[]).0, "400");
        assert_eq!(policy.judge(b"10.0.0.2", b"NULL", &[]).0, "200");
        policy.allowed_addresses.insert("10.0.0.1".into());
        assert_eq!(policy.judge(b"10.0.0.1", b"NULL", &[]).0, "200");
        assert_eq!(policy.judge(b"10.0.0.2", b"NULL", &[]).0, "400");
    }

    #[test]
    fn plain_needs_the_password_and_curve_the_key() {
        let mut policy = Policy::default();
        let plain = credentials(&["admin", "secret"]);
        assert_eq!(policy.judge(b"", b"PLAIN", &plain).0, "400");
        policy
            .passwords
            .insert(b"admin".to_vec(), b"secret".to_vec());
        assert_eq!(policy.judge(b"", b"PLAIN", &plain).2, b"admin");
        assert_eq!(
            policy
                .judge(b"", b"PLAIN", &credentials(&["admin", "guess"]))
                .0,
            "400"
        );

        let key = [9u8; 32];
        let curve = [Message::from(&key[..])];
        assert_eq!(policy.judge(b"", b"CURVE", &curve).0, "400");
        policy.curve_keys.insert(key);
        let (code, _, user) = policy.judge(b"", b"CURVE", &curve);
        assert_eq!(
            (code, user),
            ("200", zmtp::z85::encode_key(&key).into_bytes())
        );
        policy.curve_keys.clear();
        policy.any_curve_key = true;
        assert_eq!(policy.judge(b"", b"CURVE", &curve).0, "200");
        assert_eq!(policy.judge(b"", b"GSSAPI", &[]).0, "400");
    }
}
