#!/bin/sh
# demo.sh BUILD — heph's main job on an embedded default: a sample database
# in a fresh temporary directory, then the project tree and the task list.
set -eu
heph="$1/src/cli/heph"
dir=$(mktemp -d "${TMPDIR:-/tmp}/heph-demo.XXXXXX")
export HEPH_DB="$dir/heph.db"
run() {
	printf '\n$ heph %s\n' "$*"
	"$heph" "$@"
}
q() { "$heph" "$@" >/dev/null; }

q project add Work
q project add Clients --parent Work
q project add "Acme redesign" --parent Clients
q project add Home
q project add Garden --parent Home
q task "Send the Acme invoice" --project Clients --late-on yesterday --attention red
q task "Review the redesign mock-ups" --project "Acme redesign" --attention orange
q task "Draft the Q1 plan" --project Work --do-date +3d
q task "Book the dentist" --project Home --do-date today
q task "Prune the apple tree" --project Garden --do-date +2w --attention blue
q task "Water the tomatoes" --project Garden
q task "Read the SQLite WAL paper"
t=$("$heph" task "Renew the passport" --project Home --late-on +30d)
q done "$t"

echo "heph demo database: $HEPH_DB"
run project list
run list
run list --project Work
echo
echo "Try it yourself: HEPH_DB=$HEPH_DB $heph --help"
