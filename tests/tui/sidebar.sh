#!/bin/bash
# sidebar.sh — the sidebar's project tree and counts, the task list of a
# selection in rank order with its fields, and the grouped sort.
. "$(dirname "$0")/lib.sh"

h project add Work >/dev/null
h project add Clients --parent Work >/dev/null
h project add Acme --parent Clients >/dev/null
h project add Home >/dev/null
h task "Buy milk" --project Home --do-date 2026-11-19 --attention orange >/dev/null
h task "Send invoice" --project Clients --late-on 2026-11-17 --attention red >/dev/null
ACME=$(h task "Call Acme" --project Acme)
h task "Inbox thing" >/dev/null
h task "Later" --attention blue >/dev/null
h task "Café — naïve 日本語" --project Work --late-on 2027-01-05 >/dev/null
# a recurrence, set by an op as any device may send it
printf '{"op_id":"01JZZZZZZZZZZZZZZZZZZZZZZZ","hlc":"%015d-00000-aaaaaaaaaaaaaaaa","origin":"aaaaaaaaaaaaaaaa","type":"task.set","payload":{"node_id":"%s","recurrence":"FREQ=WEEKLY;INTERVAL=2"}}\n' \
	"$(($(date +%s%N) / 1000000))" "$ACME" | h apply - >/dev/null
words=$(h show "$ACME" --json | json_get 'd.get("recurrence_text") or d["recurrence"]')

start_tui 120 30
select_entry tasks
s=$(screen)
# own count, or own/with subprojects when they differ; subprojects indented
side=$(pane 1 | sed -E 's/ +$//')
views=$(h call view.list '{"counts":true}' | json_get '"\n".join("%s %d" % (v["name"], v["count"]) for v in d)')
expect_eq "views first: every view by name, with how many tasks it holds" "$views" \
	"$(echo "$side" | sed -n '/^Views$/,/^Projects$/p' | sed '1d;$d' | awk '{print $1, $NF}' | sed 's/^tasks tasks$/tasks/')"
expect_eq "then the project tree: subprojects indented, own count or own/with subprojects" \
" Home                 1
 Work               1/3
   Clients          1/2
     Acme             1" "$(echo "$side" | sed -n '/^Projects$/,$p' | sed -n 2,5p)"

# the task list: rank order as heph list, attention markers, fields
want=$(h list --json | json_get '"|".join(t["title"] for t in d)')
got=$(pane 2 | sed -n '2,7p' | sed -E 's/^(!!|! |~ |  ) //; s/ {2,}.*$//' | paste -sd'|')
expect_eq "the list is in heph's rank order" "$want" "$got"
expect_contains "red is marked !!" "!! Send invoice" "$s"
expect_contains "orange is marked !" "!  Buy milk" "$s"
expect_contains "blue is marked ~" "~  Later" "$s"
expect_contains "a past late-on is LATE" "LATE 11-17 #Clients" "$(line_of 'Send invoice')"
expect_contains "a do-date shows" "do 11-19 #Home" "$(line_of 'Buy milk')"
expect_contains "a late-on of another year shows in full" "late 2027-01-05" "$(line_of 'Café')"
expect_contains "the recurrence shows in words" "↻ $words" "$(line_of 'Call Acme')"
expect_contains "the preview shows the first task" "Send invoice" "$(pane 3 | sed -n 2p)"

# select Clients: its subtree's tasks only
select_entry Clients
wait_for "Clients' tasks" "Clients (2)"
s=$(screen)
expect_contains "the subtree's task" "Call Acme" "$s"
expect_not_contains "other projects' tasks are gone" "Buy milk" "$s"

# back to every task, grouped by project
select_entry tasks
keys s
wait_for "grouped" "tasks (6) by project"
g=$(pane 2 | sed -n '2,12p' | sed -E 's/ +$//')
expect_eq "groups in tree order, tasks in rank order within, no project last" "Home (1)
!  Buy milk                               do 11-19 #Home
Work (1)
   Café — naïve 日本語             late 2027-01-05 #Work
Clients (1)
!! Send invoice                      LATE 11-17 #Clients
Acme (1)
   Call Acme                    #Acme ↻ every other week
No project (2)
   Inbox thing
~  Later" "$g"
keys s
wait_for "ranked again" "tasks (6)  "

stop_tui

# --db wins over $HEPH_DB
h --db "$TMP/other.db" project add Elsewhere >/dev/null
TUI_ARGS="--db $TMP/other.db" start_tui 100 20
wait_for "--db opens that database" " Elsewhere "
expect_not_contains "and not \$HEPH_DB" "Clients" "$(screen)"
stop_tui

# options and the terminal check
expect_status "--help" 0 "$HEPH_TUI" --help
expect_contains "--help shows the usage" "usage: heph-tui [--db PATH]" "$OUT"
expect_status "--version" 0 "$HEPH_TUI" --version
expect_status "an unknown option is a usage error" 2 "$HEPH_TUI" --bogus
expect_contains "and says so" "unexpected argument" "$ERR"
expect_status "without a terminal heph-tui refuses" 2 "$HEPH_TUI" </dev/null
expect_contains "and says why" "needs a terminal" "$ERR"
finish
