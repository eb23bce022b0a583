#!/bin/sh
# build-old.sh SRCROOT COMMIT WORKDIR HEPH-OUT HEPHD-OUT — build heph and hephd
# as they were at COMMIT, from this repository's own history, for the
# mixed-version tests (tests/fleet/old_version.sh). The tree of COMMIT is
# taken with `git archive` (no checkout is touched) and built in WORKDIR
# with its own meson.build; only the two binaries are compiled.
#
# A checkout without that history (a shallow clone, a tarball) cannot build
# it: the outputs are then scripts that print why and fail, so that the one
# test that needs them fails with that reason and the rest of the suite
# runs.
set -u
src=$1 commit=$2 work=$3 out_heph=$4 out_hephd=$5

stub() {
	for out in "$out_heph" "$out_hephd"; do
		printf '#!/bin/sh\necho "heph at %s could not be built: %s" >&2\nexit 127\n' "$commit" "$1" >"$out"
		chmod +x "$out"
	done
	echo "build-old.sh: $1" >&2
	exit 0
}

if [ -f "$work/commit" ] && [ "$(cat "$work/commit")" = "$commit" ] &&
	[ -x "$work/build/src/cli/heph" ] && [ -x "$work/build/src/daemon/hephd" ]; then
	cp "$work/build/src/cli/heph" "$out_heph" && cp "$work/build/src/daemon/hephd" "$out_hephd" && exit 0
fi
rm -rf "$work"
mkdir -p "$work/src" || stub "cannot make $work"
git -C "$src" cat-file -e "$commit^{commit}" 2>/dev/null ||
	stub "this checkout does not hold commit $commit (a shallow clone? git fetch --unshallow)"
git -C "$src" archive --format=tar "$commit" | tar -x -C "$work/src" || stub "git archive failed"
# Its own build options; warnings are not errors in code that is history.
meson setup "$work/build" "$work/src" --buildtype=debugoptimized -Dwerror=false >"$work/setup.log" 2>&1 ||
	stub "meson setup failed (see $work/setup.log)"
ninja -C "$work/build" src/cli/heph src/daemon/hephd >"$work/build.log" 2>&1 ||
	stub "the build failed (see $work/build.log)"
echo "$commit" >"$work/commit"
cp "$work/build/src/cli/heph" "$out_heph" && cp "$work/build/src/daemon/hephd" "$out_hephd"
