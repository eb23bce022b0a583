#!/bin/sh
# run.sh BUILD — heph's benchmarks (make bench): heph against Taskwarrior and
# against the sqlite3 shell on the same data; writes bench/RESULTS.md.
# QUICK=1 runs the 10k-task set only, with fewer runs (about a minute); the
# full run (10k and 100k tasks) takes several minutes. Run it on a quiet
# machine: every figure is wall-clock time of whole processes.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DEPS=1 sh "$root/scripts/deps.sh"
quick=""
[ -n "${QUICK:-}" ] && quick=--quick
exec nice python3 "$root/bench/bench.py" "$build/src/cli/heph" $quick
