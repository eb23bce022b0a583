#!/bin/bash
# help.sh — every verb answers --help with its usage and exits 0; heph with
# no verb prints the overview and exits 2.
. "$(dirname "$0")/lib.sh"

expect_status "no verb is a usage error" 2 h
expect_contains "the overview lists verbs" "project list" "$ERR"
expect_status "heph --help" 0 h --help
expect_contains "--help shows the overview" "usage: heph" "$OUT"
expect_status "--version" 0 h --version
expect_contains "--version names heph" "heph " "$OUT"

verbs=$(h --help | sed -n 's/^  \([a-z][a-z ]*[a-z]\)  .*/\1/p' | sed 's/ *$//')
n=0
while IFS= read -r v; do
	[ -z "$v" ] && continue
	n=$((n + 1))
	# shellcheck disable=SC2086
	expect_status "heph $v --help" 0 h $v --help
	expect_contains "heph $v --help shows usage" "usage: heph $v" "$OUT"
done <<< "$verbs"
expect_eq "the overview lists at least 18 verbs" yes "$([ "$n" -ge 18 ] && echo yes)"
expect_status "heph help task" 0 h help task
expect_contains "help VERB shows that verb" "usage: heph task" "$OUT"

# every option of a verb comes from its method's parameters: none is missing
for m in task.create task.edit; do
	verb=$([ "$m" = task.create ] && echo task || echo edit)
	help=$(h $verb --help)
	for p in $(h call rpc.methods | json_get "' '.join(p.get('cli', p['name']).replace('_', '-') for m in d if m['name'] == '$m' for p in m['params'] if p['name'] not in ('title', 'id') or '$m' == 'task.edit' and p['name'] == 'title')"); do
		expect_contains "heph $verb --help shows --$p" "--$p " "$help"
	done
done
rm -f "$HEPH_DB"

# groups of verbs, unknown verbs
expect_status "heph project: a usage error" 2 h project
expect_contains "which lists the group's verbs" "project add" "$ERR"
expect_not_contains "and does not call it an unknown verb" "unknown verb" "$ERR"
expect_status "heph project --help" 0 h project --help
expect_contains "lists the group's verbs" "project list" "$OUT"
expect_status "heph import --help" 0 h import --help
expect_contains "lists import taskwarrior" "import taskwarrior" "$OUT"
expect_status "heph help project" 0 h help project
expect_contains "lists the group's verbs" "project add" "$OUT"
expect_status "heph help nosuchverb" 2 h help nosuchverb
expect_contains "says the verb is unknown" 'unknown verb "nosuchverb"' "$ERR"
expect_status "a misspelt verb" 2 h lsit
expect_contains "names the nearest verb" "did you mean heph list?" "$ERR"
expect_status "a verb not in its group" 2 h project frob
expect_contains "names the group" "heph project --help" "$ERR"

# the verb table as data, for man pages and completions
expect_status "heph --json help" 0 h --json help
expect_eq "it lists every verb" "$n" "$(echo "$OUT" | json_get 'len(d)')"
expect_eq "with the options of each, typed from the schema" "date" \
	"$(echo "$OUT" | json_get '[o["type"] for v in d if v["name"] == "task" for o in v["options"] if o["name"] == "do-date"][0]')"
expect_status "no database is created for --help" 0 test ! -e "$HEPH_DB"
finish
