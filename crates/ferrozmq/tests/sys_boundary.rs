//! The platform layer's boundary: operating-system calls live under `src/sys/` only, so a
//! port to another system touches one folder. This reads the library's sources and fails
//! when any file outside `src/sys/` names the `libc` crate.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The lines of `source` that use the `libc` crate: a path through it (`libc::read`,
/// `use libc::{..}`), an import of the crate itself, or `extern crate libc`.
fn naming_libc(source: &str) -> Vec<(usize, &str)> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            names_libc_path(line) || line.contains("use libc") || line.contains("crate libc")
        })
        .map(|(i, line)| (i + 1, line.trim()))
        .collect()
}

/// `libc::` as a path of its own, not the tail of another name (`other_libc::`).
fn names_libc_path(line: &str) -> bool {
    line.match_indices("libc::").any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn only_the_sys_folder_names_libc() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sys = src.join("sys");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.iter().any(|f| f.starts_with(&sys)),
        "no platform layer under {}",
        sys.display()
    );
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&sys)) {
        let source = std::fs::read_to_string(file).expect("read a source file");
        for (line, text) in naming_libc(&source) {
            offenders.push(format!("{}:{line}: {text}", file.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "operating-system calls belong in src/sys/ (add a function or constant there):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_sees_every_way_of_naming_libc() {
    for line in [
        "let n = unsafe { libc::read(fd, p, n) };",
        "use libc::{c_int, pollfd};",
        "use libc;",
        "extern crate libc;",
        "    Some(libc::EPIPE)",
        "/// unsafe { libc::poll(&mut item, 1, 5000) };",
    ] {
        assert_eq!(naming_libc(line).len(), 1, "{line}");
    }
    for line in [
        "crate::sys::errno::EPIPE",
        "// glibc keeps freed memory in the thread's arena",
        "other_libc::f();",
    ] {
        assert!(naming_libc(line).is_empty(), "{line}");
    }
}
