#!/bin/bash
# capture.sh — heph-capture on a real X server (Xvfb, started here and
# killed by pid), typed at with xdotool: chips for what quick add reads,
# #project completion, Enter saves (checked with heph list --json), Escape
# saves nothing, and a save that fails (the database locked by another
# process) brings the window back with the text and the error. A screenshot
# of the chips is kept in $ARTIFACTS.
. "$(dirname "$0")/../cli/lib.sh"
: "${HEPH_CAPTURE:?HEPH_CAPTURE must point at heph-capture}" "${ARTIFACTS:?}"
for p in Xvfb xdotool import; do
	command -v $p >/dev/null || { echo "$p is missing (sh scripts/deps.sh installs it)" >&2; exit 1; }
done
mkdir -p "$ARTIFACTS"

# GTK draws with cairo (Xvfb has no GPU), without the accessibility bus
export GSK_RENDERER=cairo GDK_BACKEND=x11 GTK_A11Y=none NO_AT_BRIDGE=1
export XDG_RUNTIME_DIR="$TMP/run" HOME="$TMP" XDG_CONFIG_HOME="$TMP/config" XDG_CACHE_HOME="$TMP/cache"
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
# GTK's and GLib's own allocations that live until exit are not heph's:
# under LeakSanitizer only their libraries are suppressed (lsan-gtk.supp).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "$0")" && pwd)/lsan-gtk.supp:print_suppressions=0"

PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

Xvfb -displayfd 3 -screen 0 1024x600x24 -nolisten tcp 3>"$TMP/display" 2>"$TMP/xvfb.log" &
PIDS="$PIDS $!"
for _ in $(seq 300); do [ -s "$TMP/display" ] && break; sleep 0.1; done
export DISPLAY=":$(head -n1 "$TMP/display")"
[ "$DISPLAY" != ":" ] || { cat "$TMP/xvfb.log" >&2; echo "Xvfb did not start" >&2; exit 1; }

h project add Garden >/dev/null
h project add "Home office" >/dev/null
h project add Groceries >/dev/null

EVENTS=""
# start_capture NAME — heph-capture --dump writing to $TMP/NAME.events
start_capture() {
	EVENTS="$TMP/$1.events"
	"$HEPH_CAPTURE" --dump >"$EVENTS" 2>"$TMP/$1.stderr" &
	CAP=$!
	wait_event '"event":"shown"' || return 1
	WID=$(xdotool search --sync --onlyvisible --name '^heph capture' | head -n1)
	xdotool windowfocus --sync "$WID"
}

# wait_event PATTERN — until a line of $EVENTS matches (at most 60 s: a
# ceiling for a loaded machine, not a measurement)
wait_event() {
	for _ in $(seq 600); do
		grep -q -- "$1" "$EVENTS" && return 0
		sleep 0.1
	done
	_report "no event matching $1" "$(cat "$EVENTS")"
	return 1
}

last_event() { grep -- "$1" "$EVENTS" | tail -n1; }

# --- type a task, complete its project, see the chips, save with Enter
start_capture save
xdotool type --delay 20 "Water the roses tomorrow p1 #gar"
wait_event '"matches":\["Garden"\]'
xdotool key Tab
xdotool type --delay 20 "every week"
wait_event '"text":"Water the roses tomorrow p1 #Garden every week"'
chips=$(last_event '"text":"Water the roses tomorrow p1 #Garden every week"')
expect_eq "the chips show the date, attention, project and repeat quick add read" \
	"date:do 2026-11-19 attention:red project:#Garden recurrence:every week" \
	"$(echo "$chips" | json_get '" ".join(c["kind"] + ":" + c["shown"] for c in d["chips"])')"
expect_eq "the title is what is left" "Water the roses" "$(echo "$chips" | json_get 'd["title"]')"
expect_eq "the chips are quick add's, as heph add --dry-run reads the line" \
	"$(h call quickadd.parse '{"text":"Water the roses tomorrow p1 #Garden every week"}' | json_get '[c["kind"] for c in d["chips"]]')" \
	"$(echo "$chips" | json_get '[c["kind"] for c in d["chips"]]')"
import -window "$WID" "$ARTIFACTS/capture-chips.png"
expect_eq "a screenshot of the chips is kept" 1 "$([ -s "$ARTIFACTS/capture-chips.png" ] && echo 1)"
xdotool key Return
wait_event '"event":"saved"'
wait "$CAP"
expect_eq "Enter saves and exits 0" 0 "$?"
expect_eq "the window hid before the save" "hidden saved" \
	"$(grep -o '"event":"\(hidden\|saved\)"' "$EVENTS" | cut -d'"' -f4 | paste -sd' ')"
task=$(h list --json | json_get 'json.dumps([t for t in d if t["title"] == "Water the roses"])')
expect_eq "the task exists with the parsed fields" "2026-11-19 red Garden FREQ=WEEKLY" \
	"$(echo "$task" | json_get '" ".join([d[0]["do_date"], d[0]["attention"], d[0]["project"], d[0]["recurrence"]])' 2>&1)"

# --- Escape closes and saves nothing
n=$(h count --json | json_get 'd["count"]')
start_capture escape
xdotool type --delay 20 "Not this one"
wait_event '"text":"Not this one"'
xdotool key Escape
wait "$CAP"
expect_eq "Escape exits 0" 0 "$?"
expect_eq "Escape saves nothing" "$n" "$(h count --json | json_get 'd["count"]')"

# --- a failed save brings the window back with the text and the error
start_capture locked
xdotool type --delay 20 "Renew the passport fri #Home office"
wait_event '"text":"Renew the passport fri #Home office"'
mkfifo "$TMP/unlock"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
open(sys.argv[2]).read()
c.execute("ROLLBACK")
' "$HEPH_DB" "$TMP/unlock" >"$TMP/locker.out" &
LOCKER=$!
PIDS="$PIDS $LOCKER"
for _ in $(seq 300); do grep -q locked "$TMP/locker.out" && break; sleep 0.1; done
xdotool key Return
wait_event '"event":"error"'
err=$(last_event '"event":"error"')
expect_contains "the error says why" "locked" "$(echo "$err" | json_get 'd["message"]')"
expect_eq "the text comes back as typed" "Renew the passport fri #Home office" "$(echo "$err" | json_get 'd["text"]')"
expect_eq "the window is shown again" "$WID" "$(xdotool search --onlyvisible --name '^heph capture' | head -n1)"
import -window "$WID" "$ARTIFACTS/capture-error.png"
echo >"$TMP/unlock"
wait "$LOCKER"
xdotool windowfocus --sync "$WID"
xdotool key Return
wait_event '"event":"saved"'
wait "$CAP"
expect_eq "the second Enter saves and exits 0" 0 "$?"
expect_eq "the task saved on the second try has its fields" "2026-11-20 Home office" \
	"$(h list --json | json_get '" ".join(t["do_date"] + " " + t["project"] for t in d if t["title"] == "Renew the passport")')"
for f in save escape locked; do
	expect_eq "heph-capture ($f) wrote nothing on stderr" "" "$(cat "$TMP/$f.stderr")"
done

# the command line
expect_status "heph-capture --help" 0 "$HEPH_CAPTURE" --help
expect_contains "--help names the keys" "Escape" "$OUT"
expect_status "an unknown option is a usage error" 2 "$HEPH_CAPTURE" --frobnicate
expect_status "no display is an error, not a crash" 14 env -u DISPLAY -u WAYLAND_DISPLAY "$HEPH_CAPTURE"

finish
