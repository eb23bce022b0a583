#!/bin/bash
# refresh.sh — changes made by another process show up by themselves;
# resizing, very small terminals, and colours (256, 8, NO_COLOR).
. "$(dirname "$0")/lib.sh"

h project add Home >/dev/null
h task "First task" >/dev/null
start_tui 120 30
select_entry tasks

# another process adds, files and completes tasks: the TUI follows
T=$(h task "From outside" --project Home)
wait_for "a task added by heph appears" "From outside"
wait_for "the sidebar count follows" " Home                 1 "
h done "$T" >/dev/null
wait_gone "a task completed by heph leaves" "From outside"
wait_for "the count drops" " Home                 0 "
h edit "$(h list --json | json_get 'd[0]["node_id"]')" --title "Renamed outside" >/dev/null
wait_for "an outside rename reaches the preview" "Renamed outside"

# resizing: three panes, then two, then one, then too small, then back
tm resize-window -t tui -x 70 -y 20
wait_line "at 70 columns: sidebar and list" 1 " Views & projects │ tasks (1)"
expect_not_contains "at 70 columns the preview makes room" "Preview" "$(screen)"
expect_contains "the sidebar stays at 70 columns" "Views & projects" "$(screen)"
expect_contains "the task list stays at 70 columns" "Renamed outside" "$(screen)"
keys l
wait_line "focusing the preview at 70 columns shows it" 1 " Views & projects │ Preview"
keys h
tm resize-window -t tui -x 40 -y 12
wait_line "at 40 columns only the focused pane is shown" 1 " tasks (1)"
expect_not_contains "at 40 columns no sidebar" "Views & projects" "$(screen)"
expect_contains "the task list fills a narrow terminal" "Renamed outside" "$(screen)"
keys Tab Tab
wait_line "Tab brings the sidebar on a narrow terminal" 1 " Views & projects"
keys Tab
tm resize-window -t tui -x 12 -y 3
wait_for "a tiny terminal gets a notice" "too small"
keys j k x
tm resize-window -t tui -x 120 -y 30
wait_line "back to three panes" 1 " Views & projects"
wait_for "back to three panes" "Preview"
expect_eq "keys on a tiny terminal changed nothing" outstanding \
	"$(h list --json | json_get 'd[0]["state"]')"
stop_tui

# colours: 256 (orange is colour 208), 8 (orange becomes yellow), none
h task "Orange one" --attention orange >/dev/null
h task "Red one" --attention red >/dev/null
start_tui 100 20
select_entry tasks
wait_for "256 colours" "Orange one"
expect_contains "on 256 colours orange is a real orange" "38;5;208m" "$(screen_esc)"
stop_tui
start_tui 100 20 TERM=screen
select_entry tasks
wait_for "8 colours" "Orange one"
expect_contains "on 8 colours orange becomes yellow" "[33m" "$(screen_esc | grep -F 'Orange one')"
expect_not_contains "on 8 colours no 256-colour codes" "38;5;" "$(screen_esc)"
stop_tui
start_tui 100 20 NO_COLOR=1
select_entry tasks
wait_for "NO_COLOR" "Orange one"
if screen_esc | grep -qE $'\e\\[(3[0-7]|38;5;[0-9]+)m'; then
	_report "NO_COLOR: no colour codes" "$(screen_esc | cat -v | head -5)"
else
	_ok
fi
expect_contains "NO_COLOR still marks attention" "!  Orange one" "$(screen)"
stop_tui
finish
