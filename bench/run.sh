#!/bin/sh
# run.sh BUILD — heph's benchmarks (make bench): heph against Taskwarrior and
# against the sqlite3 shell on the same data (bench/bench.py, writes
# bench/RESULTS.md), then the sync benchmarks (bench/sync.sh, writes
# bench/RESULTS-sync.md), the web app's first screen (bench/web.mjs, writes
# bench/RESULTS-web.md) and a late upgrade's cost (bench/fleet.py, writes
# bench/RESULTS-fleet.md).
# QUICK=1 runs the 10k-task set only, with fewer runs (about a minute); the
# full run (10k, 100k and 1M tasks; Taskwarrior up to 100k) takes about half
# an hour, most of it generating and applying the 1M set. Run it on a quiet
# machine: every figure is wall-clock time of whole processes.
# BASELINE=REV (a git revision) also builds heph at REV in a temporary
# worktree and times it beside this build on the same data, so that the
# tables show heph-now against heph-before (issue 13: the commit before the
# method table's schema, BASELINE=4764f04).
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DEPS=1 sh "$root/scripts/deps.sh"
quick=""
[ -n "${QUICK:-}" ] && quick=--quick
base=""
if [ -n "${BASELINE:-}" ]; then
	rev=$(git -C "$root" rev-parse --short "$BASELINE^{commit}")
	bdir=$(mktemp -d "${TMPDIR:-/tmp}/heph-baseline.XXXXXX")
	trap 'git -C "$root" worktree remove --force "$bdir/src" 2>/dev/null; rm -rf "$bdir"' EXIT
	git -C "$root" worktree add --detach "$bdir/src" "$rev" >/dev/null 2>&1
	meson setup "$bdir/build" "$bdir/src" --buildtype=debugoptimized >/dev/null
	nice ninja -C "$bdir/build" src/cli/heph >/dev/null
	base="--baseline $bdir/build/src/cli/heph --baseline-rev $rev"
fi
# shellcheck disable=SC2086 # $quick and $base are word lists
nice python3 "$root/bench/bench.py" "$build/src/cli/heph" $quick $base
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
