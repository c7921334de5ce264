#!/bin/sh
# Nothing lost when the input is cut: every prefix of a JSON array through
# sanitize keeps the elements before the cut and marks the cut one
# (tests/sanitize_cut.py), and --check exits 1 exactly when it must.
. "$(dirname "$0")/lib.sh"
export LOGWHY
export LOGWHY_RULES=$PWD/rules
python3 tests/sanitize_cut.py "$tmp"
