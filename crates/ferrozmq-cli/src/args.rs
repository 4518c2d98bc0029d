//! The command line: what the user asked for, read from the arguments.
//!
//! Arguments are handled as bytes so that `--send` and `--subscribe` can carry anything
//! the shell passes; only names, numbers and endpoints have to be UTF-8.

use crate::endpoints::{Endpoint, Side};
use crate::error::CliError;
use crate::role::{supported_type_names, Behaviour, Layout, Role};
use crate::security::Security;
use crate::socket_options::SocketOptions;
use ferrozmq::SocketType;
use std::ffi::OsString;
use std::time::Duration;

/// What to do.
#[derive(Debug)]
pub enum Command {
    /// Print the usage text.
    Help,
    /// Print the version.
    Version,
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
    /// `--timeout` in milliseconds: the longest wait for an event.
    pub timeout: Option<i32>,
    /// The watched socket's options.
    pub options: SocketOptions,
    /// The watched socket's security flags.
    pub security: Security,
}

/// An option as written on the command line, with the way to its value: after `=`, else
/// the next argument.
pub struct OptionArg<'a> {
    /// The option's name, such as `--count`.
    pub name: &'a str,
    inline_value: Option<Vec<u8>>,
    rest: &'a mut dyn Iterator<Item = Vec<u8>>,
}

impl<'a> OptionArg<'a> {
    /// Reads `arg`, an argument starting with `-`; `rest` holds the arguments after it.
    fn new(arg: &'a [u8], rest: &'a mut dyn Iterator<Item = Vec<u8>>) -> Result<Self, CliError> {
        let (name, inline_value) = match arg.iter().position(|&b| b == b'=') {
            Some(eq) => (&arg[..eq], Some(arg[eq + 1..].to_vec())),
            None => (arg, None),
        };
        Ok(OptionArg {
            name: utf8(name, "option")?,
            inline_value,
            rest,
        })
    }

    /// Takes the option's value.
    pub fn value(&mut self) -> Result<Vec<u8>, CliError> {
        match self.inline_value.take() {
            Some(value) => Ok(value),
            None => self
                .rest
                .next()
                .ok_or_else(|| CliError::usage(format!("{} needs a value", self.name))),
        }
    }

    /// Checks that an option that takes no value was given none.
    pub fn no_value(&self) -> Result<(), CliError> {
        match self.inline_value {
            Some(_) => Err(CliError::usage(format!("{} takes no value", self.name))),
            None => Ok(()),
        }
    }
}

/// Reads the arguments that follow the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, CliError> {
    let mut args = args.into_iter().peekable();
    if args.next_if(|first| first == "bench").is_some() {
        // The harness reads its own arguments (and answers --help itself).
        return Ok(Command::Bench(args.collect()));
    }
    let mut args = args.map(OsString::into_encoded_bytes);
    let Some(first) = args.next() else {
        return Err(CliError::usage("missing command (try 'ferrozmq --help')"));
    };
    match first.as_slice() {
        b"-h" | b"--help" => Ok(Command::Help),
        b"-V" | b"--version" => Ok(Command::Version),
        b"demo" => parse_demo(args),
        b"proxy" => parse_proxy(args),
        b"monitor" => parse_monitor(args),
        b"keygen" => parse_keygen(args),
        _ if first.starts_with(b"-") => Err(CliError::usage(format!(
            "unknown option '{}' (try 'ferrozmq --help')",
            String::from_utf8_lossy(&first)
        ))),
        _ => parse_socket(&first, args),
    }
}

fn is_help(arg: &[u8]) -> bool {
    arg == b"--help" || arg == b"-h"
}

fn parse_demo(args: impl Iterator<Item = Vec<u8>>) -> Result<Command, CliError> {
    let rest: Vec<_> = args.collect();
    if rest.iter().any(|arg| is_help(arg)) {
        return Ok(Command::Help);
    }
    match rest.first() {
        None => Ok(Command::Demo),
        Some(arg) => Err(CliError::usage(format!(
            "demo takes no arguments, got '{}'",
            String::from_utf8_lossy(arg)
        ))),
    }
}

