#!/bin/sh
# One incident, five input shapes: gcloud JSON (newest first), gcloud YAML,
# LogEntry NDJSON, Cloud Run stdout+stderr, Python-logging text. Each must
# give the same findings (rule, message) for the same records, and the same
# number of records once multi-line blocks are joined.
set -u
cd "$(dirname "$0")/.."
LOGWHY=${LOGWHY:-$PWD/build/logwhy}
dir=fixtures/incident-enum-log
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

summarize() {
	"$LOGWHY" lint --rules rules --fail-on never --output json "$1" 2>"$tmp/err" |
		jq -r '[.rule, .message] | @tsv' | sort
}
records() {
	"$LOGWHY" lint --rules rules --fail-on never "$1" 2>&1 >/dev/null |
		sed -n 's/^logwhy: \([0-9]*\) records.*/\1/p'
}

summarize "$dir/gcloud.json" >"$tmp/want"
want_records=$(records "$dir/gcloud.json")
# the incident has three failed connections: each a 1011 close, the failed
# log call and the handler's serialization error
for r in ws.close-1011 serialization.object-not-serializable serialization.logging-error; do
	n=$(grep -c "^$r	" "$tmp/want")
	if [ "$n" -eq 3 ]; then
		pass=$((pass + 1))
	else
		echo "FAIL gcloud.json: $n findings of $r, want 3"; fail=$((fail + 1))
	fi
done
for f in gcloud.yaml entries.ndjson cloudrun.ndjson app.log; do
	summarize "$dir/$f" >"$tmp/got"
	if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		pass=$((pass + 1))
	else
		echo "FAIL $f: findings differ from gcloud.json"; head -n 20 "$tmp/diff"
		fail=$((fail + 1))
	fi
	got_records=$(records "$dir/$f")
	if [ "$got_records" = "$want_records" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL $f: $got_records records, gcloud.json has $want_records"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
