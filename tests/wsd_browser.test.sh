#!/bin/sh
# A real browser: headless Chromium (scripts/deps.sh installs it) against
# every logwhy-wsd --fault through a small page, driven in real time over
# --remote-debugging-pipe (tests/wsd_browser.py); its console output and
# the server log, triaged, must name each fault's class. Loopback only;
# the browser and servers are stopped by pid. Ends with "N passed, N failed".
PY=/usr/bin/python3
suite=wsd-browser
. "$(dirname "$0")/lib.sh"
. tests/wsd_lib.sh
export LOGWHY

run_client 170 "$PY" tests/wsd_browser.py "$WSD" "$tmp"
tests_done
