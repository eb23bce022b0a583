#!/bin/bash
# crash.sh — kill -9 a long `heph apply` at random points, many times.
#
# The op stream (made by bench/gen.py) is cut into chunks applied one after
# the other, each by its own `heph apply` (one transaction each), so that a
# kill can land before, inside or between transactions, or while a process
# checkpoints as it closes. After every kill:
#   - PRAGMA integrity_check is ok;
#   - the database holds exactly the first k chunks, for some k: its digest
#     equals that of an uninterrupted run of k chunks (an op is applied
#     whole, with its log row, or not at all);
#   - applying the whole stream again converges to the uninterrupted
#     run's digest.
. "$(dirname "$0")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-25}
CHUNKS=8
python3 "$(dirname "$0")/../../bench/gen.py" --tasks 400 --projects 40 --seed 7 >"$TMP/ops.jsonl" 2>/dev/null
lines=$(wc -l <"$TMP/ops.jsonl")
per=$(((lines + CHUNKS - 1) / CHUNKS))
split -l "$per" -d -a 2 "$TMP/ops.jsonl" "$TMP/chunk."
chunks=$(ls "$TMP"/chunk.* | sort)

# The digest after each prefix of chunks, applied without interruption.
ref="$TMP/ref.db"
declare -a want
want[0]=$(h --db "$ref" digest)
k=0
for c in $chunks; do
	k=$((k + 1))
	h --db "$ref" apply "$c" >/dev/null || _report "reference apply of $c"
	want[$k]=$(h --db "$ref" digest)
done
full=${want[$k]}

# The process that is killed: one shell applying the chunks in turn. It runs
# as a job of its own (set -m), so that kill -9 reaches its whole process
# group: the shell and whichever heph it is running.
runner="$TMP/run.sh"
{
	echo '#!/bin/sh'
	for c in $chunks; do echo "\"$HEPH\" --db \"$TMP/crash.db\" apply \"$c\" >/dev/null || exit 1"; done
} >"$runner"

# How long an uninterrupted run takes, to spread the kills over it.
start=$(date +%s%N)
sh "$runner"
span_ms=$((($(date +%s%N) - start) / 1000000 + 1))
rm -f "$TMP"/crash.db*

set -m
seen=""
for round in $(seq "$ROUNDS"); do
	rm -f "$TMP"/crash.db*
	sh "$runner" &
	pid=$!
	delay=$((RANDOM % (span_ms + 5)))
	sleep "$(awk "BEGIN { print $delay / 1000 }")"
	kill -9 -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# the heph it was running may still be on its way out: wait for the
	# whole group to be gone (its locks go with it), 5 s at most
	for _ in $(seq 500); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.01; done

	ok=$(sqlite3 "$TMP/crash.db" "PRAGMA integrity_check" 2>&1)
	[ -f "$TMP/crash.db" ] || ok=ok # killed before the file was made
	expect_eq "round $round: integrity_check after kill -9 at ${delay} ms" "ok" "$ok"
	got=$(h --db "$TMP/crash.db" digest)
	match=""
	for i in $(seq 0 "$CHUNKS"); do
		[ "$got" = "${want[$i]}" ] && match=$i && break
	done
	if [ -n "$match" ]; then _ok; else _report "round $round: state after kill is not a whole number of chunks" "$got"; fi
	seen="$seen ${match:-?}"
	for c in $chunks; do h --db "$TMP/crash.db" apply "$c" >/dev/null; done
	expect_eq "round $round: a re-run converges" "$full" "$(h --db "$TMP/crash.db" digest)"
done
set +m
echo "chunks applied when killed:$seen" >&2
finish
