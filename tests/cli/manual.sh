#!/bin/bash
# manual.sh — the manual pages and shell completions, as make install puts
# them: man finds and renders heph(1), heph-tui(1), hephd(8), heph-ops(5) and heph-capture(1)
# without warnings, each holding what its program says about itself; bash
# completes verbs, options, option values, project names, tags and the ids of
# outstanding tasks through heph __complete; zsh and fish load their files.
. "$(dirname "$0")/lib.sh"
: "${BUILD_ROOT:?}" "${HEPHD:?}" "${HEPH_TUI:?}" "${CAPTURE:?}"

# ---- make install into a directory ----
PREFIX=$(meson introspect "$BUILD_ROOT" --buildoptions | json_get '[o["value"] for o in d if o["name"] == "prefix"][0]')
DEST="$TMP/dest"
expect_status "meson install --destdir" 0 meson install -C "$BUILD_ROOT" --no-rebuild --quiet --destdir "$DEST"
ROOT="$DEST$PREFIX"
for f in man/man1/heph.1 man/man1/heph-tui.1 man/man8/hephd.8 man/man5/heph-ops.5 \
	bash-completion/completions/heph zsh/vendor-completions/_heph fish/vendor_completions.d/heph.fish; do
	expect_status "installed: share/$f" 0 test -s "$ROOT/share/$f"
done

# ---- man ----
export MANPATH="$ROOT/share/man" MANWIDTH=80
page() { man --warnings "$@" 2>"$TMP/man.err" | col -b; }
pages="1 heph|1 heph-tui|8 hephd|5 heph-ops"
# heph-capture(1) is built unless meson setup -Dcapture=false (then CAPTURE=0)
[ "${CAPTURE:?}" = 1 ] && pages="$pages|1 heph-capture"
IFS='|' read -r -a pages <<<"$pages"
for p in "${pages[@]}"; do
	set -- $p
	expect_eq "man -w $2 finds the installed page" "$ROOT/share/man/man$1/$2.$1" "$(man -w "$1" "$2")"
	page "$1" "$2" >/dev/null
	expect_eq "man $2 renders without warnings" "" "$(cat "$TMP/man.err")"
done
HEPH_MAN=$(page heph)
if [ "$CAPTURE" = 1 ]; then
	CAPTURE_MAN=$(page heph-capture)
	for opt in $("$HEPH_CAPTURE" --help | grep -oE '^  --[a-z-]+'); do
		expect_contains "heph-capture(1) has $opt" "$opt" "$CAPTURE_MAN"
	done
	expect_contains "heph-capture(1) has its keys" "Escape close without saving" "$CAPTURE_MAN"
else
	expect_status "no heph-capture(1) without heph-capture" 1 test -e "$ROOT/share/man/man1/heph-capture.1"
fi
# every verb of heph --help, with its summary, and every exit status
while IFS= read -r line; do
	verb=$(printf '%s' "$line" | sed -E 's/^  ([a-z][a-z ]*[a-z])  +.*/\1/')
	expect_contains "heph(1) has heph $verb" "heph $verb" "$HEPH_MAN"
done < <(h --help 2>&1 | grep -E '^  [a-z][a-z ]*[a-z]  ')
for opt in $(h task --help | grep -oE '^  --[a-z-]+'); do
	expect_contains "heph(1) has heph task's $opt" "$opt" "$HEPH_MAN"
done
expect_contains "heph(1) says exit status 15" "disk full" "$HEPH_MAN"
expect_contains "heph(1) has ENVIRONMENT" "HEPH_NOW" "$HEPH_MAN"
expect_not_contains "heph(1) leaves out the hidden __complete" "__complete" "$HEPH_MAN"
HEPHD_MAN=$(page 8 hephd)
for opt in $("$HEPHD" --help | grep -oE '^  --[a-z-]+'); do
	expect_contains "hephd(8) has $opt" "$opt" "$HEPHD_MAN"
	# the help and the parser are one table: every option it lists is taken
	# (OPT=1 then --version: a bad value or the version, never a server)
	"$HEPHD" "$opt=1" --version >/dev/null 2>"$TMP/err"
	expect_not_contains "hephd takes $opt, as its help says" "unknown option" "$(cat "$TMP/err")"
done
expect_status "hephd refuses an unknown option" 2 "$HEPHD" --colour red
expect_contains "naming it" "unknown option --colour" "$ERR"
expect_status "hephd refuses a value out of range" 2 "$HEPHD" --threads=0
expect_contains "with the range" "from 1 to 256" "$ERR"
expect_status "hephd refuses a value for a flag" 2 "$HEPHD" --no-auth=yes
# an option given twice keeps the last value, freeing the first (ASan checks)
printf 'secret-metrics-token\n' >"$TMP/mtok" && chmod 600 "$TMP/mtok"
expect_status "options given twice" 0 "$HEPHD" --oidc-web-client-id a --oidc-client-id b --oidc-web-client-id c \
	--metrics-token-file "$TMP/mtok" --metrics-token-file "$TMP/mtok" --token-file x --token-file y --allow-host a --allow-host b --version
