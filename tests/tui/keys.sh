#!/bin/bash
# keys.sh — each triage key's effect on the database, as heph sees it.
. "$(dirname "$0")/lib.sh"

h project add Home >/dev/null
h project add Work >/dev/null
MILK=$(h task "Buy milk" --project Home)
PLANTS=$(h task "Water plants")
INBOX=$(h task "Inbox thing" --body "- [ ] first step
- [x] done step")
GONE=$(h task "Old idea")
DROPME=$(h task "Drop me")
h task "Long notes" --body "$(seq -f 'note line %02g' 1 40)" >/dev/null

start_tui 120 30
select_entry tasks

# the preview: fields and the context doc
select_task "Inbox thing"
expect_contains "the preview shows the context doc" "- [ ] first step" "$(pane 3)"

# the preview scrolls when it has the focus
select_task "Long notes"
expect_contains "the preview starts at the top" "note line 01" "$(pane 3)"
keys l G
if _poll "$WAIT" sh -c "tmux -L '$SOCK' capture-pane -p -t tui | grep -q 'note line 40'"; then _ok; else _report "G in the preview shows its end" "$(screen)"; fi
expect_not_contains "scrolled past the first line" "note line 01" "$(pane 3)"
keys g
wait_for "g in the preview goes back to the top" "note line 01"
keys h

# x: done
select_task "Buy milk"
keys x
wait_for "x" "done: Buy milk"
expect_eq "x marks the task done" done "$(task_field "$MILK" state)"
expect_not_contains "a done task leaves the list" "Buy milk" "$(pane 2)"

# A cycles attention white -> orange -> red -> white
select_task "Water plants"
keys A
wait_for "A once" "now orange: Water plants"
expect_eq "A makes a white task orange" orange "$(task_field "$PLANTS" attention)"
keys A
wait_for "A twice" "now red: Water plants"
expect_eq "A again makes it red" red "$(task_field "$PLANTS" attention)"
keys A
wait_for "A thrice" "now white: Water plants"
expect_eq "A again makes it white" white "$(task_field "$PLANTS" attention)"

# b: on deck
keys b
wait_for "b" "on deck: Water plants"
expect_eq "b pushes to blue" blue "$(task_field "$PLANTS" attention)"

# e: reschedule with date words; a bad word changes nothing
select_task "Water plants"
keys e
wait_for "e asks for a date" "do date ("
type_text "fri"
keys Enter
wait_for "e" "2026-11-20: Water plants"
expect_eq "e sets the do-date from a date word" 2026-11-20 "$(task_field "$PLANTS" do_date)"
keys e
type_text "someday"
keys Enter
wait_for "a bad date word is refused" "someday"
expect_eq "a bad date changes nothing" 2026-11-20 "$(task_field "$PLANTS" do_date)"
keys e
type_text "none"
keys Enter
wait_for "e none" "no do-date: Water plants"
expect_eq "e none clears the do-date" None "$(task_field "$PLANTS" do_date)"
keys e Escape
wait_for "Esc cancels" "not rescheduled"

# m: move to a project through the filtering picker, then out of it
select_task "Inbox thing"
keys m
wait_for "m opens the picker" "move to project"
type_text "wor"
wait_gone "the picker filters" "(no project)"
keys Enter
wait_for "m" "moved to Work: Inbox thing"
expect_eq "m files the task" Work "$(task_field "$INBOX" project)"
keys m
type_text "no proj"
keys Enter
wait_for "m to no project" "moved to (no project)"
expect_eq "m (no project) unfiles it" None "$(task_field "$INBOX" project_id)"

# d: drop
select_task "Drop me"
keys d
wait_for "d" "dropped: Drop me"
expect_eq "d drops the task" dropped "$(task_field "$DROPME" state)"

# D: delete asks; n keeps, y deletes
select_task "Old idea"
keys D
wait_for "D asks" "delete \"Old idea\"? [y/N]"
keys n
wait_for "n keeps it" "not deleted"
expect_status "after n the task is still there" 0 h show "$GONE"
keys D
wait_for "D asks again" "[y/N]"
keys y
wait_for "y deletes" "deleted: Old idea"
expect_eq "after y the task is gone from every list" 0 \
	"$(h list --all --json | json_get "len([t for t in d if t['node_id'] == '$GONE'])")"
expect_status "a deleted task is gone for heph" 4 h show "$GONE"

# r and ?: refresh and help
keys r
wait_for "r" "refreshed"
keys '?'
wait_for "? shows the keys" "heph-tui keys"
keys Escape
wait_gone "any key closes the help" "heph-tui keys"

stop_tui
finish
