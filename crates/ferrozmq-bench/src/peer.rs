//! The worker-process protocol.
//!
//! The harness runs every measurement in fresh processes, started as
//! `ferrozmq-bench peer ROLE --library L --endpoint E ...`, so that each side's peak memory
//! and CPU time are its own and not what earlier runs left behind. A worker talks to the
//! harness in lines:
//!
//! ```text
//! worker → harness (stdout)        harness → worker (stdin)
//! bound tcp://127.0.0.1:41234      go        (start sending)
//! ready                            finish    (everything arrived; report and exit)
//! report elapsed_ns=81234 messages=1000000 user_us=... sys_us=... peak_rss_kib=...
//! ```

use crate::error::{BenchError, Result};
use crate::implementations::Implementation;
use crate::resources::ProcessResources;
use crate::transport::Transport;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

/// Longer than any measurement takes; a worker silent for this long is stuck.
const SILENCE_LIMIT: Duration = Duration::from_secs(120);

/// What a worker process does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Binds a PULL and times the arrival of `count` messages.
    Pull,
    /// Connects `sockets` PUSH sockets and sends `count` messages between them.
    Push,
    /// PUSH and PULL as two threads over inproc, timed like `Pull`.
    InprocThroughput,
    /// Binds a REP and answers `count` requests (plus the warm-up).
    Rep,
    /// Connects a REQ and times `count` round trips after a warm-up.
    Req,
    /// REQ and REP as two threads over inproc, timed like `Req`.
    InprocLatency,
    /// A plain stream socket echoing `size`-byte pings: the bound on latency.
    RawEcho,
    /// A plain stream socket timing `count` pings of `size` bytes.
    RawPing,
    /// A plain stream socket timing the arrival of `count` bytes.
    RawSink,
    /// A plain stream socket writing `count` bytes in large writes.
    RawSource,
    /// Binds a PUB, sends `count` messages when told, then end markers.
    Pub,
    /// Connects `sockets` SUB sockets, one thread each, and times what arrives.
    Subs,
    /// Binds a ROUTER and measures memory before and after `count` peers connect.
    RouterIdle,
    /// Opens `count` plain connections that greet a ROUTER and then stay idle.
    IdleConnector,
}

impl Role {
    const ALL: [Role; 14] = [
        Role::Pull,
        Role::Push,
        Role::InprocThroughput,
        Role::Rep,
        Role::Req,
        Role::InprocLatency,
        Role::RawEcho,
        Role::RawPing,
        Role::RawSink,
        Role::RawSource,
        Role::Pub,
        Role::Subs,
        Role::RouterIdle,
        Role::IdleConnector,
    ];

    /// The role's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Pull => "pull",
            Role::Push => "push",
            Role::InprocThroughput => "inproc-throughput",
            Role::Rep => "rep",
            Role::Req => "req",
            Role::InprocLatency => "inproc-latency",
            Role::RawEcho => "raw-echo",
            Role::RawPing => "raw-ping",
            Role::RawSink => "raw-sink",
            Role::RawSource => "raw-source",
            Role::Pub => "pub",
            Role::Subs => "subs",
            Role::RouterIdle => "router-idle",
            Role::IdleConnector => "idle-connector",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// Everything a worker needs to know, passed on its command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSpec {
    /// What the worker does.
    pub role: Role,
    /// The library it uses; none for the plain-socket roles.
    pub library: Option<Implementation>,
    /// The transport it binds or connects on.
    pub transport: Transport,
    /// Where to connect; binding roles choose their own endpoint and announce it.
    pub endpoint: Option<String>,
    /// Messages, round trips, bytes or connections, by role.
    pub count: u64,
    /// Message size in bytes.
    pub size: usize,
    /// SNDHWM and RCVHWM, when the scenario sets them.
    pub hwm: Option<i32>,
    /// How many sockets (one thread each) the worker spreads its work over.
    pub sockets: usize,
}

impl PeerSpec {
    /// A spec with one socket, no endpoint and library defaults.
    pub fn new(
        role: Role,
        library: Option<Implementation>,
        transport: Transport,
        count: u64,
        size: usize,
    ) -> PeerSpec {
        PeerSpec {
            role,
            library,
            transport,
            endpoint: None,
            count,
            size,
            hwm: None,
            sockets: 1,
        }
    }

