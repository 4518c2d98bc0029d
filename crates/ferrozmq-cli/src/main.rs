//! The `ferrozmq` command: the seed's demo, one socket driven from the command line, a
//! proxy between two sockets, one socket's events, or the benchmarks. `ferrozmq --help` describes it.

mod args;
mod bench_command;
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
mod usage;

use args::Command;
use error::CliError;
use output::Output;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

fn run() -> Result<(), CliError> {
    let mut out = Output::stdout();
    match args::parse(std::env::args_os().skip(1))? {
        Command::Help => out.line(usage::text().trim_end()),
        Command::Version => out.line(concat!("ferrozmq ", env!("CARGO_PKG_VERSION"))),
        Command::Demo => demo::run(&mut out),
        Command::Socket(args) => socket_command::run(&args, &mut out),
        Command::Proxy(args) => proxy_command::run(&args),
        Command::Monitor(args) => monitor_command::run(&args, &mut out),
        Command::Keygen => security::keygen(&mut out),
        Command::Bench(rest) => bench_command::run(rest),
    }
}
