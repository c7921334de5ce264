#!/bin/sh
# npm's ws, a real third-party WebSocket client, against logwhy-wsd
# (tests/node/wsd_ws_client.js). ws is pinned in tests/node/package-lock.json
# and installed there with `npm ci` the first time (scripts/deps.sh installs
# node and npm). Ends with "N passed, N failed".
suite=wsd-node
. "$(dirname "$0")/lib.sh"
. tests/wsd_lib.sh

die() {
	echo "FAIL $1"
	echo "0 passed, 1 failed"
	exit 1
}

node_modules || die "$node_error"

run_client 120 node tests/node/wsd_ws_client.js "$WSD" "$tmp"
tests_done
