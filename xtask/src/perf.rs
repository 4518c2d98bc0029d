//! `cargo xtask perf --prefix DIR`: libzmq's perf tools (`perf/*.cpp` in the vendored
//! source), built against the libzmq in DIR, so that the same programs measure libzmq and
//! ferrozmq through the C API. Running them side by side (`ferrozmq bench`) is the next
//! stage's; this builds them and says how to run them.

use crate::cc::{cxx_compiler, output};
use crate::paths::{create_dir, fingerprint, target_dir, write};
use crate::Result;
use std::path::{Path, PathBuf};

/// The tools, as libzmq's CMake builds them (`benchmark_radix_tree` links libzmq's
/// internals and is left out).
pub const TOOLS: &[&str] = &[
    "local_lat",
    "remote_lat",
    "local_thr",
    "remote_thr",
    "inproc_lat",
    "inproc_thr",
    "proxy_thr",
];

/// Each tool, and its binary or why it does not build.
pub type Tools = Vec<(&'static str, Result<PathBuf>)>;

/// Builds the tools against `prefix` (those already built are kept): the directory
/// holding them, and each tool.
pub fn build(prefix: &Path) -> Result<(PathBuf, Tools)> {
    let source = crate::vendor::libzmq_source()?;
    let prefix = crate::paths::absolute(prefix);
    let header = std::fs::read(prefix.join("include/zmq.h"))
        .map_err(|e| format!("cannot read {}/include/zmq.h: {e}", prefix.display()))?;
    let platform = crate::suite::platform_header(&prefix)?;
    let key = fingerprint([
        source.to_string_lossy().as_bytes(),
        prefix.to_string_lossy().as_bytes(),
        &header,
        platform.as_bytes(),
        b"rpath",
    ]);
    let work = target_dir().join("libzmq-perf").join(key);
    let tree = work.join("tree");
    write(&tree.join("include/zmq.h"), &header)?;
    // The tools include "platform.hpp" from their own directory's search path.
    write(&tree.join("perf/platform.hpp"), &platform)?;
    let bin = work.join("bin");
    create_dir(&bin)?;
    let mut tools = Vec::new();
    for tool in TOOLS {
        let file = format!("{tool}.cpp");
        let code = std::fs::read(source.join("perf").join(&file))
            .map_err(|e| format!("cannot read perf/{file}: {e}"))?;
        write(&tree.join("perf").join(&file), code)?;
        let binary = bin.join(tool);
        if binary.exists() {
            tools.push((*tool, Ok(binary)));
            continue;
        }
        let built = output(
            cxx_compiler()
                .args([
                    "-O2",
                    "-pthread",
                    "-std=gnu++11",
                    "-DZMQ_BUILD_DRAFT_API",
                    "-w",
                ])
                .arg(tree.join("perf").join(&file))
                .arg("-L")
                .arg(prefix.join("lib"))
                // Each tool finds the library it was built against without LD_LIBRARY_PATH,
                // so that the two builds can run side by side.
                .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()))
                .args(["-lzmq", "-o"])
                .arg(&binary),
        )?;
        if built.status.success() {
            tools.push((*tool, Ok(binary)));
        } else {
            tools.push((
                *tool,
                Err(crate::suite::link_failure(&String::from_utf8_lossy(
                    &built.stderr,
                ))),
            ));
        }
    }
    Ok((bin, tools))
}
