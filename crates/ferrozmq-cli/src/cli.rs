//! The command line, built on clap: a subcommand per socket type (`ferrozmq req ...`) beside
//! demo, proxy, monitor, keygen, bench, completions and man; per-command help, suggestions
//! for mistyped names, completions and the man page all come from this one definition.
//!
//! Three things clap does not do by itself are done here: options written before the
//! command are moved after it ([`hoist_leading_options`]), so that they may go anywhere; a
//! proxy's options are split between its two sockets by where they stand ([`proxy`]); and
//! every error is told on one line (`ferrozmq: ...`), exit status 2, as before.

use crate::args::{Applies, Command, CommandFlags, MonitorArgs, MonitorFlags, ProxyArgs};
use crate::args::{ProxySide, SocketArgs};
use crate::error::CliError;
use crate::role::{type_name, Behaviour, Role};
use crate::security::Security;
use crate::socket_options;
use clap::error::ErrorKind;
use clap::{value_parser, Arg, ArgAction, ArgMatches, Args};
use ferrozmq::SocketType;
use std::ffi::OsString;

/// The socket types the command drives, in the order `--help` lists them: the classic
/// types, then libzmq's draft types.
const SOCKET_TYPES: [SocketType; 20] = [
    SocketType::Req,
    SocketType::Rep,
    SocketType::Pub,
    SocketType::Sub,
    SocketType::Push,
    SocketType::Pull,
    SocketType::Dealer,
    SocketType::Router,
    SocketType::Pair,
    SocketType::XPub,
    SocketType::XSub,
    SocketType::Stream,
    SocketType::Server,
    SocketType::Client,
    SocketType::Radio,
    SocketType::Dish,
    SocketType::Scatter,
    SocketType::Gather,
    SocketType::Peer,
    SocketType::Channel,
];

/// The whole command line, for parsing, help, completions and the man page.
pub fn command() -> clap::Command {
    let mut root = clap::Command::new("ferrozmq")
        .version(env!("CARGO_PKG_VERSION"))
        .about("ZeroMQ sockets from the command line")
        .override_usage(USAGE)
        .subcommand_value_name("COMMAND")
        .after_help(overview())
        .subcommand_required(true)
        .subcommand(clap::Command::new("demo").about(
            "Run the request-reply, publish-subscribe and pipeline examples over loopback tcp \
             and print what each side sees",
        ))
        .subcommand(proxy_command())
        .subcommand(monitor_command())
        .subcommand(clap::Command::new("keygen").about(
            "Print a new CURVE key pair, as the lines 'public: KEY' and 'secret: KEY' (Z85), \
             for the security options",
        ))
        .subcommand(bench_command())
        .subcommand(
            clap::Command::new("completions")
                .about("Print the completion script of a shell")
                .long_about(
                    "Print the completion script of a shell, for example:\n  \
                     ferrozmq completions bash > ~/.local/share/bash-completion/completions/ferrozmq\n  \
                     ferrozmq completions zsh > \"${fpath[1]}/_ferrozmq\"\n  \
                     ferrozmq completions fish > ~/.config/fish/completions/ferrozmq.fish",
                )
                .arg(
                    Arg::new("shell")
                        .value_name("SHELL")
                        .required(true)
                        .value_parser(value_parser!(clap_complete::Shell)),
                ),
        )
        .subcommand(
            clap::Command::new("man")
                .about("Print the man page (roff): ferrozmq man > ferrozmq.1; man ./ferrozmq.1"),
        );
    for socket_type in SOCKET_TYPES {
        root = root.subcommand(socket_command(socket_type));
    }
    root
}

const USAGE: &str = "ferrozmq TYPE ENDPOINT... [OPTIONS]
       ferrozmq proxy FRONT_TYPE FRONT_ENDPOINT [OPTIONS] BACK_TYPE BACK_ENDPOINT [OPTIONS]
       ferrozmq monitor TYPE ENDPOINT... [OPTIONS]
       ferrozmq demo | keygen | bench ... | completions SHELL | man
       ferrozmq help [COMMAND]";

