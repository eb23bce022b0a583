#!/bin/sh
# run-tests.sh BUILD [SANBUILD] — build and run the whole suite in each build
# directory (the second one is the AddressSanitizer + UBSan build) and end
# with one line: "N passed, N failed".
set -u
pass=0
fail=0
status=0
for dir in "$@"; do
	echo "== $dir" >&2
	if ! ninja -C "$dir" >/dev/null; then
		ninja -C "$dir" >&2
		echo "build failed in $dir" >&2
		fail=$((fail + 1))
		status=1
		continue
	fi
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C "$dir" --print-errorlogs --num-processes 2 >&2 || status=1
	log="$dir/meson-logs/testlog.json"
	if [ -f "$log" ]; then
		p=$(grep -c '"result": "OK"' "$log")
		f=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\)"' "$log")
		pass=$((pass + p))
		fail=$((fail + f))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$status" -eq 0 ]
