#!/bin/sh
# logwhy-wsd end to end over loopback: RFC 6455 conformance and fault modes
# over raw sockets (wsd_conformance.py), then a real client, Debian's
# python3-websockets (wsd_interop.py). Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
suite=wsd-test
. tests/wsd_lib.sh

pass=0
fail=0
for script in tests/wsd_conformance.py tests/wsd_interop.py; do
	out=$(timeout 90 "$PY" "$script" "$WSD" "$tmp" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed '$d'
	last=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "FAIL $script ended abnormally (status $rc): $last"
		p=0
		f=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
