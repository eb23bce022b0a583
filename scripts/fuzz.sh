#!/bin/sh
# fuzz.sh BUILD [SECONDS] — run every libFuzzer target in BUILD (configured
# with -Dfuzz=true) for SECONDS each (default $FUZZ_SECONDS or 60), starting
# from the seed corpus in tests/fuzz/corpus/TARGET. New inputs go to a
# scratch directory, not into the repository. Fails on any crash, leak,
# timeout or sanitizer report, and prints the executions of each target.
set -u
build=$1
secs=${2:-${FUZZ_SECONDS:-60}}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/heph-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
summary=""
for t in op rpc date sync recur quickadd; do
	exe="$build/tests/fuzz/fuzz_$t"
	mkdir -p "$work/$t"
	log="$work/$t.log"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$t-" "$work/$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		status=1
		echo "fuzz_$t FAILED (exit $rc); the input that failed:" >&2
		tail -40 "$log" >&2
		for a in "$work/$t"-*; do
			[ -f "$a" ] && mkdir -p "$root/build-fuzz-artifacts" && cp "$a" "$root/build-fuzz-artifacts/" &&
				echo "  saved to build-fuzz-artifacts/$(basename "$a")" >&2
		done
	fi
	summary="$summary
fuzz_$t: ${runs:-?} executions in ${secs}s$( [ "$rc" -ne 0 ] && echo ' (FAILED)')"
done
echo "$summary" | sed '/^$/d'
exit $status
