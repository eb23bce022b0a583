#!/bin/sh
# valgrind.sh BUILD — the CLI tests with every heph process under valgrind
# memcheck (make valgrind). A memory error or a definite or indirect leak in
# any process fails the run; the reports are printed. The crash and disk
# tests are left out: they kill processes and limit file sizes on purpose.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
VALGRIND_DEPS=1 sh "$root/scripts/deps.sh"
heph=$(cd "$build/src/cli" && pwd)/heph
logs=$(mktemp -d "${TMPDIR:-/tmp}/heph-valgrind.XXXXXX")
trap 'rm -rf "$logs"' EXIT
wrap="$logs/heph"
cat >"$wrap" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --log-file="$logs/vg.%p.log" "$heph" "\$@"
WRAP
chmod +x "$wrap"
status=0
for t in basics bad_input merge migrate help wiki search undo; do
	if HEPH="$wrap" TESTDATA="$root/tests/data" bash "$root/tests/cli/$t.sh" >"$logs/$t.out" 2>&1; then
		echo "valgrind: cli/$t ok"
	else
		echo "valgrind: cli/$t FAILED" >&2
		tail -20 "$logs/$t.out" >&2
		status=1
	fi
done
runs=$(ls "$logs"/vg.*.log 2>/dev/null | wc -l)
bad=0
for f in "$logs"/vg.*.log; do
	[ -s "$f" ] || continue
	bad=$((bad + 1))
	cat "$f" >&2
done
echo "valgrind: $runs heph processes checked, $bad with reports"
[ "$bad" -eq 0 ] && [ "$status" -eq 0 ]
