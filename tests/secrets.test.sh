#!/bin/sh
# The redaction corpus (tests/data/secrets/): every secret redacted with its
# kind and nothing else changed, every look-alike left alone, by sanitize and
# by lint's security.secret-in-log; prints recall and false positives.
. "$(dirname "$0")/lib.sh"
export LOGWHY
export LOGWHY_RULES=$PWD/rules
python3 tests/secrets_check.py "$tmp"
