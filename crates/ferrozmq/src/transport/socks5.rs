//! The client side of a SOCKS5 proxy (RFC 1928) with username/password authentication
//! (RFC 1929): a tcp connect made through `ZMQ_SOCKS_PROXY` reaches the proxy first, runs
//! this handshake on the stream, and starts ZMTP once the proxy has connected it onwards.
//!
//! [`Handshake`] is the protocol, with no I/O: it says what to write
//! ([`Handshake::pending_output`]), how many more bytes it needs to read
//! ([`Handshake::bytes_wanted`]) and takes what was read ([`Handshake::handle_input`]).
//! It never asks for a byte beyond the proxy's last reply, so whatever the peer sends after
//! that stays in the kernel for the ZMTP layer. [`SocksConnect`] is the thin pump that runs
//! it on a non-blocking stream.
//!
//! ```text
//! client                               proxy
//!   05 01 <method>            ->                       greeting: one method offered
//!                             <-  05 <method>          method chosen (FF: none)
//!   01 ulen user plen pass    ->                       only for method 02 (RFC 1929)
//!                             <-  01 <status>          00: accepted
//!   05 01 00 <atyp> addr port ->                       CONNECT
//!                             <-  05 <rep> 00 <atyp> addr port
//! ```

use super::Stream;
use std::fmt;
use std::io::{self, IoSlice};
use std::net::{IpAddr, SocketAddr};

const VERSION: u8 = 0x05;
/// RFC 1929's sub-negotiation version.
const AUTH_VERSION: u8 = 0x01;
const METHOD_NONE: u8 = 0x00;
const METHOD_USERNAME_PASSWORD: u8 = 0x02;
const NO_ACCEPTABLE_METHOD: u8 = 0xFF;
const COMMAND_CONNECT: u8 = 0x01;
const ATYP_IPV4: u8 = 0x01;
const ATYP_DOMAIN: u8 = 0x03;
const ATYP_IPV6: u8 = 0x04;
/// Names, usernames and passwords travel with a one-octet length.
const FIELD_MAX: usize = 255;

/// Where the proxy is asked to connect. A host name is passed to the proxy as it is (the
/// proxy resolves it), as libzmq documents for `ZMQ_SOCKS_PROXY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    /// An address literal: sent as an IPv4 or IPv6 address.
    Ip(SocketAddr),
    /// A host name: sent as a domain name (1 to 255 bytes).
    Domain(String, u16),
}

impl Destination {
    /// The destination for `host` (an address literal or a name) and `port`; `None` for a
    /// name the protocol cannot carry (empty, or longer than 255 bytes).
    pub(crate) fn new(host: &str, port: u16) -> Option<Destination> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Some(Destination::Ip(SocketAddr::new(ip, port)));
        }
        (1..=FIELD_MAX)
            .contains(&host.len())
            .then(|| Destination::Domain(host.to_string(), port))
    }
}

/// A username and password for RFC 1929 authentication.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    username: Vec<u8>,
    password: Vec<u8>,
}

impl Credentials {
    /// `None` when the username is empty (no authentication, as libzmq does) or either
    /// field is longer than 255 bytes.
    pub(crate) fn new(username: &str, password: &str) -> Option<Credentials> {
        let fits = |s: &str| s.len() <= FIELD_MAX;
        (!username.is_empty() && fits(username) && fits(password)).then(|| Credentials {
            username: username.as_bytes().to_vec(),
            password: password.as_bytes().to_vec(),
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password.
        f.debug_struct("Credentials")
            .field("username", &String::from_utf8_lossy(&self.username))
            .finish_non_exhaustive()
    }
}

/// The proxy's answer to CONNECT when it is not success (RFC 1928 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReplyCode {
    GeneralFailure,
    NotAllowedByRuleset,
    NetworkUnreachable,
    HostUnreachable,
    ConnectionRefused,
    TtlExpired,
    CommandNotSupported,
    AddressTypeNotSupported,
    Unassigned(u8),
}

impl ReplyCode {
    fn from_octet(octet: u8) -> ReplyCode {
        match octet {
            0x01 => ReplyCode::GeneralFailure,
            0x02 => ReplyCode::NotAllowedByRuleset,
            0x03 => ReplyCode::NetworkUnreachable,
            0x04 => ReplyCode::HostUnreachable,
            0x05 => ReplyCode::ConnectionRefused,
            0x06 => ReplyCode::TtlExpired,
            0x07 => ReplyCode::CommandNotSupported,
            0x08 => ReplyCode::AddressTypeNotSupported,
            other => ReplyCode::Unassigned(other),
        }
    }
}

/// Why a SOCKS5 handshake failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SocksError {
    /// The proxy speaks another version of SOCKS (or something else altogether).
    WrongVersion(u8),
    /// The proxy accepts none of the methods offered.
    NoAcceptableMethod,
    /// The proxy chose a method that was not offered.
    UnexpectedMethod(u8),
    /// The proxy refused the username and password (RFC 1929 status, not zero).
    AuthenticationFailed(u8),
    /// The proxy could not or would not connect to the destination.
    Refused(ReplyCode),
    /// A reply with a non-zero reserved octet or an address type RFC 1928 does not define.
    MalformedReply,
}