for mode in local server client; do expect_contains "hephd(8) has --mode $mode" "--mode $mode" "$HEPHD_MAN"; done
TUI_MAN=$(page heph-tui)
while IFS=$'\t' read -r keys what; do
	expect_contains "heph-tui(1) has the key $keys" "$keys" "$TUI_MAN"
	expect_contains "heph-tui(1) says what $keys does" "$what" "$(printf '%s' "$TUI_MAN" | tr -s ' \n' '  ')"
done < <("$HEPH_TUI" --keys)
OPS_MAN=$(page 5 heph-ops)
for t in node.create node.set node.tombstone task.create task.set link.add link.remove; do
	expect_contains "heph-ops(5) has the op type $t" "$t" "$OPS_MAN"
done
expect_contains "heph-ops(5) has the HLC example" "001795764000123-00000-9f86d081884c7d65" "$OPS_MAN"

# ---- heph __complete ----
expect_not_contains "__complete is hidden from heph --help" "__complete" "$(h --help)"
expect_status "__complete with no database" 0 env HEPH_DB="$TMP/none.db" "$HEPH" __complete -- done ""
expect_eq "... offers nothing" "" "$OUT"
expect_status "... and creates no database" 1 test -e "$TMP/none.db"

h project add Work >/dev/null
h project add "Home Stuff" >/dev/null
h task "Buy milk" --tag food >/dev/null
h task "Call bob" --project Work >/dev/null
h task "Old thing" >/dev/null
h done "$(h --json list | json_get '[t["node_id"] for t in d if t["title"] == "Old thing"][0]')" >/dev/null

# bash: drive the completion function as bash does
comp() { # comp WORD... — the words after heph, the last one being completed
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _heph; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$ROOT/share/bash-completion/completions/heph" "$HEPH" "$@"
}
got=$(comp "")
while IFS= read -r line; do
	verb=$(printf '%s' "$line" | sed -E 's/^  ([a-z]+).*/\1/')
	expect_contains "bash completes the verb $verb" "$verb" "$got"
done < <(h --help 2>&1 | grep -E '^  [a-z][a-z ]*[a-z]  ')
expect_eq "bash completes do to doc and done" "$(printf 'done\ndoc')" "$(comp do | sort -r)"
expect_eq "bash completes project's verbs" "$(printf 'add\nlist')" "$(comp project "")"
got=$(comp list --)
for opt in $(h list --help | grep -oE '^  --[a-z-]+'); do
	expect_contains "bash completes list's option $opt" "$opt" "$got"
done
expect_eq "bash completes --do to --do-date" "--do-date" "$(comp task x --do)"
expect_eq "bash completes project names (quoted)" "$(printf 'Home\\ Stuff\nWork')" "$(comp list --project "" | sort)"
expect_eq "bash completes a project name in any case" "Work" "$(comp task x --project wo)"
expect_eq "bash completes tags" "food" "$(comp list --tag "")"
expect_eq "bash completes tags to add to a task" "food" "$(comp edit X --tag f)"
expect_eq "bash completes tags to remove from a task" "food" "$(comp edit X --untag "")"
expect_eq "bash completes an enum's values" "$(printf 'mine\ntheirs')" "$(comp conflicts resolve X --keep "")"
expect_eq "bash completes attention colours" "$(printf 'red\norange\nwhite\nblue')" "$(comp attention X "")"
# what heph list shows for each task: its handle, where lists show handles, else its short id
ids=$(h --json list | json_get '"\n".join(sorted(t.get("handle") or t["short_id"] for t in d))')
expect_eq "bash completes the outstanding tasks' ids" "$ids" "$(comp done "" | sort)"
expect_eq "bash completes the outstanding tasks' ids after global options" "$ids" "$(comp --db "$HEPH_DB" done "" | sort)"
first=$(printf '%s\n' "$ids" | head -1)
expect_contains "bash completes a task id from its prefix" "$first" "$(comp done "${first:0:10}")"
expect_contains "bash completes a task from its prefix in lower case" "$first" "$(comp done "$(printf '%s' "${first:0:2}" | tr 'A-Z' 'a-z')")"
expect_eq "bash completes task ids after an option's value" "$ids" "$(comp edit --title x "" | sort)"
expect_eq "bash completes view names" "tom" "$(comp view to)"
expect_eq "bash offers file names (nothing) for --body's value" "" "$(comp task x --body "")"

# zsh and fish: the files load; fish completes with titles as descriptions
expect_status "zsh -n loads _heph" 0 zsh -n "$ROOT/share/zsh/vendor-completions/_heph"
expect_status "fish -n loads heph.fish" 0 fish -n "$ROOT/share/fish/vendor_completions.d/heph.fish"
got=$(PATH="$(dirname "$HEPH"):$PATH" fish -c 'source $argv[1]; complete -C"heph done "' "$ROOT/share/fish/vendor_completions.d/heph.fish")
expect_contains "fish completes task ids with titles" "$(h --json list | json_get '[t.get("handle") or t["short_id"] for t in d if t["title"] == "Call bob"][0]')	Call bob" "$got"
expect_not_contains "fish leaves out done tasks" "Old thing" "$got"
finish
