#!/bin/bash
# deb.sh — the Debian package: built from this tree with dpkg-buildpackage
# (scripts/deb.sh, as make deb does), checked by lintian, installed on this
# machine with dpkg (the suite runs as root in CI), then heph, heph-tui and
# hephd run from /usr/bin, the hub serves the installed web app, the
# installed hephd.service passes systemd-analyze verify and its system user
# exists; finally the package is purged and leaves none of its files.
. "$(dirname "$0")/../cli/lib.sh"
: "${SRCROOT:?SRCROOT must be the source tree}"
HERE=$(cd "$(dirname "$0")" && pwd)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	dpkg-query -W heph-capture >/dev/null 2>&1 && dpkg --purge heph-capture >/dev/null 2>&1
	dpkg-query -W heph >/dev/null 2>&1 && dpkg --purge heph >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	_report "the package test installs with dpkg: run it as root (as CI does)"
	finish
	exit 1
fi
if dpkg-query -W -f='${Status}' heph 2>/dev/null | grep -q "install ok installed"; then
	_report "a heph package is already installed here; the test would replace it (dpkg --purge heph first)"
	finish
	exit 1
fi

expect_status "the packages build" 0 sh "$SRCROOT/scripts/deb.sh" "$SRCROOT" "$TMP"
deb=$(echo "$OUT" | sed -n 1p)
capdeb=$(echo "$OUT" | sed -n 2p)
version=$(sed -n "s/^project('heph', 'c',//; s/^  version : '\(.*\)',/\1/p" "$SRCROOT/meson.build")
expect_eq "named heph_VERSION_ARCH.deb" "$TMP/heph_${version}_$(dpkg --print-architecture).deb" "$deb"
expect_eq "and heph-capture_VERSION_ARCH.deb" "$TMP/heph-capture_${version}_$(dpkg --print-architecture).deb" "$capdeb"
expect_not_contains "heph needs no GTK (a hub installs it)" "gtk" "$(dpkg-deb -f "$deb" Depends)"
expect_contains "heph-capture needs GTK 4" "libgtk-4" "$(dpkg-deb -f "$capdeb" Depends)"
expect_not_contains "heph holds no heph-capture" "heph-capture" "$(dpkg-deb -c "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libmicrohttpd12 libpq5 libncursesw6 libcurl4 libical3 libssl3; do
	expect_contains "Depends names $lib" "$lib" "$depends"
done
expect_status "lintian finds no error or warning" 0 lintian --fail-on error,warning "$deb" "$capdeb"
[ -n "$OUT" ] && echo "$OUT" >&2

expect_status "dpkg installs them" 0 dpkg -i "$deb" "$capdeb"
for f in /usr/bin/heph /usr/bin/hephd /usr/bin/heph-tui /usr/bin/heph-capture /usr/share/heph/web/index.html \
	/usr/share/nvim/site/pack/heph/start/heph/plugin/heph.lua \
	/usr/lib/systemd/system/hephd.service /usr/lib/sysusers.d/hephd.conf /etc/default/hephd; do
	expect_eq "it installs $f" 1 "$([ -e "$f" ] && echo 1)"
done
expect_contains "heph runs" "$version" "$(/usr/bin/heph --version)"
expect_status "heph works on a database" 0 /usr/bin/heph --db "$TMP/a.db" task "from the package"
expect_contains "and lists it" "from the package" "$(/usr/bin/heph --db "$TMP/a.db" list)"
expect_status "heph-tui runs" 0 /usr/bin/heph-tui --version
expect_eq "the hub's system user exists" hephd "$(getent passwd hephd | cut -d: -f1)"
expect_status "systemd-analyze verify accepts the installed hephd.service" 0 \
	systemd-analyze verify /usr/lib/systemd/system/hephd.service

# the unit's ExecStart line, with the test's address and state directory
line=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/hephd.service)
line=${line//\$\{HEPHD_HTTP_ADDR\}/127.0.0.1:0}
line=${line//\$HEPHD_OPTIONS/--ready-file $TMP/hub.url}
line=${line//\/var\/lib\/hephd/$TMP/state}
mkdir -p "$TMP/state"
# shellcheck disable=SC2086
set -- $line
expect_eq "the unit runs /usr/bin/hephd" /usr/bin/hephd "$1"
"$@" 2>"$TMP/hub.log" &
PIDS="$PIDS $!"
for _ in $(seq 200); do [ -s "$TMP/hub.url" ] && break; sleep 0.05; done
got=$(python3 "$HERE/../sync/httpreq.py" GET "$(cat "$TMP/hub.url")/")
expect_contains "the packaged hub serves the installed web app" "<title>heph</title>" "$got"
expect_contains "from /usr/share/heph/web" "web app from /usr/share/heph/web" "$(cat "$TMP/hub.log")"
for p in $PIDS; do kill -TERM "$p"; wait "$p" 2>/dev/null; done
PIDS=""

expect_status "heph-capture runs" 0 /usr/bin/heph-capture --help
files="$(dpkg -L heph) $(dpkg -L heph-capture)"
expect_status "dpkg purges them" 0 dpkg --purge heph-capture heph
left=""
for f in $files; do [ -f "$f" ] && left="$left $f"; done
expect_eq "no file of the package is left" "" "$left"
finish
