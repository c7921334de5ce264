# Sourced by the logwhy-wsd suites: the server binary, a scratch folder
# named after the suite, and a trap that kills only the server pids the
# suite's client recorded in $tmp/pids (the clients stop their servers
# themselves; this catches a client that was itself killed).
# Usage: suite=NAME; . tests/wsd_lib.sh   (sh passes no arguments to ".")
WSD=${LOGWHY_WSD:-$PWD/build/logwhy-wsd}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/${suite:-wsd}.XXXXXX")

wsd_cleanup() {
	if [ -f "$tmp/pids" ]; then
		while read -r pid; do
			kill -9 "$pid" 2>/dev/null
		done <"$tmp/pids"
	fi
	rm -rf "$tmp"
}
trap wsd_cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ ! -x "$WSD" ]; then
	echo "FAIL logwhy-wsd not built: $WSD"
	echo "0 passed, 1 failed"
	exit 1
fi