/// What a socket command does, in a line, for the list of commands.
fn about(socket_type: SocketType) -> &'static str {
    match socket_type {
        SocketType::Req => "A REQ socket: send each message as a request, print each reply",
        SocketType::Rep => "A REP socket: print each request, reply (--reply, else an echo)",
        SocketType::Pub => "A PUB socket: publish messages to subscribers",
        SocketType::Sub => "A SUB socket: print the messages published to its --subscribe",
        SocketType::Push => "A PUSH socket: send messages, load-balanced over the pullers",
        SocketType::Pull => "A PULL socket: print the messages pushed to it",
        SocketType::Dealer => "A DEALER socket: send the --send values, print what arrives",
        SocketType::Router => {
            "A ROUTER socket: print each message after its sender's routing id; with --send, \
             answer each"
        }
        SocketType::Pair => "A PAIR socket: send the --send values, print what arrives",
        SocketType::XPub => {
            "An XPUB socket: publish, printing subscriptions as +PREFIX and -PREFIX"
        }
        SocketType::XSub => "An XSUB socket: subscribe upstream, print what arrives",
        SocketType::Stream => {
            "A STREAM socket: raw tcp with any peer (no ZeroMQ); print what arrives after its \
             connection's routing id; with --send, speak first to where it connects, else \
             answer each"
        }
        SocketType::Server => {
            "A SERVER socket (draft): print each message after its sender's id; with --send, \
             answer each"
        }
        SocketType::Client => "A CLIENT socket (draft): send the --send values, print replies",
        SocketType::Radio => "A RADIO socket (draft): send messages to its --group",
        SocketType::Dish => "A DISH socket (draft): print the messages of its --groups",
        SocketType::Scatter => "A SCATTER socket (draft): a single-part push",
        SocketType::Gather => "A GATHER socket (draft): a single-part pull",
        SocketType::Peer => {
            "A PEER socket (draft): print each message after its sender's id; speak first to \
             the peers it connects to"
        }
        SocketType::Channel => "A CHANNEL socket (draft): a single-part pair",
        _ => "",
    }
}

/// What a socket command does, in full, for its own help.
fn long_about(socket_type: SocketType) -> String {
    let name = type_name(socket_type);
    let Some(behaviour) = Behaviour::of(socket_type) else {
        return String::new();
    };
    let what = match behaviour.role {
        Role::Request => {
            "Sends each message (the --send values, else each line of standard input) as a \
             request, and prints its reply before sending the next."
        }
        Role::Reply => {
            "Prints each request, and answers it with --reply, or with the request itself."
        }
        Role::Send => {
            "Sends the --send values, else each line of standard input. At exit, what is \
             still queued gets the --timeout (else until delivered) to reach a peer; a \
             message that did not is an error (exit status 1), except for pub, xpub and \
             radio, which drop what a slow subscriber has not taken after 1 second (or \
             --linger), as they drop for it anyway."
        }
        Role::Receive => "Prints every message it receives, one per line.",
        Role::Exchange => {
            "Sends the --send values, if any, printing what arrives meanwhile; then prints \
             what arrives until nothing has for --timeout milliseconds (without --timeout, \
             until stopped)."
        }
        Role::Route => {
            "Prints each message after its sender's routing id; with --send, answers each \
             message, to its sender, with the next value."
        }
        Role::Converse => {
            "Prints each message after its sender's routing id. With --send, a peer that \
             connects sends the values in turn to the peers it connected to; one that only \
             binds answers each message, to its sender."
        }
    };
    let side = match behaviour.usual_side {
        crate::endpoints::Side::Bind => "binds",
        crate::endpoints::Side::Connect => "connects",
    };
    let mut text = format!(
        "{}\n\n{what}\n\nENDPOINT: @ENDPOINT binds, >ENDPOINT connects, and a bare endpoint \
         {side} (the usual side of a {name}). Several may be given.",
        about(socket_type)
    );
    if let Some(example) = example(socket_type) {
        text.push_str("\n\nExample:\n  ");
        text.push_str(example);
    }
    text
}

fn example(socket_type: SocketType) -> Option<&'static str> {
    Some(match socket_type {
        SocketType::Req => "ferrozmq req tcp://localhost:5555 --send 'Are you OK?'",
        SocketType::Rep => "ferrozmq rep tcp://*:5555 --reply 'I am OK!'",
        SocketType::Pub => {
            "ferrozmq pub tcp://*:5556 --send 消息群发 --count 3 --interval 1000 --wait-peers 1"
        }
        SocketType::Sub => "ferrozmq sub tcp://localhost:5556 --subscribe 消息 --count 3",
        SocketType::Push => "ferrozmq push @tcp://*:5557 --send 测试消息 --count 3 --wait-peers 1",
        SocketType::Pull => "ferrozmq pull tcp://*:5558 --count 3",
        SocketType::Router => "ferrozmq router tcp://*:5555 --send world",
        SocketType::Stream => {
            "ferrozmq stream tcp://*:8080 --send $'HTTP/1.0 200 OK\\r\\n\\r\\nhello'"
        }
        SocketType::Dealer => "ferrozmq dealer tcp://localhost:5555 --send hello --timeout 1000",
        SocketType::XPub => "ferrozmq xpub tcp://*:5556 --send news --interval 1000 --count 60",
        SocketType::Radio => {
            "ferrozmq radio udp://127.0.0.1:5556 --group weather --send rain --count 10"
        }
        SocketType::Dish => "ferrozmq dish udp://127.0.0.1:5556 --group weather",
        _ => return None,
    })
}

