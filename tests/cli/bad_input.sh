#!/bin/bash
# bad_input.sh — every kind of bad input gets a one-line error, a
# documented exit status, and changes nothing in the database.
. "$(dirname "$0")/lib.sh"

T=$(h task "a task")
P=$(h project add Proj)
before=$(h digest)
nops=$(h ops --json | wc -l)

expect_status "bad date" 3 h task "x" --do-date someday
expect_contains "bad date message names the word" "someday" "$ERR"
expect_status "impossible date" 3 h task "x" --late-on 2026-02-30
expect_status "bad attention colour" 3 h task "x" --attention purple
expect_contains "colour message lists the colours" "red, orange, white, blue" "$ERR"
expect_status "empty title" 3 h task "   "
expect_status "unknown project" 4 h task "x" --project Nowhere
expect_status "unknown id" 4 h done 7ZZZZZZZZZ
expect_status "id prefix too short" 3 h show 01
expect_contains "and the error says so" "too short: type at least 4 characters" "$ERR"
expect_status "edit with nothing to change" 3 h edit "$T"
expect_status "edit with a bad date changes no field" 3 h edit "$T" --title "renamed" --do-date blah
expect_status "unknown option" 2 h task "x" --colour red
expect_status "missing argument" 2 h done
expect_status "unknown verb" 2 h frobnicate
expect_status "managed link type" 3 h link add "$T" "$P" wiki
expect_status "bad link type" 3 h link add "$T" "$P" "Not A Type"
expect_status "in-project must point at a project" 3 h link add "$P" "$T" in-project
expect_status "conflicts resolve: unknown" 4 h conflicts resolve 42 --keep mine
expect_status "conflicts resolve: bad keep" 3 h conflicts resolve 42 --keep both
expect_status "a title that is not UTF-8" 3 h task $'buy \xff milk'
expect_contains "the error says UTF-8" "not valid UTF-8" "$ERR"
expect_status "a quick add that is not UTF-8" 3 h add $'buy milk \xc3'
expect_status "an option value that is not UTF-8" 3 h edit "$T" --title $'\xe2\x82'
expect_status "stdin text that is not UTF-8" 3 h context "$T" --body - < <(printf 'a \xff b')

# malformed ops: nothing from the file is applied
printf '%s\n' "$(h ops --json | head -1)" > "$TMP/good.jsonl"
printf '{"op_id":"x","hlc":"001795000000000-00000-aaaaaaaaaaaaaaaa","origin":"aaaaaaaaaaaaaaaa","type":"task.create","payload":{"node_id":"01K00000000000000000000T01"}}\n{"broken json\n' > "$TMP/bad.jsonl"
expect_status "malformed op JSON" 3 h apply "$TMP/bad.jsonl"
expect_contains "the error names the line" "line 2" "$ERR"
expect_status "missing ops file" 4 h apply "$TMP/nope.jsonl"
far=$(python3 -c 'import time; print("%015d" % (int(time.time()*1000) + 3600*1000))')
printf '{"op_id":"y","hlc":"%s-00000-aaaaaaaaaaaaaaaa","origin":"aaaaaaaaaaaaaaaa","type":"task.create","payload":{"node_id":"01K00000000000000000000T02"}}\n' "$far" > "$TMP/future.jsonl"
expect_status "an op from the future" 7 h apply "$TMP/future.jsonl"
expect_contains "future error says ahead" "ahead" "$ERR"

HEPH_NOW=tomorrow expect_status "bad HEPH_NOW" 2 h list

# The method table's schema: every parameter of every call is checked once,
# before the method runs, whichever surface sends it.
expect_status "an unknown parameter" 3 h call task.create '{"title":"x","dodate":"fri"}'
expect_contains "it names the parameter" '"dodate"' "$ERR"
expect_contains "and the nearest known one" 'did you mean "do_date"' "$ERR"
expect_status "a parameter of the wrong type" 3 h call task.next '{"limit":"ten"}'
expect_status "an integer out of range" 3 h call task.next '{"limit":-1}'
expect_status "an enum value not in the list" 3 h call conflicts.resolve '{"id":1,"keep":"both"}'
expect_contains "the values are named" "mine, theirs" "$ERR"
expect_status "params that are not an object" 3 h call task.create '["x"]'
expect_status "a control character in a title" 3 h call task.create '{"title":"red \u001b[31m alert"}'
expect_contains "the character is named" "U+001B" "$ERR"
expect_status "a carriage return in a title" 3 h task $'over\rwrite'
expect_status "a line break in a one-line parameter" 3 h call log.append "{\"id\":\"$T\",\"text\":\"a\\nb\"}"
expect_status "a control character in a body" 3 h context "$T" --body $'step\x07'
expect_status "NUL in a body (escaped in JSON)" 3 h call doc.create '{"title":"d","body":"a\u0000b"}'
expect_status "a control character in a tag" 3 h task "x" --tag $'a\x1bb'
# option values that are not UTF-8 are refused, not dropped
for opt in --body --project --tag --do-date --attention; do
	expect_status "$opt with a value that is not UTF-8" 3 h task "x" $opt $'bad \xff value'
	expect_contains "$opt: the error names the option" "${opt}" "$ERR"
done
expect_status "an --x=value that is not UTF-8" 3 h task "x" --project=$'\xc3('
expect_status "store.info on this device" 0 h call store.info
expect_contains "shows the database path" '"path"' "$OUT"

expect_eq "nothing changed" "$before" "$(h digest)"
expect_eq "no op was added" "$nops" "$(h ops --json | wc -l)"

# a newer database is refused and left alone
# (a copy by SQLite: the main file alone may lack what is still in the WAL)
sqlite3 "$HEPH_DB" ".backup '$TMP/newer.db'"
sqlite3 "$TMP/newer.db" "PRAGMA user_version = 999" 2>/dev/null || python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version = 999'); c.commit()" "$TMP/newer.db"
sum=$(md5sum < "$TMP/newer.db")
expect_status "newer schema is refused" 8 h --db "$TMP/newer.db" list
expect_contains "the message names both versions" "999" "$ERR"
expect_eq "the newer file is untouched" "$sum" "$(md5sum < "$TMP/newer.db")"

# a SQLite file of another program is refused and left alone
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE notes(t)'); c.execute('PRAGMA user_version = 3'); c.commit()" "$TMP/other.db"
sum=$(md5sum < "$TMP/other.db")
expect_status "another program's database" 3 h --db "$TMP/other.db" list
expect_contains "the message says what it is" "not heph's" "$ERR"
expect_not_contains "not an SQL error" "no such table" "$ERR"
expect_eq "the file is untouched" "$sum" "$(md5sum < "$TMP/other.db")"

# a Taskwarrior task whose uuid is not one
echo '[{"uuid":"x","description":"d","status":"pending","entry":"20260101T000000Z"}]' > "$TMP/tw.json"
expect_status "a Taskwarrior uuid that is not one" 3 h import taskwarrior "$TMP/tw.json"
expect_contains "the message shows the uuid" 'uuid "x", which is not a Taskwarrior uuid' "$ERR"
echo '[{"description":"d","status":"pending"}]' > "$TMP/tw.json"
expect_status "a Taskwarrior task without a uuid" 3 h import taskwarrior "$TMP/tw.json"
expect_contains "the message says what to import" "task export" "$ERR"

# every error is one line on stderr
expect_status "errors are one line" 3 h task "x" --attention purple
expect_eq "one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"

finish
