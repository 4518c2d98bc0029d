//! `cargo xtask libzmq-tests --prefix DIR`: libzmq 4.3.4's own test suite, built against
//! the libzmq installed in DIR (`include/zmq.h`, `lib/libzmq.so`) and run.
//!
//! ```text
//! vendored source (zeromq-src)      target/libzmq-tests/<key>/
//!   tests/test_*.cpp, testutil*  ──► tree/tests/  (copied: they include "../include/zmq.h",
//!   DIR/include/zmq.h            ──► tree/include/ which must be DIR's, not libzmq's)
//!   (generated)                  ──► tree/src/platform.hpp (what the library says it has)
//!                                    obj/*.o   built once per key
//!                                    bin/test_* linked against DIR/lib (relinked when missing)
//!                                    logs/test_*.log
//! ```
//!
//! The key fingerprints everything the objects depend on (the source, DIR's header, the
//! generated platform.hpp, the compiler and flags), so a rerun rebuilds nothing, and a
//! new library with the same header only needs the binaries that failed to link relinked.
//! Each test runs alone (libzmq's suite uses some fixed ports) in a fresh directory, with
//! `LD_LIBRARY_PATH=DIR/lib`, in its own process group, killed at its timeout (libzmq's
//! CMake values). What is not run, and why, is in
//! `crates/ferrozmq-ffi/libzmq-test-suite.txt`.

use crate::cc::{c_compiler, cxx_compiler, output};
use crate::paths::{create_dir, fingerprint, read, target_dir, workspace_root, write};
use crate::Result;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The file naming the tests not run and the timeouts that differ from the default.
pub const CONFIG: &str = "crates/ferrozmq-ffi/libzmq-test-suite.txt";
/// libzmq's CMake gives each test 10 seconds unless it says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The support files every test links with.
const TESTUTIL: &[&str] = &[
    "testutil.cpp",
    "testutil_monitoring.cpp",
    "testutil_security.cpp",
    "testutil_unity.cpp",
];
/// Flags of every compile: libzmq's CMake defines for the tests (Unity's, the draft API,
/// flushing after each case),
/// and sections per function so that linking leaves out testutil functions a test does
/// not call (and the library functions only those need).
const COMMON_FLAGS: &[&str] = &[
    "-g",
    "-O1",
    "-pthread",
    "-DZMQ_BUILD_DRAFT_API",
    "-DUNITY_USE_COMMAND_LINE_ARGS",
    "-DUNITY_EXCLUDE_FLOAT",
    // Each case's result reaches the log as it ends: a test killed at its timeout shows
    // which case hung.
    "-DUNITY_USE_FLUSH_STDOUT",
    "-ffunction-sections",
    "-fdata-sections",
    "-w",
];

/// How to run the suite.
#[derive(Clone, Debug)]
pub struct Options {
    /// The libzmq installation under test.
    pub prefix: PathBuf,
    /// Compiler processes at once.
    pub jobs: usize,
    /// Tests run at once (1: libzmq's tests use some fixed ports).
    pub run_jobs: usize,
    /// Only tests whose name contains one of these (all when empty).
    pub filters: Vec<String>,
    /// Print each failing test's log.
    pub verbose: bool,
}

/// How one test ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Passed,
    /// Not built or run: the configuration's reason.
    Excluded(String),
    /// Exit status 77: the test found the system lacks what it needs (libzmq's CMake
    /// treats it as skipped).
    Skipped,
    /// Anything else, with what is known.
    Failed(String),
}

impl Outcome {
    /// Whether the test failed.
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

/// One test's result.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// The test's name (`test_pair_tcp`).
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it ran.
    pub elapsed: Duration,
    /// Why it is known to fail against ferrozmq (the configuration's `known` lines).
    pub known: Option<String>,
    /// Its first run failed with this, and a second run passed.
    pub flaky: Option<String>,
}

