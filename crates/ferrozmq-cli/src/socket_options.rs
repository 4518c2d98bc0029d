//! The socket options the command takes as flags (`--sndhwm 1`, `--immediate`): one table
//! says each flag's name, what it takes, the library setter it goes to, the socket types
//! it applies to and its help, so that parsing, configuring and `--help` cannot disagree.

use crate::args::{type_name, OptionArg};
use crate::error::CliError;
use ferrozmq::{Error, Socket, SocketType};

type SetSwitch = fn(&Socket, bool) -> ferrozmq::Result<()>;
type SetNumber = fn(&Socket, i32) -> ferrozmq::Result<()>;
type SetSize = fn(&Socket, i64) -> ferrozmq::Result<()>;
type SetBytes = fn(&Socket, &[u8]) -> ferrozmq::Result<()>;

/// What a flag takes, and the setter its value goes to. Where the library refuses a value
/// it is left to judge, so that its reason is the user's error message; where it would
/// quietly read a value as another, the value is checked here instead.
#[derive(Clone, Copy, Debug)]
enum Value {
    /// Nothing: the flag turns the option on.
    Switch(SetSwitch),
    /// A whole number, negative ones included, named in the help by the text given.
    Number(&'static str, SetNumber),
    /// -1 or a whole number: the setter would take anything below -1 as -1.
    NumberFromMinusOne(&'static str, SetNumber),
    /// As [`NumberFromMinusOne`](Value::NumberFromMinusOne), in 64 bits.
    SizeFromMinusOne(&'static str, SetSize),
    /// 0 or 1: the setter also takes -1 (the system's default) and anything above 1.
    OffOrOn(SetNumber),
    /// Bytes as given.
    Bytes(&'static str, SetBytes),
}

/// The socket types a flag applies to.
#[derive(Clone, Copy, Debug)]
enum Applies {
    ToEveryType,
    /// The others would refuse it, or, for CONFLATE, mangle their multipart messages.
    Only(&'static [SocketType]),
}

/// One socket option flag.
#[derive(Debug)]
struct OptionFlag {
    /// As typed, such as `--sndhwm`.
    name: &'static str,
    value: Value,
    applies: Applies,
    /// What it does, for `--help`: a sentence or two, wrapped when printed.
    help: &'static str,
}

const FLAGS: &[OptionFlag] = &[
    OptionFlag {
        name: "--sndhwm",
        value: Value::Number("N", Socket::set_sndhwm),
        applies: Applies::ToEveryType,
        help: "queue at most N outgoing messages per peer (0: no limit; default 1000)",
    },
    OptionFlag {
        name: "--rcvhwm",
        value: Value::Number("N", Socket::set_rcvhwm),
        applies: Applies::ToEveryType,
        help: "queue at most N incoming messages per peer (0: no limit; default 1000)",
    },
    OptionFlag {
        name: "--linger",
        value: Value::NumberFromMinusOne("MS", Socket::set_linger),
        applies: Applies::ToEveryType,
        help: "how long to keep delivering unsent messages at exit (-1: until delivered); \
               default: a socket command's --timeout if given, else -1 (monitor: 0)",
    },
    OptionFlag {
        name: "--heartbeat-ivl",
        value: Value::Number("MS", Socket::set_heartbeat_ivl),
        applies: Applies::ToEveryType,
        help: "send a ZMTP PING on each connection every MS milliseconds (default 0: none)",
    },
    OptionFlag {
        name: "--heartbeat-timeout",
        value: Value::Number("MS", Socket::set_heartbeat_timeout),
        applies: Applies::ToEveryType,
        help: "drop a connection that stays silent for MS milliseconds after a PING \
               (default: the --heartbeat-ivl)",
    },
    OptionFlag {
        name: "--heartbeat-ttl",
        value: Value::Number("MS", Socket::set_heartbeat_ttl),
        applies: Applies::ToEveryType,
        help: "ask peers, in each PING, to drop this side after MS milliseconds without \
               traffic",
    },
    OptionFlag {
        name: "--reconnect-ivl",
        value: Value::NumberFromMinusOne("MS", Socket::set_reconnect_ivl),
        applies: Applies::ToEveryType,
        help: "wait MS milliseconds before reconnecting (-1: never reconnect; default 100)",
    },
    OptionFlag {
        name: "--reconnect-ivl-max",
        value: Value::Number("MS", Socket::set_reconnect_ivl_max),
        applies: Applies::ToEveryType,
        help: "double the wait after each failed reconnect, up to MS milliseconds \
               (default 0: no doubling)",
    },
    OptionFlag {
        name: "--connect-timeout",
        value: Value::Number("MS", Socket::set_connect_timeout),
        applies: Applies::ToEveryType,
        help: "abandon a tcp connect after MS milliseconds, and retry (default 0: the \
               system's limit)",
    },
    OptionFlag {
        name: "--handshake-ivl",
        value: Value::Number("MS", Socket::set_handshake_ivl),
        applies: Applies::ToEveryType,
        help: "drop a connection whose ZMTP handshake takes longer than MS milliseconds \
               (0: no limit; default 30000)",
    },
    OptionFlag {
        name: "--immediate",
        value: Value::Switch(Socket::set_immediate),
        applies: Applies::ToEveryType,
        help: "queue messages only to peers whose connection is complete",
    },
    OptionFlag {
        name: "--conflate",
        value: Value::Switch(Socket::set_conflate),
        applies: Applies::Only(&[
            SocketType::Pub,
            SocketType::Sub,
            SocketType::Push,
            SocketType::Pull,
            SocketType::Dealer,
        ]),
        help: "keep only the newest message in each queue, dropping those not read in \
               time (single-part messages only)",
    },
    OptionFlag {
        name: "--maxmsgsize",
        value: Value::SizeFromMinusOne("BYTES", Socket::set_maxmsgsize),
        applies: Applies::ToEveryType,
        help: "disconnect a peer that sends a message part larger than BYTES (-1: no \
               limit, the default)",
    },
    OptionFlag {
        name: "--ipv6",
        value: Value::Switch(Socket::set_ipv6),
        applies: Applies::ToEveryType,
        help: "use IPv6 for host names and wildcards",
    },
    OptionFlag {
        name: "--routing-id",
        value: Value::Bytes("ID", Socket::set_routing_id),
        applies: Applies::ToEveryType,
        help: "the routing id this socket announces to its peers (1 to 255 bytes, the \
               first not zero), which a router prints before its messages",
    },
    OptionFlag {
        name: "--tcp-keepalive",
        value: Value::OffOrOn(Socket::set_tcp_keepalive),
        applies: Applies::ToEveryType,
        help: "turn tcp keepalive probes off or on (default: the system's)",
    },
    OptionFlag {
        name: "--sndbuf",
        value: Value::Number("BYTES", Socket::set_sndbuf),
        applies: Applies::ToEveryType,
        help: "the kernel's send buffer size for each connection (default: the system's)",
    },
    OptionFlag {
        name: "--rcvbuf",
        value: Value::Number("BYTES", Socket::set_rcvbuf),
        applies: Applies::ToEveryType,
        help: "the kernel's receive buffer size for each connection (default: the \
               system's)",
    },
    OptionFlag {
        name: "--router-mandatory",
        value: Value::Switch(Socket::set_router_mandatory),
        applies: Applies::Only(&[SocketType::Router]),
        help: "an answer to a peer that has gone fails (exit status 1) instead of being \
               dropped",
    },
    OptionFlag {
        name: "--xpub-verbose",
        value: Value::Switch(Socket::set_xpub_verbose),
        applies: Applies::Only(&[SocketType::XPub]),
        help: "pass on every subscription, not only the first for each prefix",
    },
    OptionFlag {
        name: "--req-relaxed",
        value: Value::Switch(Socket::set_req_relaxed),
        applies: Applies::Only(&[SocketType::Req]),
        help: "allow a new request before the reply to the last one came",
    },
    OptionFlag {
        name: "--req-correlate",
        value: Value::Switch(Socket::set_req_correlate),
        applies: Applies::Only(&[SocketType::Req]),
        help: "tag each request, and accept only the reply that carries its tag",
    },
    OptionFlag {
        name: "--invert-matching",
        value: Value::Switch(Socket::set_invert_matching),
        applies: Applies::Only(&[SocketType::Pub, SocketType::XPub, SocketType::Sub]),
        help: "deliver the messages that match no subscription; publishers and \
               subscribers must agree on it",
    },
];

/// A flag's value, read, with the setter it goes to.
#[derive(Debug)]
enum Setting {
    Switch(SetSwitch),
    Number(SetNumber, i32),
    Size(SetSize, i64),
    Bytes(SetBytes, Vec<u8>),
}

impl Setting {
    /// The value, for error messages; none for a switch.
    fn shown(&self) -> Option<String> {
        match self {
            Setting::Switch(_) => None,
            Setting::Number(_, value) => Some(value.to_string()),
            Setting::Size(_, value) => Some(value.to_string()),
            Setting::Bytes(_, value) => Some(String::from_utf8_lossy(value).into_owned()),
        }
    }
}

/// One flag as given on the command line.
#[derive(Debug)]
struct SocketOption {
    flag: &'static str,
    setting: Setting,
}

/// The socket options given for one socket, in the order given.
#[derive(Debug, Default)]
pub struct SocketOptions(Vec<SocketOption>);

impl SocketOptions {
    /// Reads `option` if it is a socket option flag, checking that it applies to
    /// `socket_type`; gives false, leaving it to the caller, when it is not one.
    pub fn read(
        &mut self,
        option: &mut OptionArg<'_>,
        socket_type: SocketType,
    ) -> Result<bool, CliError> {
        let Some(flag) = FLAGS.iter().find(|flag| flag.name == option.name) else {
            return Ok(false);
        };
        if let Applies::Only(types) = flag.applies {
            if !types.contains(&socket_type) {
                return Err(CliError::usage(format!(
                    "{} does not apply to a {} socket (only to {})",
                    flag.name,
                    type_name(socket_type),
                    type_names(types)
                )));
            }
        }
        if self.0.iter().any(|given| given.flag == flag.name) {
            return Err(CliError::usage(format!(
                "{} given more than once",
                flag.name
            )));
        }
        self.0.push(SocketOption {
            flag: flag.name,
            setting: flag.read(option)?,
        });
        Ok(true)
    }

    /// Sets every option on `socket`. A value the library refuses is a mistake on the
    /// command line, reported with the library's reason.
    pub fn apply(&self, socket: &Socket) -> Result<(), CliError> {
        for option in &self.0 {
            let result = match &option.setting {
                Setting::Switch(set) => set(socket, true),
                Setting::Number(set, value) => set(socket, *value),
                Setting::Size(set, value) => set(socket, *value),
                Setting::Bytes(set, value) => set(socket, value),
            };
            result.map_err(|e| match (e, option.setting.shown()) {
                (e @ Error::InvalidArgument(_), None) => {
                    CliError::usage(format!("{}: {e}", option.flag))
                }
                (e @ Error::InvalidArgument(_), Some(value)) => {
                    CliError::usage(format!("{} '{value}': {e}", option.flag))
                }
                (e, _) => CliError::failed(format!("cannot set {}: {e}", option.flag)),
            })?;
        }
        Ok(())
    }
}

impl OptionFlag {
    /// Reads the flag's value, if it takes one, ready for its setter.
    fn read(&self, option: &mut OptionArg<'_>) -> Result<Setting, CliError> {
        Ok(match self.value {
            Value::Switch(set) => {
                option.no_value()?;
                Setting::Switch(set)
            }
            Value::Number(_, set) => Setting::Number(set, self.number(&option.value()?, None)?),
            Value::NumberFromMinusOne(_, set) => {
                Setting::Number(set, self.number(&option.value()?, Some(-1))?)
            }
            Value::SizeFromMinusOne(_, set) => {
                Setting::Size(set, self.number(&option.value()?, Some(-1))?)
            }
            Value::OffOrOn(set) => match option.value()?.as_slice() {
                b"0" => Setting::Number(set, 0),
                b"1" => Setting::Number(set, 1),
                other => {
                    return Err(CliError::usage(format!(
                        "{} needs 0 or 1, got '{}'",
                        self.name,
                        String::from_utf8_lossy(other)
                    )))
                }
            },
            Value::Bytes(_, set) => Setting::Bytes(set, option.value()?),
        })
    }

    /// A whole number, of `lowest` or more if given, written as digits with an optional
    /// minus sign (so that `+5` or ` 5` is an error rather than a surprise).
    fn number<T>(&self, value: &[u8], lowest: Option<T>) -> Result<T, CliError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display,
    {
        let text = String::from_utf8_lossy(value);
        let digits = text.strip_prefix('-').unwrap_or(&text);
        let parsed = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            text.parse()
                .ok()
                .filter(|n| lowest.as_ref().is_none_or(|lowest| n >= lowest))
        } else {
            None
        };
        parsed.ok_or_else(|| {
            let wanted = match lowest {
                Some(lowest) => format!("a whole number of {lowest} or more"),
                None => "a whole number".to_owned(),
            };
            CliError::usage(format!("{} needs {wanted}, got '{text}'", self.name))
        })
    }

    /// The flag and what it takes, as the help shows them: `--sndhwm N`.
    fn synopsis(&self) -> String {
        let placeholder = match self.value {
            Value::Switch(_) => return self.name.to_owned(),
            Value::OffOrOn(_) => "0|1",
            Value::Number(placeholder, _)
            | Value::NumberFromMinusOne(placeholder, _)
            | Value::SizeFromMinusOne(placeholder, _)
            | Value::Bytes(placeholder, _) => placeholder,
        };
        format!("{} {placeholder}", self.name)
    }

    /// The help, led by the socket types it applies to when it is not all of them.
    fn description(&self) -> String {
        match self.applies {
            Applies::ToEveryType => self.help.to_owned(),
            Applies::Only(types) => format!("({}) {}", type_names(types), self.help),
        }
    }
}

fn type_names(types: &[SocketType]) -> String {
    types
        .iter()
        .map(|t| type_name(*t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The width `--help` text is wrapped to.
const HELP_WIDTH: usize = 79;

/// Where descriptions start: the column of the other options' in `--help`.
const DESCRIPTION_COLUMN: usize = 21;

/// The table as `--help` shows it: each flag and what it takes, then its description,
/// wrapped, in a column; on a line of its own when the flag is too long to leave room.
pub fn help() -> String {
    let mut text = String::new();
    for flag in FLAGS {
        let mut lead = format!("  {}", flag.synopsis());
        if lead.len() + 1 > DESCRIPTION_COLUMN {
            text.push_str(&lead);
            text.push('\n');
            lead.clear();
        }
        for line in wrap(&flag.description(), HELP_WIDTH - DESCRIPTION_COLUMN) {
            text.push_str(&format!("{lead:<DESCRIPTION_COLUMN$}{line}\n"));
            lead.clear();
        }
    }
    text
}

/// Splits `text` into lines of at most `width` characters, at spaces; a longer word gets a
/// line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::{help, wrap, FLAGS, HELP_WIDTH};

    #[test]
    fn help_shows_every_flag_within_the_width() {
        let text = help();
        for flag in FLAGS {
            assert!(
                text.lines()
                    .any(|line| line.trim_start().starts_with(&flag.synopsis())),
                "{} missing from:\n{text}",
                flag.name
            );
        }
        for line in text.lines() {
            assert!(line.chars().count() <= HELP_WIDTH, "too wide: {line:?}");
        }
    }

    #[test]
    fn flag_names_are_distinct_long_options() {
        for (i, flag) in FLAGS.iter().enumerate() {
            assert!(flag.name.starts_with("--"), "{}", flag.name);
            assert!(
                FLAGS[..i].iter().all(|other| other.name != flag.name),
                "{} twice",
                flag.name
            );
        }
    }

    #[test]
    fn wrapping_breaks_at_spaces_within_the_width() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("a verylongword b", 4), ["a", "verylongword", "b"]);
        assert_eq!(wrap("", 4), [""]);
    }
}
