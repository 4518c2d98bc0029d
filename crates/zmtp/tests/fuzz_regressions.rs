//! Replays fuzz inputs through the same checks the fuzz targets run (the files of
//! `fuzz/src/`, included here as modules): the seed corpus captured from libzmq
//! (`fuzz/corpus/<target>/`) and every input that once crashed a target
//! (`tests/regressions/<target>/`). A crash found by `fuzz/run-all.sh` becomes a regression
//! test by copying its input to `tests/regressions/<target>/`, named for what it broke.

// The fuzz crate imports this one as `zmtp`, the name the workspace gives it.
extern crate ferrozmq_zmtp as zmtp;

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/command.rs"]
mod command;
#[path = "../../../fuzz/src/frame_header.rs"]
mod frame_header;
#[path = "../../../fuzz/src/frame_v1.rs"]
mod frame_v1;
#[path = "../../../fuzz/src/greeting.rs"]
mod greeting;
#[path = "../../../fuzz/src/handshake.rs"]
mod handshake;
#[path = "../../../fuzz/src/legacy.rs"]
mod legacy;
#[path = "../../../fuzz/src/metadata.rs"]
mod metadata;
#[path = "../../../fuzz/src/session.rs"]
mod session;

/// The inputs of one target in `dir`, in a stable order; none when the directory is absent
/// (a target may have no regression yet).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` on every seed and regression input of `target` and returns each input's name
/// with what `check` returned. A failing input is named in the panic message.
fn replay<T>(target: &str, check: fn(&[u8]) -> T) -> Vec<(String, T)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = root.join("../../fuzz/corpus").join(target);
    let regressions = root.join("tests/regressions").join(target);
    let files: Vec<PathBuf> = inputs(&seeds)
        .into_iter()
        .chain(inputs(&regressions))
        .collect();
    assert!(!files.is_empty(), "no inputs for {target}");
    files
        .iter()
        .map(|file| {
            let data = std::fs::read(file).expect("read fuzz input");
            let name = file.file_name().expect("file name").to_string_lossy();
            match std::panic::catch_unwind(|| check(&data)) {
                Ok(result) => (name.into_owned(), result),
                Err(_) => panic!("{target}: {} fails its check", file.display()),
            }
        })
        .collect()
}

#[test]
fn greeting_inputs_pass_the_greeting_checks() {
    replay("greeting", greeting::check);
}

#[test]
fn frame_header_inputs_pass_the_frame_header_checks() {
    replay("frame_header", frame_header::check);
}

#[test]
fn frame_v1_inputs_pass_the_frame_v1_checks() {
    replay("frame_v1", frame_v1::check);
}

/// The seeds are conversations of the older protocols with each pattern: every one must
/// reach traffic and deliver.
#[test]
fn legacy_inputs_pass_the_session_checks_and_reach_traffic() {
    for (name, outcome) in replay("legacy", legacy::check) {
        if name.starts_with("seed-") {
            assert!(outcome.ready, "{name}: no handshake");
            assert!(outcome.messages > 0, "{name}: no message");
        }
    }
}

#[test]
fn command_inputs_pass_the_command_checks() {
    replay("command", command::check);
}

#[test]
fn metadata_inputs_pass_the_metadata_checks() {
    replay("metadata", metadata::check);
}

/// The seeds are real libzmq conversations (NULL and PLAIN, both roles): every one must get
/// a session through its handshake, and the unlimited ones must deliver messages, or the
/// fuzzer starts from nowhere (and the session no longer talks to libzmq).
#[test]
fn session_inputs_pass_the_session_checks_and_libzmq_streams_reach_traffic() {
    for (name, outcome) in replay("session", session::check) {
        // libzmq's CURVE boxes were sealed for its own peer's transient keys: past HELLO
        // they cannot open here, by design.
        if name.starts_with("libzmq-") && !name.contains("-curve-") {
            assert!(outcome.ready, "{name}: no handshake");
            // A PULL never sends messages; bytewise seeds run under a 255-byte limit.
            if !name.contains("-bytewise") && !name.contains("-to-connecting-push") {
                assert!(outcome.messages > 0, "{name}: no message");
            }
        }
    }
}

/// Seeds that replace one of our commands with libzmq's may fail the handshake (libzmq's
/// CURVE boxes were sealed for other transient keys); the regressions must pass, and the
/// untouched handshakes must complete for every mechanism.
#[test]
fn handshake_inputs_pass_the_handshake_checks() {
    replay("handshake", handshake::check);
    for mode in 0..4u8 {
        assert!(handshake::check(&[mode]), "mechanism {mode}: no handshake");
        assert!(
            !handshake::check(&[mode | 0x04]) || mode == 0,
            "mechanism {mode}: a refused client completed the handshake"
        );
    }
}
