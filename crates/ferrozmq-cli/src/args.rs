//! What the user asked for, read from what clap matched (see [`crate::cli`] for the
//! command line itself), with the checks clap cannot make: which options mean something
//! for which socket type, and values that must be whole numbers written as digits.
//!
//! Messages, prefixes and routing ids are read as bytes, so that `--send` and `--subscribe`
//! can carry anything the shell passes; only names, numbers and endpoints have to be UTF-8.

use crate::endpoints::{Endpoint, Side};
use crate::error::CliError;
use crate::output::{EventFormat, Format};
use crate::role::{type_name, Behaviour, Layout, Role};
use crate::security::Security;
use crate::socket_options::SocketOptions;
use clap::{ArgMatches, Args, FromArgMatches};
use ferrozmq::SocketType;
use std::ffi::OsString;
use std::time::Duration;

/// What to do.
#[derive(Debug)]
pub enum Command {
    /// Run the seed's three patterns in one process.
    Demo,
    /// Drive one socket.
    Socket(SocketArgs),
    /// Forward between two sockets.
    Proxy(ProxyArgs),
    /// Print what happens to one socket's connections.
    Monitor(MonitorArgs),
    /// Print a new CURVE key pair.
    Keygen,
    /// Run the benchmark harness with these arguments.
    Bench(Vec<OsString>),
    /// Print a shell's completion script.
    Completions(clap_complete::Shell),
    /// Print the man page.
    Man,
}

/// The options of a socket command other than the socket options and security flags, as
/// clap reads them. Each is offered to every socket type; those that mean nothing for a
/// type are hidden from its help and refused by [`SocketArgs::read`].
#[derive(Args, Debug)]
pub struct CommandFlags {
    /// A message to send; repeat for several, sent in turn
    ///
    /// Without --send, req, pub, push, scatter and radio send each line of standard input;
    /// the other types send nothing. router, server, and a peer that only binds: the
    /// answers, sent in turn, one to the sender of each message received (a router's with
    /// the message's envelope, so that a req client gets its reply).
    #[arg(long, value_name = "TEXT", value_parser = clap::value_parser!(OsString),
          allow_hyphen_values = true)]
    pub send: Vec<OsString>,
    /// Stop after N messages sent or received
    ///
    /// req, rep, router, server, and a peer that only binds: N messages answered or
    /// printed; dealer, pair, xpub, xsub, client, channel, and a peer that connects: N sent
    /// with --send, else N received. Without it, --send values go once each, and the
    /// receiving types run until stopped.
    #[arg(long, value_name = "N", value_parser = at_least_one, allow_hyphen_values = true)]
    pub count: Option<u64>,
    /// Wait MS milliseconds between sends
    ///
    /// dealer, pair, xpub, xsub, client, channel and peer print what arrives meanwhile.
    #[arg(long, value_name = "MS", value_parser = whole_number::<u64>,
          allow_hyphen_values = true)]
    pub interval: Option<u64>,
    /// Receive the messages that start with PREFIX; repeatable; default: everything
    ///
    /// An xsub subscribes by sending \x01PREFIX upstream.
    #[arg(long, value_name = "PREFIX", value_parser = clap::value_parser!(OsString),
          allow_hyphen_values = true)]
    pub subscribe: Vec<OsString>,
    /// The reply to every request, instead of an echo
    #[arg(long, value_name = "TEXT", value_parser = clap::value_parser!(OsString),
          allow_hyphen_values = true)]
    pub reply: Option<OsString>,
    /// radio: the group to send to, required; dish: a group to join, required, repeatable
    #[arg(long, value_name = "NAME", value_parser = group, allow_hyphen_values = true)]
    pub group: Vec<String>,
    /// Give up, with exit status 1, when nothing arrives or can be sent for MS milliseconds
    ///
    /// It bounds every wait: for a message, for room to send, for --wait-peers, and at
    /// exit for what is still queued (a sender whose messages were not delivered in time
    /// exits with status 1). Once dealer, pair, xpub, xsub, client, channel and a peer
    /// that connects have sent their --send values, they print what arrives until nothing
    /// has for MS milliseconds, then exit with status 0 (without --timeout: until stopped).
    #[arg(long, value_name = "MS", value_parser = whole_number::<i32>,
          allow_hyphen_values = true)]
    pub timeout: Option<i32>,
    /// Start sending once N peers are connected (pub, xpub, radio: once N have subscribed)
    ///
    /// So that the first messages are not lost to subscribers still subscribing (a
    /// publisher sends only to the subscriptions that have arrived) or all queued for the
    /// first of several workers to connect. Bounded by --timeout.
    #[arg(long, value_name = "N", value_parser = at_least_one, allow_hyphen_values = true)]
    pub wait_peers: Option<u64>,
    /// Print messages/s and bytes/s once a second on standard error, and totals at exit
    #[arg(long)]
    pub stats: bool,
    /// How to print received messages: text (parts separated by tabs), hex, or json
    /// (one object per line; parts that are not UTF-8 as {"base64": ...})
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub format: Option<Format>,
}

