//! The `zmq` crate's own tests and examples (rust-zmq 0.10, whose source cargo fetched)
//! built against ferrozmq-zmq and run, their outcomes compared with `expected.txt`.
//!
//! What this judges is the compatibility crate's promise: code written for the `zmq` crate
//! compiles unchanged and behaves the same. Every test of the crate must pass and every
//! example must pass its scenario (see `scenarios.rs`), except those `expected.txt` lists
//! with the reason; an outcome that differs from the list either way fails this test, so
//! the list stays true.
//!
//! The work happens in a cargo project generated under `target/zmq-0.10-suite` (see
//! `project.rs`), built with its own target directory: a first run builds for a few
//! minutes, later ones take under a minute.

mod namespace;
mod project;
mod scenarios;
mod test_files;

use std::collections::BTreeMap;

/// Outcomes by key (`test FILE`, `test FILE::NAME`, `trybuild PROGRAM`, `example NAME`,
/// `scenario NAME`), each with details for the report.
#[derive(Default)]
pub struct Outcomes(BTreeMap<String, (String, String)>);

impl Outcomes {
    pub fn record(&mut self, key: String, outcome: &str, detail: &str) {
        self.0
            .insert(key, (outcome.to_string(), detail.to_string()));
    }

    fn extend(&mut self, other: Outcomes) {
        self.0.extend(other.0);
    }

    fn count(&self, prefix: &str, outcome: &str) -> usize {
        self.0
            .iter()
            .filter(|(k, (o, _))| k.starts_with(prefix) && o == outcome)
            .count()
    }

    fn total(&self, prefix: &str) -> usize {
        self.0.keys().filter(|k| k.starts_with(prefix)).count()
    }
}

/// What a key's outcome must be when `expected.txt` does not say.
fn default_outcome(key: &str) -> &'static str {
    match key.split_once(' ') {
        Some(("test", name)) if !name.contains("::") => "compiled",
        Some(("test" | "trybuild", _)) => "ok",
        _ => "passed",
    }
}

/// `expected.txt`: `KEY OUTCOME -- REASON` per line, where KEY is two words (`test
/// connection::test_tcp`, `example wuproxy`); `#` starts a comment.
fn expectations() -> BTreeMap<String, String> {
    let text = include_str!("expected.txt");
    let mut expected = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (entry, reason) = line
            .split_once(" -- ")
            .unwrap_or_else(|| panic!("expected.txt:{}: no reason given", number + 1));
        assert!(
            !reason.trim().is_empty(),
            "expected.txt:{}: empty reason",
            number + 1
        );
        let words: Vec<&str> = entry.split_whitespace().collect();
        let [kind, name, outcome] = words[..] else {
            panic!("expected.txt:{}: want KIND NAME OUTCOME", number + 1);
        };
        expected.insert(format!("{kind} {name}"), outcome.to_string());
    }
    expected
}

#[test]
fn the_zmq_crates_own_tests_and_examples_run_as_expected() {
    let started = std::time::Instant::now();
    let project = project::Project::generate();
    let build = project.build();
    println!(
        "zmq suite: built in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut outcomes = Outcomes::default();
    let private_networks = {
        let network = namespace::Network::new();
        outcomes.extend(test_files::run_all(&network, &project, &build));
        network.is_private()
    };
    outcomes.extend(scenarios::run_all(&project, &build, private_networks));

    let expected = expectations();
    let mut wrong = Vec::new();
    for (key, (outcome, detail)) in &outcomes.0 {
        let want = expected
            .get(key)
            .map_or(default_outcome(key), String::as_str);
        if outcome != want {
            wrong.push(format!("{key}: {outcome}, expected {want}\n{detail}"));
        }
    }
    for key in expected.keys().filter(|k| !outcomes.0.contains_key(*k)) {
        wrong.push(format!(
            "{key}: listed in expected.txt, but there is no such outcome"
        ));
    }

    let tests_compiled = outcomes.count("test ", "compiled");
    let test_files = tests_compiled + outcomes.count("test ", "not-compiled");
    let tests = outcomes.total("test ") - test_files;
    let examples = outcomes.total("example ");
    println!(
        "zmq suite: tests: {tests_compiled} of {test_files} files compile; {} of {tests} tests \
         pass. examples: {} of {examples} compile; {} pass their scenarios, {} fail, {} not \
         run. {:.0} s in all.",
        outcomes.count("test ", "ok"),
        examples - outcomes.count("example ", "not-compiled"),
        outcomes.count("example ", "passed"),
        outcomes.count("example ", "failed"),
        outcomes.count("example ", "not-run"),
        started.elapsed().as_secs_f64()
    );
    assert!(
        wrong.is_empty(),
        "outcomes that differ from expected.txt:\n\n{}",
        wrong.join("\n\n")
    );
}
