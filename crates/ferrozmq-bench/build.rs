//! Records, for the report's machine description, the compiler that builds the harness,
//! the versions of the pure-Rust peers the lock file chose, and the ferrozmq revision
//! measured.

use std::path::Path;
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map_or_else(|| "unknown rustc".to_string(), |v| v.trim().to_string());
    println!("cargo:rustc-env=FERROZMQ_BENCH_RUSTC={version}");

    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let lock_file = Path::new(&manifest_dir).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_file.display());
    let lock = std::fs::read_to_string(&lock_file).unwrap_or_default();
    for (package, variable) in [
        ("zeromq", "FERROZMQ_BENCH_ZEROMQ"),
        ("omq-tokio", "FERROZMQ_BENCH_OMQ"),
        ("monocoque-rs", "FERROZMQ_BENCH_MONOCOQUE"),
    ] {
        let version = locked_version(&lock, package).unwrap_or_else(|| "unknown".to_string());
        println!("cargo:rustc-env={variable}={version}");
    }

    let workspace = Path::new(&manifest_dir).join("../..");
    for watched in ["crates/ferrozmq/src", "crates/zmtp/src", ".git/logs/HEAD"] {
        let path = workspace.join(watched);
        // A path that does not exist would rerun this script, and rebuild the harness,
        // on every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!(
        "cargo:rustc-env=FERROZMQ_BENCH_REVISION={}",
        revision(&workspace)
    );
}

/// The commit measured, and whether the library's sources differ from it.
fn revision(workspace: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(workspace)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .and_then(|output| String::from_utf8(output.stdout).ok())
    };
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown revision".to_string();
    };
    let changed = git(&[
        "status",
        "--porcelain",
        "--",
        "crates/ferrozmq",
        "crates/zmtp",
    ])
    .is_some_and(|status| !status.trim().is_empty());
    if changed {
        format!("{} with uncommitted changes", commit.trim())
    } else {
        commit.trim().to_string()
    }
}

/// The `version` line that follows `name = "<package>"` in a Cargo.lock.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    lines.find(|line| line.trim() == name_line)?;
    let version = lines.next()?.trim().strip_prefix("version = \"")?;
    Some(version.trim_end_matches('"').to_string())
}
