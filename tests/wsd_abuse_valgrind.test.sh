#!/bin/sh
# The abuse scenarios of tests/wsd_abuse.py, smaller ("quick"), with every
# server under valgrind: no memory error, no definite leak, every heap block
# freed once SIGTERM has been handled. Time bounds are stretched for
# valgrind and memory bounds are left to the plain suite.
# Ends with "N passed, N failed".
PY=/usr/bin/python3
suite=wsd-abuse-vg
. "$(dirname "$0")/lib.sh"
. tests/wsd_lib.sh

if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL valgrind is not installed (scripts/deps.sh installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi
# An ASan build cannot run under valgrind: check a plain build of the same
# tree, in its own folder beside it (make brings it up to date).
if ldd "$WSD" 2>/dev/null | grep -q libasan; then
	plain=${BUILD:-build}-nosan
	env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory -s SAN= BUILD="$plain" \
		"$plain/logwhy-wsd" >/dev/null 2>&1
	WSD=$PWD/$plain/logwhy-wsd
	if [ ! -x "$WSD" ]; then
		echo "FAIL could not build a plain logwhy-wsd in $plain"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

WSD_WRAP="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=$tmp/vg.%p.log"
export WSD_WRAP
run_client 200 "$PY" tests/wsd_abuse.py "$WSD" "$tmp" quick

n=0
for log in "$tmp"/vg.*.log; do
	[ -f "$log" ] || continue
	n=$((n + 1))
	check "$(basename "$log"): no memory errors" 'grep -q "ERROR SUMMARY: 0 errors" "$log"'
	check "$(basename "$log"): every heap block freed" 'grep -q "All heap blocks were freed" "$log"'
	if ! grep -q "ERROR SUMMARY: 0 errors" "$log" || ! grep -q "All heap blocks were freed" "$log"; then
		tail -n 30 "$log"
	fi
done
servers=$(cat "$tmp/pids" 2>/dev/null | grep -c .)
check "one valgrind log per server ($n logs, $servers servers)" '[ "$n" -gt 0 ] && [ "$n" -eq "$servers" ]'
tests_done
