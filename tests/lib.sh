# Sourced by the shell suites, from the repository root: the pass and fail
# counters, and the end line tests/run.sh reads.
#   ok [NAME]        a pass (shown as "ok   NAME" when SHOW_OK is set)
#   bad NAME...      a failure, shown as "FAIL NAME..."
#   check NAME CMD   eval CMD: a pass when it succeeds, else a failure
#   tests_done       "N passed, N failed"; fails when any failed (call last)
pass=0
fail=0
ok() { pass=$((pass + 1)); [ -z "${SHOW_OK:-}" ] || echo "ok   $1"; }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
tests_done() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
