#!/usr/bin/env bash
# A mixed-pattern soak (REQ/REP, PUB/SUB, PUSH/PULL, ROUTER/DEALER over tcp and ipc, with
# connection churn) for MINUTES minutes (default 10), sampling memory, descriptors and
# messages moved every few seconds. Fails when memory or descriptors keep growing. Not part
# of `cargo test`; see docs/reliability.md for the last figures.
#
#   scripts/soak.sh 10
#
# The log goes to target/soak/soak-<date>.log (under CARGO_TARGET_DIR when set) as well as
# to the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=${1:-10}
EVERY=${SOAK_SAMPLE_SECONDS:-5}
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release -p ferrozmq --example soak
mkdir -p "$target_dir/soak"
log="$target_dir/soak/soak-$(date -u +%Y%m%dT%H%M%SZ).log"
{
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -srm)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$log"
set +e
"$target_dir/release/examples/soak" --seconds $((MINUTES * 60)) --every "$EVERY" | tee -a "$log"
status=${PIPESTATUS[0]}
echo "log: $log"
exit "$status"
