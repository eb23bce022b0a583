#!/bin/bash
# link_type.sh — row 1 of the data-evolution table: a new link type needs no
# migration. A level-2 spoke makes "blocks" links (a type level 1 has never
# heard of); the level-1 hub and a level-1 spoke store them and show them as
# the string they are, and adds and removes behave as an OR-set on every
# node: a remove takes only the adds it saw, a concurrent add survives.
. "$(dirname "$0")/lib.sh"

hub_start 1
spoke old 1
spoke new 2

A=$(at new task "pour the foundation")
B=$(at new task "raise the walls")
syncs "tasks made on the new spoke" new old

# the new version knows what a blocks link means and checks it ...
expect_status "level 2 adds a blocks link" 0 at new link add "$A" "$B" blocks
expect_status "level 2 refuses a blocks cycle" 3 at new link add "$B" "$A" blocks
expect_contains "and says why" "block itself" "$ERR"
syncs "the link travels" new old

# ... the old ones store and show it as its type string
for n in hub old new; do
	links=$(at $n links "$A" --json)
	expect_eq "$n: one blocks link from A to B" "blocks $B" \
		"$(echo "$links" | json_get '" ".join(l["type"]+" "+l["dst"] for l in d if l["type"]=="blocks")')"
	expect_contains "$n: heph links shows the type" "blocks" "$(at $n links "$A")"
	expect_contains "$n: heph backlinks shows it too" "blocks" "$(at $n backlinks "$B")"
	expect_eq "$n: nothing held unapplied" 0 "$(unapplied $n)"
done
expect_eq "the old hub stores the type as text" "blocks" \
	"$(sqlite3 "$TMP/hub.db" "SELECT type FROM links WHERE src = '$A' AND dst = '$B'")"
first=$(at hub links "$A" --json | json_get '[l["link_id"] for l in d if l["type"]=="blocks"][0]')

# concurrently: the old spoke adds the same link again (another add), the
# new spoke removes the one it saw
at old link add "$A" "$B" blocks >/dev/null
at new link rm "$A" "$B" blocks >/dev/null
syncs "concurrent add and remove" old new old
for n in hub old new; do
	ids=$(at $n links "$A" --json | json_get '" ".join(l["link_id"] for l in d if l["type"]=="blocks")')
	expect_eq "$n: the concurrent add survives, alone" 1 "$(echo "$ids" | wc -w)"
	expect_not_contains "$n: the removed add stays removed" "$first" "$ids"
done

# a remove that saw the surviving add removes it everywhere
at old link rm "$A" "$B" blocks >/dev/null
syncs "the last remove" old new
for n in hub old new; do
	expect_eq "$n: no blocks link left" 0 "$(at $n links "$A" --json | json_get 'len([l for l in d if l["type"]=="blocks"])')"
	expect_eq "$n: both removed adds are tombstoned" 2 \
		"$(sqlite3 "$TMP/$n.db" "SELECT count(*) FROM link_tombs")"
done

# every node holds the same state, as far as level 1 sees it
expected=$(digest hub)
expect_eq "the old spoke holds the hub's state" "$expected" "$(digest old)"
expect_eq "the new spoke holds it too (level-1 view)" "$expected" "$(digest new 1)"
no_errors_logged
finish
