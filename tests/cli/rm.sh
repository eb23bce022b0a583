#!/bin/bash
# rm.sh — deleting a project that holds open tasks or subprojects: without a
# terminal heph rm refuses unless --yes and deletes nothing; on a terminal
# (script(1) gives it one) it says what will move and asks; afterwards it
# says what moved and how to undo, and heph undo brings everything back.
. "$(dirname "$0")/lib.sh"

P=$(h project add Home)
K=$(h project add Kitchen --parent Home)
h task "Fix tap" --project Home >/dev/null
h task "Paint" --project Home >/dev/null
h task "Mop" --project Kitchen >/dev/null
h task "Done one" --project Home >/dev/null
h done "$(h list --json | json_get '[t["node_id"] for t in d if t["title"]=="Done one"][0]')" >/dev/null
before=$(h digest)

expect_status "rm of a project with open tasks needs --yes without a terminal" 2 h rm "$P" </dev/null
expect_contains "it says what would move" "2 open tasks to the inbox and 1 subproject (Kitchen) to the top level" "$ERR"
expect_contains "and what to do" "--yes" "$ERR"
expect_eq "nothing was deleted" "$before" "$(h digest)"

# on a terminal it asks; no keeps the project
out=$(printf 'n\n' | script -qec "$HEPH rm $P" /dev/null 2>&1)
expect_contains "on a terminal it says what will move and asks" "moves 2 open tasks to the inbox and 1 subproject (Kitchen) to the top level. Delete it? [y/N]" "$out"
expect_eq "answering no deletes nothing" "$before" "$(h digest)"
out=$(printf 'y\n' | script -qec "$HEPH rm $P" /dev/null 2>&1)
expect_contains "answering yes deletes it and says how to undo" "heph undo brings it back" "$out"
expect_eq "the tasks are in the inbox" "Fix tap|Paint" "$(h list --json | json_get '"|".join(sorted(t["title"] for t in d if not t["project_id"]))')"
expect_eq "Kitchen is at the top level" "Kitchen None" "$(h project list --json | json_get '" ".join(str(p[k]) for p in d for k in ("title","parent_id"))')"

# undo brings the project back with its tasks and subprojects
h undo >/dev/null
expect_eq "undo: the tasks are filed under Home again" "Fix tap|Mop|Paint" "$(h list --project Home --json | json_get '"|".join(sorted(t["title"] for t in d))')"

# --yes deletes without asking; what moved is said on stderr, the id on stdout
P2=$(h project add Garden)
h task "Weed" --project Garden >/dev/null
expect_status "--yes deletes without a terminal" 0 h rm "$P2" --yes
expect_eq "stdout is the id" "$P2" "$OUT"
expect_contains "stderr says what moved" "moved 1 open task to the inbox" "$ERR"

# a project with nothing open, and any other node, is deleted without a question
E=$(h project add Empty)
expect_status "an empty project needs no --yes" 0 h rm "$E" </dev/null
T=$(h task "Lone")
expect_status "a task needs no --yes" 0 h rm "$T" </dev/null
expect_eq "nothing said on stderr" "" "$ERR"

finish
