#!/bin/sh
# logwhy-wsd under valgrind while 300 concurrent python3-websockets sessions
# run, then SIGTERM: every session succeeds, no memory error, every heap
# block freed, exit 0. Bounded: the load has 120 s, the shutdown 30 s.
. "$(dirname "$0")/lib.sh"
vp=
suite_cleanup() { [ -z "$vp" ] || kill -KILL "$vp" 2>/dev/null; }

if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL valgrind is not installed (scripts/deps.sh installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi
# an ASan build cannot run under valgrind; the plain build is the one checked
case $WSD in */san/*) WSD=$PWD/build/logwhy-wsd ;; esac
[ -x "$WSD" ] || env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory -s SAN= BUILD=build build/logwhy-wsd >/dev/null

valgrind --leak-check=full --errors-for-leak-kinds=all --error-exitcode=9 \
	--log-file="$tmp/vg.log" "$WSD" --port 0 --port-file "$tmp/port" >"$tmp/out" 2>&1 &
vp=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
check "server started under valgrind" '[ -s "$tmp/port" ]'
port=$(cat "$tmp/port" 2>/dev/null)
timeout 120 /usr/bin/python3 tests/wsd_load.py "ws://127.0.0.1:$port/ws" 300 >"$tmp/load" 2>&1
check "300 concurrent sessions all succeed: $(head -n 1 "$tmp/load")" 'grep -q "^ok 300 of 300" "$tmp/load"'
kill -TERM "$vp" 2>/dev/null
i=0
while kill -0 "$vp" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
wait "$vp"
rc=$?
vp=
check "exits 0 on SIGTERM with no valgrind error (status $rc)" '[ "$rc" -eq 0 ]'
check "no memory errors" 'grep -q "ERROR SUMMARY: 0 errors" "$tmp/vg.log"'
check "every heap block freed" 'grep -q "All heap blocks were freed" "$tmp/vg.log"'
[ "$fail" -eq 0 ] || tail -n 20 "$tmp/vg.log"
tests_done
