//! The `c_api` fuzz target's checks (`fuzz/src/c_api.rs`, included as a module) on every
//! `cargo test`: over the seeds kept in `fuzz/corpus/c_api/` and over a few hundred inputs
//! from a fixed pseudo-random sequence. A crash input the fuzzer finds belongs in
//! `fuzz/corpus/c_api/`, where this replays it.

#[path = "../../../fuzz/src/c_api.rs"]
mod c_api;

use std::path::PathBuf;

#[test]
fn the_c_boundary_survives_the_kept_and_generated_inputs() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/c_api");
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(&corpus)
        .map(|entries| {
            entries
                .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    // xorshift64: the same inputs on every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for length in 0..300 {
        let bytes = (0..length % 200)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        inputs.push(bytes);
    }
    for input in &inputs {
        c_api::check(input);
    }
}
