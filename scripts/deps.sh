#!/bin/sh
# Install the Debian packages heph needs to build and test, if any are missing.
# Quiet and fast when everything is present (one dpkg-query call).
set -eu
PKGS="meson ninja-build pkg-config gcc libsqlite3-dev sqlite3 libjansson-dev libcmocka-dev libssl-dev libical-dev libncurses-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libmicrohttpd-dev libcurl4-openssl-dev tmux python3 python3-yaml taskwarrior coreutils"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "heph: installing missing packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
