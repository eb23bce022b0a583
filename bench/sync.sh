#!/bin/sh
# sync.sh BUILD — the sync benchmarks (bench/sync.py): a fresh spoke pulling a
# million ops, fifty spokes pushing at once, idle hephd memory. Writes
# bench/RESULTS-sync.md. QUICK=1 pulls 100,000 ops instead. Run it on a quiet
# machine; it takes a few minutes (most of it generating and loading the ops).
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
ops=1000000
[ -n "${QUICK:-}" ] && ops=100000
exec nice python3 "$root/bench/sync.py" "$build" --ops "$ops"
