//! The command line.

use crate::error::{BenchError, Result};
use crate::implementations::Implementation;
use crate::peer::PeerSpec;
use crate::perf_tools::PerfToolsArgs;
use crate::transport::Transport;
use std::path::PathBuf;

/// The usage text.
pub const USAGE: &str = "\
ferrozmq-bench: ferrozmq side by side with libzmq and the pure-Rust zeromq, omq and monocoque

USAGE:
    ferrozmq-bench compare [--rounds N] [--quick] [--without LIBRARY]... [--markdown FILE]
                           [--transports LIST] [--throughput-sizes LIST] [--latency-sizes LIST]
    ferrozmq-bench scale   [--rounds N] [--quick] [--without LIBRARY]... [--markdown FILE]
    ferrozmq-bench report  --out FILE [--rounds N] [--quick] [--without LIBRARY]...
    ferrozmq-bench perf-tools --libzmq DIR --ferrozmq DIR [--rounds N] [--quick]
                              [--markdown FILE]

COMMANDS:
    compare   throughput (PUSH/PULL) and latency (REQ/REP) over tcp, ipc and inproc for
              8 B to 1 MiB messages, plus plain-socket bounds, interleaved over N rounds
              (default 5); prints medians and ratios
    scale     PUB fan-out to 1/10/100 SUBs, 10,000 idle ROUTER connections, throughput
              against SNDHWM/RCVHWM, 1/4/16 PUSH senders to one PULL
    report    runs both and writes FILE (Markdown) with SVG charts beside it
    perf-tools libzmq's own perf programs (local/remote_thr, local/remote_lat, inproc_thr,
              inproc_lat) built against libzmq and against ferrozmq's C API, side by
              side; DIRs hold each build (`cargo xtask perf --ref`, `cargo xtask perf
              --prefix STAGED` print them)

OPTIONS:
    --rounds N        repetitions of every measurement
    --quick           a short smoke-test subset
    --without LIBRARY leave out one library: ferrozmq, libzmq, zeromq, omq, monocoque or
                      ferrozmq-async (the async rows)
    --transports LIST only these transports, e.g. tcp,ipc (compare)
    --throughput-sizes LIST, --latency-sizes LIST
                      only these message sizes in bytes, e.g. 8,65536,1048576 (compare)
    --markdown FILE   also write the tables to FILE, with SVG charts beside it
    --out FILE        where `report` writes

Build with --release: a debug build measures the compiler, not the libraries.
";

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Print the usage text.
    Help,
    /// The side-by-side comparison.
    Compare(RunArgs),
    /// The scale scenarios.
    Scale(RunArgs),
    /// Both, written to a Markdown file (`markdown` is always set).
    Report(RunArgs),
    /// libzmq's perf tools through both libraries' C API.
    PerfTools(PerfToolsArgs),
    /// Hidden: be one side of a measurement.
    Peer(PeerSpec),
}

/// Options shared by the commands that run benchmarks.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RunArgs {
    /// `--rounds`: repetitions; the plan's default when absent.
    pub rounds: Option<usize>,
    /// `--quick`: the smoke-test subset.
    pub quick: bool,
    /// `--markdown` or `--out`: where to write the report.
    pub markdown: Option<PathBuf>,
    /// `--without`: libraries left out.
    pub without: Vec<Implementation>,
    /// `--transports`: only these transports; all when absent.
    pub transports: Option<Vec<Transport>>,
    /// `--throughput-sizes`: only these throughput message sizes; the plan's when absent.
    pub throughput_sizes: Option<Vec<usize>>,
    /// `--latency-sizes`: only these latency message sizes; the plan's when absent.
    pub latency_sizes: Option<Vec<usize>>,
}

/// Reads the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "compare" => Ok(Command::Compare(run_args(command, rest, "--markdown")?)),
        "scale" => Ok(Command::Scale(run_args(command, rest, "--markdown")?)),
        "report" => {
            let run = run_args(command, rest, "--out")?;
            if run.markdown.is_none() {
                return Err(BenchError::Usage(
                    "report: --out FILE is required".to_string(),
                ));
            }
            Ok(Command::Report(run))
        }
        "perf-tools" => perf_tools_args(rest).map(Command::PerfTools),
        "peer" => PeerSpec::from_args(rest).map(Command::Peer),
        other => Err(BenchError::Usage(format!(
            "unknown command `{other}`; try `ferrozmq-bench help`"
        ))),
    }
}