impl TestResult {
    /// A failure nobody expected: the run is red.
    pub fn unexpected_failure(&self) -> bool {
        self.outcome.failed() && self.known.is_none()
    }
}

/// A whole run.
#[derive(Debug)]
pub struct Summary {
    /// Every test, in name order.
    pub results: Vec<TestResult>,
    /// Time spent compiling and linking.
    pub build_time: Duration,
    /// Time spent running tests.
    pub run_time: Duration,
    /// Where the results were written (tab-separated).
    pub results_file: PathBuf,
}

impl Summary {
    /// How many tests ended as `kind` says.
    pub fn count(&self, kind: fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| kind(&r.outcome)).count()
    }
}

/// The configuration file's content: exclusions, known failures and timeouts.
#[derive(Debug, Default)]
pub struct Config {
    /// Test → why it is not run.
    pub excluded: BTreeMap<String, String>,
    /// Test → the missing feature or known difference it fails for.
    pub known: BTreeMap<String, String>,
    /// Test → its timeout.
    pub timeouts: BTreeMap<String, Duration>,
}

/// Reads the configuration (`exclude <test> <reason>`, `known <test> <cause>`,
/// `timeout <test> <seconds>`; `#` starts a comment line).
pub fn config() -> Result<Config> {
    parse_config(&read(&workspace_root().join(CONFIG))?)
}

fn parse_config(text: &str) -> Result<Config> {
    let mut config = Config::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.splitn(3, char::is_whitespace);
        let (directive, test, rest) = (
            words.next(),
            words.next(),
            words.next().unwrap_or("").trim(),
        );
        match (directive, test) {
            (Some("exclude"), Some(test)) if !rest.is_empty() => {
                config.excluded.insert(test.to_string(), rest.to_string());
            }
            (Some("known"), Some(test)) if !rest.is_empty() => {
                config.known.insert(test.to_string(), rest.to_string());
            }
            (Some("timeout"), Some(test)) => {
                let seconds: u64 = rest
                    .split_whitespace()
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or(format!("{CONFIG}:{}: timeout needs seconds", number + 1))?;
                config
                    .timeouts
                    .insert(test.to_string(), Duration::from_secs(seconds));
            }
            _ => {
                return Err(format!(
                    "{CONFIG}:{}: cannot read `{line}` (an exclusion or a known failure needs \
                     its reason)",
                    number + 1
                ))
            }
        }
    }
    Ok(config)
}

