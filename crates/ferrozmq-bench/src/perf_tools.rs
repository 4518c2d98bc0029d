//! `perf-tools`: libzmq's own perf programs (`local_thr`/`remote_thr`, `local_lat`/
//! `remote_lat`, `inproc_thr`, `inproc_lat`), built once against real libzmq and once
//! against ferrozmq's C API (`cargo xtask perf --ref` and `cargo xtask perf --prefix DIR`),
//! run side by side: the same C program, two libraries underneath.
//!
//! Every round runs every row once with each library, in alternating order (libzmq first
//! in even rounds), so that a slow stretch of the machine falls on both; the tables show
//! medians over the rounds and ratios.

use crate::error::{BenchError, Result};
use crate::report::{Gap, Section};
use crate::stats;
use crate::table::{Cell, Table};
use crate::units;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The two builds of the tools.
#[derive(Debug, PartialEq, Eq)]
pub struct PerfToolsArgs {
    /// The directory with the tools built against libzmq.
    pub libzmq: PathBuf,
    /// The directory with the tools built against ferrozmq's libzmq.so.5.
    pub ferrozmq: PathBuf,
    /// Rounds (default 5).
    pub rounds: Option<usize>,
    /// Fewer messages per run.
    pub quick: bool,
    /// Where to write the tables as Markdown.
    pub markdown: Option<PathBuf>,
}

/// What a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `local_thr` binds and receives, `remote_thr` connects and sends; msgs/s.
    TcpThroughput,
    /// `local_lat` binds and echoes, `remote_lat` connects and times round trips; µs.
    TcpLatency,
    /// `inproc_thr`, both threads in one process; msgs/s.
    InprocThroughput,
    /// `inproc_lat`; µs.
    InprocLatency,
}

impl Kind {
    fn throughput(self) -> bool {
        matches!(self, Kind::TcpThroughput | Kind::InprocThroughput)
    }

    fn label(self) -> &'static str {
        match self {
            Kind::TcpThroughput => "local_thr / remote_thr (tcp)",
            Kind::TcpLatency => "local_lat / remote_lat (tcp)",
            Kind::InprocThroughput => "inproc_thr",
            Kind::InprocLatency => "inproc_lat",
        }
    }
}

/// One row: a tool pair at one message size.
#[derive(Clone, Copy, Debug)]
struct Row {
    kind: Kind,
    size: usize,
    /// Messages (throughput) or round trips (latency) per run.
    count: usize,
}

fn rows(quick: bool) -> Vec<Row> {
    let scale = if quick { 10 } else { 1 };
    let mut rows = Vec::new();
    for kind in [
        Kind::TcpThroughput,
        Kind::TcpLatency,
        Kind::InprocThroughput,
        Kind::InprocLatency,
    ] {
        for size in [64, 1024] {
            let count = match (kind.throughput(), size) {
                (true, 64) => 2_000_000,
                (true, _) => 500_000,
                (false, _) => 20_000,
            };
            rows.push(Row {
                kind,
                size,
                count: count / scale,
            });
        }
    }
    rows
}

/// The tools of one build.
struct Tools<'a> {
    dir: &'a Path,
}