/// The monitor command's options other than the socket options and security flags.
#[derive(Args, Debug)]
pub struct MonitorFlags {
    /// Stop after N events
    #[arg(long, value_name = "N", value_parser = at_least_one, allow_hyphen_values = true)]
    pub count: Option<u64>,
    /// Stop after MS milliseconds, with exit status 1 unless --count events came first
    #[arg(long, value_name = "MS", value_parser = whole_number::<i32>,
          allow_hyphen_values = true)]
    pub timeout: Option<i32>,
    /// How to print events: text (EVENT<tab>ENDPOINT<tab>VALUE) or json (one object per
    /// line)
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = EventFormat::Text)]
    pub format: EventFormat,
}

/// The socket command's arguments.
#[derive(Debug)]
pub struct SocketArgs {
    /// The socket's type.
    pub socket_type: SocketType,
    /// What the command does with it.
    pub role: Role,
    /// How its messages are addressed.
    pub layout: Layout,
    /// Where to bind and connect, at least one.
    pub endpoints: Vec<Endpoint>,
    /// `--send` values; when empty, the types that only send, and REQ, read standard input
    /// and the others send nothing.
    pub send: Vec<Vec<u8>>,
    /// `--count`: messages (or round trips) before stopping.
    pub count: Option<u64>,
    /// `--interval`: pause between sends.
    pub interval: Option<Duration>,
    /// `--subscribe` prefixes; empty means everything.
    pub subscribe: Vec<Vec<u8>>,
    /// `--reply`: the REP's fixed reply; none means echo.
    pub reply: Option<Vec<u8>>,
    /// `--group`: the group a RADIO sends to, or the groups a DISH joins.
    pub groups: Vec<String>,
    /// `--timeout` in milliseconds.
    pub timeout: Option<i32>,
    /// `--wait-peers`: peers (subscribers) to wait for before the first send.
    pub wait_peers: Option<u64>,
    /// `--stats`: report rates on standard error.
    pub stats: bool,
    /// `--format`: how received messages are printed.
    pub format: Format,
    /// `--sndhwm`, `--linger` and the other socket options.
    pub options: SocketOptions,
    /// `--curve-server`, `--plain-user` and the other security flags.
    pub security: Security,
}

/// One side of the proxy.
#[derive(Debug)]
pub struct ProxySide {
    /// The socket's type.
    pub socket_type: SocketType,
    /// Where it binds or connects.
    pub endpoint: Endpoint,
    /// The socket options given after its type.
    pub options: SocketOptions,
    /// The security flags given after its type.
    pub security: Security,
}

/// The proxy command's arguments.
#[derive(Debug)]
pub struct ProxyArgs {
    /// The first socket.
    pub front: ProxySide,
    /// The second socket.
    pub back: ProxySide,
}

/// The monitor command's arguments.
#[derive(Debug)]
pub struct MonitorArgs {
    /// The type of the socket to watch.
    pub socket_type: SocketType,
    /// Where it binds and connects, at least one.
    pub endpoints: Vec<Endpoint>,
    /// `--count`: events before stopping.
    pub count: Option<u64>,
    /// `--timeout` in milliseconds: how long to watch at most.
    pub timeout: Option<i32>,
    /// `--format`: how events are printed.
    pub format: EventFormat,
    /// The watched socket's options.
    pub options: SocketOptions,
    /// The watched socket's security flags.
    pub security: Security,
}