/// The endpoints argument of a socket command (checked for presence later, with a better
/// message than clap's).
fn endpoints_arg() -> Arg {
    Arg::new("endpoint")
        .value_name("ENDPOINT")
        .num_args(0..)
        .action(ArgAction::Append)
        .value_parser(value_parser!(OsString))
        .help("Where to bind (@ENDPOINT) or connect (>ENDPOINT): tcp://, ipc://, ws://, wss://, udp://")
}

fn socket_command(socket_type: SocketType) -> clap::Command {
    let mut cmd = clap::Command::new(type_name(socket_type)).arg(endpoints_arg());
    cmd = CommandFlags::augment_args(cmd);
    for (option, id) in Applies::ALL {
        if !option.to(socket_type) {
            cmd = cmd.mut_arg(id, |arg| arg.hide(true));
        }
    }
    cmd = cmd.args(socket_options::args(Some(socket_type)));
    // Described last: the flattened flags' own doc comments would take the place.
    Security::augment_args(cmd)
        .about(about(socket_type))
        .long_about(long_about(socket_type))
        .override_usage(format!(
            "ferrozmq {} ENDPOINT... [OPTIONS]",
            type_name(socket_type)
        ))
}

fn monitor_command() -> clap::Command {
    let cmd = clap::Command::new("monitor")
        .arg(
            Arg::new("type")
                .value_name("TYPE")
                .value_parser(value_parser!(OsString))
                .help("The socket type to watch: req, rep, pub, sub, push, pull, ..."),
        )
        .arg(endpoints_arg())
        .override_usage("ferrozmq monitor TYPE ENDPOINT... [OPTIONS]");
    let cmd = MonitorFlags::augment_args(cmd).args(socket_options::args(None));
    Security::augment_args(cmd)
        .about("Make a socket of type TYPE and print each event on its connections")
        .long_about(
            "Make a socket of type TYPE on the endpoints and print each event that happens to \
             its listeners and connections, as it happens: EVENT<tab>ENDPOINT<tab>VALUE, with \
             libzmq's event names (LISTENING, ACCEPTED, CONNECTED, HANDSHAKE_SUCCEEDED, \
             DISCONNECTED, ...). The socket only exists to be watched: it sends and prints no \
             messages.\n\nExample:\n  ferrozmq monitor rep tcp://*:5555 --count 3",
        )
}

/// One side of a proxy: a socket type, an endpoint, and the options that follow them.
fn proxy_side_command() -> clap::Command {
    let cmd = clap::Command::new("proxy")
        .no_binary_name(true)
        .disable_help_flag(true)
        .arg(
            Arg::new("type")
                .value_name("TYPE")
                .value_parser(value_parser!(OsString)),
        )
        .arg(
            Arg::new("endpoint")
                .value_name("ENDPOINT")
                .value_parser(value_parser!(OsString)),
        )
        .args(socket_options::args(None));
    Security::augment_args(cmd)
}

fn proxy_command() -> clap::Command {
    let positional = |id: &'static str, help: &'static str| {
        Arg::new(id)
            .value_name(id.to_ascii_uppercase())
            .value_parser(value_parser!(OsString))
            .help(help)
    };
    let cmd = clap::Command::new("proxy")
        .arg(positional("front_type", "The first socket's type"))
        .arg(positional(
            "front_endpoint",
            "Where the first socket binds or connects",
        ))
        .arg(positional("back_type", "The second socket's type"))
        .arg(positional(
            "back_endpoint",
            "Where the second socket binds or connects",
        ))
        .args(socket_options::args(None));
    Security::augment_args(cmd)
        .about("Forward messages both ways between two sockets")
        .long_about(
            "Forward messages both ways between two sockets. Each socket's options follow its \
             TYPE and ENDPOINT.\n\nExample (the seed's pipeline worker):\n  \
             ferrozmq proxy pull '>tcp://localhost:5557' push '>tcp://localhost:5558'",
        )
        .override_usage(
            "ferrozmq proxy FRONT_TYPE FRONT_ENDPOINT [OPTIONS] BACK_TYPE BACK_ENDPOINT \
             [OPTIONS]",
        )
}

