#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, and prints per
# target: executions, coverage (libFuzzer's cov: edges and ft: features) and crashes.
#
#   fuzz/run-all.sh 1800            # the issue's 30 minutes each
#   TARGETS="session handshake" fuzz/run-all.sh 300
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). libFuzzer and the sanitizer flags need
# nightly features; on a stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. The build has its
# own target directory (fuzz/target), so a concurrent workspace build is not blocked.
#
# The seeds in fuzz/corpus/<target> (captured from libzmq, see capture_corpus.py) stay as
# they are; what libFuzzer discovers goes to fuzz/corpus-work/<target>, crash inputs to
# fuzz/artifacts/<target>, and the full logs to fuzz/logs/<target>.log (all three ignored by
# git). A crash input belongs in crates/zmtp/tests/regressions/<target>/, where
# `cargo test -p ferrozmq-zmtp --test fuzz_regressions` replays it.
set -euo pipefail
cd "$(dirname "$0")"

SECONDS_EACH=${1:-60}
export RUSTC_BOOTSTRAP=1
mkdir -p logs
# Debug assertions on: overflow checks and the crate's own debug_assert!s are invariants too.
cargo fuzz build --debug-assertions >logs/build.log 2>&1 || { cat logs/build.log; exit 1; }
TARGETS=${TARGETS:-$(cargo fuzz list)}


printf '%-14s %8s %14s %10s %8s %8s %8s\n' target seconds executions exec/s cov ft crashes
status=0
for target in $TARGETS; do
    mkdir -p "corpus-work/$target" "artifacts/$target" "corpus/$target"
    log="logs/$target.log"
    # A crash stops libFuzzer early; the exit status is read from the artifacts instead, and
    # the seconds shown are those it really ran.
    started=$(date +%s)
    cargo fuzz run --debug-assertions "$target" "corpus-work/$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1 || true
    ran=$(($(date +%s) - started))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    crashes=$(find "artifacts/$target" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)
    printf '%-14s %8s %14s %10s %8s %8s %8s\n' "$target" "$ran" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
    if [ "$crashes" -gt 0 ]; then
        status=1
        find "artifacts/$target" -type f | sed 's/^/    /'
    fi
done
exit $status