    /// The same spec for another role connecting to `endpoint`.
    pub fn connecting(&self, role: Role, endpoint: String) -> PeerSpec {
        PeerSpec {
            role,
            endpoint: Some(endpoint),
            ..self.clone()
        }
    }

    /// The arguments after `peer` that describe this spec.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![self.role.name().to_string()];
        let mut option = |name: &str, value: String| {
            args.push(format!("--{name}"));
            args.push(value);
        };
        if let Some(library) = self.library {
            option("library", library.name().to_string());
        }
        option("transport", self.transport.name().to_string());
        if let Some(endpoint) = &self.endpoint {
            option("endpoint", endpoint.clone());
        }
        option("count", self.count.to_string());
        option("size", self.size.to_string());
        if let Some(hwm) = self.hwm {
            option("hwm", hwm.to_string());
        }
        option("sockets", self.sockets.to_string());
        args
    }

    /// Reads the arguments [`to_args`](Self::to_args) wrote.
    pub fn from_args(args: &[String]) -> Result<PeerSpec> {
        let usage = |text: String| BenchError::Usage(format!("peer: {text}"));
        let (role, mut rest) = args
            .split_first()
            .ok_or_else(|| usage("missing role".to_string()))?;
        let role = Role::parse(role).ok_or_else(|| usage(format!("unknown role `{role}`")))?;
        let mut spec = PeerSpec::new(role, None, Transport::Tcp, 0, 0);
        while let [name, value, tail @ ..] = rest {
            rest = tail;
            let number = |what: &str| {
                value
                    .parse::<u64>()
                    .map_err(|_| usage(format!("{what} must be a whole number, not `{value}`")))
            };
            match name.as_str() {
                "--library" => {
                    spec.library = Some(
                        Implementation::parse(value)
                            .ok_or_else(|| usage(format!("unknown library `{value}`")))?,
                    )
                }
                "--transport" => {
                    spec.transport = Transport::parse(value)
                        .ok_or_else(|| usage(format!("unknown transport `{value}`")))?
                }
                "--endpoint" => spec.endpoint = Some(value.clone()),
                "--count" => spec.count = number("--count")?,
                "--size" => spec.size = to_usize(number("--size")?),
                "--hwm" => {
                    spec.hwm = Some(
                        value
                            .parse()
                            .map_err(|_| usage(format!("--hwm must be a number, not `{value}`")))?,
                    )
                }
                "--sockets" => spec.sockets = to_usize(number("--sockets")?).max(1),
                other => return Err(usage(format!("unknown option `{other}`"))),
            }
        }
        match rest {
            [] => Ok(spec),
            [dangling, ..] => Err(usage(format!("`{dangling}` needs a value"))),
        }
    }

    /// The endpoint a connecting role was given.
    pub fn endpoint(&self) -> Result<&str> {
        self.endpoint.as_deref().ok_or_else(|| {
            BenchError::Usage(format!("peer {}: --endpoint is required", self.role.name()))
        })
    }

    /// The library a library role was given.
    pub fn library(&self) -> Result<Implementation> {
        self.library.ok_or_else(|| {
            BenchError::Usage(format!("peer {}: --library is required", self.role.name()))
        })
    }
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Named whole numbers a worker reports at the end, always including its resources.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerReport {
    fields: BTreeMap<String, u64>,
}

/// Report field: nanoseconds the measured interval lasted.
pub const ELAPSED_NS: &str = "elapsed_ns";
/// Report field: messages (or round trips, or bytes) inside the measured interval.
pub const MEASURED: &str = "measured";
const USER_US: &str = "user_us";
const SYSTEM_US: &str = "sys_us";
const PEAK_RSS_KIB: &str = "peak_rss_kib";

impl PeerReport {
    /// A report carrying the worker's resources up to now.
    pub fn with_resources() -> Result<PeerReport> {
        let resources = ProcessResources::of_this_process()?;
        let mut report = PeerReport::default();
        report.set(USER_US, saturating_micros(resources.user));
        report.set(SYSTEM_US, saturating_micros(resources.system));
        report.set(PEAK_RSS_KIB, resources.peak_rss_kib);
        Ok(report)
    }

    /// Sets a field.
    pub fn set(&mut self, name: &str, value: u64) {
        self.fields.insert(name.to_string(), value);
    }

