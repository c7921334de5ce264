#!/bin/sh
# The logwhy-wsd row of `make bench` (bench/wsd.py): handshakes/s and echo
# round trips/s, with server CPU per operation, for logwhy-wsd, npm's ws
# echo server and python websockets' server, same client, same run.
# BENCH_WSD_SECS (default 3) per figure. Exit 2 when a server could not run.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
secs=${BENCH_WSD_SECS:-3}
if [ ! -f tests/node/node_modules/ws/package.json ]; then
	(cd tests/node && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2 || exit 2
fi
[ -x "$BUILD/logwhy-wsd" ] || make --no-print-directory -s BUILD="$BUILD" "$BUILD/logwhy-wsd" || exit 2
exec /usr/bin/python3 bench/wsd.py "$BUILD/logwhy-wsd" "$secs"
