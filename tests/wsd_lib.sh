# Sourced by the logwhy-wsd suites after tests/lib.sh: a check that the
# server is built, run_client, node_modules, and a suite_cleanup that kills
# only the server pids the suite's client recorded in $tmp/pids (the clients
# stop their servers themselves; this catches a client that was itself
# killed).
# Usage: suite=NAME; . "$(dirname "$0")/lib.sh"; . tests/wsd_lib.sh
# Then run_client for each client, and tests_done last.
suite_cleanup() {
	if [ -f "$tmp/pids" ]; then
		while read -r pid; do
			kill -9 "$pid" 2>/dev/null
		done <"$tmp/pids"
	fi
}

if [ ! -x "$WSD" ]; then
	echo "FAIL logwhy-wsd not built: $WSD"
	echo "0 passed, 1 failed"
	exit 1
fi

# run_client SECONDS CMD...: run a client that ends with "N passed, N
# failed", show its other lines, and add its counts to pass and fail. A
# client that ends without that line, or fails without counting it, fails.
run_client() {
	secs=$1
	shift
	out=$(timeout "$secs" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed '$d'
	last=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "FAIL $* ended abnormally (status $rc): $last"
		p=0
		f=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p))
	fail=$((fail + f))
}

# node_modules: node and tests/node's pinned packages (ws, wscat), installed
# there with `npm ci` the first time; 1 with $node_error set when missing.
node_modules() {
	if ! command -v node >/dev/null 2>&1; then
		node_error="node not found (scripts/deps.sh installs nodejs and npm)"
		return 1
	fi
	[ -f tests/node/node_modules/ws/package.json ] &&
		[ -f tests/node/node_modules/wscat/package.json ] && return 0
	if ! command -v npm >/dev/null 2>&1; then
		node_error="npm not found (scripts/deps.sh installs nodejs and npm)"
		return 1
	fi
	if ! (cd tests/node && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
		>"$tmp/npm.log" 2>&1; then
		cat "$tmp/npm.log"
		node_error="npm ci in tests/node failed"
		return 1
	fi
}
