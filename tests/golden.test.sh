#!/bin/sh
# Golden cases: every fixtures/<case>/ with a file `cmd` is one case.
#   cmd            one shell command line; `logwhy` is the binary under test
#   expected.out   exact stdout
#   expected.err   exact stderr (optional: only checked when present)
#   expected.exit  exit status (optional, default 0)
# The command runs inside the case folder. UPDATE=1 rewrites the expected
# files from what the command does now (review the diff before committing).
. "$(dirname "$0")/lib.sh"

for dir in fixtures/*/; do
	case=${dir%/}
	[ -f "$case/cmd" ] || continue
	want_exit=0
	[ -f "$case/expected.exit" ] && want_exit=$(cat "$case/expected.exit")
	(
		cd "$case" || exit 99
		logwhy() { "$LOGWHY" "$@"; }
		export NO_COLOR=1 LOGWHY_RULES=../../rules
		. ./cmd
	) >"$tmp/out" 2>"$tmp/err" </dev/null
	got_exit=$?
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$tmp/out" "$case/expected.out"
		[ -f "$case/expected.err" ] && cp "$tmp/err" "$case/expected.err"
		if [ "$got_exit" -ne 0 ]; then echo "$got_exit" >"$case/expected.exit"; else rm -f "$case/expected.exit"; fi
	fi
	why=
	[ "$got_exit" = "$want_exit" ] || why="$why, exit $got_exit, want $want_exit"
	: >"$tmp/diff"
	diff -u "$case/expected.out" "$tmp/out" >>"$tmp/diff" || why="$why, stdout differs"
	if [ -f "$case/expected.err" ]; then
		diff -u "$case/expected.err" "$tmp/err" >>"$tmp/diff" || why="$why, stderr differs"
	fi
	if [ -z "$why" ]; then ok "$case"; else bad "$case: ${why#, }"; head -n 60 "$tmp/diff"; fi
done
tests_done
