#!/bin/bash
# recur.sh — recurring tasks: --recur and --rrule on task and edit, the rule
# in words, done rolling a task forward (checklist reset, occurrence logged,
# missed days skipped, a finished series done), skip, drop, and two devices
# completing the same occurrence offline. Today is 2026-11-18, a Wednesday.
. "$(dirname "$0")/lib.sh"

field() { h show "$1" --json | json_get "d['$2']"; }

# --recur: presets and phrases, shown back in words
W=$(h task "Water plants" --recur weekly --do-date 2026-11-16)
expect_eq "weekly is stored as an RRULE" FREQ=WEEKLY "$(field "$W" recurrence)"
expect_eq "and shown in words" "every week" "$(field "$W" recurrence_text)"
expect_contains "list shows the words" "(every week)" "$(h list)"
expect_contains "show shows the words" "every week" "$(h show "$W")"
B=$(h task "Bins" --recur "every other week" --do-date 2026-11-18)
expect_eq "every other week" "FREQ=WEEKLY;INTERVAL=2 every other week" \
	"$(h show "$B" --json | json_get 'd["recurrence"] + " " + d["recurrence_text"]')"
R=$(h task "Rent" --recur "every month on the 15th")
expect_eq "a recurring task without a do-date gets the first day from today" 2026-12-15 "$(field "$R" do_date)"
expect_eq "monthly on the 15th in words" "every month on the 15th" "$(field "$R" recurrence_text)"
Y=$(h task "Taxes" --rrule "FREQ=YEARLY" --do-date 2027-04-15)
expect_eq "--rrule, shown as yearly on its day" "yearly on Apr 15" "$(field "$Y" recurrence_text)"
M=$(h task "Gym" --recur "every mon,wed")
expect_eq "every mon,wed starts today (a Wednesday)" "2026-11-18 every Mon, Wed" \
	"$(h show "$M" --json | json_get 'd["do_date"] + " " + d["recurrence_text"]')"

# edit --recur and none
h edit "$R" --recur "every 3 days" >/dev/null
expect_eq "edit --recur changes the rule" "FREQ=DAILY;INTERVAL=3" "$(field "$R" recurrence)"
expect_eq "and keeps the do-date" 2026-12-15 "$(field "$R" do_date)"
h edit "$R" --recur none >/dev/null
expect_eq "edit --recur none stops it" None "$(field "$R" recurrence)"
h edit "$R" --rrule "FREQ=MONTHLY;BYMONTHDAY=-1" >/dev/null
expect_eq "edit --rrule" "every month on the last day" "$(field "$R" recurrence_text)"