/// Builds and runs the suite against `options.prefix`.
pub fn run(options: &Options) -> Result<Summary> {
    let source = crate::vendor::libzmq_source()?;
    let prefix = crate::paths::absolute(&options.prefix);
    if !crate::reference::is_installation(&prefix) {
        return Err(format!(
            "{} holds no include/zmq.h and lib/libzmq.so",
            prefix.display()
        ));
    }
    let config = config()?;
    let tests = test_names(&source)?;
    let named = config.excluded.keys().chain(config.known.keys());
    for name in named.chain(config.timeouts.keys()) {
        if !tests.contains(name) {
            return Err(format!(
                "{CONFIG} names {name}, which is not in libzmq's tests/"
            ));
        }
    }
    let selected: Vec<&String> = tests
        .iter()
        .filter(|t| {
            options.filters.is_empty() || options.filters.iter().any(|f| t.contains(f.as_str()))
        })
        .collect();

    let build_start = Instant::now();
    let platform = platform_header(&prefix)?;
    let header = std::fs::read(prefix.join("include/zmq.h"))
        .map_err(|e| format!("cannot read {}/include/zmq.h: {e}", prefix.display()))?;
    let compiler = format!("{:?} {:?}", std::env::var_os("CC"), std::env::var_os("CXX"));
    let key = fingerprint([
        source.to_string_lossy().as_bytes(),
        prefix.to_string_lossy().as_bytes(),
        &header,
        platform.as_bytes(),
        compiler.as_bytes(),
        COMMON_FLAGS.join(" ").as_bytes(),
    ]);
    let work = target_dir().join("libzmq-tests").join(&key);
    let tree = work.join("tree");
    copy_if_changed(&prefix.join("include/zmq.h"), &tree.join("include/zmq.h"))?;
    write_if_changed(&tree.join("src/platform.hpp"), platform.as_bytes())?;
    copy_if_changed(&source.join("src/stdint.hpp"), &tree.join("src/stdint.hpp"))?;
    for entry in std::fs::read_dir(source.join("tests")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("cpp" | "hpp")
        ) {
            copy_if_changed(
                &path,
                &tree
                    .join("tests")
                    .join(path.file_name().unwrap_or_default()),
            )?;
        }
    }

    // Compile what is missing: Unity, the test utilities, and every selected test.
    let objects = work.join("obj");
    create_dir(&objects)?;
    let unity = source.join("external/unity");
    let mut jobs: Vec<(PathBuf, Command)> = Vec::new();
    let unity_object = objects.join("unity.o");
    if !unity_object.exists() {
        let mut command = c_compiler();
        command
            .args(COMMON_FLAGS)
            .arg("-I")
            .arg(&unity)
            .arg("-c")
            .arg(unity.join("unity.c"))
            .arg("-o")
            .arg(&unity_object);
        jobs.push((unity_object.clone(), command));
    }
    let mut compile_cpp = |file: &str| -> PathBuf {
        let object = objects.join(Path::new(file).with_extension("o"));
        if !object.exists() {
            let mut command = cxx_compiler();
            command
                .args(COMMON_FLAGS)
                .arg("-std=gnu++11")
                .arg("-I")
                .arg(&unity)
                .arg("-c")
                .arg(tree.join("tests").join(file))
                .arg("-o")
                .arg(&object);
            jobs.push((object.clone(), command));
        }
        object
    };
    let testutil: Vec<PathBuf> = TESTUTIL.iter().map(|f| compile_cpp(f)).collect();
    let mut to_link = Vec::new();
    for name in &selected {
        if !config.excluded.contains_key(*name) {
            to_link.push(((*name).clone(), compile_cpp(&format!("{name}.cpp"))));
        }
    }
    let compile_errors = run_parallel(jobs, options.jobs)?;

    // Link what is missing.
    let binaries = work.join("bin");
    create_dir(&binaries)?;
    let mut link_errors: BTreeMap<String, String> = BTreeMap::new();
    let mut links = Vec::new();
    for (name, object) in &to_link {
        if let Some(error) = compile_errors.get(object) {
            link_errors.insert(
                name.clone(),
                format!("does not compile: {}", first_error(error)),
            );
            continue;
        }
        if let Some(failed) = testutil.iter().find_map(|o| compile_errors.get(o)) {
            link_errors.insert(
                name.clone(),
                format!("testutil does not compile: {}", first_error(failed)),
            );
            continue;
        }
        let binary = binaries.join(name);
        if !binary.exists() {
            let mut command = cxx_compiler();
            command
                .arg(object)
                .args(&testutil)
                .arg(&unity_object)
                .arg("-L")
                .arg(prefix.join("lib"))
                .args(["-lzmq", "-pthread", "-lrt", "-Wl,--gc-sections", "-o"])
                .arg(&binary);
            links.push((binary, command));
        }
    }
    let link_failures = run_parallel(links, options.jobs)?;
    for (name, _) in &to_link {
        if let Some(error) = link_failures.get(&binaries.join(name)) {
            link_errors.insert(name.clone(), link_failure(error));
        }
    }
    let build_time = build_start.elapsed();

    // Run.
    let run_start = Instant::now();
    let logs = work.join("logs");
    create_dir(&logs)?;
    let results: Mutex<Vec<TestResult>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..options.run_jobs.max(1) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(name) = selected.get(index) else {
                    break;
                };
                let name = (*name).clone();
                let result = if let Some(reason) = config.excluded.get(&name) {
                    TestResult {
                        name,
                        outcome: Outcome::Excluded(reason.clone()),
                        elapsed: Duration::ZERO,
                        known: None,
                        flaky: None,
                    }
                } else if let Some(error) = link_errors.get(&name) {
                    TestResult {
                        name,
                        outcome: Outcome::Failed(error.clone()),
                        elapsed: Duration::ZERO,
                        known: None,
                        flaky: None,
                    }
                } else {
                    let timeout = config
                        .timeouts
                        .get(&name)
                        .copied()
                        .unwrap_or(DEFAULT_TIMEOUT);
                    run_one(
                        &name,
                        &binaries.join(&name),
                        &prefix,
                        &work.join("run").join(&name),
                        &logs,
                        timeout,
                    )
                };
                if options.verbose && matches!(result.outcome, Outcome::Failed(_)) {
                    if let Ok(log) = read(&logs.join(format!("{}.log", result.name))) {
                        eprintln!("---- {} ----\n{log}", result.name);
                    }
                }
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(result);
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by(|a, b| a.name.cmp(&b.name));
    for result in &mut results {
        result.known = config.known.get(&result.name).cloned();
        // A failure nobody expected gets a second run, alone: on a busy machine a
        // timing-sensitive test can miss once. It is reported either way.
        let runnable = !link_errors.contains_key(&result.name);
        if result.unexpected_failure() && runnable {
            let timeout = config
                .timeouts
                .get(&result.name)
                .copied()
                .unwrap_or(DEFAULT_TIMEOUT);
            let again = run_one(
                &result.name,
                &binaries.join(&result.name),
                &prefix,
                &work.join("run").join(&result.name),
                &logs,
                timeout,
            );
            if again.outcome == Outcome::Passed {
                let (_, first) = describe(&result.outcome);
                result.flaky = Some(first.to_string());
                result.outcome = Outcome::Passed;
                result.elapsed = again.elapsed;
            }
        }
    }
    let run_time = run_start.elapsed();

    let results_file = work.join("results.tsv");
    let mut tsv = String::from("test\toutcome\tseconds\tdetail\n");
    for result in &results {
        let (outcome, detail) = describe_result(result);
        let _ = writeln!(
            tsv,
            "{}\t{outcome}\t{:.2}\t{detail}",
            result.name,
            result.elapsed.as_secs_f64()
        );
    }
    write(&results_file, tsv)?;
    Ok(Summary {
        results,
        build_time,
        run_time,
        results_file,
    })
}