fn parse_keygen(args: impl Iterator<Item = Vec<u8>>) -> Result<Command, CliError> {
    let rest: Vec<_> = args.collect();
    if rest.iter().any(|arg| is_help(arg)) {
        return Ok(Command::Help);
    }
    match rest.first() {
        None => Ok(Command::Keygen),
        Some(arg) => Err(CliError::usage(format!(
            "keygen takes no arguments, got '{}'",
            String::from_utf8_lossy(arg)
        ))),
    }
}

fn parse_proxy(args: impl Iterator<Item = Vec<u8>>) -> Result<Command, CliError> {
    let rest: Vec<_> = args.collect();
    if rest.iter().any(|arg| is_help(arg)) {
        return Ok(Command::Help);
    }
    let mut rest = rest.into_iter();
    let mut positional = Vec::new();
    let mut options = [SocketOptions::default(), SocketOptions::default()];
    let mut security = [Security::default(), Security::default()];
    while let Some(arg) = rest.next() {
        if !arg.starts_with(b"-") {
            positional.push(arg);
            continue;
        }
        let mut option = OptionArg::new(&arg, &mut rest)?;
        // An option configures the socket whose type came last.
        let side = match positional.len() {
            0 => {
                return Err(CliError::usage(format!(
                    "{} comes before any socket: a proxy's socket options follow the \
                     TYPE of the socket they configure",
                    option.name
                )))
            }
            1 | 2 => 0,
            _ => 1,
        };
        let socket_type = socket_type_named(utf8(&positional[side * 2], "socket type")?)?;
        if !options[side].read(&mut option, socket_type)? && !security[side].read(&mut option)? {
            return Err(CliError::usage(format!(
                "unknown option '{}' for proxy (it takes the socket options)",
                option.name
            )));
        }
    }
    let [front_type, front_endpoint, back_type, back_endpoint] = positional.as_slice() else {
        return Err(CliError::usage(format!(
            "proxy takes 4 arguments (FRONT_TYPE FRONT_ENDPOINT BACK_TYPE BACK_ENDPOINT), got {}",
            positional.len()
        )));
    };
    let [front_options, back_options] = options;
    let [front_security, back_security] = security;
    Ok(Command::Proxy(ProxyArgs {
        front: proxy_side(front_type, front_endpoint, front_options, front_security)?,
        back: proxy_side(back_type, back_endpoint, back_options, back_security)?,
    }))
}

fn proxy_side(
    socket_type: &[u8],
    endpoint: &[u8],
    options: SocketOptions,
    security: Security,
) -> Result<ProxySide, CliError> {
    let socket_type = socket_type_named(utf8(socket_type, "socket type")?)?;
    let endpoint = Endpoint::parse(utf8(endpoint, "endpoint")?, socket_type)?;
    Ok(ProxySide {
        socket_type,
        endpoint,
        options,
        security,
    })
}

fn parse_monitor(mut args: impl Iterator<Item = Vec<u8>>) -> Result<Command, CliError> {
    let Some(first) = args.next() else {
        return Err(CliError::usage(
            "monitor needs a socket type and an endpoint (e.g. 'monitor rep @tcp://*:5555')",
        ));
    };
    if is_help(&first) {
        return Ok(Command::Help);
    }
    let socket_type = socket_type_named(utf8(&first, "socket type")?)?;
    let mut event_count = None;
    let mut timeout = None;
    let mut options = SocketOptions::default();
    let mut security = Security::default();
    let endpoints = read_arguments(args, socket_type, |option| {
        let name = option.name;
        match name {
            "--count" => set_once(&mut event_count, name, count(name, &option.value()?)?),
            "--timeout" => set_once(&mut timeout, name, milliseconds(name, &option.value()?)?),
            _ if options.read(option, socket_type)? => Ok(()),
            _ if security.read(option)? => Ok(()),
            _ => Err(CliError::usage(format!(
                "unknown option '{name}' for monitor (it takes --count, --timeout and the \
                 socket options)"
            ))),
        }
    })?;
    let Some(endpoints) = endpoints else {
        return Ok(Command::Help);
    };
    if endpoints.is_empty() {
        return Err(CliError::usage(format!(
            "missing endpoint for the monitored {} socket (e.g. '@tcp://*:5555')",
            type_name(socket_type)
        )));
    }
    Ok(Command::Monitor(MonitorArgs {
        socket_type,
        endpoints,
        count: event_count,
        timeout,
        options,
        security,
    }))
}