impl SocketArgs {
    /// The socket command for `socket_type`, from what clap matched.
    pub fn read(socket_type: SocketType, matches: &ArgMatches) -> Result<SocketArgs, CliError> {
        let behaviour = Behaviour::of(socket_type).ok_or_else(|| {
            CliError::usage(format!(
                "socket type '{}' is not supported",
                type_name(socket_type)
            ))
        })?;
        let flags = CommandFlags::from_arg_matches(matches).map_err(clap_error)?;
        let args = SocketArgs {
            socket_type,
            role: behaviour.role,
            layout: behaviour.layout,
            endpoints: endpoints(matches, socket_type)?,
            send: flags.send.iter().map(bytes).collect(),
            count: flags.count,
            interval: flags.interval.map(Duration::from_millis),
            subscribe: flags.subscribe.iter().map(bytes).collect(),
            reply: flags.reply.as_ref().map(bytes),
            groups: flags.group,
            timeout: flags.timeout,
            wait_peers: flags.wait_peers,
            stats: flags.stats,
            format: flags.format.unwrap_or(Format::Text),
            options: SocketOptions::from_matches(matches, socket_type)?,
            security: Security::from_arg_matches(matches).map_err(clap_error)?,
        };
        args.check_applies(flags.format.is_some())?;
        Ok(args)
    }

    /// Whether this socket speaks first: sends messages of its own accord (rather than
    /// only answering, or only receiving).
    pub fn speaks_first(&self) -> bool {
        match self.role {
            Role::Request | Role::Send | Role::Exchange => true,
            // A peer that only binds has nobody to speak to first: it answers.
            Role::Converse => self.endpoints.iter().any(|e| e.side == Side::Connect),
            Role::Reply | Role::Receive | Role::Route => false,
        }
    }

    /// Rejects options that mean nothing for the socket type, so that a mistake is
    /// reported rather than silently ignored.
    fn check_applies(&self, format_given: bool) -> Result<(), CliError> {
        if self.endpoints.is_empty() {
            return Err(CliError::usage(format!(
                "missing endpoint for the {} socket (e.g. '@tcp://*:5555' or \
                 '>tcp://localhost:5555')",
                type_name(self.socket_type)
            )));
        }
        let speaks_first = self.speaks_first();
        if self.interval.is_some() && self.role == Role::Converse && !speaks_first {
            return Err(CliError::usage(
                "--interval paces what a peer sends first, and this peer connects to no one",
            ));
        }
        if self.interval.is_some()
            && speaks_first
            && self.send.is_empty()
            && !self.role.reads_standard_input()
        {
            return Err(CliError::usage(format!(
                "--interval paces --send values, and this {} socket has none",
                type_name(self.socket_type)
            )));
        }
        if self.wait_peers.is_some() && self.role == Role::Converse && !speaks_first {
            return Err(CliError::usage(
                "--wait-peers waits for the peers a peer speaks to first, and this peer \
                 connects to no one",
            ));
        }
        self.check_groups()?;
        let misplaced = [
            (
                "--send",
                !self.send.is_empty() && !self.role.takes_send_values(),
            ),
            (
                "--interval",
                self.interval.is_some() && !Applies::Interval.to(self.socket_type),
            ),
            (
                "--reply",
                self.reply.is_some() && !Applies::Reply.to(self.socket_type),
            ),
            (
                "--subscribe",
                !self.subscribe.is_empty() && !Applies::Subscribe.to(self.socket_type),
            ),
            (
                "--group",
                !self.groups.is_empty() && !Applies::Group.to(self.socket_type),
            ),
            (
                "--wait-peers",
                self.wait_peers.is_some() && !Applies::WaitPeers.to(self.socket_type),
            ),
            (
                "--format",
                format_given && !Applies::Format.to(self.socket_type),
            ),
        ];
        match misplaced.into_iter().find(|(_, wrong)| *wrong) {
            Some((option, _)) => Err(CliError::usage(format!(
                "{option} does not apply to a {} socket",
                type_name(self.socket_type)
            ))),
            None => Ok(()),
        }
    }

