#!/bin/bash
# undo.sh — heph undo reverses this device's last change with new ops that
# sync like any edit, leaves alone what another device changed since, and
# --list / --dry-run change nothing.
. "$(dirname "$0")/lib.sh"

expect_status "nothing to undo on a fresh database" 4 h undo
expect_contains "says so" "nothing to undo" "$ERR"

P=$(h project add Home)
T=$(h task "Buy milk" --project Home --attention orange)
h edit "$T" --title "Buy oat milk" --attention red >/dev/null
h done "$T" >/dev/null

before=$(h digest)
out=$(h undo --list)
expect_contains "--list names what undo would reverse" "would reverse" "$out"
expect_contains "--list shows the plan" 'set state of task "Buy oat milk" back to "outstanding"' "$out"
expect_contains "--list shows history" "task.edit" "$out"
expect_contains "--dry-run says what it would do" "would reverse" "$(h undo --dry-run)"
expect_eq "--list and --dry-run change nothing" "$before" "$(h digest)"
expect_eq "undo.list --json" "task.done task.edit task.create project.add" \
	"$(h undo --list --json | json_get '" ".join(c["method"] for c in d["changes"])')"

h undo >/dev/null
expect_eq "undo reopens the task" outstanding "$(h show "$T" --json | json_get 'd["state"]')"
h undo >/dev/null
expect_eq "the next undo reverses the edit" "Buy milk orange" "$(h show "$T" --json | json_get 'd["title"]+" "+d["attention"]')"

# undo after a merge: the compensating ops reach the other device
B="$TMP/b.db"
h ops --json | h --db "$B" apply - >/dev/null
h edit "$T" --title "Buy bread" >/dev/null
h ops --json | h --db "$B" apply - >/dev/null
expect_eq "B sees the edit" "Buy bread" "$(h --db "$B" show "$T" --json | json_get 'd["title"]')"
h --db "$B" edit "$T" --attention blue >/dev/null
h --db "$B" ops --json | h apply - >/dev/null
h undo >/dev/null
h ops --json | h --db "$B" apply - >/dev/null
expect_eq "the undo reaches B" "Buy milk" "$(h --db "$B" show "$T" --json | json_get 'd["title"]')"
expect_eq "the replicas agree" "$(h digest)" "$(h --db "$B" digest)"
h --db "$B" edit "$T" --title "Buy cheese" >/dev/null
h --db "$B" ops --json | h apply - >/dev/null
h edit "$T" --attention orange >/dev/null
h edit "$T" --late-on 2026-12-01 >/dev/null
h --db "$B" edit "$T" --late-on 2026-12-24 >/dev/null
h --db "$B" ops --json | h apply - >/dev/null
out=$(h undo)
expect_contains "a value another device changed since is left alone" "skipped (changed since on another device)" "$out"
expect_eq "and keeps B's value" 2026-12-24 "$(h show "$T" --json | json_get 'd["late_on"]')"
expect_eq "B's own changes are not undone from here" "task.edit task.edit task.edit" \
	"$(h --db "$B" undo --list --json | json_get '" ".join(c["method"] for c in d["changes"])')"

# a deleted task comes back as a copy
h rm "$T" >/dev/null
out=$(h undo)
expect_contains "rm is undone by a copy" "as a copy" "$out"
expect_eq "the copy is listed" "Buy cheese" "$(h list --json | json_get '",".join(t["title"] for t in d)')"

# filing a task where it already is writes a fresh link; undoing that says
# the same in a dry run as when it is done, and leaves it filed
RP=$(h project add Refiled)
RT=$(h task "filed twice" --project "$RP")
h edit "$RT" --project "$RP" >/dev/null
dry=$(h undo --dry-run | tail -n +2)
expect_eq "the dry run says what undo does" "$dry" "$(h undo | tail -n +2)"
expect_eq "still filed" Refiled "$(h show "$RT" --json | json_get 'd["project"]')"

before=$(h digest)
expect_status "an unknown option" 2 h undo --everything
expect_status "a bad limit (checked by undo.list's schema)" 3 h undo --list --limit 0
expect_contains "the message gives the range" "from 1 to 1000" "$ERR"
expect_eq "bad input changed nothing" "$before" "$(h digest)"
finish