    /// Sets [`ELAPSED_NS`] and [`MEASURED`].
    pub fn set_measurement(&mut self, measured: u64, elapsed: Duration) {
        self.set(MEASURED, measured);
        self.set(
            ELAPSED_NS,
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
        );
    }

    /// A field the worker must have sent.
    pub fn get(&self, name: &str) -> Result<u64> {
        self.fields
            .get(name)
            .copied()
            .ok_or_else(|| BenchError::PeerProtocol(format!("report lacks `{name}`")))
    }

    /// The measured count and interval.
    pub fn measurement(&self) -> Result<(u64, Duration)> {
        Ok((
            self.get(MEASURED)?,
            Duration::from_nanos(self.get(ELAPSED_NS)?),
        ))
    }

    /// The worker's resources.
    pub fn resources(&self) -> Result<ProcessResources> {
        Ok(ProcessResources {
            user: Duration::from_micros(self.get(USER_US)?),
            system: Duration::from_micros(self.get(SYSTEM_US)?),
            peak_rss_kib: self.get(PEAK_RSS_KIB)?,
        })
    }

    /// The line the worker prints, without the `report ` word.
    pub fn to_fields_text(&self) -> String {
        let pairs: Vec<String> = self
            .fields
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        pairs.join(" ")
    }

    /// Reads what [`to_fields_text`](Self::to_fields_text) wrote.
    pub fn parse_fields(text: &str) -> Result<PeerReport> {
        let mut report = PeerReport::default();
        for pair in text.split_whitespace() {
            let parsed = pair
                .split_once('=')
                .and_then(|(name, value)| Some((name, value.parse().ok()?)));
            let (name, value) = parsed
                .ok_or_else(|| BenchError::PeerProtocol(format!("bad report field `{pair}`")))?;
            report.set(name, value);
        }
        Ok(report)
    }
}

fn saturating_micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// What the harness tells a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Every receiver is ready: start sending.
    Go,
    /// Everything arrived: report and exit.
    Finish,
}

impl Signal {
    fn word(self) -> &'static str {
        match self {
            Signal::Go => "go",
            Signal::Finish => "finish",
        }
    }
}

/// The harness's handle on one worker process.
pub struct Peer {
    role: Role,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Peer {
    /// Starts a worker: this same executable, with the hidden `peer` command.
    pub fn spawn(spec: &PeerSpec) -> Result<Peer> {
        let executable =
            std::env::current_exe().map_err(BenchError::io("finding the harness executable"))?;
        let mut child = Command::new(executable)
            .arg("peer")
            .args(spec.to_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(BenchError::io("starting a worker process"))?;
        let stdout = child.stdout.take().ok_or_else(|| {
            BenchError::PeerProtocol("the worker's stdout was not captured".to_string())
        })?;
        let (sender, lines) = mpsc::channel();
        // A thread per worker turns its blocking stdout into a channel that can be
        // waited on with a deadline.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Peer {
            role: spec.role,
            stdin: child.stdin.take(),
            child,
            lines,
        })
    }

    fn next_line(&mut self, word: &str) -> Result<String> {
        let line = match self.lines.recv_timeout(SILENCE_LIMIT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                return Err(BenchError::PeerTimeout {
                    role: self.role.name(),
                    waited: SILENCE_LIMIT,
                })
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self
                    .child
                    .wait()
                    .map_err(BenchError::io("waiting for a worker"))?;
                return Err(BenchError::PeerProtocol(format!(
                    "`{}` exited ({status}) before saying `{word}`",
                    self.role.name()
                )));
            }
        };
        match line.split_once(' ') {
            Some((said, rest)) if said == word => Ok(rest.to_string()),
            None if line == word => Ok(String::new()),
            _ => Err(BenchError::PeerProtocol(format!(
                "`{}` said `{line}` where `{word}` was expected",
                self.role.name()
            ))),
        }
    }

    /// Waits for the worker to announce the endpoint it bound.
    pub fn bound_endpoint(&mut self) -> Result<String> {
        self.next_line("bound")
    }

    /// Waits for the worker to say it is ready.
    pub fn ready(&mut self) -> Result<()> {
        self.next_line("ready").map(drop)
    }

    /// Waits for the worker's report.
    pub fn report(&mut self) -> Result<PeerReport> {
        let fields = self.next_line("report")?;
        PeerReport::parse_fields(&fields)
    }

    /// Tells the worker something.
    pub fn signal(&mut self, signal: Signal) -> Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| BenchError::PeerProtocol("the worker's stdin is closed".to_string()))?;
        writeln!(stdin, "{}", signal.word())
            .and_then(|()| stdin.flush())
            .map_err(BenchError::io("signalling a worker"))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // A worker that has reported exits on its own; give it a moment, then make sure.
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        // The worker is stuck; it has nothing left to tell, so ending it loses nothing.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A worker's side of the protocol.
pub struct ParentLink {
    signals: Receiver<String>,
}

