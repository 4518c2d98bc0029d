//! The command line: what the user asked for, read from the arguments.
//!
//! Arguments are handled as bytes so that `--send` and `--subscribe` can carry anything
//! the shell passes; only names, numbers and endpoints have to be UTF-8.

use crate::endpoints::Endpoint;
use crate::error::CliError;
use crate::role::{supported_type_names, Role};
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
}

/// The socket command's arguments.
#[derive(Debug)]
pub struct SocketArgs {
    /// The socket's type.
    pub socket_type: SocketType,
    /// What the command does with it.
    pub role: Role,
    /// Where to bind and connect, at least one.
    pub endpoints: Vec<Endpoint>,
    /// `--send` values; when empty, REQ, PUB and PUSH read standard input and the others
    /// send nothing.
    pub send: Vec<Vec<u8>>,
    /// `--count`: messages (or round trips) before stopping.
    pub count: Option<u64>,
    /// `--interval`: pause between sends.
    pub interval: Option<Duration>,
    /// `--subscribe` prefixes; empty means everything.
    pub subscribe: Vec<Vec<u8>>,
    /// `--reply`: the REP's fixed reply; none means echo.
    pub reply: Option<Vec<u8>>,
    /// `--timeout` in milliseconds.
    pub timeout: Option<i32>,
    /// `--linger` in milliseconds.
    pub linger: Option<i32>,
}

impl SocketArgs {
    /// The linger to close with: `--linger`, else `--timeout`, else until delivered.
    pub fn linger(&self) -> i32 {
        self.linger.or(self.timeout).unwrap_or(-1)
    }
}

/// One side of the proxy.
#[derive(Debug)]
pub struct ProxySide {
    /// The socket's type.
    pub socket_type: SocketType,
    /// Where it binds or connects.
    pub endpoint: Endpoint,
}

/// The proxy command's arguments.
#[derive(Debug)]
pub struct ProxyArgs {
    /// The first socket.
    pub front: ProxySide,
    /// The second socket.
    pub back: ProxySide,
}

/// Reads the arguments that follow the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, CliError> {
    let mut args = args.into_iter().map(OsString::into_encoded_bytes);
    let Some(first) = args.next() else {
        return Err(CliError::usage("missing command (try 'ferrozmq --help')"));
    };
    match first.as_slice() {
        b"-h" | b"--help" => Ok(Command::Help),
        b"-V" | b"--version" => Ok(Command::Version),
        b"demo" => parse_demo(args),
        b"proxy" => parse_proxy(args),
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

fn parse_proxy(args: impl Iterator<Item = Vec<u8>>) -> Result<Command, CliError> {
    let rest: Vec<_> = args.collect();
    if rest.iter().any(|arg| is_help(arg)) {
        return Ok(Command::Help);
    }
    let [front_type, front_endpoint, back_type, back_endpoint] = rest.as_slice() else {
        return Err(CliError::usage(format!(
            "proxy takes 4 arguments (FRONT_TYPE FRONT_ENDPOINT BACK_TYPE BACK_ENDPOINT), got {}",
            rest.len()
        )));
    };
    Ok(Command::Proxy(ProxyArgs {
        front: proxy_side(front_type, front_endpoint)?,
        back: proxy_side(back_type, back_endpoint)?,
    }))
}

fn proxy_side(socket_type: &[u8], endpoint: &[u8]) -> Result<ProxySide, CliError> {
    let name = utf8(socket_type, "socket type")?;
    // The proxy needs no role: any type the library makes will do.
    let socket_type = name.parse::<SocketType>().map_err(|_| {
        CliError::usage(format!(
            "unknown socket type '{name}' (use one of {})",
            supported_type_names()
        ))
    })?;
    let endpoint = Endpoint::parse(utf8(endpoint, "endpoint")?, socket_type)?;
    Ok(ProxySide {
        socket_type,
        endpoint,
    })
}

fn parse_socket(
    type_name: &[u8],
    mut args: impl Iterator<Item = Vec<u8>>,
) -> Result<Command, CliError> {
    let name = utf8(type_name, "command")?;
    let socket_type = name.parse::<SocketType>().map_err(|_| {
        CliError::usage(format!(
            "unknown command or socket type '{name}' (use demo, proxy or one of {})",
            supported_type_names()
        ))
    })?;
    let role = Role::of(socket_type).ok_or_else(|| {
        CliError::usage(format!(
            "socket type '{name}' is not supported yet (use one of {})",
            supported_type_names()
        ))
    })?;
    let mut parsed = SocketArgs {
        socket_type,
        role,
        endpoints: Vec::new(),
        send: Vec::new(),
        count: None,
        interval: None,
        subscribe: Vec::new(),
        reply: None,
        timeout: None,
        linger: None,
    };
    while let Some(arg) = args.next() {
        if is_help(&arg) {
            return Ok(Command::Help);
        }
        if !arg.starts_with(b"-") {
            let endpoint = utf8(&arg, "endpoint")?;
            parsed
                .endpoints
                .push(Endpoint::parse(endpoint, socket_type)?);
            continue;
        }
        let (option, inline_value) = split_option(&arg)?;
        let mut value = || match &inline_value {
            Some(value) => Ok(value.clone()),
            None => args
                .next()
                .ok_or_else(|| CliError::usage(format!("{option} needs a value"))),
        };
        match option {
            "--send" => parsed.send.push(value()?),
            "--count" => set_once(&mut parsed.count, option, count(option, &value()?)?)?,
            "--interval" => {
                let millis = whole_number(option, &value()?, "of milliseconds")?;
                set_once(&mut parsed.interval, option, Duration::from_millis(millis))?
            }
            "--subscribe" => parsed.subscribe.push(value()?),
            "--reply" => set_once(&mut parsed.reply, option, value()?)?,
            "--timeout" => set_once(
                &mut parsed.timeout,
                option,
                milliseconds(option, &value()?)?,
            )?,
            "--linger" => set_once(&mut parsed.linger, option, linger(option, &value()?)?)?,
            _ => {
                return Err(CliError::usage(format!(
                    "unknown option '{option}' (try 'ferrozmq --help')"
                )))
            }
        }
    }
    check_applies(&parsed)?;
    Ok(Command::Socket(parsed))
}

/// Splits `--name=value` into its name and value; `--name` has no value yet.
fn split_option(arg: &[u8]) -> Result<(&str, Option<Vec<u8>>), CliError> {
    match arg.iter().position(|&b| b == b'=') {
        Some(eq) => Ok((utf8(&arg[..eq], "option")?, Some(arg[eq + 1..].to_vec()))),
        None => Ok((utf8(arg, "option")?, None)),
    }
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
    if args.role == Role::Exchange && args.interval.is_some() && args.send.is_empty() {
        return Err(CliError::usage(format!(
            "--interval paces --send values, and this {} socket has none",
            type_name(args.socket_type)
        )));
    }
    let paces_sends = args.role.reads_standard_input() || args.role == Role::Exchange;
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
    ];
    match misplaced.into_iter().find(|(_, wrong)| *wrong) {
        Some((option, _)) => Err(CliError::usage(format!(
            "{option} does not apply to a {} socket",
            type_name(args.socket_type)
        ))),
        None => Ok(()),
    }
}

fn type_name(socket_type: SocketType) -> String {
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

/// A linger: milliseconds, or -1 for as long as it takes.
fn linger(option: &str, value: &[u8]) -> Result<i32, CliError> {
    if value == b"-1" {
        return Ok(-1);
    }
    milliseconds(option, value)
}
