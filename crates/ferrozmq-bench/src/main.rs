//! `ferrozmq-bench`: ferrozmq side by side with libzmq and the pure-Rust zeromq, omq and
//! monocoque crates.
//!
//! ```text
//! harness ──spawns──► worker (peer pull, binds) ──bound tcp://…──► harness
//!         ──spawns──► worker (peer push, connects) … both report on stdout
//! ```
//!
//! The harness never measures in its own process: every measurement is one or two fresh
//! worker processes (this same executable, run as `ferrozmq-bench peer ROLE …`), see
//! [`peer`]. Scenarios are written once against the small socket trait in
//! [`implementations`].

mod args;
mod baseline;
mod chart;
mod compare;
mod error;
mod gate;
mod implementations;
mod latency;
mod machine;
mod outcome;
mod peer;
mod perf_tools;
mod plan;
mod report;
mod resources;
mod rounds;
mod scale;
mod stats;
mod table;
mod throughput;
mod transport;
mod units;

use args::{Command, RunArgs, USAGE};
use error::{BenchError, Result};
use machine::Machine;
use peer::{ParentLink, PeerSpec, Role};
use plan::Plan;
use report::Section;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ BenchError::Usage(_)) => {
            eprintln!("ferrozmq-bench: {error}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("ferrozmq-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let command_line = format!(
        "cargo run --release -p ferrozmq-bench -- {}",
        args.join(" ")
    );
    match args::parse(args)? {
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Command::Compare(options) => {
            warn_about_conditions();
            let results = compare::run(plan(&options));
            let mut sections = vec![report::behind(report::compare::gaps(&results))];
            sections.extend(report::compare::sections(&results));
            print!("{}", report::to_text(&sections));
            write_markdown(
                &options,
                &command_line,
                &report::compare::method(&results),
                &sections,
                Some(&results),
            )
        }
        Command::Scale(options) => {
            warn_about_conditions();
            let results = scale::run(plan(&options), options.quick);
            let mut sections = vec![report::behind(report::scale::gaps(&results))];
            sections.extend(report::scale::sections(&results));
            print!("{}", report::to_text(&sections));
            write_markdown(
                &options,
                &command_line,
                &report::scale::method(&results),
                &sections,
                None,
            )
        }
        Command::Report(options) => {
            warn_about_conditions();
            let plan = plan(&options);
            let compared = compare::run(plan.clone());
            let scaled = scale::run(plan, options.quick);
            let mut gaps = report::compare::gaps(&compared);
            gaps.extend(report::scale::gaps(&scaled));
            let mut sections = vec![report::behind(gaps)];
            sections.extend(report::compare::sections(&compared));
            sections.extend(report::scale::sections(&scaled));
            print!("{}", report::to_text(&sections));
            let method = report::compare::method(&compared) + &report::scale::method(&scaled);
            write_markdown(&options, &command_line, &method, &sections, Some(&compared))
        }
        Command::PerfTools(options) => {
            warn_about_conditions();
            let results = perf_tools::run_all(&options)?;
            let (section, gaps) = perf_tools::sections(&results);
            let sections = vec![report::behind(gaps), section];
            print!("{}", report::to_text(&sections));
            let Some(path) = &options.markdown else {
                return Ok(());
            };
            let markdown = report::to_markdown(
                "Benchmarks through the C API: libzmq's perf tools on libzmq and on ferrozmq",
                &Machine::describe(),
                &command_line,
                &perf_tools::method(&results),
                &sections,
                "perf-tools",
            );
            std::fs::write(path, markdown).map_err(BenchError::io("writing the report"))?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
        Command::Peer(spec) => serve(&spec),
    }
}

/// The plan the command line asks for.
fn plan(options: &RunArgs) -> Plan {
    Plan::new(options.quick, options.rounds)
        .without(&options.without)
        .only(options)
}

/// Says when the figures about to be made will not mean much.
fn warn_about_conditions() {
    if cfg!(debug_assertions) {
        eprintln!(
            "ferrozmq-bench: this is a debug build; its figures measure the compiler's \
             unoptimised code. Use `cargo run --release -p ferrozmq-bench -- …`."
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if let Some(minute) = load.split_whitespace().next() {
        if minute
            .parse::<f64>()
            .is_ok_and(|load| load > cores as f64 / 2.0)
        {
            eprintln!(
                "ferrozmq-bench: the machine is busy (load {minute} on {cores} cores); \
                 expect noisy figures and a wide spread"
            );
        }
    }
}

/// Where a regenerated report sends its reader for the figures through the C API.
const C_API_POINTER: &str = "\n## Through the C API: libzmq's perf tools\n\n\
    libzmq's own perf programs on libzmq and on ferrozmq's libzmq.so.5 are measured by \
    `ferrozmq bench perf-tools`: see [benchmarks-c-api.md](benchmarks-c-api.md).\n";

/// Writes the Markdown file, and the charts of a compare run beside it, if one was asked
/// for.
fn write_markdown(
    options: &RunArgs,
    command_line: &str,
    method: &str,
    sections: &[Section],
    compared: Option<&compare::CompareResults>,
) -> Result<()> {
    let Some(path) = &options.markdown else {
        return Ok(());
    };
    let directory = path.parent().unwrap_or(Path::new("."));
    if !directory.as_os_str().is_empty() {
        std::fs::create_dir_all(directory).map_err(BenchError::io("creating the report folder"))?;
    }
    let stem = path.file_stem().map_or_else(
        || "benchmarks".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut sections = sections.to_vec();
    if let Some(results) = compared {
        chart::throughput(
            results,
            &directory.join(report::chart_file_name(&stem, "throughput")),
        )?;
        chart::latency(
            results,
            &directory.join(report::chart_file_name(&stem, "latency")),
        )?;
    } else {
        for section in &mut sections {
            section.chart = None;
        }
    }
    let mut markdown = report::to_markdown(
        "Benchmarks: ferrozmq beside libzmq and the pure-Rust peers",
        &Machine::describe(),
        command_line,
        method,
        &sections,
        &stem,
    );
    // The C API's figures come from another run (`perf-tools`, which needs libzmq's perf
    // programs built twice): a regenerated report points to them.
    markdown.push_str(C_API_POINTER);
    std::fs::write(path, markdown).map_err(BenchError::io("writing the report"))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// The hidden `peer` command: be one side of a measurement.
fn serve(spec: &PeerSpec) -> Result<()> {
    let link = ParentLink::listen();
    match spec.role {
        Role::Pull => throughput::serve_pull(spec, &link),
        Role::Push => throughput::serve_push(spec, &link),
        Role::InprocThroughput => throughput::serve_inproc(spec, &link),
        Role::Rep => latency::serve_rep(spec, &link),
        Role::Req => latency::serve_req(spec, &link),
        Role::InprocLatency => latency::serve_inproc(spec, &link),
        Role::RawEcho => baseline::serve_echo(spec, &link),
        Role::RawPing => baseline::serve_ping(spec, &link),
        Role::RawSink => baseline::serve_sink(spec, &link),
        Role::RawSource => baseline::serve_source(spec, &link),
        Role::Pub => scale::serve_pub(spec, &link),
        Role::Subs => scale::serve_subs(spec, &link),
        Role::RouterIdle => scale::serve_router_idle(spec, &link),
        Role::IdleConnector => scale::serve_idle_connector(spec, &link),
    }
}
