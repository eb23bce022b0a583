#!/bin/bash
# merge.sh — three replicas make concurrent changes offline; their op-logs
# merged by hand (heph ops --json | heph apply) in many orders give one
# digest, and the conflicts queue holds the losing values.
. "$(dirname "$0")/lib.sh"

A="$TMP/a.db" B="$TMP/b.db" C="$TMP/c.db"
T=$(h --db "$A" task "shared task" --attention white)
P=$(h --db "$A" project add Shared)
h --db "$A" ops --json > "$TMP/base.jsonl"
h --db "$B" apply "$TMP/base.jsonl" >/dev/null
h --db "$C" apply "$TMP/base.jsonl" >/dev/null

# concurrent edits of the same fields, and of links
h --db "$A" edit "$T" --title "title from A" --attention red >/dev/null
h --db "$B" edit "$T" --title "title from B" >/dev/null
h --db "$C" edit "$T" --attention orange --do-date 2026-12-24 >/dev/null
D=$(h --db "$A" doc "A's doc")
h --db "$A" ops --json > "$TMP/a1.jsonl"
h --db "$B" apply "$TMP/a1.jsonl" >/dev/null
h --db "$B" link add "$T" "$D" related >/dev/null
h --db "$A" link add "$T" "$D" related >/dev/null
h --db "$B" link rm "$T" "$D" related >/dev/null
h --db "$C" edit "$T" --project Shared >/dev/null

for r in A B C; do eval "h --db \"\$$r\" ops --json" ; done > "$TMP/all.jsonl"
total=$(sort -u "$TMP/all.jsonl" | wc -l)

first=""
for seed in 1 2 3 4 5 6 7 8; do
	db="$TMP/m$seed.db"
	shuf --random-source=<(yes $seed) "$TMP/all.jsonl" > "$TMP/shuf.jsonl" 2>/dev/null || \
		python3 -c "import random,sys; l=open(sys.argv[1]).readlines(); random.Random(int(sys.argv[2])).shuffle(l); sys.stdout.writelines(l)" "$TMP/all.jsonl" $seed > "$TMP/shuf.jsonl"
	h --db "$db" apply "$TMP/shuf.jsonl" >/dev/null
	d=$(h --db "$db" digest)
	[ -z "$first" ] && first=$d
	expect_eq "order $seed converges" "$first" "$d"
done
for r in A B C; do
	eval "db=\$$r"
	h --db "$db" apply "$TMP/all.jsonl" >/dev/null
	expect_eq "replica $r converges" "$first" "$(h --db "$db" digest)"
	expect_eq "replica $r holds every op once" "$total" "$(h --db "$db" ops --json | wc -l)"
done

# the winner is the latest write; the loser is kept
expect_eq "latest title wins" "title from B" "$(h --db "$A" show "$T" --json | json_get 'd["title"]')"
expect_contains "the losing title is a conflict" "title from A" "$(h --db "$A" conflicts)"
# the OR-set: A's add was concurrent with B's remove, so the link survives
expect_eq "concurrent add survives a remove" 1 "$(h --db "$A" links "$T" --json | json_get 'len([l for l in d if l["type"]=="related"])')"
expect_eq "project set on C reaches everyone" Shared "$(h --db "$B" show "$T" --json | json_get 'd["project"]')"

# resolving a conflict on one replica reaches the others as a plain edit
cid=$(h --db "$A" conflicts --json | json_get '[c["id"] for c in d if c["field"]=="title"][0]')
h --db "$A" conflicts resolve "$cid" --keep mine >/dev/null
expect_eq "keep mine restores A's title" "title from A" "$(h --db "$A" show "$T" --json | json_get 'd["title"]')"
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
expect_eq "the resolution syncs" "title from A" "$(h --db "$B" show "$T" --json | json_get 'd["title"]')"
expect_eq "resolved conflicts leave the list" 0 "$(h --db "$A" conflicts --json | json_get 'len([c for c in d if c["field"]=="title"])')"
expect_eq "the resolution closes the conflict on the other replica too" 0 \
	"$(h --db "$B" conflicts --json | json_get 'len([c for c in d if c["field"]=="title"])')"
expect_eq "the history keeps both values, as they were" "title from B|title from A|title from A" \
	"$(h --db "$A" conflicts --all --json | json_get '[c["current"] + "|" + c["other"] + "|" + c["now"] for c in d if c["field"]=="title"][0]')"
expect_eq "and the replicas agree" "$(h --db "$A" digest)" "$(h --db "$B" digest)"

# a value that lost may be a cleared field: resolving keeps "none" like any value
h --db "$A" edit "$T" --do-date 2026-12-01 >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$A" edit "$T" --do-date none >/dev/null
h --db "$B" edit "$T" --do-date 2026-12-02 >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$B" ops --json | h --db "$A" apply - >/dev/null
expect_eq "a cleared value that lost is null, not absent" "None" \
	"$(h --db "$A" conflicts --json | json_get '[repr(c["other"]) for c in d if c["field"]=="do_date"][0]')"
