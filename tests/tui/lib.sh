# lib.sh — a harness for TUI tests: each test script sources this, gets a
# fresh database and a private tmux server, runs the real heph-tui in a pane
# of a fixed size, and checks what the screen shows (capture-pane) and what
# the database holds afterwards (the real heph, --json). Waiting is always
# for a condition, polled, with a timeout; never a fixed sleep.
. "$(dirname "$0")/../cli/lib.sh"
: "${HEPH_TUI:?HEPH_TUI must point at the heph-tui binary}"
SOCK="heph-tui-test-$$"
WAIT=${TUI_WAIT:-15} # seconds before a wait gives up (sanitizer builds are slow)
PIDS="" # processes a test starts (hephd), stopped at the end
unset HEPH_SOCKET XDG_RUNTIME_DIR 2>/dev/null || true
_teardown() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap _teardown EXIT

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }

# start_tui COLS ROWS [VAR=VALUE ...] — heph-tui on $HEPH_DB in a COLSxROWS
# pane; extra environment (TERM, NO_COLOR, EDITOR, ...) as arguments. Its
# stderr goes to $TMP/tui.err and its exit status to $TMP/tui.status;
# $TUI_ARGS (word-split) are its arguments.
start_tui() {
	cols=$1 rows=$2
	shift 2
	rm -f "$TMP/tui.status" "$TMP/tui.err"
	tm kill-server 2>/dev/null
	tm new-session -d -s tui -x "$cols" -y "$rows" \
		"env -u NO_COLOR TERM=tmux-256color LANG=C.UTF-8 HEPH_DB='$HEPH_DB' HEPH_NOW='$HEPH_NOW' $* \
		'$HEPH_TUI' ${TUI_ARGS:-} 2>'$TMP/tui.err'; echo \$? >'$TMP/tui.status'"
	wait_for "start" "Views & projects" || { cat "$TMP/tui.err" >&2; return 1; }
}

screen() { tm capture-pane -p -t tui 2>/dev/null; }
screen_esc() { tm capture-pane -p -e -t tui 2>/dev/null; }
keys() { tm send-keys -t tui "$@"; }
# type_text TEXT — literal text, no key names
type_text() { tm send-keys -t tui -l "$1"; }

# _poll SECONDS CMD... — run CMD until it succeeds or the time is up.
_poll() {
	limit=$1
	shift
	end=$(($(date +%s%N) / 1000000 + limit * 1000))
	while :; do
		"$@" && return 0
		[ "$(($(date +%s%N) / 1000000))" -ge "$end" ] && return 1
		sleep 0.02
	done
}

_shows() { case "$(screen)" in *"$1"*) return 0 ;; esac; return 1; }
_hides() { case "$(screen)" in *"$1"*) return 1 ;; esac; return 0; }

# wait_for DESC TEXT — the screen comes to show TEXT (a check of its own).
wait_for() {
	if _poll "$WAIT" _shows "$2"; then _ok; return 0; fi
	_report "$1: the screen never showed [$2]" "$(screen)"
	return 1
}

# wait_gone DESC TEXT — TEXT leaves the screen.
wait_gone() {
	if _poll "$WAIT" _hides "$2"; then _ok; return 0; fi
	_report "$1: [$2] stayed on the screen" "$(screen)"
	return 1
}

# line_of TEXT — the first screen line holding TEXT.
line_of() { screen | grep -F -m1 -- "$1"; }

# jq_task ID FILTER — a field of a task as heph show --json gives it.
task_field() { h show "$1" --json | json_get "d.get('$2')"; }

# stop_tui — q, then the TUI must have exited 0 with nothing on stderr
# (sanitizer reports included).
stop_tui() {
	keys q
	if ! _poll "$WAIT" test -s "$TMP/tui.status"; then
		_report "heph-tui quits on q" "$(screen)"
		return 1
	fi
	expect_eq "heph-tui exits 0" 0 "$(cat "$TMP/tui.status")"
	expect_eq "heph-tui writes nothing on stderr" "" "$(cat "$TMP/tui.err")"
}

# pane N — column N (1: sidebar, 2: task list, 3: preview) of the screen,
# split on the panes' vertical rules.
pane() { screen | awk -F'│' -v n="$1" '{ print $n }'; }


# preview_title — the title line of the preview pane.
preview_title() { pane 3 | sed -n 2p | sed -E 's/^ //; s/ +$//'; }
_preview_is() { [ "$(preview_title)" = "$1" ]; }

# select_task TITLE — put the task list's cursor on TITLE (the list must be
# ranked and on screen) and wait until the preview shows it.
select_task() {
	n=$(pane 2 | sed -n '2,$p' | grep -n -F -m1 -- "$1" | cut -d: -f1)
	if [ -z "$n" ]; then
		_report "select $1: not in the list" "$(screen)"
		return 1
	fi
	keys g
	[ "$n" -gt 1 ] && keys -N $((n - 1)) j
	if _poll "$WAIT" _preview_is "$1"; then return 0; fi
	_report "select $1: the preview never showed it" "$(screen)"
	return 1
}

# wait_line DESC N TEXT — screen line N comes to begin with TEXT.
_line_starts() { case "$(screen | sed -n "$1p")" in "$2"*) return 0 ;; esac; return 1; }
wait_line() {
	if _poll "$WAIT" _line_starts "$2" "$3"; then _ok; return 0; fi
	_report "$1: line $2 never began with [$3]" "$(screen)"
	return 1
}

# select_entry LABEL — select the sidebar entry LABEL (a view or a project)
# and put the focus back on the task list, once it shows LABEL's tasks.
_list_is() { case "$(pane 2 | sed -n 1p)" in " $1 ("*) return 0 ;; esac; return 1; }
select_entry() {
	n=$(pane 1 | sed -n '2,$p' | grep -vE '^(Views|Projects) *$' | grep -n -m1 -E "^ +$1( |$)" | cut -d: -f1)
	if [ -z "$n" ]; then
		_report "select $1: not in the sidebar" "$(screen)"
		return 1
	fi
	keys h g
	[ "$n" -gt 1 ] && keys -N $((n - 1)) j
	keys l
	if _poll "$WAIT" _list_is "$1"; then return 0; fi
	_report "select $1: the task list never showed it" "$(screen)"
	return 1
}
