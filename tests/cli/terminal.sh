#!/bin/bash
# terminal.sh — what reaches a terminal: control characters in a title that
# arrived by apply (as by sync) or a Taskwarrior import are shown (^[, ^M),
# never written raw, by list, next, show and the messages of done; --json
# escapes them as JSON does; colour only on a terminal and never with
# NO_COLOR; lines cut to $COLUMNS by display width; dates relative to today.
. "$(dirname "$0")/lib.sh"

raw_esc() { LC_ALL=C grep -c $'\e' || true; }
raw_cr() { LC_ALL=C grep -c $'\r' || true; }

# a title with ESC[31m and CR, arriving as an op from another replica
HEPH_DB="$TMP/a.db" h task PLACEHOLDER --late-on yesterday >/dev/null
HEPH_DB="$TMP/a.db" h ops --json | sed 's/PLACEHOLDER/evil \\u001b[31mred\\u001b[0m\\rgone/' >"$TMP/ops.jsonl"
h apply "$TMP/ops.jsonl" >/dev/null
# and one by a Taskwarrior import
printf '[{"uuid":"6c1b3a8e-1c0e-4a59-9d53-2f8a0f7a1a11","status":"pending","description":"tw \\u001b]0;pwned\\u0007 title","entry":"20261101T000000Z"}]\n' >"$TMP/tw.json"
h import taskwarrior "$TMP/tw.json" >/dev/null

for verb in list next; do
	out=$(h $verb)
	expect_eq "$verb writes no raw ESC" 0 "$(echo "$out" | raw_esc)"
	expect_eq "$verb writes no raw CR" 0 "$(echo "$out" | raw_cr)"
	expect_contains "$verb shows the escape" 'evil ^[[31mred^[[0m^Mgone' "$out"
	expect_contains "$verb shows the import's escape" 'tw ^[]0;pwned^G title' "$out"
done
id=$(h list --json | json_get '[t["handle"] for t in d if t["title"].startswith("evil")][0]')
out=$(h show "$id")
expect_eq "show writes no raw ESC" 0 "$(echo "$out" | raw_esc)"
expect_contains "show shows the escape" 'evil ^[[31mred^[[0m^Mgone' "$out"
out=$(h done "$id")
expect_eq "done's message writes no raw ESC" 0 "$(echo "$out" | raw_esc)"
expect_eq "--json escapes as JSON does" 1 "$(h list --all --json | grep -ci 'evil \\u001b\[31mred\\u001b\[0m\\rgone')"
expect_eq "and writes no raw ESC" 0 "$(h list --all --json | raw_esc)"
# an error that quotes a project's name, arriving as an op from another replica
HEPH_DB="$TMP/c.db" h project add PLACEHOLDER >/dev/null
HEPH_DB="$TMP/c.db" h ops --json | sed 's/PLACEHOLDER/evil \\u001b[2Jproj/' >"$TMP/proj.jsonl"
h apply "$TMP/proj.jsonl" >/dev/null
P=$(h project list --json | json_get '[p["node_id"] for p in d if p["title"].startswith("evil")][0]')
h task "filed" --project "$P" >/dev/null
expect_status "an error quoting the text" 2 h rm "$P"
expect_eq "is escaped too" 0 "$(echo "$ERR" | raw_esc)"
expect_contains "and shown" 'evil ^[[2Jproj' "$ERR"
# a reference with a control character is refused before anything looks it up
expect_status "a control character in a reference" 3 h show "$(printf 'no\033[2Jsuch')"
expect_eq "its error writes no raw ESC" 0 "$(echo "$ERR" | raw_esc)"

# dates relative to today (2026-11-18, a Wednesday); late tasks marked late
h task "due fri" --do-date fri >/dev/null
h task "far" --do-date 2026-11-30 --late-on 2026-11-16 >/dev/null
out=$(h list)
expect_contains "a do-date within the week is its day" "fri" "$(echo "$out" | grep 'due fri')"
expect_contains "a later one counts days" "in 12d" "$(echo "$out" | grep 'far')"
expect_contains "a late task says how late" "late 2d" "$(echo "$out" | grep 'far')"
expect_contains "tomorrow" "tomorrow" "$(HEPH_NOW=2026-11-19 h list | grep 'due fri')"

# colour: never in a pipe, never with NO_COLOR, on a terminal otherwise
h task "urgent" --attention red >/dev/null
expect_eq "no colour in a pipe" 0 "$(NO_COLOR= h list | raw_esc)"
tty_out() { script -qec "$*" /dev/null | tr -d '\r'; }
expect_eq "colour on a terminal" 1 \
	"$(NO_COLOR= tty_out "$HEPH" list | grep urgent | grep -c $'\e\\[31m')"
expect_eq "but not with NO_COLOR" 0 "$(NO_COLOR=1 tty_out "$HEPH" list | raw_esc)"
expect_contains "a title's escape stays shown on a colour terminal" 'evil' \
	"$(NO_COLOR= tty_out "$HEPH" list --all | grep -v $'\e\\[31mred')"

# the width: long titles cut by display width, never wrapped
h task "Ünïcödé 日本語のタスク $(printf 'long %.0s' {1..40})" --recur weekly >/dev/null
out=$(COLUMNS=50 h list)
expect_eq "no line is wider than COLUMNS" "" \
	"$(echo "$out" | python3 -c 'import sys, unicodedata as u
for l in sys.stdin.read().splitlines():
    w = sum(2 if u.east_asian_width(c) in "WF" else 1 for c in l)
    if w > 50: print(w, l)')"
expect_contains "a cut title ends in an ellipsis" "…" "$(echo "$out" | grep 'Ünïcödé')"
expect_eq "not cut without a terminal or COLUMNS" 1 "$(h list | grep -c 'long long long long long long long long long long long')"
finish