    /// A RADIO sends to exactly one group; a DISH joins one or more, each once.
    fn check_groups(&self) -> Result<(), CliError> {
        if self.layout != Layout::Group {
            return Ok(());
        }
        let name = type_name(self.socket_type);
        match (self.role, self.groups.as_slice()) {
            (Role::Send, []) => Err(CliError::usage(format!(
                "a {name} socket needs --group NAME, the group to send to"
            ))),
            (Role::Send, [_, _, ..]) => Err(CliError::usage(format!(
                "a {name} socket sends to one group: --group given more than once"
            ))),
            (_, []) => Err(CliError::usage(format!(
                "a {name} socket needs --group NAME, a group to join (repeatable)"
            ))),
            (_, groups) => match groups
                .iter()
                .enumerate()
                .find(|(i, group)| groups[..*i].contains(group))
            {
                Some((_, group)) => Err(CliError::usage(format!(
                    "--group '{group}' given more than once"
                ))),
                None => Ok(()),
            },
        }
    }
}

/// The options of [`CommandFlags`] that only some socket types take: the help of the
/// others does not show them, and [`SocketArgs::read`] refuses them there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    Send,
    Interval,
    Subscribe,
    Reply,
    Group,
    WaitPeers,
    Format,
}

impl Applies {
    /// Every option concerned, with its argument id.
    pub const ALL: [(Applies, &'static str); 7] = [
        (Applies::Send, "send"),
        (Applies::Interval, "interval"),
        (Applies::Subscribe, "subscribe"),
        (Applies::Reply, "reply"),
        (Applies::Group, "group"),
        (Applies::WaitPeers, "wait_peers"),
        (Applies::Format, "format"),
    ];

    /// Whether the option means something for `socket_type` (for a PEER, `--interval`
    /// and `--wait-peers` only once it connects somewhere: checked later).
    pub fn to(self, socket_type: SocketType) -> bool {
        let Some(behaviour) = Behaviour::of(socket_type) else {
            return false;
        };
        let role = behaviour.role;
        let sends_first = matches!(
            role,
            Role::Request | Role::Send | Role::Exchange | Role::Converse
        );
        match self {
            Applies::Send => role.takes_send_values(),
            Applies::Interval | Applies::WaitPeers => sends_first,
            Applies::Subscribe => matches!(socket_type, SocketType::Sub | SocketType::XSub),
            Applies::Reply => role == Role::Reply,
            Applies::Group => behaviour.layout == Layout::Group,
            // Only what a socket receives is printed.
            Applies::Format => role != Role::Send,
        }
    }
}

impl ProxySide {
    /// One side of the proxy, from what clap matched for it.
    pub fn read(matches: &ArgMatches) -> Result<ProxySide, CliError> {
        let socket_type = socket_type_named(utf8_arg(matches, "type", "socket type")?.as_str())?;
        let endpoint = utf8_arg(matches, "endpoint", "endpoint")?;
        Ok(ProxySide {
            socket_type,
            endpoint: Endpoint::parse(&endpoint, socket_type)?,
            options: SocketOptions::from_matches(matches, socket_type)?,
            security: Security::from_arg_matches(matches).map_err(clap_error)?,
        })
    }
}

impl MonitorArgs {
    /// The monitor command, from what clap matched.
    pub fn read(matches: &ArgMatches) -> Result<MonitorArgs, CliError> {
        let Some(name) = matches.get_one::<OsString>("type") else {
            return Err(CliError::usage(
                "monitor needs a socket type and an endpoint (e.g. 'monitor rep @tcp://*:5555')",
            ));
        };
        let socket_type = socket_type_named(utf8(name, "socket type")?)?;
        let endpoints = endpoints(matches, socket_type)?;
        if endpoints.is_empty() {
            return Err(CliError::usage(format!(
                "missing endpoint for the monitored {} socket (e.g. '@tcp://*:5555')",
                type_name(socket_type)
            )));
        }
        let flags = MonitorFlags::from_arg_matches(matches).map_err(clap_error)?;
        Ok(MonitorArgs {
            socket_type,
            endpoints,
            count: flags.count,
            timeout: flags.timeout,
            format: flags.format,
            options: SocketOptions::from_matches(matches, socket_type)?,
            security: Security::from_arg_matches(matches).map_err(clap_error)?,
        })
    }
}

/// The endpoints matched as `endpoint`, for a socket of `socket_type`.
fn endpoints(matches: &ArgMatches, socket_type: SocketType) -> Result<Vec<Endpoint>, CliError> {
    matches
        .get_many::<OsString>("endpoint")
        .into_iter()
        .flatten()
        .map(|text| Endpoint::parse(utf8(text, "endpoint")?, socket_type))
        .collect()
}

/// A socket type for the proxy or the monitor, which need no [`Behaviour`]: any type the
/// library makes will do.
pub fn socket_type_named(name: &str) -> Result<SocketType, CliError> {
    name.parse::<SocketType>().map_err(|_| {
        CliError::usage(format!(
            "unknown socket type '{name}' (use one of {})",
            crate::role::supported_type_names()
        ))
    })
}

fn utf8_arg(matches: &ArgMatches, id: &str, what: &str) -> Result<String, CliError> {
    match matches.get_one::<OsString>(id) {
        Some(value) => utf8(value, what).map(str::to_owned),
        None => Err(CliError::usage(format!("missing {what}"))),
    }
}

fn utf8<'a>(value: &'a OsString, what: &str) -> Result<&'a str, CliError> {
    value.to_str().ok_or_else(|| {
        CliError::usage(format!(
            "{what} '{}' is not valid UTF-8",
            value.to_string_lossy()
        ))
    })
}

