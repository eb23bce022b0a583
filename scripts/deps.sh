#!/bin/sh
# Install the Debian packages heph needs to build and test, if any are missing,
# and the browser tests' npm packages (pinned by tests/web/package-lock.json:
# playwright-core, which drives Debian's Chromium and downloads no browser,
# and oidc-provider, the identity provider the login tests run on loopback). Quiet and fast when everything is present (one dpkg-query call).
set -eu
PKGS="meson ninja-build pkg-config gcc libsqlite3-dev sqlite3 libjansson-dev libcmocka-dev libssl-dev libical-dev libncurses-dev libmicrohttpd-dev libcurl4-openssl-dev libcmark-gfm-dev libcmark-gfm-extensions-dev tmux python3 python3-yaml taskwarrior coreutils man-db groff-base zsh fish chromium fonts-dejavu-core"
# Node.js and npm: Debian's nodejs and npm packages, unless a node and npm are
# already there (another nodejs package, such as one that bundles npm, would
# conflict with Debian's npm).
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
# make fuzz: clang with libFuzzer; make bench: Taskwarrior and hyperfine;
# make valgrind: valgrind. Only those targets ask for these.
[ "${FUZZ_DEPS:-}" ] && PKGS="$PKGS clang-14 libclang-rt-14-dev"
[ "${BENCH_DEPS:-}" ] && PKGS="$PKGS taskwarrior hyperfine time"
[ "${VALGRIND_DEPS:-}" ] && PKGS="$PKGS valgrind"
# make deb and its test (tests/dist/deb.sh, part of the suite): debhelper, lintian
PKGS="$PKGS debhelper dpkg-dev lintian"
# tests/sync/metrics.sh reads /metrics with Prometheus' own parser
PKGS="$PKGS python3-prometheus-client"
# tests/sync/install.sh checks hephd.service with systemd-analyze verify
PKGS="$PKGS systemd"
# heph-capture links GTK 4; tests/editor runs the Neovim plugin in a headless
# Neovim, and heph-capture on Xvfb typed at with xdotool, with ImageMagick's
# import taking the screenshot kept as an artefact
PKGS="$PKGS libgtk-4-dev neovim xvfb xdotool imagemagick"
# hephd links libpq for a hub on PostgreSQL (--store); tests/sync/pg*.sh start a
# private PostgreSQL 15 cluster with Debian's server
PKGS="$PKGS libpq-dev postgresql-15"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
if [ -n "$missing" ]; then
	echo "heph: installing missing packages:$missing" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >/dev/null
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
web=$(dirname "$0")/../tests/web
if [ ! -f "$web/node_modules/playwright-core/package.json" ] || [ ! -f "$web/node_modules/oidc-provider/package.json" ]; then
	echo "heph: installing the browser tests' npm packages (tests/web)" >&2
	(cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