impl Tools<'_> {
    fn tool(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join(name);
        if path.exists() {
            Ok(path)
        } else {
            Err(BenchError::Usage(format!(
                "{} is missing: build the tools with `cargo xtask perf`",
                path.display()
            )))
        }
    }

    /// One run of a row: msgs/s or µs.
    fn measure(&self, row: &Row) -> Result<f64> {
        let (size, count) = (row.size.to_string(), row.count.to_string());
        match row.kind {
            Kind::InprocThroughput => figure(
                &run(Command::new(self.tool("inproc_thr")?).args([&size, &count]))?,
                "mean throughput:",
            ),
            Kind::InprocLatency => figure(
                &run(Command::new(self.tool("inproc_lat")?).args([&size, &count]))?,
                "average latency:",
            ),
            Kind::TcpThroughput | Kind::TcpLatency => {
                let (server, client, wanted, from_server) = match row.kind {
                    Kind::TcpThroughput => ("local_thr", "remote_thr", "mean throughput:", true),
                    _ => ("local_lat", "remote_lat", "average latency:", false),
                };
                let endpoint = free_endpoint()?;
                let binder =
                    spawn(Command::new(self.tool(server)?).args([&endpoint, &size, &count]))?;
                // The binder binds at once; a connect made before it would be retried
                // anyway.
                std::thread::sleep(Duration::from_millis(50));
                let connector =
                    run(Command::new(self.tool(client)?).args([&endpoint, &size, &count]));
                let bound = finish(binder);
                let (connector, bound) = (connector?, bound?);
                figure(if from_server { &bound } else { &connector }, wanted)
            }
        }
    }
}

/// An endpoint on a port nobody listens on now.
fn free_endpoint() -> Result<String> {
    let probe = TcpListener::bind("127.0.0.1:0").map_err(BenchError::io("finding a free port"))?;
    let port = probe
        .local_addr()
        .map_err(BenchError::io("finding a free port"))?
        .port();
    Ok(format!("tcp://127.0.0.1:{port}"))
}

fn spawn(command: &mut Command) -> Result<Child> {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(BenchError::io("starting a perf tool"))
}

