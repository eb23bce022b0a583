#!/bin/sh
# deb.sh SRCDIR [OUTDIR] — build heph's Debian packages from the source tree
# SRCDIR with dpkg-buildpackage (debian/: debhelper with Meson, no tests at
# package build time) and put heph_VERSION_ARCH.deb and
# heph-capture_VERSION_ARCH.deb in OUTDIR (default SRCDIR). The build runs in
# a copy of the tree's files (tracked and new, not ignored ones), so the tree
# gets no debian/tmp, obj-* or .deb of its own and the packages are what the
# tree holds now. Prints the packages' paths,
# heph's first, one a line.
set -eu
src=$(cd "$1" && pwd)
out=$(cd "${2:-$1}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/heph-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/heph"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
	tar -xf - -C "$work/heph"
(cd "$work/heph" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
	tail -n 40 "$work/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed" >&2
	exit 1
}
for deb in "$work"/heph_*.deb "$work"/heph-capture_*.deb; do
	cp "$deb" "$out/"
	echo "$out/$(basename "$deb")"
done
