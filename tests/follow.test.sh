#!/bin/sh
# lint -f: findings appear while the file grows, each flushed as it is made;
# the run is bounded (killed after its checks, 30 s at most).
set -u
cd "$(dirname "$0")/.."
LOGWHY=${LOGWHY:-$PWD/build/logwhy}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0

lines() { n=$(wc -l <"$1" 2>/dev/null); echo "${n:-0}"; }
wait_lines() {   # file count: wait up to 10 s for count lines
	i=0
	while [ "$(lines "$1")" -lt "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(lines "$1")" -ge "$2" ]
}

# both exist before lint starts: the background job's redirection may not
# have created out yet when the first check runs
: >"$tmp/app.log"
: >"$tmp/out"
timeout 30 "$LOGWHY" lint -q -f --output json "$tmp/app.log" >"$tmp/out" 2>"$tmp/err" &
pid=$!
echo 'received 1011 (internal error) Internal error; then sent 1011 (internal error) Internal error' >>"$tmp/app.log"
if wait_lines "$tmp/out" 1 && grep -q '"rule":"ws.close-1011"' "$tmp/out"; then
	pass=$((pass + 1))
else
	echo "FAIL first finding did not appear while following"; fail=$((fail + 1))
fi
printf '{"severity":"ERROR","message":"WebSocket error: Object of type WebSocketState is not JSON serializable"}\n' >>"$tmp/app.log"
if wait_lines "$tmp/out" 2 && tail -n 1 "$tmp/out" | grep -q 'serialization.object-not-serializable'; then
	pass=$((pass + 1))
else
	echo "FAIL appended record not seen"; fail=$((fail + 1))
fi
if kill -0 "$pid" 2>/dev/null; then pass=$((pass + 1)); else echo "FAIL lint -f ended at end of file"; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