fn finish(child: Child) -> Result<String> {
    let output = child
        .wait_with_output()
        .map_err(BenchError::io("waiting for a perf tool"))?;
    if !output.status.success() {
        return Err(BenchError::Usage(format!(
            "a perf tool failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn run(command: &mut Command) -> Result<String> {
    finish(spawn(command)?)
}

/// The number after `label` in a tool's output (`mean throughput: 4861377 [msg/s]`).
fn figure(output: &str, label: &str) -> Result<f64> {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .ok_or_else(|| BenchError::Usage(format!("no `{label}` in the tool's output: {output}")))
}

/// Each row's figures per library: `[libzmq, ferrozmq]`, one value per round.
pub struct PerfResults {
    rows: Vec<Row>,
    values: Vec<[Vec<f64>; 2]>,
    rounds: usize,
}

/// Runs every row `rounds` times with both builds, interleaved.
pub fn run_all(args: &PerfToolsArgs) -> Result<PerfResults> {
    let builds = [
        Tools { dir: &args.libzmq },
        Tools {
            dir: &args.ferrozmq,
        },
    ];
    let rows = rows(args.quick);
    let rounds = args.rounds.unwrap_or(5);
    let mut values: Vec<[Vec<f64>; 2]> = rows.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for round in 0..rounds {
        for (row, values) in rows.iter().zip(values.iter_mut()) {
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for library in order {
                let value = builds[library].measure(row)?;
                eprintln!(
                    "round {}/{rounds}: {} {} {}: {}",
                    round + 1,
                    row.kind.label(),
                    units::size(row.size),
                    ["libzmq", "ferrozmq"][library],
                    units::significant(value)
                );
                values[library].push(value);
            }
        }
    }
    Ok(PerfResults {
        rows,
        values,
        rounds,
    })
}

/// How the figures were made, for the report.
pub fn method(results: &PerfResults) -> String {
    let counts: Vec<String> = results
        .rows
        .iter()
        .map(|row| {
            format!(
                "{} {}: {}",
                row.kind.label(),
                units::size(row.size),
                row.count
            )
        })
        .collect();
    format!(
        "- The programs are libzmq 4.3.4's `perf/*.cpp`, compiled by `cargo xtask perf` with \
         `-O2` against each library's header and `libzmq.so.5` (ferrozmq's from `cargo xtask \
         stage`, release profile), each finding its own library by RPATH.\n\
         - tcp pairs run as two processes on 127.0.0.1 (a fresh port per run); the inproc \
         tools run their two threads in one process.\n\
         - {} rounds; in each, every row runs once per library, libzmq first in even rounds \
         and ferrozmq first in odd ones.\n\
         - Messages (throughput) or round trips (latency) per run: {}.\n",
        results.rounds,
        counts.join("; ")
    )
}

/// The table, and the rows where ferrozmq is behind.
pub fn sections(results: &PerfResults) -> (Section, Vec<Gap>) {
    let mut table = Table::new(
        &[
            "tool",
            "size",
            "unit",
            "libzmq",
            "ferrozmq",
            "ferrozmq / libzmq",
            "spread",
        ],
        3,
    );
    let mut gaps = Vec::new();
    for (row, [theirs, ours]) in results.rows.iter().zip(&results.values) {
        let (ours_median, theirs_median) = (stats::median(ours), stats::median(theirs));
        let ratio = stats::ratio(ours_median, theirs_median);
        // Higher is better for throughput, lower for latency.
        let better = |r: f64| if row.kind.throughput() { r } else { 1.0 / r };
        let behind = ratio.is_some_and(|r| better(r) < 1.0);
        let spread = stats::spread(ours)
            .into_iter()
            .chain(stats::spread(theirs))
            .fold(0.0, f64::max);
        let (unit, show): (&str, fn(f64) -> String) = if row.kind.throughput() {
            ("msgs/s", units::rate)
        } else {
            ("µs", units::significant)
        };
        let cells = vec![
            Cell::plain(row.kind.label()),
            Cell::plain(units::size(row.size)),
            Cell::plain(unit),
            Cell::plain(theirs_median.map_or("–".into(), show)),
            Cell::flagged_if(ours_median.map_or("–".into(), show), behind),
            Cell::flagged_if(ratio.map_or("–".into(), units::ratio), behind),
            Cell::plain(units::percent(spread)),
        ];
        if let Some(ratio) = ratio.filter(|_| behind) {
            // The gap table's columns: scenario, setting, ferrozmq, libzmq, ratio, spread.
            let [tool, size, _, theirs, ours, ratio_cell, spread] =
                <[Cell; 7]>::try_from(cells.clone()).expect("seven columns");
            let gap_cells = vec![tool, size, ours, theirs, ratio_cell, spread];
            gaps.push(Gap {
                severity: better(ratio),
                cells: gap_cells,
            });
        }
        table.push(cells);
    }
    let section = Section {
        title: "libzmq's perf tools, through each library's C API".to_string(),
        intro: format!(
            "libzmq 4.3.4's own perf programs, compiled once against libzmq and once against \
             ferrozmq's libzmq.so.5 (`cargo xtask perf`): the same binaries' figures. Medians \
             of {} interleaved rounds. Throughput: higher is better; latency (half a round \
             trip, as the tools report it): lower is better. The ratio is ferrozmq's figure \
             over libzmq's; spread is (max − min) / median of the noisier library.",
            results.rounds
        ),
        table,
        notes: Vec::new(),
        chart: None,
    };
    (section, gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_from_the_tools_output() {
        let output = "message size: 64 [B]\nmessage count: 1000\nmean throughput: 4861377 [msg/s]\nmean throughput: 2489.025 [Mb/s]\n";
        assert_eq!(figure(output, "mean throughput:").unwrap(), 4_861_377.0);
        let output = "message size: 64 [B]\nroundtrip count: 100\naverage latency: 29.823 [us]\n";
        assert_eq!(figure(output, "average latency:").unwrap(), 29.823);
        assert!(figure("nothing", "average latency:").is_err());
    }

    #[test]
    fn every_tool_pair_is_measured_at_two_sizes() {
        let full = rows(false);
        assert_eq!(full.len(), 8);
        assert!(rows(true)
            .iter()
            .zip(&full)
            .all(|(q, f)| q.count * 10 == f.count));
    }
}