/// Every `tests/test_*.cpp`, by name.
fn test_names(source: &Path) -> Result<BTreeSet<String>> {
    let entries = std::fs::read_dir(source.join("tests")).map_err(|e| e.to_string())?;
    Ok(entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".cpp").map(str::to_string))
        .filter(|f| f.starts_with("test_"))
        .collect())
}

/// The `platform.hpp` the tests are compiled with: what libzmq's build would have
/// detected on Linux, and the capabilities the library reports through `zmq_has` (so that
/// a test expecting, say, TIPC only does when the library has it, as with libzmq's own
/// configuration).
pub fn platform_header(prefix: &Path) -> Result<String> {
    let capabilities = probe_capabilities(prefix)?;
    let mut header = String::from(
        "/* Generated by cargo xtask libzmq-tests: the configuration the test suite is built with. */\n\
         #ifndef __ZMQ_PLATFORM_HPP_INCLUDED__\n#define __ZMQ_PLATFORM_HPP_INCLUDED__\n\
         #define ZMQ_HAVE_LINUX\n#define ZMQ_HAVE_UIO\n#define ZMQ_HAVE_SO_PEERCRED\n\
         #define ZMQ_HAVE_SO_PRIORITY\n#define ZMQ_HAVE_SO_KEEPALIVE\n#define ZMQ_HAVE_TCP_KEEPCNT\n\
         #define ZMQ_HAVE_TCP_KEEPIDLE\n#define ZMQ_HAVE_TCP_KEEPINTVL\n#define ZMQ_HAVE_EVENTFD\n\
         #define HAVE_FORK\n#define HAVE_CLOCK_GETTIME\n#define HAVE_MKDTEMP\n",
    );
    for (capability, macros) in [
        ("ipc", &["ZMQ_HAVE_IPC"][..]),
        ("curve", &["ZMQ_HAVE_CURVE"][..]),
        ("tipc", &["ZMQ_HAVE_TIPC"][..]),
        ("pgm", &["ZMQ_HAVE_OPENPGM"][..]),
        ("norm", &["ZMQ_HAVE_NORM"][..]),
        ("vmci", &["ZMQ_HAVE_VMCI"][..]),
        ("gssapi", &["HAVE_LIBGSSAPI_KRB5"][..]),
        ("WS", &["ZMQ_HAVE_WS"][..]),
        ("WSS", &["ZMQ_HAVE_WSS"][..]),
        ("draft", &["ZMQ_BUILD_DRAFT_API"][..]),
    ] {
        if capabilities.contains(capability) {
            for name in macros {
                let _ = writeln!(header, "#ifndef {name}\n#define {name}\n#endif");
            }
        }
    }
    header.push_str("#endif\n");
    Ok(header)
}

