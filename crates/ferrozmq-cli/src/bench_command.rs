//! `ferrozmq bench …`: hands over to the benchmark harness, `ferrozmq-bench`.
//!
//! The harness links libzmq (built from source by the `zmq` crate) and the `zeromq` crate
//! to measure ferrozmq side by side with them, so it is a program of its own rather than
//! part of this one: the `ferrozmq` command stays small and quick to build. A `ferrozmq`
//! run from its source tree (through cargo) has cargo build and run the harness of that
//! tree, so that it measures the code next to it; otherwise a `ferrozmq-bench` installed
//! beside this program is used.

use crate::error::CliError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace this program was built from, if cargo runs it (`cargo run` sets `CARGO`)
/// and the harness is there; an installed copy stays with its installed harness.
fn workspace_manifest() -> Option<PathBuf> {
    std::env::var_os("CARGO")?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest = workspace.join("Cargo.toml");
    let harness = workspace.join("crates/ferrozmq-bench/Cargo.toml");
    (manifest.is_file() && harness.is_file()).then_some(manifest)
}

/// `ferrozmq-bench` in the same folder as this program.
fn installed_harness() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let harness = exe.with_file_name(format!("ferrozmq-bench{}", std::env::consts::EXE_SUFFIX));
    harness.is_file().then_some(harness)
}

/// Whether the arguments ask for help (and nothing else can be done without the harness).
fn asks_for_help(args: &[OsString]) -> bool {
    args.is_empty()
        || args
            .iter()
            .any(|arg| arg == "--help" || arg == "-h" || arg == "help")
}

/// Runs the harness with `args` and exits as it does.
pub fn run(args: Vec<OsString>) -> Result<(), CliError> {
    let mut command = if let Some(manifest) = workspace_manifest() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args([
                "run",
                "--release",
                "-p",
                "ferrozmq-bench",
                "--manifest-path",
            ])
            .arg(manifest)
            .arg("--");
        command
    } else if let Some(harness) = installed_harness() {
        Command::new(harness)
    } else if asks_for_help(&args) {
        // The harness's own help is not here to show: the command's is.
        if let Some(bench) = crate::cli::command().find_subcommand_mut("bench") {
            let _ = bench.print_long_help();
        }
        return Ok(());
    } else {
        return Err(CliError::failed(
            "the benchmark harness is not installed: from the source tree, `cargo install \
             --path crates/ferrozmq-bench` puts ferrozmq-bench beside ferrozmq",
        ));
    };
    let status = command
        .args(args)
        .status()
        .map_err(|e| CliError::failed(format!("cannot start the benchmark harness: {e}")))?;
    match status.code() {
        Some(0) => Ok(()),
        // The harness has said what went wrong; only its status is left to pass on.
        Some(code) => Err(CliError::Reported(u8::try_from(code).unwrap_or(1))),
        None => Err(CliError::failed(format!(
            "the benchmark harness was stopped: {status}"
        ))),
    }
}