dcid=$(h --db "$A" conflicts --json | json_get '[c["id"] for c in d if c["field"]=="do_date"][0]')
h --db "$A" conflicts resolve "$dcid" --keep mine >/dev/null
expect_eq "keep mine clears the do-date again" None "$(h --db "$A" show "$T" --json | json_get 'd["do_date"]')"
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
expect_eq "on both replicas" None "$(h --db "$B" show "$T" --json | json_get 'd["do_date"]')"
expect_eq "and it closes there too" 0 "$(h --db "$B" conflicts --json | json_get 'len([c for c in d if c["field"]=="do_date"])')"

# filing a task into the project it is already in is a real write: the
# user just said where it belongs, so B's concurrent unfile does not win
FP=$(h --db "$A" project add Filed)
FT=$(h --db "$A" task "filed task" --project "$FP")
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$A" edit "$FT" --project "$FP" >/dev/null
h --db "$B" edit "$FT" --project none >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$B" ops --json | h --db "$A" apply - >/dev/null
for db in "$A" "$B"; do
	expect_eq "re-filed stays filed" Filed "$(h --db "$db" show "$FT" --json | json_get 'd["project"]')"
done
# the same for a project moved under the parent it already has
FQ=$(h --db "$A" project add "Filed sub" --parent "$FP")
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$A" link add "$FQ" "$FP" parent >/dev/null
h --db "$B" link rm "$FQ" "$FP" parent >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$B" ops --json | h --db "$A" apply - >/dev/null
for db in "$A" "$B"; do
	expect_eq "a project moved where it is stays there" "$FP" \
		"$(h --db "$db" project list --json | json_get '[p["parent_id"] for p in d if p["title"]=="Filed sub"][0]')"
done

# two devices each move one project under the other: a cycle neither could
# make alone. Every replica ignores the newest move of the cycle, the tree,
# its counts and list --project agree, and heph conflicts shows it.
CP=$(h --db "$A" project add "Cycle P")
CQ=$(h --db "$A" project add "Cycle Q")
h --db "$A" task "task in P" --project "$CP" >/dev/null
h --db "$A" task "task in Q" --project "$CQ" >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$A" link add "$CQ" "$CP" parent >/dev/null
h --db "$B" link add "$CP" "$CQ" parent >/dev/null
h --db "$A" ops --json | h --db "$B" apply - >/dev/null
h --db "$B" ops --json | h --db "$A" apply - >/dev/null
for db in "$A" "$B"; do
	expect_eq "the newest move (P under Q) is ignored: Q is under P" "Cycle P None 1 2|Cycle Q Cycle P 1 1" \
		"$(h --db "$db" project list --json | json_get '"|".join("%s %s %d %d" % (p["title"], {x["node_id"]: x["title"] for x in d}.get(p["parent_id"]), p["open_count"], p["open_count_total"]) for p in d if p["title"].startswith("Cycle"))')"
	expect_eq "list --project Q agrees with the tree" "task in Q" \
		"$(h --db "$db" list --project "$CQ" --json | json_get '",".join(t["title"] for t in d)')"
	expect_eq "list --project P holds both" "task in P,task in Q" \
		"$(h --db "$db" list --project "$CP" --json | json_get '",".join(sorted(t["title"] for t in d))')"
	expect_eq "heph conflicts shows the cycle" "project-cycle Cycle P Cycle Q" \
		"$(h --db "$db" conflicts --json | json_get '" ".join("%s %s %s" % (c["kind"], c["title"], c["other_title"]) for c in d if c.get("kind"))')"
done
expect_eq "the replicas agree" "$(h --db "$A" digest)" "$(h --db "$B" digest)"
expect_contains "in words, with what to do" "move it again to choose" "$(h --db "$A" conflicts)"
expect_eq "mine/theirs by origin: B made the ignored move" "current other" \
	"$(h --db "$A" conflicts --json | json_get '[c["mine"] for c in d if c.get("kind")][0]') $(h --db "$B" conflicts --json | json_get '[c["mine"] for c in d if c.get("kind")][0]')"
# moving P elsewhere ends the cycle entry
CR=$(h --db "$B" project add "Cycle R")
h --db "$B" link add "$CP" "$CR" parent >/dev/null
expect_eq "a new move settles it" 0 "$(h --db "$B" conflicts --json | json_get 'len([c for c in d if c.get("kind")])')"
expect_eq "P is under R now" "$CR" "$(h --db "$B" project list --json | json_get '[p["parent_id"] for p in d if p["title"]=="Cycle P"][0]')"

finish