/// The capabilities `zmq_has` reports, asked by a small program linked against the
/// library; none when it cannot be built (no `zmq_has`).
fn probe_capabilities(prefix: &Path) -> Result<BTreeSet<String>> {
    let scratch = crate::paths::scratch_dir("probe")?;
    let names = [
        "ipc", "curve", "tipc", "pgm", "norm", "vmci", "gssapi", "WS", "WSS", "draft",
    ];
    let mut program = String::from("#include <stdio.h>\n#include <zmq.h>\nint main (void)\n{\n");
    for name in names {
        let _ = writeln!(program, "    if (zmq_has (\"{name}\")) puts (\"{name}\");");
    }
    program.push_str("    return 0;\n}\n");
    let source = scratch.join("probe.c");
    let binary = scratch.join("probe");
    write(&source, program)?;
    let built = output(
        c_compiler()
            .arg(&source)
            .arg("-I")
            .arg(prefix.join("include"))
            .arg("-L")
            .arg(prefix.join("lib"))
            .args(["-lzmq", "-o"])
            .arg(&binary),
    )?;
    let mut capabilities = BTreeSet::new();
    if built.status.success() {
        let ran = output(Command::new(&binary).env("LD_LIBRARY_PATH", prefix.join("lib")))?;
        capabilities.extend(
            String::from_utf8_lossy(&ran.stdout)
                .lines()
                .map(str::to_string),
        );
    }
    Ok(capabilities)
}

fn copy_if_changed(from: &Path, to: &Path) -> Result<()> {
    let contents =
        std::fs::read(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    write_if_changed(to, &contents)
}

/// Writes a file unless it holds these bytes already (keeping its time stamp).
fn write_if_changed(path: &Path, contents: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    write(path, contents)
}

/// Runs commands, `jobs` at a time; the output of those that failed, by their product.
fn run_parallel(
    commands: Vec<(PathBuf, Command)>,
    jobs: usize,
) -> Result<BTreeMap<PathBuf, String>> {
    let queue = Mutex::new(commands);
    let failures = Mutex::new(BTreeMap::new());
    let spawn_error = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let Some((product, mut command)) =
                    queue.lock().unwrap_or_else(|e| e.into_inner()).pop()
                else {
                    break;
                };
                match command.output() {
                    Ok(out) if out.status.success() => {}
                    Ok(out) => {
                        let _ = std::fs::remove_file(&product);
                        let text = String::from_utf8_lossy(&out.stderr).into_owned();
                        failures
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(product, text);
                    }
                    Err(e) => {
                        *spawn_error.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(format!("cannot run {:?}: {e}", command.get_program()));
                    }
                }
            });
        }
    });
    if let Some(error) = spawn_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(error);
    }
    Ok(failures.into_inner().unwrap_or_else(|e| e.into_inner()))
}