impl fmt::Display for SocksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocksError::WrongVersion(v) => write!(f, "the SOCKS proxy answered with version {v}"),
            SocksError::NoAcceptableMethod => {
                write!(f, "the SOCKS proxy accepts none of the offered methods")
            }
            SocksError::UnexpectedMethod(m) => {
                write!(f, "the SOCKS proxy chose method {m}, which was not offered")
            }
            SocksError::AuthenticationFailed(status) => write!(
                f,
                "the SOCKS proxy refused the username and password (status {status})"
            ),
            SocksError::Refused(code) => write!(f, "the SOCKS proxy did not connect: {code:?}"),
            SocksError::MalformedReply => write!(f, "the SOCKS proxy sent a malformed reply"),
        }
    }
}

impl std::error::Error for SocksError {}

impl From<SocksError> for io::Error {
    /// The proxy's "refused" and "unreachable" answers become the errors a direct connect
    /// would have met (so RECONNECT_STOP_CONN_REFUSED applies alike); the rest are
    /// connection failures of their own.
    fn from(error: SocksError) -> io::Error {
        let kind = match error {
            SocksError::Refused(ReplyCode::ConnectionRefused) => io::ErrorKind::ConnectionRefused,
            SocksError::Refused(ReplyCode::HostUnreachable) => io::ErrorKind::HostUnreachable,
            SocksError::Refused(ReplyCode::NetworkUnreachable) => io::ErrorKind::NetworkUnreachable,
            SocksError::AuthenticationFailed(_)
            | SocksError::NoAcceptableMethod
            | SocksError::Refused(_) => io::ErrorKind::PermissionDenied,
            SocksError::WrongVersion(_)
            | SocksError::UnexpectedMethod(_)
            | SocksError::MalformedReply => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

/// The reply the handshake waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    MethodChoice,
    AuthStatus,
    ConnectReply,
    /// The proxy connected: the stream now carries the destination's bytes.
    Connected,
}

/// The SOCKS5 client handshake as a state machine (see the module documentation).
///
/// Call order: write [`pending_output`](Self::pending_output) (then
/// [`advance_output`](Self::advance_output)); read [`bytes_wanted`](Self::bytes_wanted)
/// more bytes into the input; when it says 0, [`handle_input`](Self::handle_input); repeat
/// until [`is_connected`](Self::is_connected) or an error.
#[derive(Debug)]
pub(crate) struct Handshake {
    expect: Expect,
    output: Vec<u8>,
    destination: Destination,
    credentials: Option<Credentials>,
}

impl Handshake {
    /// Starts a handshake: the greeting is ready to write at once.
    pub(crate) fn new(destination: Destination, credentials: Option<Credentials>) -> Handshake {
        // One method is offered, the one the options chose: with a username set, a proxy
        // must not let the client in unauthenticated behind the user's back.
        let method = if credentials.is_some() {
            METHOD_USERNAME_PASSWORD
        } else {
            METHOD_NONE
        };
        Handshake {
            expect: Expect::MethodChoice,
            output: vec![VERSION, 1, method],
            destination,
            credentials,
        }
    }

    /// Bytes to write to the proxy.
    pub(crate) fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// `n` bytes of [`pending_output`](Self::pending_output) were written.
    pub(crate) fn advance_output(&mut self, n: usize) {
        self.output.drain(..n.min(self.output.len()));
    }

    /// Whether the proxy has connected to the destination.
    pub(crate) fn is_connected(&self) -> bool {
        self.expect == Expect::Connected
    }

    /// How many more bytes the reply under way needs, given what was received of it:
    /// reading exactly that many never takes a byte from behind the reply. 0 when
    /// [`handle_input`](Self::handle_input) has enough to act on.
    pub(crate) fn bytes_wanted(&self, input: &[u8]) -> usize {
        let total = match self.expect {
            Expect::MethodChoice | Expect::AuthStatus => 2,
            Expect::Connected => 0,
            // VER REP RSV ATYP, then the bound address (its first octet is a name's
            // length), then the port. The shortest reply has ten octets.
            Expect::ConnectReply => match input.get(3) {
                None => 5,
                Some(&ATYP_IPV4) => 4 + 4 + 2,
                Some(&ATYP_IPV6) => 4 + 16 + 2,
                Some(&ATYP_DOMAIN) => match input.get(4) {
                    Some(&len) => 4 + 1 + usize::from(len) + 2,
                    None => 5,
                },
                // handle_input rejects it.
                Some(_) => 4,
            },
        };
        total.saturating_sub(input.len())
    }

    /// Takes the reply at the front of `input` once [`bytes_wanted`](Self::bytes_wanted) is
    /// 0, leaving any bytes behind it. Queues the next request, if any.
    pub(crate) fn handle_input(&mut self, input: &mut Vec<u8>) -> Result<(), SocksError> {
        if self.bytes_wanted(input) > 0 {
            return Ok(());
        }
        let used = match self.expect {
            Expect::Connected => return Ok(()),
            Expect::MethodChoice => {
                self.on_method_choice(input[0], input[1])?;
                2
            }
            Expect::AuthStatus => {
                // The status decides; the version octet is not checked, as some proxies
                // answer this sub-negotiation with 5, not RFC 1929's 1.
                if input[1] != 0 {
                    return Err(SocksError::AuthenticationFailed(input[1]));
                }
                self.send_connect();
                2
            }
            Expect::ConnectReply => self.on_connect_reply(input)?,
        };
        input.drain(..used);
        Ok(())
    }

    fn on_method_choice(&mut self, version: u8, method: u8) -> Result<(), SocksError> {
        if version != VERSION {
            return Err(SocksError::WrongVersion(version));
        }
        match (method, &self.credentials) {
            (NO_ACCEPTABLE_METHOD, _) => Err(SocksError::NoAcceptableMethod),
            (METHOD_NONE, None) => {
                self.send_connect();
                Ok(())
            }
            (METHOD_USERNAME_PASSWORD, Some(credentials)) => {
                let mut request = vec![AUTH_VERSION];
                push_field(&mut request, &credentials.username);
                push_field(&mut request, &credentials.password);
                self.output.extend_from_slice(&request);
                self.expect = Expect::AuthStatus;
                Ok(())
            }
            (other, _) => Err(SocksError::UnexpectedMethod(other)),
        }
    }

    fn send_connect(&mut self) {
        let mut request = vec![VERSION, COMMAND_CONNECT, 0];
        let port = match &self.destination {
            Destination::Ip(SocketAddr::V4(addr)) => {
                request.push(ATYP_IPV4);
                request.extend_from_slice(&addr.ip().octets());
                addr.port()
            }
            Destination::Ip(SocketAddr::V6(addr)) => {
                request.push(ATYP_IPV6);
                request.extend_from_slice(&addr.ip().octets());
                addr.port()
            }
            Destination::Domain(name, port) => {
                request.push(ATYP_DOMAIN);
                push_field(&mut request, name.as_bytes());
                *port
            }
        };
        request.extend_from_slice(&port.to_be_bytes());
        self.output.extend_from_slice(&request);
        self.expect = Expect::ConnectReply;
    }

    /// Checks a complete CONNECT reply; returns its length.
    fn on_connect_reply(&mut self, reply: &[u8]) -> Result<usize, SocksError> {
        if reply[0] != VERSION {
            return Err(SocksError::WrongVersion(reply[0]));
        }
        if reply[1] != 0 {
            return Err(SocksError::Refused(ReplyCode::from_octet(reply[1])));
        }
        if reply[2] != 0 || !matches!(reply[3], ATYP_IPV4 | ATYP_IPV6 | ATYP_DOMAIN) {
            return Err(SocksError::MalformedReply);
        }
        // The bound address says where the proxy connected from; ZeroMQ has no use for it.
        let len = match reply[3] {
            ATYP_IPV4 => 10,
            ATYP_IPV6 => 22,
            _ => 4 + 1 + usize::from(reply[4]) + 2,
        };
        self.expect = Expect::Connected;
        Ok(len)
    }
}

/// A length octet and the field (callers keep fields within 255 bytes).
fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    out.push(u8::try_from(field.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(&field[..field.len().min(FIELD_MAX)]);
}

/// Runs a [`Handshake`] on a connected non-blocking stream to the proxy.
#[derive(Debug)]
pub(crate) struct SocksConnect {
    handshake: Handshake,
    input: Vec<u8>,
}

impl SocksConnect {
    pub(crate) fn new(handshake: Handshake) -> SocksConnect {
        SocksConnect {
            handshake,
            input: Vec::new(),
        }
    }

    /// Moves the handshake on as far as the stream allows: `Ok(true)` once the proxy has
    /// connected to the destination, `Ok(false)` when it waits for the stream to be ready
    /// again, an error when the proxy refused or went away.
    pub(crate) fn drive(&mut self, stream: &mut Stream) -> io::Result<bool> {
        loop {
            while !self.handshake.pending_output().is_empty() {
                let slice = [IoSlice::new(self.handshake.pending_output())];
                match stream.write_vectored(&slice) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => self.handshake.advance_output(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.handshake.is_connected() {
                return Ok(true);
            }
            let wanted = self.handshake.bytes_wanted(&self.input);
            if wanted == 0 {
                self.handshake.handle_input(&mut self.input)?;
                continue;
            }
            // The read fills spare capacity only.
            self.input.reserve(wanted);
            match stream.read_into_vec(&mut self.input, wanted) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Destination {
        Destination::Ip(text.parse().unwrap())
    }

    /// Takes what the client wrote.
    fn written(handshake: &mut Handshake) -> Vec<u8> {
        let out = handshake.pending_output().to_vec();
        handshake.advance_output(out.len());
        out
    }

    /// Feeds `reply` one byte at a time, as the pump would read it (never more than
    /// asked for); returns what was left unread.
    fn feed(handshake: &mut Handshake, reply: &[u8]) -> Result<Vec<u8>, SocksError> {
        let mut input = Vec::new();
        let mut rest = reply;
        loop {
            let wanted = handshake.bytes_wanted(&input);
            if wanted == 0 {
                let before = handshake.expect;
                handshake.handle_input(&mut input)?;
                if handshake.expect == before || handshake.is_connected() {
                    return Ok(rest.to_vec());
                }
                continue;
            }
            let Some((&byte, tail)) = rest.split_first() else {
                return Ok(Vec::new());
            };
            input.push(byte);
            rest = tail;
        }
    }

    #[test]
    fn no_authentication_then_connect_to_an_ipv4_address() {
        let mut hs = Handshake::new(v4("10.1.2.3:5555"), None);
        assert_eq!(written(&mut hs), [5, 1, 0]);
        feed(&mut hs, &[5, 0]).unwrap();
        assert_eq!(written(&mut hs), [5, 1, 0, 1, 10, 1, 2, 3, 0x15, 0xb3]);
        assert!(!hs.is_connected());
        let after = feed(&mut hs, &[5, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34, 0xFF, 0x01]).unwrap();
        assert!(hs.is_connected());
        assert_eq!(after, [0xFF, 0x01], "bytes behind the reply are never read");
        assert!(hs.pending_output().is_empty());
    }

    #[test]
    fn username_and_password_are_sent_when_the_proxy_asks_for_them() {
        let credentials = Credentials::new("alice", "s3cret");
        let mut hs = Handshake::new(v4("127.0.0.1:80"), credentials);
        assert_eq!(written(&mut hs), [5, 1, 2]);
        feed(&mut hs, &[5, 2]).unwrap();
        assert_eq!(written(&mut hs), b"\x01\x05alice\x06s3cret");
        feed(&mut hs, &[1, 0]).unwrap();
        assert_eq!(written(&mut hs)[..4], [5, 1, 0, 1]);
        feed(&mut hs, &[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(hs.is_connected());
    }

    #[test]
    fn an_empty_password_is_sent_as_a_zero_length_field() {
        let mut hs = Handshake::new(v4("127.0.0.1:80"), Credentials::new("u", ""));
        written(&mut hs);
        feed(&mut hs, &[5, 2]).unwrap();
        assert_eq!(written(&mut hs), [1, 1, b'u', 0]);
    }

    #[test]
    fn refused_credentials_fail_the_handshake() {
        let mut hs = Handshake::new(v4("127.0.0.1:80"), Credentials::new("alice", "wrong"));
        written(&mut hs);
        feed(&mut hs, &[5, 2]).unwrap();
        written(&mut hs);
        assert_eq!(
            feed(&mut hs, &[1, 1]),
            Err(SocksError::AuthenticationFailed(1))
        );
        let error = io::Error::from(SocksError::AuthenticationFailed(1));
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn a_proxy_that_accepts_no_offered_method_fails_the_handshake() {
        let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
        written(&mut hs);
        assert_eq!(
            feed(&mut hs, &[5, 0xFF]),
            Err(SocksError::NoAcceptableMethod)
        );
    }

    #[test]
    fn a_method_that_was_not_offered_is_refused() {
        // Without credentials only "no authentication" was offered.
        let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
        written(&mut hs);
        assert_eq!(feed(&mut hs, &[5, 2]), Err(SocksError::UnexpectedMethod(2)));
        // With them, a proxy must not skip authentication.
        let mut hs = Handshake::new(v4("127.0.0.1:80"), Credentials::new("a", "b"));
        written(&mut hs);
        assert_eq!(feed(&mut hs, &[5, 0]), Err(SocksError::UnexpectedMethod(0)));
    }

    #[test]
    fn a_server_of_another_version_is_refused() {
        let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
        written(&mut hs);
        assert_eq!(feed(&mut hs, &[4, 0]), Err(SocksError::WrongVersion(4)));
        // An HTTP proxy's answer.
        let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
        written(&mut hs);
        assert_eq!(
            feed(&mut hs, b"HTTP/1.1 400"),
            Err(SocksError::WrongVersion(b'H'))
        );
    }

    #[test]
    fn connect_reply_codes_fail_the_handshake_with_their_meaning() {
        let cases = [
            (
                1,
                ReplyCode::GeneralFailure,
                io::ErrorKind::PermissionDenied,
            ),
            (
                2,
                ReplyCode::NotAllowedByRuleset,
                io::ErrorKind::PermissionDenied,
            ),
            (
                3,
                ReplyCode::NetworkUnreachable,
                io::ErrorKind::NetworkUnreachable,
            ),
            (
                4,
                ReplyCode::HostUnreachable,
                io::ErrorKind::HostUnreachable,
            ),
            (
                5,
                ReplyCode::ConnectionRefused,
                io::ErrorKind::ConnectionRefused,
            ),
            (6, ReplyCode::TtlExpired, io::ErrorKind::PermissionDenied),
            (
                7,
                ReplyCode::CommandNotSupported,
                io::ErrorKind::PermissionDenied,
            ),
            (
                8,
                ReplyCode::AddressTypeNotSupported,
                io::ErrorKind::PermissionDenied,
            ),
            (9, ReplyCode::Unassigned(9), io::ErrorKind::PermissionDenied),
        ];
        for (octet, code, kind) in cases {
            let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
            written(&mut hs);
            feed(&mut hs, &[5, 0]).unwrap();
            written(&mut hs);
            let result = feed(&mut hs, &[5, octet, 0, 1, 0, 0, 0, 0, 0, 0]);
            assert_eq!(result, Err(SocksError::Refused(code)), "reply {octet}");
            assert_eq!(io::Error::from(result.unwrap_err()).kind(), kind);
        }
    }

    #[test]
    fn malformed_connect_replies_are_refused() {
        for reply in [
            [5, 0, 1, 1, 0, 0, 0, 0, 0, 0], // reserved octet set
            [5, 0, 0, 2, 0, 0, 0, 0, 0, 0], // no such address type
        ] {
            let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
            written(&mut hs);
            feed(&mut hs, &[5, 0]).unwrap();
            written(&mut hs);
            assert_eq!(feed(&mut hs, &reply), Err(SocksError::MalformedReply));
        }
    }

    #[test]
    fn host_names_go_to_the_proxy_unresolved() {
        let destination = Destination::new("example.org", 443).unwrap();
        assert_eq!(destination, Destination::Domain("example.org".into(), 443));
        let mut hs = Handshake::new(destination, None);
        written(&mut hs);
        feed(&mut hs, &[5, 0]).unwrap();
        let mut expected = vec![5, 1, 0, 3, 11];
        expected.extend_from_slice(b"example.org");
        expected.extend_from_slice(&[0x01, 0xbb]);
        assert_eq!(written(&mut hs), expected);
    }

    #[test]
    fn ipv6_literals_go_as_ipv6_addresses() {
        let destination = Destination::new("::1", 9000).unwrap();
        let mut hs = Handshake::new(destination, None);
        written(&mut hs);
        feed(&mut hs, &[5, 0]).unwrap();
        let mut expected = vec![5, 1, 0, 4];
        expected.extend_from_slice(&[0; 15]);
        expected.extend_from_slice(&[1, 0x23, 0x28]);
        assert_eq!(written(&mut hs), expected);
    }

    #[test]
    fn replies_with_ipv6_and_domain_bound_addresses_are_read_to_their_end() {
        let mut ipv6_reply = vec![5, 0, 0, 4];
        ipv6_reply.extend_from_slice(&[0; 18]);
        let mut domain_reply = vec![5, 0, 0, 3, 9];
        domain_reply.extend_from_slice(b"localhost");
        domain_reply.extend_from_slice(&[0, 80]);
        for reply in [ipv6_reply, domain_reply] {
            let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
            written(&mut hs);
            feed(&mut hs, &[5, 0]).unwrap();
            written(&mut hs);
            let mut with_greeting = reply.clone();
            with_greeting.extend_from_slice(&[0xFF, 0, 0]);
            let after = feed(&mut hs, &with_greeting).unwrap();
            assert!(hs.is_connected());
            assert_eq!(after, [0xFF, 0, 0]);
        }
    }

    #[test]
    fn a_whole_reply_at_once_is_taken_and_the_rest_left() {
        let mut hs = Handshake::new(v4("127.0.0.1:80"), None);
        written(&mut hs);
        let mut input = vec![5, 0];
        hs.handle_input(&mut input).unwrap();
        assert!(input.is_empty());
        written(&mut hs);
        let mut input = vec![5, 0, 0, 1, 1, 2, 3, 4, 0, 1, 0xAA];
        assert_eq!(hs.bytes_wanted(&input), 0);
        hs.handle_input(&mut input).unwrap();
        assert!(hs.is_connected());
        assert_eq!(input, [0xAA]);
    }

    #[test]
    fn names_and_credentials_beyond_255_bytes_are_refused() {
        let long = "a".repeat(256);
        assert_eq!(Destination::new(&long, 1), None);
        assert_eq!(Destination::new("", 1), None);
        assert!(Destination::new(&long[..255], 1).is_some());
        assert!(Credentials::new(&long, "p").is_none());
        assert!(Credentials::new("u", &long).is_none());
        assert!(
            Credentials::new("", "p").is_none(),
            "no username: no authentication"
        );
        assert!(Credentials::new(&long[..255], &long[..255]).is_some());
    }

    #[test]
    fn credentials_never_print_the_password() {
        let text = format!("{:?}", Credentials::new("alice", "hunter2").unwrap());
        assert!(text.contains("alice") && !text.contains("hunter2"));
    }
}
