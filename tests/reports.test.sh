#!/bin/sh
# The machine-readable lint reports, checked by independent readers: SARIF
# against the SARIF 2.1.0 schema (python3-jsonschema), JUnit XML with a
# strict XML parser, JSON lines with jq. Inputs: every fixture input, the
# hostile-bytes one included, and an input with no findings.
set -u
cd "$(dirname "$0")/.."
LOGWHY=${LOGWHY:-$PWD/build/logwhy}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }

printf '{"severity":"INFO","message":"Backend health check passed: 200 OK"}\n' >"$tmp/clean.ndjson"
inputs="fixtures/incident-enum-log/gcloud.json fixtures/incident-enum-log/app.log
fixtures/lint-close-traces/client-traces.log fixtures/lint-escape-bytes/input.log $tmp/clean.ndjson"

for f in $inputs; do
	"$LOGWHY" lint -q --fail-on never --output sarif "$f" >"$tmp/out.sarif"
	if $PY tests/validate_sarif.py "$tmp/out.sarif" 2>"$tmp/err"; then ok; else ko "sarif $f"; cat "$tmp/err"; fi
	"$LOGWHY" lint -q --fail-on never --output junit "$f" >"$tmp/out.xml"
	if $PY -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$tmp/out.xml" 2>"$tmp/err"; then ok; else ko "junit $f"; cat "$tmp/err"; fi
	"$LOGWHY" lint -q --fail-on never --output json "$f" >"$tmp/out.json"
	if jq -e 'has("rule") and has("source") and has("line")' "$tmp/out.json" >/dev/null 2>&1 || [ ! -s "$tmp/out.json" ]; then ok; else ko "json $f"; fi
done
# a SARIF report covers every input given, with one result per finding
"$LOGWHY" lint -q --fail-on never --output sarif fixtures/incident-enum-log/app.log fixtures/incident-enum-log/gcloud.yaml >"$tmp/two.sarif"
n=$(jq '.runs[0].results | length' "$tmp/two.sarif")
want=$("$LOGWHY" lint -q --fail-on never --output json fixtures/incident-enum-log/app.log fixtures/incident-enum-log/gcloud.yaml | wc -l)
if [ "$n" -eq "$want" ] && [ "$n" -gt 0 ]; then ok; else ko "two inputs: $n SARIF results, $want findings"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
