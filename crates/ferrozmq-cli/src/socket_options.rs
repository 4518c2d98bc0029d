//! The socket options the command takes as flags (`--sndhwm 1`, `--immediate`): one table
//! says each flag's name, what it takes, the library setter it goes to, the socket types
//! it applies to and its help; the clap arguments, the reading of their values, the
//! configuring and the help are all made from it, so that they cannot disagree.

use crate::error::CliError;
use crate::role::type_name;
use clap::{value_parser, Arg, ArgAction, ArgMatches};
use ferrozmq::{Error, Socket, SocketType};
use std::ffi::OsString;
use std::time::Duration;

/// A library setter, reached through the socket's options.
type Setter<T> = fn(&ferrozmq::SocketOptions<'_>, T) -> ferrozmq::Result<()>;
/// A library setter taking bytes.
type BytesSetter = fn(&ferrozmq::SocketOptions<'_>, &[u8]) -> ferrozmq::Result<()>;

/// What a flag takes on the command line, and the setter its value goes to. Values the
/// types cannot hold (a negative count) are refused here; where the library refuses a
/// value it is left to judge, so that its reason is the user's error message.
#[derive(Clone, Copy, Debug)]
enum Value {
    /// Nothing: the flag turns the option on.
    Switch(Setter<bool>),
    /// A whole number of 0 or more, named in the help by the text given.
    Count(&'static str, Setter<u32>),
    /// Milliseconds, 0 or more.
    Millis(Setter<Duration>),
    /// Milliseconds, or -1 for libzmq's "none" (for ever, never, the default).
    MillisOrNone(Setter<Option<Duration>>),
    /// Bytes, or -1 for libzmq's "none" (no limit, the system's default).
    BytesOrNone(Setter<Option<u64>>),
    /// 0 or 1: off or on (the system's default when not given).
    OffOrOn(Setter<Option<bool>>),
    /// Bytes as given.
    Bytes(&'static str, BytesSetter),
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
        value: Value::Count("N", |o, v| o.set_sndhwm(v)),
        applies: Applies::ToEveryType,
        help: "Queue at most N outgoing messages per peer (0: no limit; default 1000)",
    },
    OptionFlag {
        name: "--rcvhwm",
        value: Value::Count("N", |o, v| o.set_rcvhwm(v)),
        applies: Applies::ToEveryType,
        help: "Queue at most N incoming messages per peer (0: no limit; default 1000)",
    },
    OptionFlag {
        name: "--linger",
        value: Value::MillisOrNone(|o, v| o.set_linger(v)),
        applies: Applies::ToEveryType,
        help: "How long to keep delivering unsent messages at exit (-1: until delivered); \
               default: a socket command's --timeout if given, else -1 (pub, xpub, radio: 1000; monitor: 0)",
    },
    OptionFlag {
        name: "--heartbeat-ivl",
        value: Value::Millis(|o, v| o.set_heartbeat_ivl(v)),
        applies: Applies::ToEveryType,
        help: "Send a ZMTP PING on each connection every MS milliseconds (default 0: none)",
    },
    OptionFlag {
        name: "--heartbeat-timeout",
        value: Value::MillisOrNone(|o, v| o.set_heartbeat_timeout(v)),
        applies: Applies::ToEveryType,
        help: "Drop a connection that stays silent for MS milliseconds after a PING \
               (default: the --heartbeat-ivl)",
    },
    OptionFlag {
        name: "--heartbeat-ttl",
        value: Value::Millis(|o, v| o.set_heartbeat_ttl(v)),
        applies: Applies::ToEveryType,
        help: "Ask peers, in each PING, to drop this side after MS milliseconds without \
               traffic",
    },
    OptionFlag {
        name: "--reconnect-ivl",
        value: Value::MillisOrNone(|o, v| o.set_reconnect_ivl(v)),
        applies: Applies::ToEveryType,
        help: "Wait MS milliseconds before reconnecting (-1: never reconnect; default 100)",
    },
    OptionFlag {
        name: "--reconnect-ivl-max",
        value: Value::Millis(|o, v| o.set_reconnect_ivl_max(v)),
        applies: Applies::ToEveryType,
        help: "Double the wait after each failed reconnect, up to MS milliseconds \
               (default 0: no doubling)",
    },
    OptionFlag {
        name: "--connect-timeout",
        value: Value::Millis(|o, v| o.set_connect_timeout(v)),
        applies: Applies::ToEveryType,
        help: "Abandon a tcp connect after MS milliseconds, and retry (default 0: the \
               system's limit)",
    },
    OptionFlag {
        name: "--handshake-ivl",
        value: Value::Millis(|o, v| o.set_handshake_ivl(v)),
        applies: Applies::ToEveryType,
        help: "Drop a connection whose ZMTP handshake takes longer than MS milliseconds \
               (0: no limit; default 30000)",
    },
    OptionFlag {
        name: "--immediate",
        value: Value::Switch(|o, on| o.set_immediate(on)),
        applies: Applies::ToEveryType,
        help: "Queue messages only to peers whose connection is complete",
    },
    OptionFlag {
        name: "--conflate",
        value: Value::Switch(|o, on| o.set_conflate(on)),
        applies: Applies::Only(&[
            SocketType::Pub,
            SocketType::Sub,
            SocketType::Push,
            SocketType::Pull,
            SocketType::Dealer,
        ]),
        help: "Keep only the newest message in each queue, dropping those not read in \
               time (single-part messages only)",
    },
    OptionFlag {
        name: "--maxmsgsize",
        value: Value::BytesOrNone(|o, v| o.set_maxmsgsize(v)),
        applies: Applies::ToEveryType,
        help: "Disconnect a peer that sends a message part larger than BYTES (-1: no \
               limit, the default)",
    },
    OptionFlag {
        name: "--maxmsgparts",
        value: Value::Count("N", |o, v| o.set_maxmsgparts(v)),
        applies: Applies::ToEveryType,
        help: "Disconnect a peer that sends a message of more than N parts (0: no limit; \
               default 65536)",
    },
    OptionFlag {
        name: "--maxmultipartsize",
        value: Value::BytesOrNone(|o, v| o.set_maxmultipartsize(v)),
        applies: Applies::ToEveryType,
        help: "Disconnect a peer that sends a message whose parts add up to more than BYTES \
               (-1: no limit of its own, the default)",
    },
    OptionFlag {
        name: "--ipv6",
        value: Value::Switch(|o, on| o.set_ipv6(on)),
        applies: Applies::ToEveryType,
        help: "Use IPv6 for host names and wildcards",
    },
    OptionFlag {
        name: "--routing-id",
        value: Value::Bytes("ID", |o, v| o.set_routing_id(v)),
        applies: Applies::ToEveryType,
        help: "The routing id this socket announces to its peers (1 to 255 bytes, the \
               first not zero), which a router prints before its messages",
    },
    OptionFlag {
        name: "--tcp-keepalive",
        value: Value::OffOrOn(|o, on| o.set_tcp_keepalive(on)),
        applies: Applies::ToEveryType,
        help: "Turn tcp keepalive probes off or on (default: the system's)",
    },
    OptionFlag {
        name: "--sndbuf",
        value: Value::BytesOrNone(|o, v| o.set_sndbuf(v)),
        applies: Applies::ToEveryType,
        help: "The kernel's send buffer size for each connection (default: the system's)",
    },
    OptionFlag {
        name: "--rcvbuf",
        value: Value::BytesOrNone(|o, v| o.set_rcvbuf(v)),
        applies: Applies::ToEveryType,
        help: "The kernel's receive buffer size for each connection (default: the \
               system's)",
    },
    OptionFlag {
        name: "--router-mandatory",
        value: Value::Switch(|o, on| o.set_router_mandatory(on)),
        applies: Applies::Only(&[SocketType::Router]),
        help: "An answer to a peer that has gone fails (exit status 1) instead of being \
               dropped",
    },
    OptionFlag {
        name: "--router-notify",
        value: Value::Switch(|o, on| {
            let both = ferrozmq::RouterNotify::CONNECT | ferrozmq::RouterNotify::DISCONNECT;
            o.set_router_notify(if on { both } else { ferrozmq::RouterNotify::empty() })
        }),
        applies: Applies::Only(&[SocketType::Router]),
        help: "Print an empty message from each tcp or ipc peer as it connects and as it \
               disconnects (after its routing id, as for its messages)",
    },
    OptionFlag {
        name: "--hello-msg",
        value: Value::Bytes("TEXT", |o, v| o.set_hello_msg(Some(v))),
        applies: Applies::Only(&[
            SocketType::Router,
            SocketType::Dealer,
            SocketType::Client,
            SocketType::Server,
            SocketType::Peer,
        ]),
        help: "Send TEXT to each new peer first, on every connection",
    },
    OptionFlag {
        name: "--disconnect-msg",
        value: Value::Bytes("TEXT", |o, v| o.set_disconnect_msg(Some(v))),
        applies: Applies::Only(&[SocketType::Router, SocketType::Server, SocketType::Peer]),
        help: "Receive TEXT from each peer that connected here when it goes",
    },
    OptionFlag {
        name: "--hiccup-msg",
        value: Value::Bytes("TEXT", |o, v| o.set_hiccup_msg(Some(v))),
        applies: Applies::Only(&[SocketType::Dealer, SocketType::Client, SocketType::Peer]),
        help: "Receive TEXT when a connection this socket made drops (and is made again)",
    },
    OptionFlag {
        name: "--xpub-verbose",
        value: Value::Switch(|o, on| o.set_xpub_verbose(on)),
        applies: Applies::Only(&[SocketType::XPub]),
        help: "Pass on every subscription, not only the first for each prefix",
    },
    OptionFlag {
        name: "--req-relaxed",
        value: Value::Switch(|o, on| o.set_req_relaxed(on)),
        applies: Applies::Only(&[SocketType::Req]),
        help: "Allow a new request before the reply to the last one came",
    },
    OptionFlag {
        name: "--req-correlate",
        value: Value::Switch(|o, on| o.set_req_correlate(on)),
        applies: Applies::Only(&[SocketType::Req]),
        help: "Tag each request, and accept only the reply that carries its tag",
    },
    OptionFlag {
        name: "--invert-matching",
        value: Value::Switch(|o, on| o.set_invert_matching(on)),
        applies: Applies::Only(&[SocketType::Pub, SocketType::XPub, SocketType::Sub]),
        help: "Deliver the messages that match no subscription; publishers and \
               subscribers must agree on it",
    },
    OptionFlag {
        name: "--socks-proxy",
        value: Value::Bytes("HOST:PORT", |o, v| o.set_socks_proxy(Some(text(v)?))),
        applies: Applies::ToEveryType,
        help: "Make tcp connects through this SOCKS5 proxy; host names in the endpoints \
               are resolved by the proxy",
    },
    OptionFlag {
        name: "--socks-username",
        value: Value::Bytes("NAME", |o, v| o.set_socks_username(text(v)?)),
        applies: Applies::ToEveryType,
        help: "Authenticate with the SOCKS5 proxy under this username (with --socks-password)",
    },
    OptionFlag {
        name: "--socks-password",
        value: Value::Bytes("PASSWORD", |o, v| o.set_socks_password(text(v)?)),
        applies: Applies::ToEveryType,
        help: "The password for --socks-username",
    },
    OptionFlag {
        name: "--wss-cert",
        value: Value::Bytes("FILE", |o, v| o.set_wss_cert_pem(&pem_file(v)?)),
        applies: Applies::ToEveryType,
        help: "The certificate chain (PEM file) a wss:// bind presents (with --wss-key)",
    },
    OptionFlag {
        name: "--wss-key",
        value: Value::Bytes("FILE", |o, v| o.set_wss_key_pem(&pem_file(v)?)),
        applies: Applies::ToEveryType,
        help: "The private key (PEM file) of --wss-cert",
    },
    OptionFlag {
        name: "--wss-trust",
        value: Value::Bytes("FILE", |o, v| o.set_wss_trust_pem(&pem_file(v)?)),
        applies: Applies::ToEveryType,
        help: "Certificates (PEM file) a wss:// connect trusts: authorities, or the \
               server's own",
    },
    OptionFlag {
        name: "--wss-hostname",
        value: Value::Bytes("NAME", |o, v| o.set_wss_hostname(text(v)?)),
        applies: Applies::ToEveryType,
        help: "The name a wss:// server's certificate must carry (default: the \
               endpoint's host)",
    },
    OptionFlag {
        name: "--wss-trust-system",
        value: Value::Switch(|o, on| o.set_wss_trust_system(on)),
        applies: Applies::ToEveryType,
        help: "Also trust the public certificate authorities on wss:// connects",
    },
];

/// The contents of the PEM file a flag names.
fn pem_file(path: &[u8]) -> ferrozmq::Result<Vec<u8>> {
    std::fs::read(text(path)?).map_err(Error::Io)
}

/// A flag's value as text, for the options that take text.
fn text(value: &[u8]) -> ferrozmq::Result<&str> {
    std::str::from_utf8(value).map_err(|_| Error::InvalidArgument("not UTF-8 text"))
}

/// A flag's value, read, with the setter it goes to.
#[derive(Debug)]
enum Setting {
    Switch(Setter<bool>),
    Count(Setter<u32>, u32),
    Millis(Setter<Duration>, Duration),
    MillisOrNone(Setter<Option<Duration>>, Option<Duration>),
    BytesOrNone(Setter<Option<u64>>, Option<u64>),
    OffOrOn(Setter<Option<bool>>, bool),
    Bytes(BytesSetter, Vec<u8>),
}

impl Setting {
    /// Hands the value to the setter.
    fn apply(&self, options: &ferrozmq::SocketOptions<'_>) -> ferrozmq::Result<()> {
        match self {
            Setting::Switch(set) => set(options, true),
            Setting::Count(set, value) => set(options, *value),
            Setting::Millis(set, value) => set(options, *value),
            Setting::MillisOrNone(set, value) => set(options, *value),
            Setting::BytesOrNone(set, value) => set(options, *value),
            Setting::OffOrOn(set, on) => set(options, Some(*on)),
            Setting::Bytes(set, value) => set(options, value),
        }
    }
}

/// One flag as given on the command line.
#[derive(Debug)]
struct SocketOption {
    flag: &'static str,
    setting: Setting,
    /// The value as given, for error messages; none for a switch.
    shown: Option<String>,
}

/// The socket options given for one socket, in the order given.
#[derive(Debug, Default)]
pub struct SocketOptions(Vec<SocketOption>);

/// The id and long name of a flag's clap argument: its name without the dashes.
fn id(flag: &OptionFlag) -> &'static str {
    flag.name.trim_start_matches('-')
}

/// The clap arguments of every flag of the table, under the heading "Socket options". For
/// a socket command of `socket_type` the flags that do not apply to it are hidden from its
/// help (and refused, with the reason, by [`SocketOptions::from_matches`]); `None` shows
/// them all.
pub fn args(socket_type: Option<SocketType>) -> Vec<Arg> {
    FLAGS
        .iter()
        .map(|flag| {
            let arg = Arg::new(id(flag))
                .long(id(flag))
                .help(flag.description())
                .help_heading("Socket options");
            let arg = match flag.value {
                Value::Switch(_) => arg.action(ArgAction::SetTrue),
                _ => arg
                    .action(ArgAction::Set)
                    .value_name(flag.placeholder())
                    .value_parser(value_parser!(OsString))
                    // `--linger -1`: the value is checked here, not taken for an option.
                    .allow_hyphen_values(true),
            };
            let applies = match (flag.applies, socket_type) {
                (Applies::Only(types), Some(socket_type)) => types.contains(&socket_type),
                _ => true,
            };
            arg.hide(!applies)
        })
        .collect()
}

impl SocketOptions {
    /// The flags of the table found in `matches`, in the order given, checked against
    /// `socket_type`.
    pub fn from_matches(
        matches: &ArgMatches,
        socket_type: SocketType,
    ) -> Result<SocketOptions, CliError> {
        let mut given = Vec::new();
        for flag in FLAGS {
            let value = match flag.value {
                Value::Switch(_) if matches.get_flag(id(flag)) => None,
                Value::Switch(_) => continue,
                _ => match matches.get_one::<OsString>(id(flag)) {
                    Some(value) => Some(value.as_encoded_bytes()),
                    None => continue,
                },
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
            let (setting, shown) = flag.read(value)?;
            let position = matches.index_of(id(flag)).unwrap_or(usize::MAX);
            given.push((
                position,
                SocketOption {
                    flag: flag.name,
                    setting,
                    shown,
                },
            ));
        }
        given.sort_by_key(|(position, _)| *position);
        Ok(SocketOptions(
            given.into_iter().map(|(_, option)| option).collect(),
        ))
    }

    /// Sets every option on `socket`. A value the library refuses is a mistake on the
    /// command line, reported with the library's reason.
    pub fn apply(&self, socket: &Socket) -> Result<(), CliError> {
        for option in &self.0 {
            let result = option.setting.apply(&socket.options());
            result.map_err(|e| match (e, option.shown.clone()) {
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
    /// Reads the flag's value (`None` for a switch), ready for its setter, with the value
    /// as given.
    fn read(&self, value: Option<&[u8]>) -> Result<(Setting, Option<String>), CliError> {
        let value = match (self.value, value) {
            (Value::Switch(set), _) => return Ok((Setting::Switch(set), None)),
            (_, Some(value)) => value,
            (_, None) => return Err(CliError::usage(format!("{} needs a value", self.name))),
        };
        let setting = match self.value {
            Value::Switch(set) => Setting::Switch(set),
            Value::Count(_, set) => Setting::Count(set, self.number(value, Some(0))?),
            Value::Millis(set) => {
                Setting::Millis(set, Duration::from_millis(self.number(value, Some(0))?))
            }
            Value::MillisOrNone(set) => {
                Setting::MillisOrNone(set, self.number_or_none(value)?.map(Duration::from_millis))
            }
            Value::BytesOrNone(set) => Setting::BytesOrNone(set, self.number_or_none(value)?),
            Value::OffOrOn(set) => {
                let on = match value {
                    b"0" => false,
                    b"1" => true,
                    other => {
                        return Err(CliError::usage(format!(
                            "{} needs 0 or 1, got '{}'",
                            self.name,
                            String::from_utf8_lossy(other)
                        )))
                    }
                };
                Setting::OffOrOn(set, on)
            }
            Value::Bytes(_, set) => Setting::Bytes(set, value.to_vec()),
        };
        Ok((setting, Some(String::from_utf8_lossy(value).into_owned())))
    }

    /// A whole number of 0 or more, or -1 for none.
    fn number_or_none(&self, value: &[u8]) -> Result<Option<u64>, CliError> {
        let number: i64 = self.number(value, Some(-1))?;
        Ok(u64::try_from(number).ok())
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

    /// What the flag takes, as the help names it: `N`, `MS`, `BYTES`, `0|1`.
    fn placeholder(&self) -> &'static str {
        match self.value {
            Value::Switch(_) => "",
            Value::OffOrOn(_) => "0|1",
            Value::Millis(_) | Value::MillisOrNone(_) => "MS",
            Value::BytesOrNone(_) => "BYTES",
            Value::Count(placeholder, _) | Value::Bytes(placeholder, _) => placeholder,
        }
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

#[cfg(test)]
mod tests {
    use super::{args, FLAGS};
    use ferrozmq::SocketType;

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
    fn flags_of_other_types_are_hidden_from_a_socket_commands_help() {
        let shown = |socket_type| {
            args(Some(socket_type))
                .into_iter()
                .filter(|arg| !arg.is_hide_set())
                .map(|arg| arg.get_id().to_string())
                .collect::<Vec<_>>()
        };
        assert!(shown(SocketType::Router).contains(&"router-mandatory".to_string()));
        assert!(!shown(SocketType::Dealer).contains(&"router-mandatory".to_string()));
        assert!(shown(SocketType::Dealer).contains(&"sndhwm".to_string()));
        assert_eq!(args(None).iter().filter(|arg| arg.is_hide_set()).count(), 0);
    }
}
