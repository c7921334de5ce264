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
if [ "$(wc -l <"$tmp/want")" -lt 10 ]; then
	echo "FAIL gcloud.json: only $(wc -l <"$tmp/want") findings"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
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
