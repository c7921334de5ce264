#!/bin/sh
# logwhy-wsd under abuse (tests/wsd_abuse.py): slowloris handshakes,
# half-open floods and the connection cap, oversized headers, frame floods
# from clients that do not read, oversized frames and endless messages, FIN
# and RST at every stage. For each: the server stays up, a client connected
# all along and new clients are served, /health answers, memory stays
# bounded. Loopback only; the servers are killed by wsd_lib.sh's trap.
# Ends with "N passed, N failed".
PY=/usr/bin/python3
suite=wsd-abuse
. "$(dirname "$0")/lib.sh"
. tests/wsd_lib.sh

# An ASan build's VmRSS is mostly shadow memory and quarantine, not the
# server's buffers: check the memory bounds on plain builds only.
if ldd "$WSD" 2>/dev/null | grep -q libasan; then
	WSD_NO_RSS=1 WSD_SLOW=2
	export WSD_NO_RSS WSD_SLOW
fi
run_client 90 "$PY" tests/wsd_abuse.py "$WSD" "$tmp"
tests_done