impl ParentLink {
    /// Starts listening to the harness on stdin.
    pub fn listen() -> ParentLink {
        let (sender, signals) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        ParentLink { signals }
    }

    fn say(&self, line: &str) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .map_err(BenchError::io("talking to the harness"))
    }

    /// Announces the endpoint this worker bound.
    pub fn bound(&self, endpoint: &str) -> Result<()> {
        self.say(&format!("bound {endpoint}"))
    }

    /// Announces that this worker is ready.
    pub fn ready(&self) -> Result<()> {
        self.say("ready")
    }

    /// Sends the final report.
    pub fn report(&self, report: &PeerReport) -> Result<()> {
        self.say(&format!("report {}", report.to_fields_text()))
    }

    /// Blocks until the harness sends `signal`.
    pub fn wait_for(&self, signal: Signal) -> Result<()> {
        match self.signals.recv() {
            Ok(line) if line == signal.word() => Ok(()),
            Ok(line) => Err(BenchError::PeerProtocol(format!(
                "harness said `{line}` where `{}` was expected",
                signal.word()
            ))),
            Err(_) => Err(harness_gone()),
        }
    }

    /// Whether the harness has sent `signal`, without waiting.
    pub fn has_signalled(&self, signal: Signal) -> Result<bool> {
        match self.signals.try_recv() {
            Ok(line) if line == signal.word() => Ok(true),
            Ok(line) => Err(BenchError::PeerProtocol(format!(
                "harness said `{line}` where `{}` was expected",
                signal.word()
            ))),
            Err(TryRecvError::Empty) => Ok(false),
            Err(TryRecvError::Disconnected) => Err(harness_gone()),
        }
    }
}

fn harness_gone() -> BenchError {
    BenchError::PeerProtocol("the harness closed stdin".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
    }

    #[test]
    fn spec_survives_the_command_line() {
        let mut spec = PeerSpec::new(
            Role::Push,
            Some(Implementation::Zeromq),
            Transport::Ipc,
            1_000_000,
            64,
        );
        spec.endpoint = Some("ipc:///tmp/x.sock".to_string());
        spec.hwm = Some(100);
        spec.sockets = 16;
        assert_eq!(PeerSpec::from_args(&spec.to_args()).unwrap(), spec);
    }

    #[test]
    fn spec_without_library_survives_the_command_line() {
        let spec = PeerSpec::new(Role::RawSink, None, Transport::Tcp, 1 << 30, 0);
        assert_eq!(PeerSpec::from_args(&spec.to_args()).unwrap(), spec);
    }

    #[test]
    fn spec_rejects_unknown_and_dangling_options() {
        let args = |text: &str| -> Vec<String> { text.split(' ').map(String::from).collect() };
        assert!(PeerSpec::from_args(&args("pull --colour red")).is_err());
        assert!(PeerSpec::from_args(&args("pull --count")).is_err());
        assert!(PeerSpec::from_args(&args("pull --count many")).is_err());
        assert!(PeerSpec::from_args(&args("juggle")).is_err());
        assert!(PeerSpec::from_args(&[]).is_err());
    }

    #[test]
    fn report_fields_round_trip() {
        let mut report = PeerReport::default();
        report.set_measurement(1_000_000, Duration::from_millis(750));
        report.set("peak_rss_kib", 4096);
        let parsed = PeerReport::parse_fields(&report.to_fields_text()).unwrap();
        assert_eq!(parsed, report);
        assert_eq!(
            parsed.measurement().unwrap(),
            (1_000_000, Duration::from_millis(750))
        );
    }

    #[test]
    fn report_rejects_malformed_fields() {
        assert!(PeerReport::parse_fields("elapsed_ns").is_err());
        assert!(PeerReport::parse_fields("elapsed_ns=soon").is_err());
        assert!(PeerReport::parse_fields("")
            .unwrap()
            .get(ELAPSED_NS)
            .is_err());
    }
}