/// A socket type for the proxy or the monitor, which need no [`Behaviour`]: any type the
/// library makes will do.
fn socket_type_named(name: &str) -> Result<SocketType, CliError> {
    name.parse::<SocketType>().map_err(|_| {
        CliError::usage(format!(
            "unknown socket type '{name}' (use one of {})",
            supported_type_names()
        ))
    })
}

fn parse_socket(
    type_name: &[u8],
    args: impl Iterator<Item = Vec<u8>>,
) -> Result<Command, CliError> {
    let name = utf8(type_name, "command")?;
    let socket_type = name.parse::<SocketType>().map_err(|_| {
        CliError::usage(format!(
            "unknown command or socket type '{name}' (use demo, proxy, monitor or one of {})",
            supported_type_names()
        ))
    })?;
    let behaviour = Behaviour::of(socket_type).ok_or_else(|| {
        CliError::usage(format!(
            "socket type '{name}' is not supported yet (use one of {})",
            supported_type_names()
        ))
    })?;
    let mut parsed = SocketArgs {
        socket_type,
        role: behaviour.role,
        layout: behaviour.layout,
        endpoints: Vec::new(),
        send: Vec::new(),
        count: None,
        interval: None,
        subscribe: Vec::new(),
        reply: None,
        groups: Vec::new(),
        timeout: None,
        options: SocketOptions::default(),
        security: Security::default(),
    };
    let endpoints = read_arguments(args, socket_type, |option| {
        let name = option.name;
        match name {
            "--send" => parsed.send.push(option.value()?),
            "--count" => set_once(&mut parsed.count, name, count(name, &option.value()?)?)?,
            "--interval" => {
                let millis = whole_number(name, &option.value()?, "of milliseconds")?;
                set_once(&mut parsed.interval, name, Duration::from_millis(millis))?
            }
            "--subscribe" => parsed.subscribe.push(option.value()?),
            "--reply" => set_once(&mut parsed.reply, name, option.value()?)?,
            "--group" => parsed.groups.push(group(&option.value()?)?),
            "--timeout" => set_once(
                &mut parsed.timeout,
                name,
                milliseconds(name, &option.value()?)?,
            )?,
            _ if parsed.options.read(option, socket_type)? => {}
            _ if parsed.security.read(option)? => {}
            _ => {
                return Err(CliError::usage(format!(
                    "unknown option '{name}' (try 'ferrozmq --help')"
                )))
            }
        }
        Ok(())
    })?;
    let Some(endpoints) = endpoints else {
        return Ok(Command::Help);
    };
    parsed.endpoints = endpoints;
    check_applies(&parsed)?;
    Ok(Command::Socket(parsed))
}

