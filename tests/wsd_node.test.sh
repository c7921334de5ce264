#!/bin/sh
# npm's ws, a real third-party WebSocket client, against logwhy-wsd
# (tests/node/wsd_ws_client.js). ws is pinned in tests/node/package-lock.json
# and installed there with `npm ci` the first time (scripts/deps.sh installs
# node and npm). Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
suite=wsd-node
. tests/wsd_lib.sh

die() {
	echo "FAIL $1"
	echo "0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null 2>&1 || die "node not found (scripts/deps.sh installs nodejs and npm)"
if [ ! -f tests/node/node_modules/ws/package.json ]; then
	command -v npm >/dev/null 2>&1 || die "npm not found (scripts/deps.sh installs nodejs and npm)"
	if ! (cd tests/node && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
		>"$tmp/npm.log" 2>&1; then
		cat "$tmp/npm.log"
		die "npm ci in tests/node failed"
	fi
fi

run_client 120 node tests/node/wsd_ws_client.js "$WSD" "$tmp"
wsd_done
