#!/usr/bin/env bash
# Runs the two worker processes of one benchmark measurement, each under a profiling
# tool of your choice, so that a profile shows one library's side and nothing else:
#
#   crates/ferrozmq-bench/profile-pair.sh latency|throughput LIBRARY TRANSPORT SIZE COUNT \
#       OUT [BIND_TOOL [CONNECT_TOOL]]
#
# latency runs `peer rep` (binds) and `peer req` (connects; COUNT round trips after a
# warm-up of a tenth as many); throughput runs `peer pull` (binds) and `peer push`
# (connects; COUNT messages). Over inproc both sides are one process, under BIND_TOOL.
# A tool is one of: none, strace (syscall counts, threads included), stat (perf stat:
# task-clock, context switches, page faults), record (perf record -g), callgrind
# (instructions, whatever else the machine runs; it slows the side it traces some 50x,
# which changes how the other side batches, so compare with both sides under it). Each
# tool writes OUT-bind.* and OUT-connect.*; the workers' own reports (elapsed_ns, CPU,
# peak RSS) go to stdout. Build the harness first: cargo build --release -p ferrozmq-bench.
# EXTRA, when set, is appended to both workers' arguments (e.g. EXTRA="--hwm 16").
set -euo pipefail

if [ $# -lt 6 ]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
kind=$1 library=$2 transport=$3 size=$4 count=$5 out=$6
bind_tool=${7:-none} connect_tool=${8:-none}
harness=${HARNESS:-$(dirname "$0")/../../target/release/ferrozmq-bench}

# The command prefix that runs a worker under `tool`, writing to `file`.
under() {
    local tool=$1 file=$2
    case $tool in
        none) ;;
        strace) echo "strace -f -c -o $file.strace" ;;
        stat) echo "perf stat -e task-clock,context-switches,cpu-migrations,page-faults -o $file.stat" ;;
        record) echo "perf record -F 4999 -g -o $file.perf" ;;
        callgrind) echo "valgrind --tool=callgrind --callgrind-out-file=$file.cg" ;;
        *) echo "unknown tool: $tool" >&2; exit 2 ;;
    esac
}

case $kind in
    latency) bind_role=rep connect_role=req inproc_role=inproc-latency ;;
    throughput) bind_role=pull connect_role=push inproc_role=inproc-throughput ;;
    *) echo "latency or throughput, not $kind" >&2; exit 2 ;;
esac
# shellcheck disable=SC2206 # EXTRA is words
common=(--library "$library" --transport "$transport" --count "$count" --size "$size" ${EXTRA:-})

if [ "$transport" = inproc ]; then
    # shellcheck disable=SC2046 # the tool prefix is words
    $(under "$bind_tool" "$out-bind") "$harness" peer "$inproc_role" "${common[@]}" </dev/null
    exit
fi

# Each worker talks to this script in lines through two named pipes (see the harness's
# peer.rs): it announces what it bound, reports, and waits for `finish`.
pipes=$(mktemp -d)
trap 'rm -rf "$pipes"' EXIT
mkfifo "$pipes/bind-in" "$pipes/bind-out" "$pipes/connect-in" "$pipes/connect-out"
# shellcheck disable=SC2046 # the tool prefix is words
$(under "$bind_tool" "$out-bind") "$harness" peer "$bind_role" "${common[@]}" \
    <"$pipes/bind-in" >"$pipes/bind-out" &
exec 3>"$pipes/bind-in" 4<"$pipes/bind-out"
read -r _ endpoint <&4
# shellcheck disable=SC2046
$(under "$connect_tool" "$out-connect") "$harness" peer "$connect_role" "${common[@]}" \
    --endpoint "$endpoint" <"$pipes/connect-in" >"$pipes/connect-out" &
exec 5>"$pipes/connect-in" 6<"$pipes/connect-out"
if [ "$kind" = latency ]; then
    read -r line <&6 && echo "$connect_role $line"
    echo finish >&3
    read -r line <&4 && echo "$bind_role $line"
else
    read -r line <&4 && echo "$bind_role $line"
    echo finish >&5
    read -r line <&6 && echo "$connect_role $line"
fi
exec 3>&- 5>&-
wait