fn run_args(command: &str, args: &[String], file_option: &str) -> Result<RunArgs> {
    let usage = |text: String| BenchError::Usage(format!("{command}: {text}"));
    let mut run = RunArgs::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| usage(format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--quick" => run.quick = true,
            "--rounds" => {
                let text = value()?;
                match text.parse::<usize>() {
                    Ok(rounds) if rounds > 0 => run.rounds = Some(rounds),
                    _ => {
                        return Err(usage(format!(
                            "--rounds must be a positive whole number, not `{text}`"
                        )))
                    }
                }
            }
            "--without" => {
                let name = value()?;
                let library = Implementation::parse(name)
                    .ok_or_else(|| usage(format!("--without: no library called `{name}`")))?;
                run.without.push(library);
            }
            "--transports" => {
                let list = value()?;
                let transports = list
                    .split(',')
                    .map(|name| {
                        Transport::parse(name)
                            .ok_or_else(|| usage(format!("--transports: no transport `{name}`")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                run.transports = Some(transports);
            }
            "--throughput-sizes" => run.throughput_sizes = Some(sizes(arg, value()?, &usage)?),
            "--latency-sizes" => run.latency_sizes = Some(sizes(arg, value()?, &usage)?),
            option if option == file_option => run.markdown = Some(PathBuf::from(value()?)),
            other => return Err(usage(format!("unknown option `{other}`"))),
        }
    }
    Ok(run)
}

fn perf_tools_args(args: &[String]) -> Result<PerfToolsArgs> {
    let usage = |text: &str| BenchError::Usage(format!("perf-tools: {text}"));
    let (mut libzmq, mut ferrozmq, mut rest) = (None, None, Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--libzmq" | "--ferrozmq" => {
                let dir = args.next().ok_or_else(|| usage("a directory is needed"))?;
                let slot = if arg == "--libzmq" {
                    &mut libzmq
                } else {
                    &mut ferrozmq
                };
                *slot = Some(PathBuf::from(dir));
            }
            _ => rest.push(arg.clone()),
        }
    }
    let run = run_args("perf-tools", &rest, "--markdown")?;
    if !run.without.is_empty() {
        return Err(usage("--without does not apply"));
    }
    if run.transports.is_some() || run.throughput_sizes.is_some() || run.latency_sizes.is_some() {
        return Err(usage("--transports and the size lists do not apply"));
    }
    Ok(PerfToolsArgs {
        libzmq: libzmq.ok_or_else(|| usage("--libzmq DIR is required"))?,
        ferrozmq: ferrozmq.ok_or_else(|| usage("--ferrozmq DIR is required"))?,
        rounds: run.rounds,
        quick: run.quick,
        markdown: run.markdown,
    })
}

/// A comma-separated list of message sizes in bytes, each at least 1.
fn sizes(option: &str, list: &str, usage: &impl Fn(String) -> BenchError) -> Result<Vec<usize>> {
    list.split(',')
        .map(|size| match size.parse::<usize>() {
            Ok(size) if size > 0 => Ok(size),
            _ => Err(usage(format!(
                "{option} takes sizes in bytes such as 8,65536, not `{size}`"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn no_arguments_means_help() {
        assert_eq!(parse(&[]).unwrap(), Command::Help);
        assert_eq!(parse(&args("--help")).unwrap(), Command::Help);
    }

    #[test]
    fn compare_takes_rounds_quick_and_markdown() {
        let command = parse(&args("compare --rounds 7 --quick --markdown out.md")).unwrap();
        assert_eq!(
            command,
            Command::Compare(RunArgs {
                rounds: Some(7),
                quick: true,
                markdown: Some(PathBuf::from("out.md")),
                ..RunArgs::default()
            })
        );
        assert_eq!(
            parse(&args("compare")).unwrap(),
            Command::Compare(RunArgs::default())
        );
    }

    #[test]
    fn report_requires_out() {
        assert!(parse(&args("report")).is_err());
        assert!(parse(&args("report --markdown x.md")).is_err());
        let command = parse(&args("report --out docs/benchmarks.md")).unwrap();
        assert_eq!(
            command,
            Command::Report(RunArgs {
                markdown: Some(PathBuf::from("docs/benchmarks.md")),
                ..RunArgs::default()
            })
        );
    }

    #[test]
    fn libraries_can_be_left_out() {
        let command = parse(&args("scale --without zeromq --without ferrozmq-async")).unwrap();
        assert_eq!(
            command,
            Command::Scale(RunArgs {
                without: vec![Implementation::Zeromq, Implementation::FerrozmqAsync],
                ..RunArgs::default()
            })
        );
        assert!(parse(&args("scale --without czmq")).is_err());
    }

    #[test]
    fn rows_can_be_chosen() {
        let command = parse(&args(
            "compare --transports tcp,ipc --throughput-sizes 8,65536 --latency-sizes 64",
        ))
        .unwrap();
        assert_eq!(
            command,
            Command::Compare(RunArgs {
                transports: Some(vec![Transport::Tcp, Transport::Ipc]),
                throughput_sizes: Some(vec![8, 65536]),
                latency_sizes: Some(vec![64]),
                ..RunArgs::default()
            })
        );
        assert!(parse(&args("compare --transports udp")).is_err());
        assert!(parse(&args("compare --throughput-sizes 8,0")).is_err());
        assert!(parse(&args("compare --latency-sizes 64K")).is_err());
    }

    #[test]
    fn bad_options_are_refused() {
        assert!(parse(&args("compare --rounds 0")).is_err());
        assert!(parse(&args("compare --rounds")).is_err());
        assert!(parse(&args("compare --rounds many")).is_err());
        assert!(parse(&args("scale --fast")).is_err());
        assert!(parse(&args("bench")).is_err());
    }

    #[test]
    fn perf_tools_needs_both_builds() {
        let command = parse(&args("perf-tools --libzmq a --ferrozmq b --rounds 3")).unwrap();
        assert_eq!(
            command,
            Command::PerfTools(PerfToolsArgs {
                libzmq: PathBuf::from("a"),
                ferrozmq: PathBuf::from("b"),
                rounds: Some(3),
                quick: false,
                markdown: None,
            })
        );
        assert!(parse(&args("perf-tools --libzmq a")).is_err());
        assert!(parse(&args("perf-tools --libzmq a --ferrozmq b --without zeromq")).is_err());
    }

    #[test]
    fn peer_is_parsed_by_its_spec() {
        assert!(matches!(
            parse(&args("peer pull --library ferrozmq --count 10 --size 8")),
            Ok(Command::Peer(_))
        ));
    }
}
