//! The `ferrozmq` command: the seed's demo, one socket driven from the command line, a
//! proxy between two sockets, one socket's events, or the benchmarks. `ferrozmq --help`
//! describes it.

mod args;
mod bench_command;
mod cli;
mod demo;
mod endpoints;
mod error;
mod monitor_command;
mod outgoing;
mod output;
mod proxy_command;
mod role;
mod security;
mod socket_command;
mod socket_options;
mod stats;

use args::Command;
use error::CliError;
use output::{Format, Output};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

fn run() -> Result<(), CliError> {
    let Some(command) = cli::parse(std::env::args_os().skip(1))? else {
        return Ok(());
    };
    match command {
        Command::Demo => demo::run(&mut Output::stdout(Format::Text)),
        Command::Socket(args) => socket_command::run(&args),
        Command::Proxy(args) => proxy_command::run(&args),
        Command::Monitor(args) => monitor_command::run(&args),
        Command::Keygen => security::keygen(&mut Output::stdout(Format::Text)),
        Command::Bench(rest) => bench_command::run(rest),
        Command::Completions(shell) => {
            let mut stdout = std::io::stdout();
            clap_complete::generate(shell, &mut cli::command(), "ferrozmq", &mut stdout);
            stdout.flush().map_err(written)
        }
        Command::Man => clap_mangen::Man::new(cli::command())
            .render(&mut std::io::stdout())
            .map_err(written),
    }
}

/// A failure to write to standard output; a reader that went away is no failure.
fn written(e: std::io::Error) -> CliError {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => CliError::OutputClosed,
        _ => CliError::failed(format!("cannot write to standard output: {e}")),
    }
}
