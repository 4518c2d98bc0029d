//! Running the `zmq` crate's test files and reading what each test did.

use crate::namespace::Network;
use crate::project::Project;
use crate::Outcomes;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long one test file may take; its tests run under `timebomb`'s 10 s each, and the
/// trybuild test builds a project (a minute when nothing is cached).
const FILE_TIMEOUT: Duration = Duration::from_secs(600);

/// Removes terminal colour sequences.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Runs a test binary with `args` in `network`; its output, and whether it ended in time.
fn run(network: &Network, project: &Project, exe: &Path, args: &[&str]) -> (String, bool) {
    let mut child = network
        .command(exe)
        .args(args)
        .current_dir(&project.dir)
        // What cargo gives test binaries; trybuild builds the project it names.
        .env("CARGO_MANIFEST_DIR", &project.dir)
        .env("CARGO_TARGET_DIR", &project.target_dir)
        // In a private network there is no registry; everything is fetched already.
        .env("CARGO_NET_OFFLINE", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    let readers = [
        child.stdout.take().map(read_all),
        child.stderr.take().map(read_all),
    ];
    let deadline = Instant::now() + FILE_TIMEOUT;
    let mut in_time = true;
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            in_time = false;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.wait();
    let output = readers
        .into_iter()
        .flatten()
        .map(|r| r.join().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    (plain(&output), in_time)
}

/// trybuild's verdict on each compile-fail program: `ok`, `text-differs` (it fails to
/// compile with the expected error codes, but rustc words them differently), `mismatch`
/// (other errors) or `compiled` (it should not have).
fn trybuild_results(output: &str) -> Vec<(String, String)> {
    let codes = |text: &str| -> Vec<String> {
        text.match_indices("error[E")
            .map(|(i, _)| text[i + 6..].chars().take(5).collect())
            .collect()
    };
    let mut results = Vec::new();
    let cases: Vec<&str> = output.split("\ntest ").skip(1).collect();
    for case in cases {
        let Some((file, rest)) = case.split_once(" ... ") else {
            continue;
        };
        if !file.starts_with("tests/") {
            continue;
        }
        let verdict = rest.lines().next().unwrap_or("").trim();
        let result = match verdict {
            "ok" => "ok",
            "mismatch" => {
                let expected = rest.split("ACTUAL OUTPUT:").next().unwrap_or("");
                let actual = rest.split("ACTUAL OUTPUT:").nth(1).unwrap_or("");
                let actual_codes = codes(actual);
                let same = codes(expected).iter().all(|c| actual_codes.contains(c));
                if same && !actual_codes.is_empty() {
                    "text-differs"
                } else {
                    "mismatch"
                }
            }
            _ if rest.contains("to fail to compile") => "compiled",
            _ => "error",
        };
        results.push((file.to_string(), result.to_string()));
    }
    results
}

/// Runs every test file that compiled, in `network`, and records each file
/// (`compiled` / `not-compiled`) and each test (`ok`, `failed`, `ignored`, `no-result`).
pub fn run_all(network: &Network, project: &Project, build: &crate::project::Build) -> Outcomes {
    let mut outcomes = Outcomes::default();
    for (file, built) in &build.tests {
        let exe = match built {
            Ok(exe) => exe,
            Err(errors) => {
                outcomes.record(format!("test {file}"), "not-compiled", errors);
                continue;
            }
        };
        outcomes.record(format!("test {file}"), "compiled", "");
        let (list, _) = run(network, project, exe, &["--list"]);
        let names: Vec<&str> = list
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .collect();
        let started = Instant::now();
        let (output, in_time) = run(network, project, exe, &[]);
        println!(
            "zmq suite: tests/{file}.rs: {} tests in {:.1} s",
            names.len(),
            started.elapsed().as_secs_f64()
        );
        for name in names {
            let line = format!("test {name} ... ");
            let result = output
                .lines()
                .find_map(|l| l.strip_prefix(&line))
                .map(|r| match r.trim() {
                    "ok" => "ok",
                    "FAILED" => "failed",
                    r if r.starts_with("ignored") => "ignored",
                    _ => "no-result",
                })
                .unwrap_or("no-result");
            let detail = if result == "ok" {
                String::new()
            } else if in_time {
                failure_of(&output, name)
            } else {
                format!("killed after {FILE_TIMEOUT:?}")
            };
            outcomes.record(format!("test {file}::{name}"), result, &detail);
        }
        for (program, result) in trybuild_results(&output) {
            outcomes.record(format!("trybuild {program}"), &result, "");
        }
    }
    outcomes
}

/// What libtest printed about a failed test.
fn failure_of(output: &str, name: &str) -> String {
    let header = format!("---- {name} stdout ----");
    output
        .split_once(&header)
        .map(|(_, rest)| rest.split("\n---- ").next().unwrap_or(rest))
        .map(|text| text.trim().lines().take(12).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}