fn bench_command() -> clap::Command {
    clap::Command::new("bench")
        .about("Measure ferrozmq side by side with libzmq and the zeromq crate")
        .long_about(
            "Measure ferrozmq side by side with libzmq and the zeromq crate: compare \
             (throughput and latency over tcp, ipc and inproc, 8 B to 1 MiB, with plain-socket \
             bounds), scale (fan-out, idle connections, high-water marks, many senders), \
             report --out FILE (both, as Markdown with SVG charts), perf-tools (libzmq's own \
             perf programs on libzmq and on ferrozmq's libzmq.so.5). Runs the ferrozmq-bench \
             harness: cargo builds it when ferrozmq runs from its source tree (cargo run); an \
             installed ferrozmq uses the ferrozmq-bench installed beside it \
             (cargo install --path crates/ferrozmq-bench). The harness's own --help gives \
             the details.",
        )
        .override_usage(
            "ferrozmq bench compare|scale|report|perf-tools [--rounds N] [--quick] [--out FILE]",
        )
        .disable_help_flag(true)
        .arg(
            Arg::new("args")
                .value_name("ARGS")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true)
                .value_parser(value_parser!(OsString)),
        )
}

/// The part of `ferrozmq --help` after the list of commands: endpoints, the options every
/// socket command takes (generated from their definitions), output and exit status.
fn overview() -> String {
    let common = CommandFlags::augment_args(clap::Command::new("x"));
    let security = Security::augment_args(clap::Command::new("x"));
    let options = |args: Vec<&Arg>| -> String { args.into_iter().map(option_overview).collect() };
    [
        "Endpoints:\n",
        "  @tcp://*:5555      bind\n",
        "  >tcp://host:5555   connect\n",
        "  tcp://host:5555    rep, pub, pull, router, xpub, server, gather and dish\n",
        "                     bind; the others connect\n",
        "  ipc:// and ws://host:port/path endpoints work too (wss:// with --wss-cert and\n",
        "  --wss-key to bind, --wss-trust to connect), and udp:// for a dish\n",
        "  (binds) and a radio (connects). Several endpoints may be given.\n",
        "\nOptions of the socket commands ('ferrozmq TYPE --help' for each type's own):\n",
        &options(common.get_arguments().collect()),
        "\nSocket options (for the socket of a socket command or of monitor, and in a\n",
        "proxy for the socket whose TYPE precedes them; each sets the libzmq option of\n",
        "the same name, and a value the socket refuses is a command line error):\n",
        &options(socket_options::args(None).iter().collect()),
        "\nSecurity options (every socket command, monitor, and each side of a proxy):\n",
        &options(security.get_arguments().collect()),
        "\nReceived messages print one per line, parts separated by tabs (--format hex\n",
        "and json print them otherwise). A router prints the sender's routing id first:\n",
        "as text if it is printable UTF-8, else as 0x and hex digits (such as\n",
        "0x006B8B4567, an id a ROUTER makes up for a peer that set none). A server and a\n",
        "peer print the sender's routing id first, in decimal; a dish prints the group\n",
        "first. An xpub prints subscriptions as +PREFIX and cancellations as -PREFIX.\n",
        "\nExit status: 0 done, 1 failed or timed out, 2 bad command line.",
    ]
    .concat()
}

/// The width the overview is wrapped to.
const HELP_WIDTH: usize = 79;

/// Where the overview's descriptions start.
const DESCRIPTION_COLUMN: usize = 21;

