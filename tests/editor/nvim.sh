#!/bin/bash
# nvim.sh — the Neovim plugin (editors/nvim) in a real headless Neovim
# against a real database: the script makes the fixture with heph, runs
# nvim_test.lua inside `nvim --headless -u NONE` with only the plugin on its
# runtimepath, and that script drives :Heph and the heph://node buffers and
# checks each result with the real heph. Afterwards this script checks the
# database once more from outside.
. "$(dirname "$0")/../cli/lib.sh"
: "${PLUGIN:?PLUGIN must point at editors/nvim}"
command -v nvim >/dev/null || { echo "nvim is missing (sh scripts/deps.sh installs it)" >&2; exit 1; }

G=$(h project add Garden)
C=$(h doc "Compost notes" --body "How to compost.")
P=$(h doc Plan --body "See [[Compost notes]].")
h doc "Compass rose" --body "" >/dev/null
h add "Turn the heap p2 #Garden" >/dev/null
h add "Buy seeds fri #Garden" >/dev/null
h add "Call the plumber p1" >/dev/null
T=$(h list --json | json_get '[t["node_id"] for t in d if t["title"] == "Turn the heap"][0]')
h context "$T" --body "- [ ] fork it over" >/dev/null
h doc edit "$P" --append "Then [[$T]]." >/dev/null

export HEPH C P T G
HOME="$TMP" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" XDG_STATE_HOME="$TMP/state" \
	nvim --headless -u NONE -i NONE -n \
	--cmd "set runtimepath^=$PLUGIN" --cmd "runtime plugin/heph.lua" \
	-c "luafile $(dirname "$0")/nvim_test.lua" >"$TMP/nvim.out" 2>&1
rc=$?
cat "$TMP/nvim.out"
expect_eq "the Neovim script passed" 0 "$rc"
grep -q '^nvim: [0-9]* passed, 0 failed' "$TMP/nvim.out" || _report "the Neovim script reported no result"

# from outside: what the session left in the database
expect_eq "the conflicting edit from elsewhere stands" "How to compost.
Saved from Neovim.
From elsewhere." "$(h show "$C" --json | json_get 'd["body"].rstrip()')"
expect_eq "the plan links the compost notes by id: as made, once completed, once typed" "3" \
	"$(h show "$P" --json | json_get 'd["body"].count("[['"$C"'|Compost notes]]")')"

finish
