#!/bin/bash
# help.sh — every verb answers --help with its usage and exits 0; heph with
# no verb prints the overview and exits 2.
. "$(dirname "$0")/lib.sh"

expect_status "no verb is a usage error" 2 h
expect_contains "the overview lists verbs" "project list" "$ERR"
expect_status "heph --help" 0 h --help
expect_contains "--help shows the overview" "usage: heph" "$OUT"
expect_status "--version" 0 h --version
expect_contains "--version names heph" "heph " "$OUT"

verbs=$(h --help | sed -n 's/^  \([a-z][a-z ]*[a-z]\)  .*/\1/p' | sed 's/ *$//')
n=0
while IFS= read -r v; do
	[ -z "$v" ] && continue
	n=$((n + 1))
	# shellcheck disable=SC2086
	expect_status "heph $v --help" 0 h $v --help
	expect_contains "heph $v --help shows usage" "usage: heph $v" "$OUT"
done <<< "$verbs"
expect_eq "the overview lists at least 18 verbs" yes "$([ "$n" -ge 18 ] && echo yes)"
expect_status "heph help task" 0 h help task
expect_contains "help VERB shows that verb" "usage: heph task" "$OUT"
expect_status "no database is created for --help" 0 test ! -e "$HEPH_DB"
finish
