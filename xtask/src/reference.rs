//! `cargo xtask libzmq-ref`: the real libzmq 4.3.4, built from the `zeromq-src` crate's
//! vendored source with cmake and the draft API on, installed into the cache (outside the
//! repository; nothing of it ships). It is the reference the test suite, pyzmq and the
//! perf tools are first run against.

use crate::cc::available;
use crate::paths::{cache_dir, fingerprint, read, write};
use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cmake options of the reference build: drafts on (the suite's draft tests need
/// them), CURVE through the vendored tweetnacl (no libsodium needed), WebSocket
/// transports as libzmq's draft build has them, no docs, tests or perf tools (the
/// harness builds those itself, against any libzmq).
const OPTIONS: &[&str] = &[
    "-DCMAKE_BUILD_TYPE=Release",
    "-DENABLE_DRAFTS=ON",
    "-DWITH_LIBSODIUM=OFF",
    "-DENABLE_CURVE=ON",
    "-DWITH_DOCS=OFF",
    "-DWITH_DOC=OFF",
    "-DBUILD_TESTS=OFF",
    "-DWITH_PERF_TOOL=OFF",
    "-DENABLE_CPACK=OFF",
    "-DCMAKE_INSTALL_LIBDIR=lib",
];

/// Builds the reference libzmq if its installation is missing or was made from another
/// source or other options; returns its prefix.
pub fn build() -> Result<PathBuf> {
    let source = crate::vendor::libzmq_source()?;
    let root = cache_dir().join("libzmq-4.3.4-draft");
    let prefix = root.join("prefix");
    let stamp_file = root.join("stamp");
    let stamp = fingerprint(
        std::iter::once(source.to_string_lossy().as_bytes())
            .chain(OPTIONS.iter().map(|o| o.as_bytes())),
    );
    if read(&stamp_file).is_ok_and(|s| s == stamp) && prefix.join("lib/libzmq.so.5").exists() {
        return Ok(prefix);
    }
    if !available("cmake") {
        return Err("cmake is needed to build the reference libzmq (apt-get install cmake)".into());
    }
    let build = root.join("build");
    let _ = std::fs::remove_dir_all(&build);
    run(Command::new("cmake")
        .arg("-S")
        .arg(&source)
        .arg("-B")
        .arg(&build)
        .args(OPTIONS)
        .arg(format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display())))?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    run(Command::new("cmake")
        .arg("--build")
        .arg(&build)
        .arg(format!("-j{jobs}")))?;
    run(Command::new("cmake").arg("--install").arg(&build))?;
    write(&stamp_file, stamp)?;
    Ok(prefix)
}

fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}

/// Whether `prefix` holds a libzmq installation (header and shared library).
pub fn is_installation(prefix: &Path) -> bool {
    prefix.join("include/zmq.h").is_file() && prefix.join("lib/libzmq.so").exists()
}
