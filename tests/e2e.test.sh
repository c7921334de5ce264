#!/bin/sh
# The whole chain, end to end over loopback: logwhy-wsd fails the way a
# staging service did in the incidents it was built from, `logwhy probe` records what a client saw, and
# `logwhy triage` on the server's log plus the probe's traces names the
# fault's root-cause class. The healthy cases (no fault, the incidents' fixes)
# must show no 1011 and no verdict. Ends with "N passed, N failed".
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}
SHOW_OK=1
srv_pid=

# Only the server this script started is signalled.
suite_cleanup() {
	if [ -n "$srv_pid" ]; then
		kill -9 "$srv_pid" 2>/dev/null
	fi
}

# expect NAME GOT WANT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }

for bin in "$LOGWHY" "$WSD"; do
	if [ ! -x "$bin" ]; then
		echo "FAIL not built: $bin"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

# start_server LOGFILE ARGS...: logwhy-wsd on an ephemeral loopback port;
# sets $port. The log goes to LOGFILE (stdout and stderr, as Cloud Run
# collects them).
start_server() {
	log=$1
	shift
	rm -f "$tmp/port"
	"$WSD" --listen 127.0.0.1 --port 0 --port-file "$tmp/port" "$@" >"$log" 2>&1 &
	srv_pid=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	port=$(cat "$tmp/port" 2>/dev/null)
	[ -n "$port" ]
}

# SIGTERM, then up to 5 s for a clean exit (it closes clients with 1001).
stop_server() {
	[ -n "$srv_pid" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null
	i=0
	while kill -0 "$srv_pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}

# json FILE EXPR: evaluate a python expression over the JSON document d (or
# the list of lines' objects, t) of FILE; prints the result.
json() {
	timeout 20 "$PY" -c '
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
except ValueError:
    d = None
t = [json.loads(l) for l in text.splitlines() if l.strip()] if d is None else [d]
print(eval(sys.argv[2]))
' "$1" "$2" 2>&1
}

# case NAME WANT_CATEGORY WANT_PROBE_RC WANT_CODE [server args...] [-- probe args...]
# Two probe connections, then triage. WANT_CATEGORY "none" means a null
# verdict with no 1011 symptom; "1006" means the abort: 1006 symptoms, each
# counted.
run_case() {
	name=$1 want=$2 want_rc=$3 want_code=$4
	shift 4
	srv_args=
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		srv_args="$srv_args $1"
		shift
	done
	[ $# -gt 0 ] && shift
	log="$tmp/$name.log"
	traces="$tmp/$name.traces"
	: >"$traces"
	# shellcheck disable=SC2086
	if ! start_server "$log" $srv_args; then
		bad "$name: server did not start: $(tail -n 3 "$log")"
		stop_server
		return
	fi
	rcs=
	for n in 1 2; do
		timeout 30 "$LOGWHY" probe --timeout 1000 "$@" "ws://127.0.0.1:$port/ws" >>"$traces" 2>"$tmp/probe.err"
		rcs="$rcs$?"
	done
	# and one session of a real third-party client, python3-websockets
	client_headers=
	[ "${1:-}" = "--header" ] && client_headers=$2
	timeout 30 /usr/bin/python3 tests/e2e_client.py "ws://127.0.0.1:$port/ws" ${client_headers:+"$client_headers"} \
		>"$tmp/$name.client" 2>"$tmp/client.err"
	expect "$name: python client ran" "$?" 0
	stop_server
	expect "$name: probe exit status, two connections" "$rcs" "$want_rc$want_rc"
	expect "$name: two trace lines" "$(wc -l <"$traces" | tr -d ' ')" 2
	expect "$name: close codes in the traces" \
		"$(json "$traces" '",".join(str(o.get("close", {}).get("code")) for o in t)')" \
		"$want_code,$want_code"
	timeout 60 "$LOGWHY" triage --output json "$log" "$traces" "$tmp/$name.client" >"$tmp/$name.triage" 2>"$tmp/triage.err"
	expect "$name: triage exit status" "$?" 0
	case $want in
	none)
		expect "$name: no verdict" "$(json "$tmp/$name.triage" 'd["verdict"]')" None
		expect "$name: no 1011/1006 symptom" \
			"$(json "$tmp/$name.triage" 'sum(s["count"] for s in d["symptoms"] if s["rule"] in ("ws.close-1011", "ws.close-1006"))')" 0
		;;
	1006)
		# the server logs its abort for each of 3 sessions; two probes and
		# the python client saw 1006: 3 + 3
		expect "$name: 1006 symptoms shown" \
			"$(json "$tmp/$name.triage" '[s["count"] for s in d["symptoms"] if s["rule"] == "ws.close-1006"]')" "[6]"
		;;
	*)
		expect "$name: verdict category" "$(json "$tmp/$name.triage" '(d["verdict"] or {}).get("category")')" "$want"
		# the server's three closes, the probe's two, the python client's one: all explained
		expect "$name: 1011 symptoms explained" \
			"$(json "$tmp/$name.triage" '[(s["count"], s["explained"]) for s in d["symptoms"] if s["rule"] == "ws.close-1011"]')" \
			"[(6, 6)]"
		;;
	esac
}