fn bytes(value: &OsString) -> Vec<u8> {
    value.as_encoded_bytes().to_vec()
}

/// A clap error met after parsing (reading matched values into a struct): a bug in the
/// command's definition rather than in the command line, but reported all the same.
fn clap_error(e: clap::Error) -> CliError {
    CliError::usage(
        e.to_string()
            .trim()
            .trim_start_matches("error: ")
            .to_owned(),
    )
}

/// A whole number written as plain digits, so that `--count -1` or `--timeout +5` is an
/// error rather than a surprise.
pub fn whole_number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let parsed = if digits { text.parse().ok() } else { None };
    parsed.ok_or_else(|| match digits {
        true => "too large".to_owned(),
        false => "needs a whole number".to_owned(),
    })
}

/// A count: a whole number of at least 1.
fn at_least_one(text: &str) -> Result<u64, String> {
    match whole_number(text) {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(why) => Err(format!("{why} of at least 1")),
    }
}

/// The most bytes a group may have (`ZMQ_GROUP_MAX_LENGTH`). The library would refuse a
/// longer one only when the RADIO sends; checking it here makes it a usage error.
const GROUP_MAX_BYTES: usize = 255;

/// A RADIO/DISH group: 1 to 255 bytes of UTF-8, no NUL.
fn group(text: &str) -> Result<String, String> {
    let wrong = if text.is_empty() {
        Some("got an empty one".to_owned())
    } else if text.len() > GROUP_MAX_BYTES {
        Some(format!("got one of {} bytes", text.len()))
    } else if text.contains('\0') {
        Some(format!("got '{}'", text.escape_debug()))
    } else {
        None
    };
    match wrong {
        Some(wrong) => Err(format!(
            "needs 1 to {GROUP_MAX_BYTES} bytes without NUL, {wrong}"
        )),
        None => Ok(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain_digits() {
        assert_eq!(whole_number::<u64>("42"), Ok(42));
        for text in ["", "+5", "-1", " 5", "5ms", "zero"] {
            assert!(whole_number::<u64>(text).is_err(), "{text:?}");
        }
        assert_eq!(whole_number::<i32>("99999999999"), Err("too large".into()));
        assert!(at_least_one("0").is_err());
    }

    #[test]
    fn options_apply_to_the_types_that_use_them() {
        assert!(Applies::Reply.to(SocketType::Rep));
        assert!(!Applies::Reply.to(SocketType::Req));
        assert!(Applies::WaitPeers.to(SocketType::Pub));
        assert!(Applies::WaitPeers.to(SocketType::Push));
        assert!(!Applies::WaitPeers.to(SocketType::Sub));
        assert!(!Applies::Format.to(SocketType::Push));
        assert!(Applies::Format.to(SocketType::Pull));
        assert!(Applies::Subscribe.to(SocketType::XSub));
    }
}