/// Reads endpoints and options to the end of the arguments, handing each option to
/// `option`. Gives the endpoints, or `None` when `--help` is among the arguments.
fn read_arguments(
    mut args: impl Iterator<Item = Vec<u8>>,
    socket_type: SocketType,
    mut option: impl FnMut(&mut OptionArg<'_>) -> Result<(), CliError>,
) -> Result<Option<Vec<Endpoint>>, CliError> {
    let mut endpoints = Vec::new();
    while let Some(arg) = args.next() {
        if is_help(&arg) {
            return Ok(None);
        }
        if !arg.starts_with(b"-") {
            let endpoint = utf8(&arg, "endpoint")?;
            endpoints.push(Endpoint::parse(endpoint, socket_type)?);
            continue;
        }
        option(&mut OptionArg::new(&arg, &mut args)?)?;
    }
    Ok(Some(endpoints))
}

/// Rejects options that mean nothing for the socket type, so that a mistake is reported
/// rather than silently ignored.
fn check_applies(args: &SocketArgs) -> Result<(), CliError> {
    if args.endpoints.is_empty() {
        return Err(CliError::usage(format!(
            "missing endpoint for the {} socket (e.g. '@tcp://*:5555' or '>tcp://localhost:5555')",
            type_name(args.socket_type)
        )));
    }
    let speaks_first = match args.role {
        Role::Exchange => true,
        // A peer that only binds has nobody to speak to first: it answers.
        Role::Converse => args.endpoints.iter().any(|e| e.side == Side::Connect),
        _ => false,
    };
    if args.interval.is_some() && args.role == Role::Converse && !speaks_first {
        return Err(CliError::usage(
            "--interval paces what a peer sends first, and this peer connects to no one",
        ));
    }
    if args.interval.is_some() && speaks_first && args.send.is_empty() {
        return Err(CliError::usage(format!(
            "--interval paces --send values, and this {} socket has none",
            type_name(args.socket_type)
        )));
    }
    check_groups(args)?;
    let paces_sends = args.role.reads_standard_input() || speaks_first;
    let misplaced = [
        (
            "--send",
            !args.send.is_empty() && !args.role.takes_send_values(),
        ),
        ("--interval", args.interval.is_some() && !paces_sends),
        ("--reply", args.reply.is_some() && args.role != Role::Reply),
        (
            "--subscribe",
            !args.subscribe.is_empty()
                && !matches!(args.socket_type, SocketType::Sub | SocketType::XSub),
        ),
        (
            "--group",
            !args.groups.is_empty() && args.layout != Layout::Group,
        ),
    ];
    match misplaced.into_iter().find(|(_, wrong)| *wrong) {
        Some((option, _)) => Err(CliError::usage(format!(
            "{option} does not apply to a {} socket",
            type_name(args.socket_type)
        ))),
        None => Ok(()),
    }
}

/// A RADIO sends to exactly one group; a DISH joins one or more, each once.
fn check_groups(args: &SocketArgs) -> Result<(), CliError> {
    if args.layout != Layout::Group {
        return Ok(());
    }
    let name = type_name(args.socket_type);
    match (args.role, args.groups.as_slice()) {
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

/// A socket type as the command line writes it.
pub fn type_name(socket_type: SocketType) -> String {
    socket_type.as_str().to_ascii_lowercase()
}

fn set_once<T>(slot: &mut Option<T>, option: &str, value: T) -> Result<(), CliError> {
    if slot.replace(value).is_some() {
        return Err(CliError::usage(format!("{option} given more than once")));
    }
    Ok(())
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, CliError> {
    std::str::from_utf8(bytes).map_err(|_| {
        CliError::usage(format!(
            "{what} '{}' is not valid UTF-8",
            String::from_utf8_lossy(bytes)
        ))
    })
}

/// A whole number written as plain digits, so that `--count -1` or `--timeout +5` is an
/// error rather than a surprise.
fn whole_number<T: std::str::FromStr>(
    option: &str,
    value: &[u8],
    limit: &str,
) -> Result<T, CliError> {
    let text = utf8(value, "number")?;
    let parsed = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        CliError::usage(format!(
            "{option} needs a whole number {limit}, got '{text}'"
        ))
    })
}

/// The most bytes a group may have (`ZMQ_GROUP_MAX_LENGTH`). The library would refuse a
/// longer one only when the RADIO sends; checking it here makes it a usage error.
const GROUP_MAX_BYTES: usize = 255;

/// A RADIO/DISH group: 1 to 255 bytes of UTF-8, no NUL.
fn group(value: &[u8]) -> Result<String, CliError> {
    let text = utf8(value, "--group")?;
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
        Some(wrong) => Err(CliError::usage(format!(
            "--group needs 1 to {GROUP_MAX_BYTES} bytes without NUL, {wrong}"
        ))),
        None => Ok(text.to_owned()),
    }
}

fn count(option: &str, value: &[u8]) -> Result<u64, CliError> {
    match whole_number(option, value, "of at least 1")? {
        0 => Err(CliError::usage(format!("{option} must be at least 1"))),
        n => Ok(n),
    }
}

/// Milliseconds as the socket options take them.
fn milliseconds(option: &str, value: &[u8]) -> Result<i32, CliError> {
    whole_number(option, value, "of milliseconds")
}
