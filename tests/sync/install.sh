#!/bin/bash
# install.sh — an install is relocatable: meson install into a scratch root,
# then hephd started from ROOT/PREFIX/bin serves the web app installed with
# it (../share/heph/web from its own directory), wherever the tree was put
# and moved to; an explicit --web-root still wins.
. "$(dirname "$0")/lib.sh"
: "${BUILD_ROOT:?BUILD_ROOT must be the meson build directory}"

root="$TMP/root"
expect_status "meson install into a scratch root" 0 meson install -C "$BUILD_ROOT" --no-rebuild --destdir "$root"
prefix=$(meson introspect "$BUILD_ROOT" --buildoptions | json_get '[o["value"] for o in d if o["name"]=="prefix"][0]')
bin="$root$prefix/bin"
expect_eq "hephd is installed" 1 "$([ -x "$bin/hephd" ] && echo 1)"
expect_eq "heph is installed" 1 "$([ -x "$bin/heph" ] && echo 1)"
# built unless meson setup -Dcapture=false (then CAPTURE=0)
expect_eq "heph-capture is installed as configured" "${CAPTURE:?}" "$([ -x "$bin/heph-capture" ] && echo 1 || echo 0)"
expect_eq "the web app is installed" 1 "$([ -f "$root$prefix/share/heph/web/index.html" ] && echo 1)"
nvim_pack="$root$prefix/share/nvim/site/pack/heph/start/heph"
expect_eq "the Neovim plugin is installed as a start package" 1 \
	"$([ -f "$nvim_pack/plugin/heph.lua" ] && [ -f "$nvim_pack/lua/heph/init.lua" ] && [ -f "$nvim_pack/lua/heph/rpc.lua" ] && echo 1)"
expect_eq "Neovim loads the installed plugin from its packpath" 2 \
	"$(nvim --headless -u NONE -i NONE --cmd "set packpath=$root$prefix/share/nvim/site" -c 'packloadall' \
		-c 'lua io.stdout:write(vim.fn.exists(":Heph"))' -c 'qall!' 2>&1)"
expect_status "the installed heph runs" 0 "$bin/heph" --db "$TMP/cli.db" task "from the installed heph"

# serves NAME HEPHD [OPTIONS] — start the hub from that hephd, check that
# GET / is the web app's index.html from the directory the log names
serves() {
	name=$1 exe=$2
	shift 2
	HEPHD=$exe start_hub "$name" --no-auth "$@" || return
	GOT=$(http GET "$HUB_URL/")
	expect_eq "$name: GET / answers 200" 200 "${GOT%% *}"
	expect_contains "$name: with a page" "<html" "$GOT"
	LOG=$(cat "$TMP/$name.log")
	stop "$HUB_PID"
}

serves installed "$bin/hephd"
expect_contains "the page is heph's web app" "<title>heph</title>" "$GOT"
expect_contains "from the web app installed beside it" "web app from $root$prefix/share/heph/web" "$LOG"

# ---- the hub's system unit, as installed ----
unit="$root$prefix/lib/systemd/system/hephd.service"
expect_eq "hephd.service is installed" 1 "$([ -f "$unit" ] && echo 1)"
expect_eq "with its system user" "u hephd - \"heph hub\" /var/lib/hephd" "$(grep '^u ' "$root$prefix/lib/sysusers.d/hephd.conf")"
# systemd-analyze verify checks that ExecStart's program exists: the copy
# checked names the one in the scratch root, nothing else differs
sed "s|$prefix/bin/hephd|$bin/hephd|" "$unit" >"$TMP/hephd.service"
expect_status "systemd-analyze verify accepts hephd.service" 0 systemd-analyze verify "$TMP/hephd.service"
for opt in NoNewPrivileges=yes ProtectSystem=strict StateDirectory=hephd User=hephd; do
	expect_contains "the unit has $opt" "$opt" "$(cat "$unit")"
done
# its ExecStart= line, run as written: the state directory and the address
# are the test's, the rest is the unit's
line=$(sed -n 's/^ExecStart=//p' "$unit")
line=${line//\$\{HEPHD_HTTP_ADDR\}/127.0.0.1:0}
line=${line//\$HEPHD_OPTIONS/--ready-file $TMP/unit.url}
line=${line//\/var\/lib\/hephd/$TMP/state}
mkdir -p "$TMP/state"
# shellcheck disable=SC2086
set -- $line
expect_eq "ExecStart runs the installed hephd" "$prefix/bin/hephd" "$1"
shift
"$bin/hephd" "$@" 2>>"$TMP/unit.log" &
UNIT_PID=$!
PIDS="$PIDS $UNIT_PID"
wait_for "the unit's hub is serving" 30 test -s "$TMP/unit.url"
GOT=$(http GET "$(cat "$TMP/unit.url")/")
expect_contains "the unit's command serves the web app" "<title>heph</title>" "$GOT"
expect_eq "its database is in the state directory" 1 "$([ -f "$TMP/state/hub.db" ] && echo 1)"
stop "$UNIT_PID"

mv "$root" "$TMP/moved"
serves moved "$TMP/moved$prefix/bin/hephd"
expect_contains "a moved tree serves its own web app" "web app from $TMP/moved$prefix/share/heph/web" "$LOG"

mkdir -p "$TMP/custom"
printf '<html><body>custom web root</body></html>\n' >"$TMP/custom/index.html"
serves custom "$TMP/moved$prefix/bin/hephd" --web-root "$TMP/custom"
expect_contains "an explicit --web-root wins" "web app from $TMP/custom" "$LOG"
expect_contains "and is what GET / serves" "custom web root" "$GOT"
finish
