#!/bin/bash
# docs.sh — the generated parts of docs/reference match the code's tables.
. "$(dirname "$0")/lib.sh"
expect_status "docs/reference is up to date" 0 python3 "$(dirname "$0")/../../scripts/gen-docs.py" "$HEPH" --check
[ -n "$OUT" ] && echo "$OUT" >&2
finish