# done rolls forward: the occurrence is logged, the checklist reset, and
# missed days are skipped (the do-date was Monday the 16th)
h context "$W" --body "- [x] kitchen
- [ ] balcony
\`\`\`
- [x] in code, untouched
\`\`\`" >/dev/null
out=$(h done "$W")
expect_contains "done says what happened" "done for 2026-11-16, next 2026-11-23 (every week)" "$out"
expect_eq "still outstanding" outstanding "$(field "$W" state)"
expect_eq "the do-date moved to the first day after today" 2026-11-23 "$(field "$W" do_date)"
expect_eq "the checklist is reset, code untouched" "- [ ] kitchen
- [ ] balcony
\`\`\`
- [x] in code, untouched
\`\`\`" "$(h context "$W")"
expect_eq "the occurrence is in the log" "- 2026-11-16: done" "$(h log "$W")"
expect_eq "the log doc is linked log-of" 1 "$(h backlinks "$W" --json | json_get 'len([l for l in d if l["type"]=="log-of"])')"
# completing early still advances one occurrence
h done "$W" >/dev/null
expect_eq "done early moves one occurrence on" 2026-11-30 "$(field "$W" do_date)"
expect_eq "two occurrences logged" "- 2026-11-16: done
- 2026-11-23: done" "$(h log "$W")"

# skip: no log
h skip "$W" >/dev/null
expect_eq "skip moves on" 2026-12-07 "$(field "$W" do_date)"
expect_eq "skip logs nothing" 2 "$(h log "$W" --json | json_get 'len(d["entries"])')"
expect_eq "skip --json tells what happened" "2026-12-07 2026-12-14 False" \
	"$(h skip "$W" --json | json_get 'd["occurrence"] + " " + d["next"] + " " + str(d["logged"])')"

# a finished series ends as done
C=$(h task "Course" --recur "daily 2 times" --do-date 2026-11-18)
h done "$C" >/dev/null
expect_eq "COUNT counts what is left" "FREQ=DAILY;COUNT=1 2026-11-19 outstanding" \
	"$(h show "$C" --json | json_get 'd["recurrence"] + " " + d["do_date"] + " " + d["state"]')"
out=$(h done "$C")
expect_contains "the last one ends the series" "the series is over" "$out"
expect_eq "a finished series is done" done "$(field "$C" state)"
U=$(h task "Until" --recur "daily until 2026-11-19" --do-date 2026-11-19)
expect_status "done on the last day of an UNTIL series" 0 h done "$U"
expect_eq "it is done" done "$(field "$U" state)"

# drop ends it for good
h drop "$M" >/dev/null
expect_eq "drop ends a recurring task" dropped "$(field "$M" state)"
expect_status "done after drop is a conflict" 6 h done "$M"
expect_status "skip after drop is a conflict" 6 h skip "$M"

# a plain task: done is done
P=$(h task "Plain")
h done "$P" >/dev/null
expect_eq "a plain task is done" done "$(field "$P" state)"

# today from HEPH_NOW: completing late skips what was missed
L=$(h task "Late plants" --recur weekly --do-date 2026-11-04)
HEPH_NOW=2026-11-30 h done "$L" >/dev/null
expect_eq "missed weeks are skipped: the next is after today" 2026-12-02 "$(field "$L" do_date)"
expect_eq "the occurrence logged is the one completed" "- 2026-11-04: done" "$(h log "$L")"

# bad input: a clear error, nothing changed
before=$(h digest)
expect_status "an unreadable phrase" 3 h task "x" --recur "every blue moon"
expect_contains "the error names the phrase" "every blue moon" "$ERR"
expect_status "a bad RRULE" 3 h task "x" --rrule "FREQ=SOMETIMES"
expect_status "hourly is refused" 3 h task "x" --rrule "FREQ=HOURLY"
expect_contains "and says why" "days" "$ERR"
expect_status "recur and rrule together" 3 h task "x" --recur daily --rrule FREQ=DAILY
expect_status "edit with a bad phrase" 3 h edit "$W" --recur "sometimes" --title "renamed"
expect_status "a rule with no day ahead" 3 h task "x" --recur "daily until 2026-01-01"
expect_status "skip on a task that does not recur" 6 h skip "$(h list --all --json | json_get '[t["node_id"] for t in d if t["title"]=="Plain"][0]')"
expect_status "skip of an unknown task" 4 h skip 7ZZZZZZZZZ
expect_eq "nothing changed" "$before" "$(h digest)"
expect_eq "the title survived the failed edit" "Water plants" "$(field "$W" title)"

# two devices complete the same occurrence offline, then merge
A="$TMP/a.db" Bdb="$TMP/b.db"
T=$(h --db "$A" task "Shared chore" --recur weekly --do-date 2026-11-18 --body "- [x] step one
- [ ] step two")
h --db "$A" log "$T" "first note" >/dev/null
h --db "$A" ops --json > "$TMP/base.jsonl"
h --db "$Bdb" apply "$TMP/base.jsonl" >/dev/null
expect_eq "the replicas start equal" "$(h --db "$A" digest)" "$(h --db "$Bdb" digest)"
h --db "$A" done "$T" >/dev/null
h --db "$Bdb" done "$T" >/dev/null
h --db "$A" ops --json > "$TMP/a.jsonl"
h --db "$Bdb" ops --json > "$TMP/b.jsonl"
h --db "$A" apply "$TMP/b.jsonl" >/dev/null
h --db "$Bdb" apply "$TMP/a.jsonl" >/dev/null
expect_eq "the replicas converge" "$(h --db "$A" digest)" "$(h --db "$Bdb" digest)"
expect_eq "exactly one occurrence advanced" 2026-11-25 "$(h --db "$A" show "$T" --json | json_get 'd["do_date"]')"
expect_eq "logged once" "- 2026-11-18: first note
- 2026-11-18: done" "$(h --db "$A" log "$T")"
expect_eq "the checklist reset once" "- [ ] step one
- [ ] step two" "$(h --db "$Bdb" context "$T")"
expect_eq "no conflicts" 0 "$(h --db "$A" conflicts --json | json_get 'len(d)')"
expect_eq "one log-of link" 1 "$(h --db "$A" backlinks "$T" --json | json_get 'len([l for l in d if l["type"]=="log-of"])')"

# the first use of the log on both devices at once also converges
T2=$(h --db "$A" task "Second chore" --recur daily --do-date 2026-11-18)
h --db "$A" ops --json | h --db "$Bdb" apply - >/dev/null
h --db "$A" done "$T2" >/dev/null
h --db "$Bdb" done "$T2" >/dev/null
h --db "$A" ops --json > "$TMP/a2.jsonl"
h --db "$Bdb" ops --json > "$TMP/b2.jsonl"
h --db "$A" apply "$TMP/b2.jsonl" >/dev/null
h --db "$Bdb" apply "$TMP/a2.jsonl" >/dev/null
expect_eq "first logs on two devices converge" "$(h --db "$A" digest)" "$(h --db "$Bdb" digest)"
expect_eq "one log entry" "- 2026-11-18: done" "$(h --db "$Bdb" log "$T2")"
expect_eq "one occurrence on" 2026-11-19 "$(h --db "$Bdb" show "$T2" --json | json_get 'd["do_date"]')"
expect_eq "one log doc" 1 "$(h --db "$Bdb" backlinks "$T2" --json | json_get 'len([l for l in d if l["type"]=="log-of"])')"
expect_eq "still no conflicts" 0 "$(h --db "$Bdb" conflicts --json | json_get 'len(d)')"

# "monthly" on the 31st falls on the last day of shorter months (it skipped
# them: Jan 31, Mar 31, May 31); an explicit RRULE keeps RFC 5545's skipping
E=$(h task "Month end" --recur monthly --do-date 2027-01-31)
expect_eq "monthly on the 31st keeps to the month's end" "FREQ=MONTHLY;BYMONTHDAY=-1 every month on the last day" \
	"$(h show "$E" --json | json_get 'd["recurrence"] + " " + d["recurrence_text"]')"
walk=""
for _ in 1 2 3 4; do h done "$E" >/dev/null; walk="$walk $(field "$E" do_date)"; done
expect_eq "done walks every month" " 2027-02-28 2027-03-31 2027-04-30 2027-05-31" "$walk"
E30=$(h task "Thirtieth" --recur "every month" --do-date 2027-01-30)
h done "$E30" >/dev/null
h done "$E30" >/dev/null
expect_eq "every month on the 30th: Feb 28, then the 30th again" "2027-03-30 every month on the 30th or the last day" \
	"$(h show "$E30" --json | json_get 'd["do_date"] + " " + d["recurrence_text"]')"
expect_contains "quick add's every month too" "every month on the last day" "$(h add "Pay card 2027-01-31 every month")"
EQ=$(h edit "$E30" --do-date 2027-05-31 --recur monthly --json | json_get 'd["recurrence"]')
expect_eq "edit --recur monthly anchors on the new do-date" "FREQ=MONTHLY;BYMONTHDAY=-1" "$EQ"
RF=$(h task "RFC" --rrule FREQ=MONTHLY --do-date 2027-01-31)
h done "$RF" >/dev/null
expect_eq "an RRULE keeps RFC 5545: the 31st skips February" 2027-03-31 "$(field "$RF" do_date)"

finish
