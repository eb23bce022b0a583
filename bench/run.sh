#!/bin/sh
# run.sh BUILD — heph's benchmarks (make bench): heph against Taskwarrior and
# against the sqlite3 shell on the same data (bench/bench.py, writes
# bench/RESULTS.md), then the sync benchmarks (bench/sync.sh, writes
# bench/RESULTS-sync.md), the web app's first screen (bench/web.mjs, writes
# bench/RESULTS-web.md) and a late upgrade's cost (bench/fleet.py, writes
# bench/RESULTS-fleet.md).
# QUICK=1 runs the 10k-task set only, with fewer runs (about a minute); the
# full run (10k and 100k tasks) takes several minutes. Run it on a quiet
# machine: every figure is wall-clock time of whole processes.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DEPS=1 sh "$root/scripts/deps.sh"
quick=""
[ -n "${QUICK:-}" ] && quick=--quick
nice python3 "$root/bench/bench.py" "$build/src/cli/heph" $quick
if [ -x "$build/src/daemon/hephd" ]; then
	sh "$root/bench/sync.sh" "$build"
	# the web app's first screen in Chromium (bench/RESULTS-web.md)
	nice node "$root/bench/web.mjs" "$build"
fi
# a late upgrade in a mixed-version fleet: migration, backfill, replay
# (bench/fleet.py, writes bench/RESULTS-fleet.md)
tasks=20000
[ -n "${QUICK:-}" ] && tasks=5000
nice python3 "$root/bench/fleet.py" "$build" --tasks "$tasks"
