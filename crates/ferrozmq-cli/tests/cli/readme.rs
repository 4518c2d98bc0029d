//! The terminal sessions the READMEs show, run as shown: each `console` block is one shell,
//! `$ COMMAND` then what it prints; the blocks under one heading run side by side, started
//! in their order, as someone opening shells in turn would. A block ending in `^C` is a
//! server the reader stops: it must have printed what the block shows by the time the
//! others are done, and is then stopped. Ports are the README's, each replaced by a free
//! one (the same replacement across a scenario's blocks), so that runs beside other tests
//! cannot collide; commands run through `sh`, quoting and all.
//!
//! The READMEs' Rust snippets run as doctests of the crates (`cargo test --doc`).

use crate::support::{Process, FERROZMQ};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

/// One shell of a scenario.
#[derive(Debug)]
struct Shell {
    command: String,
    output: Vec<String>,
    interrupted: bool,
}

/// The scenarios of a README: heading, then its shells.
fn scenarios(readme: &str) -> Vec<(String, Vec<Shell>)> {
    let mut scenarios: Vec<(String, Vec<Shell>)> = Vec::new();
    let mut heading = String::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_owned();
            continue;
        }
        if line.trim() != "```console" {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        let (first, rest) = block.split_first().expect("an empty console block");
        let command = first
            .strip_prefix("$ ")
            .unwrap_or_else(|| panic!("a console block starts with '$ ': {first:?}"));
        let interrupted = rest.last() == Some(&"^C");
        let output_lines = if interrupted {
            &rest[..rest.len() - 1]
        } else {
            rest
        };
        let shell = Shell {
            command: command.to_owned(),
            output: output_lines.iter().map(|l| l.to_string()).collect(),
            interrupted,
        };
        match scenarios.last_mut() {
            Some((last, shells)) if *last == heading => shells.push(shell),
            _ => scenarios.push((heading.clone(), vec![shell])),
        }
    }
    scenarios
}

/// `command` with each port of the form 55xx replaced by its free port.
fn with_free_ports(command: &str, ports: &mut BTreeMap<String, u16>) -> String {
    let mut out = String::new();
    let mut rest = command;
    while let Some(at) = rest.find(":55") {
        let digits: String = rest[at + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        out.push_str(&rest[..=at]);
        if digits.len() == 4 {
            let port = ports
                .entry(digits.clone())
                .or_insert_with(crate::support::free_port);
            out.push_str(&port.to_string());
        } else {
            out.push_str(&digits);
        }
        rest = &rest[at + 1 + digits.len()..];
    }
    out.push_str(rest);
    out
}

fn run_scenario(readme: &str, heading: &str, shells: &[Shell]) {
    let bin = Path::new(FERROZMQ)
        .parent()
        .expect("the command's directory");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ports = BTreeMap::new();
    let mut running = Vec::new();
    for shell in shells {
        let command = with_free_ports(&shell.command, &mut ports);
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(format!("exec {command}"))
            .env("PATH", &path);
        let name = format!("{readme} '{heading}': {command}");
        running.push((shell, Process::spawn_command(name, sh, None)));
        // Shells opened one after the other.
        thread::sleep(Duration::from_millis(200));
    }
    let (interrupted, finishing): (Vec<_>, Vec<_>) = running
        .into_iter()
        .partition(|(shell, _)| shell.interrupted);
    for (shell, process) in finishing {
        let done = process.finish();
        assert!(
            done.status.success(),
            "{readme} '{heading}': {shell:?}: {done:?}"
        );
        assert_eq!(done.stdout, shell.output, "{readme} '{heading}': {shell:?}");
    }
    for (shell, mut process) in interrupted {
        let printed = process.expect_lines(shell.output.len());
        assert_eq!(printed, shell.output, "{readme} '{heading}': {shell:?}");
        assert!(
            process.is_running(),
            "{readme} '{heading}': {shell:?} ended by itself"
        );
        // Dropping the process stops it, as ^C would.
    }
}

fn check_readme(relative: &str, expected_scenarios: usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let readme = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let scenarios = scenarios(&readme);
    assert_eq!(
        scenarios.len(),
        expected_scenarios,
        "{relative}: {scenarios:?}"
    );
    for (heading, shells) in &scenarios {
        for shell in shells {
            assert!(
                shell.command.starts_with("ferrozmq "),
                "{relative}: {shell:?}"
            );
        }
        run_scenario(relative, heading, shells);
    }
}

#[test]
fn the_readme_terminal_sessions_run_as_shown() {
    // Request-reply, publish-subscribe, pipeline.
    check_readme("../../README.md", 3);
}

#[test]
fn the_command_readme_terminal_session_runs_as_shown() {
    check_readme("README.md", 1);
}

#[test]
fn ports_are_replaced_consistently() {
    let mut ports = BTreeMap::new();
    let a = with_free_ports(
        "pull tcp://*:5558 '>tcp://localhost:5558' :55 :555",
        &mut ports,
    );
    let b = with_free_ports("push @tcp://*:5557", &mut ports);
    let port = |p: &str| ports[p].to_string();
    assert_eq!(
        a,
        format!(
            "pull tcp://*:{} '>tcp://localhost:{}' :55 :555",
            port("5558"),
            port("5558")
        )
    );
    assert_eq!(b, format!("push @tcp://*:{}", port("5557")));
}
