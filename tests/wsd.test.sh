#!/bin/sh
# logwhy-wsd end to end over loopback: RFC 6455 conformance and fault modes
# over raw sockets (wsd_conformance.py), then a real client, Debian's
# python3-websockets (wsd_interop.py). Ends with "N passed, N failed".
PY=/usr/bin/python3
suite=wsd-test
. "$(dirname "$0")/lib.sh"
. tests/wsd_lib.sh

for script in tests/wsd_conformance.py tests/wsd_interop.py; do
	run_client 90 "$PY" "$script" "$WSD" "$tmp"
done
tests_done
