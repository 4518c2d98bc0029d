//! One short round of every benchmark, through the real harness and its worker processes:
//! the harness keeps working and every row gets a figure. It checks no speed: benchmarks
//! measure, tests do not time.

use std::path::Path;
use std::process::Command;

fn harness(args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrozmq-bench"))
        .args(args)
        .output()
        .expect("the harness starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "ferrozmq-bench {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// The data rows of the table titled `title` in the text report.
fn table<'a>(report: &'a str, title: &str) -> Vec<&'a str> {
    let start = report
        .find(&format!("== {title}"))
        .unwrap_or_else(|| panic!("no table {title:?} in:\n{report}"));
    report[start..]
        .lines()
        .skip(2)
        .take_while(|line| !line.is_empty() && !line.starts_with("=="))
        .filter(|line| !line.starts_with("  "))
        .collect()
}

/// The pure-Rust peers: a failure of theirs is reported, not a failure of the harness
/// (the zeromq crate's PUB drops messages, end markers included, and its debug build is
/// slow; the others are young crates whose failures are theirs to fix).
const TOLERATED: [&str; 3] = ["zeromq", "omq", "monocoque"];

/// Fails on a failed ferrozmq or libzmq series; every failure is a note under its table
/// (`  LIBRARY SERIES: failed N of M times, …`). The pure-Rust peers' are tolerated.
fn assert_no_failures(report: &str) {
    let failures: Vec<&str> = report
        .lines()
        .filter(|line| line.starts_with("  ") && line.contains(": failed "))
        .filter(|line| {
            !line
                .split_whitespace()
                .next()
                .is_some_and(|library| TOLERATED.contains(&library))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "series failed: {failures:#?}\n{report}"
    );
}

#[test]
fn compare_measures_every_row_and_writes_the_report_with_charts() {
    let folder = std::env::temp_dir().join(format!("ferrozmq-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("temporary folder");
    let markdown = folder.join("bench.md");
    let markdown_arg = markdown.to_str().expect("utf-8 path");
    let (report, _) = harness(&["compare", "--quick", "--markdown", markdown_arg]);

    assert_no_failures(&report);
    let throughput = table(&report, "Throughput (messages per second)");
    // Every peer ran (a figure, or `failed` with its note): none was left out.
    let header_start = report
        .find("== Throughput (messages per second)")
        .expect("the throughput table");
    let header = report[header_start..]
        .lines()
        .nth(1)
        .expect("a header line");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns[2..7],
        ["ferrozmq", "libzmq", "zeromq", "omq", "monocoque"],
        "{header}"
    );
    for transport in ["tcp", "ipc"] {
        let row = throughput
            .iter()
            .find(|line| line.starts_with(transport) && line.contains("64 B"))
            .unwrap_or_else(|| panic!("no {transport} 64 B row in {throughput:#?}"));
        let cells: Vec<&str> = row.split("  ").filter(|c| !c.trim().is_empty()).collect();
        for (peer, cell) in ["omq", "monocoque"].iter().zip(&cells[5..7]) {
            assert!(!cell.trim().starts_with('–'), "{peer} did not run: {row:?}");
        }
    }
    for transport in ["tcp", "ipc", "inproc"] {
        for size in ["64 B", "64 KiB"] {
            let row = throughput
                .iter()
                .find(|line| line.starts_with(transport) && line.contains(size))
                .unwrap_or_else(|| panic!("no {transport} {size} row in {throughput:#?}"));
            // A measured rate ends in a unit or is a plain number; "–" means no figure.
            let cells: Vec<&str> = row.split("  ").filter(|c| !c.trim().is_empty()).collect();
            assert!(
                !cells[2].trim().starts_with('–'),
                "ferrozmq has no figure in {row:?}"
            );
        }
    }
    let latency = table(&report, "Latency (microseconds, one way)");
    assert_eq!(latency.len(), 3, "{latency:#?}");
    let asynchronous = table(&report, "Async API (tcp, 64 B)");
    assert_eq!(asynchronous.len(), 2, "{asynchronous:#?}");
    for row in &asynchronous {
        // Scenario, ferrozmq blocking, ferrozmq async: figures, not dashes.
        let cells: Vec<&str> = row.split("  ").filter(|c| !c.trim().is_empty()).collect();
        assert!(
            cells[1..3].iter().all(|cell| !cell.contains('–')),
            "{row:?}"
        );
    }
    assert_eq!(table(&report, "Physical bound (plain sockets)").len(), 2);

    let written = std::fs::read_to_string(&markdown).expect("the Markdown report");
    assert!(written.contains("| transport"), "{written}");
    for chart in ["bench-throughput.svg", "bench-latency.svg"] {
        let svg = std::fs::read_to_string(folder.join(chart)).expect("a chart");
        assert!(svg.starts_with("<svg"), "{chart} is not an SVG");
        assert!(written.contains(chart), "the report does not show {chart}");
    }
    assert!(Path::new(&markdown).is_file());
    std::fs::remove_dir_all(&folder).expect("cleaning up");
}

#[test]
fn scale_measures_fan_out_idle_connections_water_marks_and_senders() {
    // The zeromq crate's debug build takes minutes over the fan-out; the compare smoke
    // test covers it.
    let (report, _) = harness(&["scale", "--quick", "--without", "zeromq"]);
    assert_no_failures(&report);
    for title in [
        "PUB fan-out (tcp)",
        "Idle connections on one ROUTER (tcp)",
        "Throughput against the high-water marks (tcp)",
        "Many senders to one PULL (tcp)",
    ] {
        assert!(
            !table(&report, title).is_empty(),
            "{title} is empty:\n{report}"
        );
    }
}
