# lib.sh — a small harness for CLI tests: each test script sources this, runs
# the real heph binary ($HEPH) against databases in a fresh temporary
# directory, and ends with `finish`.
set -u
: "${HEPH:?HEPH must point at the heph binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heph-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export HEPH_DB="$TMP/heph.db" HEPH_NOW=2026-11-18 NO_COLOR=1
unset HEPH_REMOTE XDG_DATA_HOME 2>/dev/null || true
PASS=0
FAIL=0

h() { "$HEPH" "$@"; }

_report() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s\n' "$1" >&2
	[ -n "${2:-}" ] && printf '     %s\n' "$2" >&2
	return 0
}

_ok() { PASS=$((PASS + 1)); }

# expect_eq DESC WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then _ok; else _report "$1" "want [$2] got [$3]"; fi
}

# expect_contains DESC NEEDLE HAYSTACK
expect_contains() {
	case "$3" in *"$2"*) _ok ;; *) _report "$1" "[$2] not in [$3]" ;; esac
}

expect_not_contains() {
	case "$3" in *"$2"*) _report "$1" "[$2] unexpectedly in [$3]" ;; *) _ok ;; esac
}

# expect_status DESC CODE CMD... — runs CMD, checks its exit status; the
# command's stderr is kept in $ERR and stdout in $OUT.
expect_status() {
	desc=$1 want=$2
	shift 2
	OUT=$("$@" 2>"$TMP/stderr")
	got=$?
	ERR=$(cat "$TMP/stderr")
	if [ "$got" = "$want" ]; then _ok; else _report "$desc" "exit $got, want $want; stderr: $ERR"; fi
}

# json_get FILTER — read JSON on stdin, print a value (python3's json).
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

finish() {
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
	[ "$FAIL" -eq 0 ]
}
