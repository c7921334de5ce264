#!/bin/sh
# logwhy-wsd with real clients nobody here wrote, against every --fault
# (tests/wsd_clients.py): wscat and npm's ws (pinned in tests/node, installed
# with `npm ci` on first run), Node's built-in WebSocket, python3-websockets
# and its CLI. Subprotocols, each fault's close in each client's wording,
# and triage of the server log plus the clients' output. Loopback only.
# Ends with "N passed, N failed".
PY=/usr/bin/python3
suite=wsd-clients
. "$(dirname "$0")/lib.sh"
. tests/wsd_lib.sh
export LOGWHY

if ! node_modules; then
	echo "FAIL $node_error"
	echo "0 passed, 1 failed"
	exit 1
fi
run_client 180 "$PY" tests/wsd_clients.py "$WSD" "$tmp"
tests_done