fn first_error(output: &str) -> String {
    output
        .lines()
        .find(|l| l.contains("error"))
        .unwrap_or("(no message)")
        .trim()
        .to_string()
}

/// A link failure in short: the library functions missing, or the linker's first error.
pub fn link_failure(output: &str) -> String {
    let missing: BTreeSet<&str> = output
        .lines()
        .filter_map(|line| {
            let rest =
                &line[line.find("undefined reference to `")? + "undefined reference to `".len()..];
            rest.split('\'').next()
        })
        .collect();
    if missing.is_empty() {
        format!("does not link: {}", first_error(output))
    } else {
        format!(
            "does not link: {} missing ({})",
            missing.len(),
            missing.into_iter().collect::<Vec<_>>().join(" ")
        )
    }
}

/// Runs one test binary to its end or its timeout.
fn run_one(
    name: &str,
    binary: &Path,
    prefix: &Path,
    dir: &Path,
    logs: &Path,
    timeout: Duration,
) -> TestResult {
    let started = Instant::now();
    let finish = |outcome| TestResult {
        name: name.to_string(),
        outcome,
        elapsed: started.elapsed(),
        known: None,
        flaky: None,
    };
    let _ = std::fs::remove_dir_all(dir);
    if let Err(e) = create_dir(dir) {
        return finish(Outcome::Failed(e));
    }
    let log_path = logs.join(format!("{name}.log"));
    let log = match std::fs::File::create(&log_path) {
        Ok(log) => log,
        Err(e) => return finish(Outcome::Failed(format!("cannot write its log: {e}"))),
    };
    let log_err = match log.try_clone() {
        Ok(log) => log,
        Err(e) => return finish(Outcome::Failed(format!("cannot write its log: {e}"))),
    };
    let mut child = match Command::new(binary)
        .current_dir(dir)
        .env("LD_LIBRARY_PATH", prefix.join("lib"))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return finish(Outcome::Failed(format!("cannot start: {e}"))),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= timeout => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    // The whole group: tests fork (test_fork) and may leave children behind.
    kill_group(child.id());
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    let log = read(&log_path).unwrap_or_default();
    let outcome = match status {
        None => Outcome::Failed(format!(
            "timed out after {} s{}",
            timeout.as_secs(),
            unity_detail(&log)
        )),
        Some(status) => match (
            status.code(),
            std::os::unix::process::ExitStatusExt::signal(&status),
        ) {
            (Some(0), _) => Outcome::Passed,
            (Some(77), _) => Outcome::Skipped,
            (Some(code), _) => Outcome::Failed(format!("exit {code}{}", unity_detail(&log))),
            (None, Some(signal)) => {
                Outcome::Failed(format!("signal {signal}{}", unity_detail(&log)))
            }
            (None, None) => Outcome::Failed("ended without status".into()),
        },
    };
    finish(outcome)
}