/// One option as the overview shows it: `--sndhwm N`, then its one-line help, wrapped, in a
/// column; on a line of its own when the option is too long to leave room.
fn option_overview(arg: &Arg) -> String {
    let Some(long) = arg.get_long() else {
        return String::new();
    };
    let mut lead = format!("  --{long}");
    if arg.get_action().takes_values() {
        for name in arg.get_value_names().into_iter().flatten() {
            lead.push(' ');
            lead.push_str(name);
        }
    }
    let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    let mut text = String::new();
    if lead.len() + 1 > DESCRIPTION_COLUMN {
        text.push_str(&lead);
        text.push('\n');
        lead.clear();
    }
    for line in wrap(&help, HELP_WIDTH - DESCRIPTION_COLUMN) {
        text.push_str(&format!("{lead:<DESCRIPTION_COLUMN$}{line}\n"));
        lead.clear();
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

/// Reads the arguments that follow the program name.
/// Gives the command to run, or `None` when clap printed what was asked (help, the
/// version).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Option<Command>, CliError> {
    let mut root = command();
    root.build();
    let args = hoist_leading_options(&root, args.into_iter().collect());
    if args.first().is_some_and(|first| first == "proxy") {
        return proxy(&root, args[1..].to_vec());
    }
    let matches = match root
        .clone()
        .try_get_matches_from(std::iter::once(OsString::from("ferrozmq")).chain(args.clone()))
    {
        Ok(matches) => matches,
        Err(e) => return clap_failure(e, &args),
    };
    let Some((name, sub)) = matches.subcommand() else {
        return Err(CliError::usage("missing command (try 'ferrozmq --help')"));
    };
    let command = match name {
        "demo" => Command::Demo,
        "keygen" => Command::Keygen,
        "monitor" => Command::Monitor(MonitorArgs::read(sub)?),
        "bench" => Command::Bench(raw_values(sub, "args")),
        "completions" => match sub.get_one::<clap_complete::Shell>("shell") {
            Some(shell) => Command::Completions(*shell),
            None => return Err(CliError::usage("completions needs a SHELL")),
        },
        "man" => Command::Man,
        _ => {
            let socket_type = name
                .parse::<SocketType>()
                .map_err(|_| CliError::usage(format!("unknown command '{name}'")))?;
            Command::Socket(SocketArgs::read(socket_type, sub)?)
        }
    };
    Ok(Some(command))
}

fn raw_values(matches: &ArgMatches, id: &str) -> Vec<OsString> {
    matches
        .get_many::<OsString>(id)
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

/// Moves the options written before the command to just after it (`ferrozmq --timeout 500
/// req ...` is `ferrozmq req --timeout 500 ...`), knowing from `root` which options take a
/// value. The root's own options (help, version) stay where they are.
fn hoist_leading_options(root: &clap::Command, args: Vec<OsString>) -> Vec<OsString> {
    let takes_value = |name: &str| {
        root.get_subcommands()
            .flat_map(clap::Command::get_arguments)
            .any(|arg| arg.get_long() == Some(name) && arg.get_action().takes_values())
    };
    let mut leading = Vec::new();
    let mut rest = args.into_iter().peekable();
    while let Some(arg) = rest.peek() {
        let text = arg.to_string_lossy();
        if !text.starts_with("--") || text == "--" || text == "--help" || text == "--version" {
            break;
        }
        let (name, inline_value) = match text[2..].split_once('=') {
            Some((name, _)) => (name.to_owned(), true),
            None => (text[2..].to_owned(), false),
        };
        leading.extend(rest.next());
        if takes_value(&name) && !inline_value {
            leading.extend(rest.next());
        }
    }
    match rest.next() {
        Some(command) => std::iter::once(command)
            .chain(leading)
            .chain(rest)
            .collect(),
        // Nothing but options: clap says what is missing.
        None => leading,
    }
}

/// `ferrozmq proxy ...`: splits the arguments into the two sockets' (each socket's type and
/// endpoint, then its options) and reads each side.
fn proxy(root: &clap::Command, args: Vec<OsString>) -> Result<Option<Command>, CliError> {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        if let Some(proxy) = root.find_subcommand("proxy") {
            // A closed standard output leaves nobody to show the help to.
            let _ = proxy.clone().print_long_help();
        }
        return Ok(None);
    }
    let side = proxy_side_command();
    let takes_value = |name: &str| {
        side.get_arguments()
            .any(|arg| arg.get_long() == Some(name) && arg.get_action().takes_values())
    };
    let mut sides: Vec<Vec<OsString>> = Vec::new();
    let mut positional = 0;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if !text.starts_with('-') || text == "-" {
            if positional % 2 == 0 {
                sides.push(Vec::new());
            }
            positional += 1;
            if let Some(side) = sides.last_mut() {
                side.push(arg);
            }
            continue;
        }
        let Some(current) = sides.last_mut() else {
            return Err(CliError::usage(format!(
                "{text} comes before any socket: a proxy's socket options follow the TYPE of \
                 the socket they configure"
            )));
        };
        current.push(arg);
        let name = text.trim_start_matches('-');
        if !name.contains('=') && takes_value(name) {
            current.extend(args.next());
        }
    }
    if positional != 4 {
        return Err(CliError::usage(format!(
            "proxy takes 4 arguments (FRONT_TYPE FRONT_ENDPOINT BACK_TYPE BACK_ENDPOINT), got \
             {positional}"
        )));
    }
    let mut read = sides.into_iter().map(|args| {
        let matches = side
            .clone()
            .try_get_matches_from(args)
            .map_err(|e| CliError::usage(one_line(&e, "proxy")))?;
        ProxySide::read(&matches)
    });
    match (read.next(), read.next()) {
        (Some(front), Some(back)) => Ok(Some(Command::Proxy(ProxyArgs {
            front: front?,
            back: back?,
        }))),
        _ => Err(CliError::usage("proxy takes two sockets")),
    }
}