run_case none none 0 1000 --fault none -- --send '{"type":"ping"}'
expect "none: welcome, then the pong to our ping" \
	"$(json "$tmp/none.traces" '[(o["first_message_ms"] >= 0, o["sent"], o["received"], o["close"]["direction"], o["close"]["clean"]) for o in t]')" \
	"[(True, 1, 2, 'sent', True), (True, 1, 2, 'sent', True)]"
expect "none: health check recorded" \
	"$(json "$tmp/none.traces" '[(o["health"]["http_status"], o["health"]["e2e_testing"]["enabled"]) for o in t]')" \
	"[(200, False), (200, False)]"
# the probe's connection_id is the one the server logged, so triage can join them
cid=$(json "$tmp/none.traces" 't[0]["connection_id"]')
if [ -n "$cid" ] && grep -q "\"connection_id\":\"$cid\"" "$tmp/none.log"; then
	ok "none: probe connection_id $cid is in the server log"
else
	bad "none: probe connection_id '$cid' not in the server log"
fi

run_case enum-log serialization 1 1011 --fault enum-log --log json
expect "enum-log: reason and direction" \
	"$(json "$tmp/enum-log.traces" '[(o["close"]["reason"], o["close"]["direction"], o["close"]["clean"], "first_message" in o) for o in t][0]')" \
	"('Internal error', 'received', True, False)"
run_case enum-log-gcloud serialization 1 1011 --fault enum-log --log gcloud
run_case enum-log-text serialization 1 1011 --fault enum-log --log text
run_case missing-service missing-service 1 1011 --fault missing-service
expect "missing-service: Service unavailable well under a second after open" \
	"$(json "$tmp/missing-service.traces" '[(o["close"]["reason"], o["elapsed_ms"] < 1000) for o in t][0]')" \
	"('Service unavailable', True)"
run_case startup-incomplete startup 1 1011 --fault startup-incomplete --startup-wait 300
run_case e2e-env e2e-env 1 1011 --fault e2e-env
run_case abort 1006 1 1006 --fault abort
expect "abort: no close frame, unclean" \
	"$(json "$tmp/abort.traces" '[(o["close"]["clean"], o["close"]["direction"]) for o in t][0]')" \
	"(False, 'received')"
run_case safe-logging none 0 1000 --fault enum-log --safe-logging
run_case e2e-header none 0 1000 --fault e2e-env -- --header 'X-E2E-Testing: true'
E2E_TESTING=1
export E2E_TESTING
run_case e2e-variable none 0 1000 --fault e2e-env
unset E2E_TESTING
expect "e2e-variable: the health check says e2e_testing enabled" \
	"$(json "$tmp/e2e-variable.traces" 't[0]["health"]["e2e_testing"]["enabled"]')" True

# -H: a debug script's human-readable report, which logwhy itself reads back
if start_server "$tmp/human.log" --fault missing-service; then
	timeout 30 "$LOGWHY" probe -H --timeout 2000 "ws://127.0.0.1:$port/ws" >"$tmp/human.txt" 2>&1
	rc=$?
	stop_server
	expect "human: exit status" "$rc" 1
	for line in '1. BACKEND HEALTH CHECK:' '   Status: 200' '   [OK] Backend is healthy' \
		'2. WEBSOCKET CONNECTION TEST:' '   Waiting for welcome message...' \
		'   Close code: 1011' '   Close reason: Service unavailable' 'Result: FAILED'; do
		if grep -qxF "$line" "$tmp/human.txt"; then
			ok "human: '$line'"
		else
			bad "human: no line '$line' in: $(cat "$tmp/human.txt")"
		fi
	done
	if grep -Eq '^   \[OK\] Connected in [0-9]+\.[0-9]{3}s$' "$tmp/human.txt" &&
	   grep -Eq '^   \[ERROR\] CONNECTION CLOSED after 0\.[0-9]{3}s$' "$tmp/human.txt"; then
		ok "human: connect and close timings"
	else
		bad "human: timings: $(cat "$tmp/human.txt")"
	fi
	timeout 60 "$LOGWHY" triage --output json "$tmp/human.log" "$tmp/human.txt" >"$tmp/human.triage" 2>/dev/null
	expect "human: triage reads the report with the server log" \
		"$(json "$tmp/human.triage" '(d["verdict"] or {}).get("category")')" missing-service
else
	bad "human: server did not start"
	stop_server
fi

# usage and connect errors exit 2
# wss:// itself: tests/probe_tls.test.sh; nothing listening is still exit 2
timeout 10 "$LOGWHY" probe wss://127.0.0.1:1/ws >/dev/null 2>"$tmp/err"
expect "wss:// nothing listening: exit status" "$?" 2
if grep -q 'cannot connect to 127.0.0.1 port 1' "$tmp/err"; then ok "wss:// nothing listening: says why"; else bad "wss:// nothing listening: $(cat "$tmp/err")"; fi
timeout 10 "$LOGWHY" probe >/dev/null 2>&1
expect "no URL: exit status" "$?" 2
timeout 10 "$LOGWHY" probe --timeout 2000 ws://127.0.0.1:1/ws >/dev/null 2>&1
expect "nothing listening: exit status" "$?" 2

tests_done
