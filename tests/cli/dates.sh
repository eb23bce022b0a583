#!/bin/bash
# dates.sh — the one date grammar end to end: a sample of tests/data/dates.tsv
# (every fourth phrase; tests/unit/test_date.c reads them all) through
# `heph task --do-date` and `heph add`, which must read each phrase alike;
# an impossible day is refused by both and creates nothing.
. "$(dirname "$0")/lib.sh"

: "${TESTDATA:?TESTDATA must point at tests/data}"
i=0 n=0
declare -A dated
while IFS=$'\t' read -r phrase expect; do
	case "$phrase" in '#'*) continue ;; esac
	i=$((i + 1))
	[ $((i % 4)) -eq 1 ] || continue
	n=$((n + 1))
	case "$expect" in
	impossible | nodate)
		expect_status "--do-date \"$phrase\" is refused" 3 h task "T$n" --do-date "$phrase"
		expect_contains "the error names the phrase or the day" "bad date" "$ERR"
		;;
	*)
		h task "T$n" --do-date "$phrase" >/dev/null || _report "--do-date \"$phrase\" failed"
		dated["T$n"]=$expect
		;;
	esac
	if [ "$expect" = impossible ]; then
		expect_status "quick add of \"$phrase\" is refused" 3 h add "A$n $phrase"
		expect_contains "and says there is no such day, or that it is too far" "th" "$ERR"
	else
		h add "A$n $phrase" >/dev/null || _report "quick add of \"$phrase\" failed"
		case "$expect" in
		nodate | -) dated["A$n $(echo $phrase)"]=- ;; # the words stay in the title
		*) dated["A$n"]=$expect ;;
		esac
	fi
done <"$TESTDATA/dates.tsv"

got=$(h list --json | json_get '"\n".join("%s\t%s" % (t["title"], t["do_date"] or "-") for t in d)')
expect_eq "every accepted phrase made one task" "${#dated[@]}" "$(echo "$got" | grep -c .)"
while IFS=$'\t' read -r title date; do
	expect_eq "\"$title\" has the phrase's date" "${dated[$title]:-unexpected}" "$date"
done <<<"$got"

# --attention and --late-on take any case too
id=$(h task "Shout" --attention RED --late-on "End of Month")
expect_eq "--attention RED is red, --late-on reads words" "red 2026-11-30" \
	"$(h show "$id" --json | json_get 'd["attention"] + " " + d["late_on"]')"
expect_status "an unknown colour is refused" 3 h task "x" --attention crimson
expect_contains "and the error lists the colours" "red, orange" "$ERR"
finish
