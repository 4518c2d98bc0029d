//! libzmq 4.3.4's source, as the `zeromq-src` crate vendors it (`vendor/`: `include/`,
//! `src/`, `tests/`, `perf/`, `external/unity`). Cargo fetches it: it is a dependency of the
//! `zmq` crate the workspace already uses, so no second download path exists.

use crate::paths::workspace_root;
use crate::Result;
use std::path::PathBuf;
use std::process::Command;

/// The vendored libzmq source directory: `LIBZMQ_SRC` if set, else found through
/// `cargo metadata`.
pub fn libzmq_source() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("LIBZMQ_SRC") {
        return checked(PathBuf::from(dir));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(workspace_root().join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata = String::from_utf8_lossy(&output.stdout);
    let manifest = manifest_paths(&metadata)
        .find(|path| {
            path.rsplit(['/', '\\'])
                .nth(1)
                .is_some_and(|dir| dir.starts_with("zeromq-src-"))
        })
        .ok_or(
            "the zeromq-src crate is not in the dependency graph (it comes with the zmq crate)",
        )?;
    let crate_dir = PathBuf::from(manifest)
        .parent()
        .map(PathBuf::from)
        .ok_or("zeromq-src's manifest has no directory")?;
    checked(crate_dir.join("vendor"))
}

/// Every `"manifest_path":"..."` value in cargo's JSON (paths need no unescaping on the
/// systems the harness runs on, beyond `\\`).
fn manifest_paths(json: &str) -> impl Iterator<Item = String> + '_ {
    const KEY: &str = "\"manifest_path\":\"";
    json.match_indices(KEY).filter_map(move |(at, _)| {
        let rest = &json[at + KEY.len()..];
        let end = rest.find('"')?;
        Some(rest[..end].replace("\\\\", "\\"))
    })
}

fn checked(dir: PathBuf) -> Result<PathBuf> {
    if dir.join("include/zmq.h").is_file() && dir.join("tests").is_dir() {
        Ok(dir)
    } else {
        Err(format!("{} holds no libzmq source", dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_are_read_from_cargo_s_json() {
        let json = r#"{"packages":[{"name":"a","manifest_path":"/r/a-1.0/Cargo.toml"},{"manifest_path":"/r/zeromq-src-0.2.6+4.3.4/Cargo.toml"}]}"#;
        let paths: Vec<_> = manifest_paths(json).collect();
        assert_eq!(
            paths,
            [
                "/r/a-1.0/Cargo.toml",
                "/r/zeromq-src-0.2.6+4.3.4/Cargo.toml"
            ]
        );
    }

    #[test]
    fn the_vendored_source_is_found() {
        let dir = libzmq_source().unwrap();
        assert!(dir.join("tests/test_msg_init.cpp").is_file());
        assert!(dir.join("external/unity/unity.c").is_file());
    }
}
