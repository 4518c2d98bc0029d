//! Real processes for the tests: the command and its peers, every wait bounded and every
//! process killed when its test ends, however the test ends.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The command under test.
pub const FERROZMQ: &str = env!("CARGO_BIN_EXE_ferrozmq");

/// The longest any test waits for anything: far above what a passing run needs, short
/// enough that a hang fails the test instead of the suite.
pub const WAIT: Duration = Duration::from_secs(10);

/// A tcp port on loopback that was free a moment ago and that no other test of this run
/// was given: the kernel may hand out a released port again, and two tests sharing one
/// would see each other's messages.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let port = listener.local_addr().expect("local address").port();
        if GIVEN.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}

/// The loopback tcp address of `port`, without a bind or connect prefix.
pub fn tcp(port: u16) -> String {
    format!("tcp://127.0.0.1:{port}")
}

/// A running process whose standard output is read line by line as it comes.
pub struct Process {
    name: String,
    child: Child,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    seen: Vec<String>,
}

/// How a process ended and everything it printed.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Process {
    /// Starts `program`; `input`, if given, is written to its standard input, which is
    /// then closed.
    pub fn spawn<I, S>(program: &str, args: I, input: Option<&str>) -> Process
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let name = format!("{program} {}", describe(&args));
        let mut command = Command::new(program);
        command.args(&args);
        Process::spawn_command(name, command, input)
    }

    /// Starts `command` (program and arguments set, and whatever else the test needs),
    /// named `name` in failures; `input` as for [`spawn`](Self::spawn).
    pub fn spawn_command(name: String, mut command: Command, input: Option<&str>) -> Process {
        let mut child = command
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));

        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            let input = input.to_owned();
            // A thread, so that a process that reads slowly cannot block the test; the
            // pipe closes when it is done.
            thread::spawn(move || {
                let _ = stdin.write_all(input.as_bytes());
            });
        }

        let (lines, stdout) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if lines.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let stderr = stderr.clone();
            thread::spawn(move || {
                for line in BufReader::new(err).lines() {
                    let Ok(line) = line else { break };
                    let mut text = stderr.lock().unwrap_or_else(|e| e.into_inner());
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        Process {
            name,
            child,
            stdout,
            stderr,
            seen: Vec::new(),
        }
    }

    /// The next `n` lines of standard output; fails the test if they take longer than
    /// [`WAIT`].
    pub fn expect_lines(&mut self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut lines = Vec::new();
        while lines.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: wanted {n} lines within {WAIT:?}, got {lines:?}; stderr: {}",
                    self.name,
                    self.stderr_text()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: ended after {lines:?}, wanted {n} lines; status {:?}; stderr: {}",
                    self.name,
                    self.child.try_wait(),
                    self.stderr_text()
                ),
            }
        }
        self.seen.extend(lines.iter().cloned());
        lines
    }

    /// The process id, to send it signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to end on its own, for at most [`WAIT`].
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => panic!(
                    "{}: still running after {WAIT:?}; printed {:?}; stderr: {}",
                    self.name,
                    self.seen,
                    self.stderr_text()
                ),
                Err(e) => panic!("{}: cannot wait: {e}", self.name),
            }
        };
        let mut stdout = std::mem::take(&mut self.seen);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => stdout.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: standard output still open after exit", self.name)
                }
            }
        }
        // The process is gone, so its standard error is complete once the reader has
        // seen the end of it; give the reader a moment.
        let settle = Instant::now() + Duration::from_millis(200);
        while Arc::strong_count(&self.stderr) > 1 && Instant::now() < settle {
            thread::sleep(Duration::from_millis(5));
        }
        Finished {
            status,
            stdout,
            stderr: self.stderr_text(),
        }
    }

    fn stderr_text(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Ends the process whatever happened to the test; harmless when it already exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn describe(args: &[std::ffi::OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Starts the command with `args` and nothing on standard input.
pub fn ferrozmq<I, S>(args: I) -> Process
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Process::spawn(FERROZMQ, args, None)
}

/// Starts the command with `args`, `input` on standard input.
pub fn ferrozmq_with_input<I, S>(args: I, input: &str) -> Process
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Process::spawn(FERROZMQ, args, Some(input))
}

/// Runs the command to its end.
pub fn run<I, S>(args: I) -> Finished
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    ferrozmq(args).finish()
}

/// Checks that `done` failed with status `code` and exactly one `ferrozmq: ` line on
/// standard error.
pub fn assert_fails_with_one_line(done: &Finished, code: i32, context: &str) {
    assert_eq!(done.status.code(), Some(code), "{context}: {done:?}");
    assert!(!done.stderr.contains("panicked"), "{context}: {done:?}");
    let lines: Vec<_> = done.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{context}: one stderr line: {done:?}");
    assert!(lines[0].starts_with("ferrozmq: "), "{context}: {done:?}");
}

/// Starts one of the seed's Python programs, from `tests/seed`, on libzmq through pyzmq.
pub fn seed_python(script: &str, args: &[&str]) -> Process {
    python_script("seed", script, args)
}

/// Starts one of the Python peers from `tests/peers` (libzmq sockets of the types beyond
/// the seed's, through pyzmq).
pub fn peer_python(script: &str, args: &[&str]) -> Process {
    python_script("peers", script, args)
}

fn python_script(folder: &str, script: &str, args: &[&str]) -> Process {
    let path = format!("{}/tests/{folder}/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut full = vec![path.as_str()];
    full.extend_from_slice(args);
    python(&full)
}

/// Starts `python3` (unbuffered) with `args`, once pyzmq is known to be there.
pub fn python(args: &[&str]) -> Process {
    require_pyzmq();
    let mut full = vec!["-u"];
    full.extend_from_slice(args);
    Process::spawn("python3", full, None)
}

/// Fails (does not skip) when pyzmq is missing: CI installs it, so its absence is a broken
/// set-up that must not pass silently.
fn require_pyzmq() {
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        match Command::new("python3")
            .args(["-c", "import zmq"])
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
            Err(e) => Err(format!("cannot run python3: {e}")),
        }
    });
    if let Err(why) = found {
        panic!(
            "the interop tests need python3 with pyzmq (pip install pyzmq), \
             which is missing: {why}"
        );
    }
}
