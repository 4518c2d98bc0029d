//! `cargo xtask stage --prefix DIR`: builds ferrozmq's libzmq and installs it the way
//! libzmq's `make install` lays itself out, so that `-I DIR/include -L DIR/lib -lzmq`,
//! `PKG_CONFIG_PATH=DIR/lib/pkgconfig` and `ZMQ_PREFIX=DIR` (pyzmq) find it:
//!
//! ```text
//! DIR/include/zmq.h, zmq_utils.h
//! DIR/lib/libzmq.so.5            the shared library (soname libzmq.so.5)
//! DIR/lib/libzmq.so -> libzmq.so.5
//! DIR/lib/libzmq.a
//! DIR/lib/pkgconfig/libzmq.pc
//! ```

use crate::cc::succeed;
use crate::paths::{create_dir, workspace_root, write};
use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The version `libzmq.pc` announces: the libzmq API implemented.
const API_VERSION: &str = "4.3.4";

/// What the static library needs from the system (rustc's `native-static-libs` for
/// Linux targets).
const STATIC_LIBS: &str = "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc";

/// Builds `crates/ferrozmq-ffi` with cargo `profile` and installs it into `prefix`.
pub fn stage(prefix: &Path, profile: &str) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "-p", "ferrozmq-ffi", "--lib", "--profile", profile])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building ferrozmq-ffi failed ({status})"));
    }
    let built = crate::paths::target_dir().join(profile_dir(profile));
    install(&built, prefix)
}

/// Cargo's output directory for a profile.
fn profile_dir(profile: &str) -> &str {
    match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    }
}

/// Installs the libraries cargo built into `built`, and the headers, into `prefix`.
pub fn install(built: &Path, prefix: &Path) -> Result<()> {
    let prefix = crate::paths::absolute(prefix);
    let include = prefix.join("include");
    let lib = prefix.join("lib");
    create_dir(&include)?;
    create_dir(&lib.join("pkgconfig"))?;
    let headers = workspace_root().join("crates/ferrozmq-ffi/include");
    for header in ["zmq.h", "zmq_utils.h"] {
        replace(&headers.join(header), &include.join(header))?;
    }
    replace(&built.join("libzmq.so"), &lib.join("libzmq.so.5"))?;
    replace(&built.join("libzmq.a"), &lib.join("libzmq.a"))?;
    let link = lib.join("libzmq.so");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("libzmq.so.5", &link)
        .map_err(|e| format!("cannot link {}: {e}", link.display()))?;
    write(&lib.join("pkgconfig/libzmq.pc"), pkg_config(&prefix))?;
    println!(
        "staged ferrozmq's libzmq {API_VERSION} into {}",
        prefix.display()
    );
    println!(
        "  C:      cc prog.c -I{0}/include -L{0}/lib -lzmq -Wl,-rpath,{0}/lib",
        prefix.display()
    );
    println!(
        "  pkg-config: PKG_CONFIG_PATH={}/lib/pkgconfig pkg-config --cflags --libs libzmq",
        prefix.display()
    );
    Ok(())
}

/// Copies `from` over `to` through a new file renamed into place: a program that has
/// the old library loaded keeps its mapping intact.
fn replace(from: &Path, to: &Path) -> Result<()> {
    let fresh: PathBuf = to.with_extension("staging");
    std::fs::copy(from, &fresh)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), fresh.display()))?;
    std::fs::rename(&fresh, to).map_err(|e| format!("cannot replace {}: {e}", to.display()))
}

/// The `libzmq.pc` for a prefix.
pub fn pkg_config(prefix: &Path) -> String {
    format!(
        "prefix={}
exec_prefix=${{prefix}}
libdir=${{prefix}}/lib
includedir=${{prefix}}/include

Name: libzmq
Description: ferrozmq, ZeroMQ in Rust, with libzmq's C API
Version: {API_VERSION}
Libs: -L${{libdir}} -lzmq
Libs.private: {STATIC_LIBS}
Cflags: -I${{includedir}}
",
        prefix.display()
    )
}

/// What `pkg-config` reads from the staged `libzmq.pc`: the version, and the compile and
/// link flags.
pub fn check_pkg_config(prefix: &Path) -> Result<(String, String)> {
    let pkg_config = |what: &[&str]| {
        succeed(
            Command::new("pkg-config")
                .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
                .args(what)
                .arg("libzmq"),
        )
        .map(|out| out.trim().to_string())
    };
    Ok((
        pkg_config(&["--modversion"])?,
        pkg_config(&["--cflags", "--libs"])?,
    ))
}