/// What to do with an error clap found: print help or the version (which clap reports as
/// errors), or tell the mistake on one line.
fn clap_failure(e: clap::Error, args: &[OsString]) -> Result<Option<Command>, CliError> {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // A closed standard output leaves nobody to show it to.
            let _ = e.print();
            Ok(None)
        }
        // `ferrozmq` alone: the list of commands, on standard error, and status 2.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            Err(CliError::usage(
                "missing command: ferrozmq TYPE ENDPOINT..., or demo, proxy, monitor, keygen, \
             bench (try 'ferrozmq --help')",
            ))
        }
        ErrorKind::InvalidSubcommand => {
            let name = args
                .first()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            Err(CliError::usage(unknown_command(&name)))
        }
        _ => {
            let command = args
                .first()
                .and_then(|first| first.to_str())
                .filter(|first| !first.starts_with('-'))
                .filter(|first| command().find_subcommand(first).is_some())
                .unwrap_or("");
            Err(CliError::usage(one_line(&e, command)))
        }
    }
}

/// What to say of a command that does not exist: the names it may be a typo of (a letter
/// wrong, missing, added, or two swapped: `rpe` is `rep`), else the names there are.
fn unknown_command(name: &str) -> String {
    let root = command();
    let names: Vec<&str> = root
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    let mut near: Vec<(usize, &str)> = names
        .iter()
        .map(|candidate| (strsim::osa_distance(name, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 1.max(candidate.len() / 3))
        .collect();
    near.sort();
    match near.as_slice() {
        [] => format!(
            "unknown command or socket type '{name}' (commands: demo, proxy, monitor, keygen, \
             bench, completions, man; socket types: {})",
            crate::role::supported_type_names()
        ),
        near => {
            let near: Vec<String> = near.iter().map(|(_, n)| format!("'{n}'")).collect();
            format!(
                "unknown command or socket type '{name}'; did you mean {}? (see 'ferrozmq \
                 --help')",
                near.join(" or ")
            )
        }
    }
}

/// A clap error as one line: its message, the suggestion clap has, if any, and where to
/// look for help.
fn one_line(e: &clap::Error, command: &str) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let mut message = lines
        .next()
        .unwrap_or("bad command line")
        .trim_start_matches("error: ")
        .to_owned();
    for tip in lines.filter_map(|line| line.strip_prefix("tip: ")) {
        message.push_str("; ");
        message.push_str(tip);
    }
    let help = match command {
        "" => "ferrozmq --help".to_owned(),
        command => format!("ferrozmq {command} --help"),
    };
    format!("{message} (see '{help}')")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn typos_of_commands_are_recognised() {
        assert!(unknown_command("rpe").contains("did you mean 'rep'?"));
        assert!(unknown_command("dmeo").contains("'demo'"));
        assert!(unknown_command("routr").contains("'router'"));
        assert!(unknown_command("frobnicate").contains("socket types: "));
    }

    #[test]
    fn options_before_the_command_move_after_it() {
        let mut root = command();
        root.build();
        assert_eq!(
            hoist_leading_options(&root, os(&["--timeout", "5", "--stats", "req", "x"])),
            os(&["req", "--timeout", "5", "--stats", "x"])
        );
        assert_eq!(
            hoist_leading_options(&root, os(&["--linger=0", "push", "x"])),
            os(&["push", "--linger=0", "x"])
        );
        assert_eq!(
            hoist_leading_options(&root, os(&["--help", "req"])),
            os(&["--help", "req"])
        );
    }

    #[test]
    fn the_overview_lists_options_within_the_width() {
        let text = overview();
        for line in text.lines() {
            assert!(line.chars().count() <= HELP_WIDTH, "too wide: {line:?}");
        }
        for option in ["--sndhwm N", "--linger MS", "--immediate", "--send TEXT"] {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(option)),
                "{option} missing from:\n{text}"
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
