#!/bin/bash
# op_type.sh — a new op type. A level-2 spoke snoozes tasks (task.snooze,
# which writes the do-date register). The level-1 hub and spokes store the
# ops and relay them without applying them, and say which version would.
# Each, upgraded in turn (its binary replaced, its database kept), applies
# what it stored in HLC order and reaches the new nodes' state: a snooze
# that an old node's later edit overrode stays overridden, and of two
# snoozes the later wins. One old spoke runs a local hephd, replaced like
# any binary.
. "$(dirname "$0")/lib.sh"

hub_start 1
spoke a 1
spoke b 1
spoke new 2
daemon a
A_PID=$DAEMON_PID

T1=$(at new task "answer the letter")
T2=$(at new task "book the venue")
syncs "the tasks" new a b

# the new spoke snoozes T1 twice and T2 once
at new call task.snooze "{\"id\":\"$T1\",\"until\":\"2026-12-01\"}" >/dev/null
at new call task.snooze "{\"id\":\"$T1\",\"until\":\"2026-12-03\"}" >/dev/null
at new call task.snooze "{\"id\":\"$T2\",\"until\":\"2026-12-05\"}" >/dev/null
syncs "the snoozes" new a
# old spoke a, after storing the snoozes, sets T2's do-date: a later write
at a edit "$T2" --do-date 2026-12-10 >/dev/null
syncs "a's edit" a b new

expect_eq "new: the later snooze of T1 wins" 2026-12-03 "$(field new "$T1" do_date)"
expect_eq "new: a's later edit of T2 wins over the snooze" 2026-12-10 "$(field new "$T2" do_date)"
for n in hub a b; do
	expect_eq "$n: stores the 3 snoozes unapplied" 3 \
		"$(at $n ops --unapplied --json | grep -c '"type":"task.snooze".*"status":"unknown_type"')"
	expect_eq "$n: T1 keeps its do-date (the snoozes are not applied)" None "$(field $n "$T1" do_date)"
	expect_eq "$n: T2 has a's edit" 2026-12-10 "$(field $n "$T2" do_date)"
	expect_contains "$n: ops --unapplied names the version that applies them" "task.snooze: 3 ops, applied by heph 0.1.0+fl2" \
		"$(at $n ops --unapplied)"
done
expect_contains "a spoke's status says so too" "applied by heph 0.1.0+fl2 (new)" "$(at b sync --status)"
expect_eq "the old nodes agree with each other" "$(digest hub)" "$(digest b)"
expect_eq "a agrees too" "$(digest hub)" "$(digest a)"
expect_eq "the hub relays the snoozes in order, unapplied" 3 \
	"$(sqlite3 "$TMP/hub.db" "SELECT count(*) FROM oplog WHERE type = 'task.snooze' AND status = 2")"

# the hub is upgraded first: it applies what it stored, in HLC order
hub_upgrade 2
expect_eq "upgraded hub: nothing left unapplied" 0 "$(unapplied hub)"
expect_eq "upgraded hub: T1 has the later snooze" 2026-12-03 "$(field hub "$T1" do_date)"
expect_eq "upgraded hub: T2 keeps a's later edit" 2026-12-10 "$(field hub "$T2" do_date)"
expect_eq "upgraded hub: the new spoke's state" "$(digest new)" "$(digest hub)"

# spoke a: its hephd is replaced by the new one on the same database
stop "$A_PID"
version a 2
daemon a
expect_eq "upgraded a: nothing left unapplied" 0 "$(unapplied a)"
expect_eq "upgraded a: the new spoke's state" "$(digest new)" "$(digest a)"

# b stays old while more snoozes flow; then it is upgraded too
at new call task.snooze "{\"id\":\"$T2\",\"until\":\"2026-12-24\"}" >/dev/null
syncs "one more snooze" new a b
expect_eq "b (still old): T2 as a left it" 2026-12-10 "$(field b "$T2" do_date)"
expect_eq "b (still old): four snoozes held" 4 "$(unapplied b)"
expect_eq "the upgraded a applied the new snooze" 2026-12-24 "$(field a "$T2" do_date)"
version b 2
expect_eq "upgraded b: the latest snooze" 2026-12-24 "$(field b "$T2" do_date)"
expect_eq "upgraded b: nothing left unapplied" 0 "$(unapplied b)"

expected=$(digest new)
for n in hub a b; do expect_eq "$n holds the new spoke's state" "$expected" "$(digest $n)"; done
syncs "a last round" a b new
for n in hub a b; do expect_eq "$n still does after syncing" "$expected" "$(digest $n)"; done
no_errors_logged
finish