fn kill_group(pid: u32) {
    // No libc dependency: the kill command does it (a group already gone is no error).
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// What Unity and the loader said, in short: the failed-case count and the first failure.
fn unity_detail(log: &str) -> String {
    let mut detail = String::new();
    if let Some(line) = log.lines().find(|l| l.contains("symbol lookup error")) {
        let _ = write!(
            detail,
            ": {}",
            line.rsplit(": ").next().unwrap_or(line).trim()
        );
        return detail;
    }
    if let Some(summary) = log
        .lines()
        .rev()
        .find(|l| l.contains(" Tests ") && l.contains(" Failures "))
    {
        let _ = write!(detail, ": {}", summary.trim());
    }
    if let Some(first) = log.lines().find(|l| l.contains(":FAIL")) {
        let short: String = first.chars().take(160).collect();
        let _ = write!(detail, "; first: {short}");
    }
    detail
}

/// The outcome's word and detail, for tables.
pub fn describe(outcome: &Outcome) -> (&'static str, &str) {
    match outcome {
        Outcome::Passed => ("passed", ""),
        Outcome::Excluded(reason) => ("excluded", reason),
        Outcome::Skipped => (
            "skipped",
            "exit 77: the test found the system lacks what it needs",
        ),
        Outcome::Failed(detail) => ("FAILED", detail),
    }
}

/// A result's word and detail: known failures say so and why, a pass on the second try
/// says what the first try did.
pub fn describe_result(result: &TestResult) -> (&'static str, String) {
    let (word, detail) = describe(&result.outcome);
    match (&result.known, &result.flaky) {
        (Some(cause), _) if result.outcome.failed() => {
            ("FAILED", format!("known: {cause}; {detail}"))
        }
        (Some(cause), _) => (
            word,
            format!("listed as known ({cause}) but passed: update {CONFIG}"),
        ),
        (None, Some(first)) => (word, format!("passed on a second run; the first: {first}")),
        (None, None) => (word, detail.to_string()),
    }
}

/// The table and totals, as printed.
pub fn report(summary: &Summary) -> String {
    let mut text = String::new();
    let width = summary
        .results
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(10);
    for result in &summary.results {
        let (outcome, detail) = describe_result(result);
        let _ = writeln!(
            text,
            "{:width$}  {outcome:8}  {:6.2}s  {detail}",
            result.name,
            result.elapsed.as_secs_f64()
        );
    }
    let passed = summary.count(|o| *o == Outcome::Passed);
    let failed = summary.count(|o| matches!(o, Outcome::Failed(_)));
    let excluded = summary.count(|o| matches!(o, Outcome::Excluded(_)));
    let skipped = summary.count(|o| *o == Outcome::Skipped);
    let unexpected = summary
        .results
        .iter()
        .filter(|r| r.unexpected_failure())
        .count();
    let _ = write!(
        text,
        "\n{passed} passed, {failed} failed ({} known, {unexpected} unexpected), {excluded} excluded",
        failed - unexpected
    );
    if skipped > 0 {
        let _ = write!(text, ", {skipped} skipped");
    }
    let _ = writeln!(
        text,
        " (build {:.1} s, run {:.1} s; results in {})",
        summary.build_time.as_secs_f64(),
        summary.run_time.as_secs_f64(),
        summary.results_file.display()
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_names_real_tests_and_gives_every_exclusion_a_reason() {
        let config = config().unwrap();
        let tests = test_names(&crate::vendor::libzmq_source().unwrap()).unwrap();
        let named = config.excluded.keys().chain(config.known.keys());
        for name in named.chain(config.timeouts.keys()) {
            assert!(tests.contains(name), "{name}");
        }
        assert!(config.excluded.values().all(|reason| reason.len() > 10));
        assert!(config.known.values().all(|cause| cause.len() > 10));
        assert!(
            config
                .known
                .keys()
                .all(|t| !config.excluded.contains_key(t)),
            "a test is either excluded or run"
        );
        assert!(
            parse_config("known test_x\n").is_err(),
            "a known failure without its cause"
        );
        assert!(
            parse_config("exclude test_x\n").is_err(),
            "an exclusion without a reason"
        );
    }

    #[test]
    fn link_failures_name_the_missing_functions() {
        let output = "/usr/bin/ld: a.o: in function `f':\n/x.cpp:3: undefined reference to `zmq_socket'\n\
                      /x.cpp:4: undefined reference to `zmq_close'\n/x.cpp:9: undefined reference to `zmq_socket'\n";
        assert_eq!(
            link_failure(output),
            "does not link: 2 missing (zmq_close zmq_socket)"
        );
    }
}
