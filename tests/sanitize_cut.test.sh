#!/bin/sh
# Nothing lost when the input is cut: every prefix of a JSON array through
# sanitize keeps the elements before the cut and marks the cut one
# (tests/sanitize_cut.py), and --check exits 1 exactly when it must.
set -u
cd "$(dirname "$0")/.."
LOGWHY=${LOGWHY:-$PWD/build/logwhy}
export LOGWHY
export LOGWHY_RULES=$PWD/rules
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/sanitize_cut.py "$tmp"
