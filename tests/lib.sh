# Sourced first by every shell suite, so each runs alone (sh tests/x.test.sh)
# or from tests/run.sh:
#   . "$(dirname "$0")/lib.sh"      (set suite=NAME before it to name $tmp)
# It sets -u and moves to the repository root ($root), and sets
#   BUILD            the build folder (build, or build/san from make SAN=1)
#   LOGWHY, WSD      the binaries under test: $LOGWHY and $LOGWHY_WSD when
#                    set, else the ones in $BUILD
#   tmp              a scratch folder, removed on exit after the suite's own
#                    suite_cleanup function (when it defines one) has run
# and the pass and fail counters, with the end line tests/run.sh reads:
#   ok [NAME]        a pass (shown as "ok   NAME" when SHOW_OK is set)
#   bad NAME...      a failure, shown as "FAIL NAME..."
#   check NAME CMD   eval CMD: a pass when it succeeds, else a failure
#   tests_done       "N passed, N failed"; fails when any failed (call last)
set -u
cd "$(dirname "$0")/.." || exit 1
root=$PWD
BUILD=${BUILD:-build}
LOGWHY=${LOGWHY:-$root/$BUILD/logwhy}
WSD=${LOGWHY_WSD:-$root/$BUILD/logwhy-wsd}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/${suite:-$(basename "$0" .sh)}.XXXXXX") || exit 1

lib_exit() {
	if command -v suite_cleanup >/dev/null 2>&1; then
		suite_cleanup
	fi
	rm -rf "$tmp"
}
trap lib_exit EXIT
trap 'exit 130' INT TERM HUP

pass=0
fail=0
ok() { pass=$((pass + 1)); [ -z "${SHOW_OK:-}" ] || echo "ok   ${1:-}"; }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
tests_done() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
