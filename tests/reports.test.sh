#!/bin/sh
# The machine-readable lint reports, checked by independent readers: SARIF
# against the SARIF 2.1.0 schema (python3-jsonschema), JUnit XML with a
# strict XML parser, JSON lines with jq. Inputs: every fixture input, the
# hostile-bytes one included, and an input with no findings.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

printf '{"severity":"INFO","message":"Backend health check passed: 200 OK"}\n' >"$tmp/clean.ndjson"
inputs="fixtures/incident-enum-log/gcloud.json fixtures/incident-enum-log/app.log
fixtures/lint-close-traces/client-traces.log fixtures/lint-escape-bytes/input.log $tmp/clean.ndjson"

for f in $inputs; do
	"$LOGWHY" lint -q --fail-on never --output sarif "$f" >"$tmp/out.sarif"
	if $PY tests/validate_sarif.py "$tmp/out.sarif" 2>"$tmp/err"; then ok "sarif $f"; else bad "sarif $f"; cat "$tmp/err"; fi
	"$LOGWHY" lint -q --fail-on never --output junit "$f" >"$tmp/out.xml"
	if $PY -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$tmp/out.xml" 2>"$tmp/err"; then ok "junit $f"; else bad "junit $f"; cat "$tmp/err"; fi
	"$LOGWHY" lint -q --fail-on never --output json "$f" >"$tmp/out.json"
	if jq -e 'has("rule") and has("source") and has("line")' "$tmp/out.json" >/dev/null 2>&1 || [ ! -s "$tmp/out.json" ]; then ok "json $f"; else bad "json $f"; fi
done
# a SARIF report covers every input given, with one result per finding
"$LOGWHY" lint -q --fail-on never --output sarif fixtures/incident-enum-log/app.log fixtures/incident-enum-log/gcloud.yaml >"$tmp/two.sarif"
n=$(jq '.runs[0].results | length' "$tmp/two.sarif")
want=$("$LOGWHY" lint -q --fail-on never --output json fixtures/incident-enum-log/app.log fixtures/incident-enum-log/gcloud.yaml | wc -l)
if [ "$n" -eq "$want" ] && [ "$n" -gt 0 ]; then ok "two inputs: $n SARIF results for $want findings"; else bad "two inputs: $n SARIF results, $want findings"; fi
# the bundled example: one distinct fingerprint per result (code scanning
# folds results that share one), multi-line records span their lines,
# paths relative to %SRCROOT%, warnings as notifications, valid
"$LOGWHY" lint -q --fail-on never --output sarif examples/staging-1011.json >"$tmp/ex.sarif"
n=$(jq '[.runs[0].results[].partialFingerprints["logwhyRecordHash/v2"]] | length' "$tmp/ex.sarif")
u=$(jq '[.runs[0].results[].partialFingerprints["logwhyRecordHash/v2"]] | unique | length' "$tmp/ex.sarif")
if [ "$n" -gt 3 ] && [ "$n" -eq "$u" ]; then ok "example: $u distinct fingerprints for $n results"; else bad "example: $u distinct fingerprints for $n results"; fi
if $PY tests/validate_sarif.py "$tmp/ex.sarif" 2>"$tmp/err"; then ok "example sarif"; else bad "example sarif"; cat "$tmp/err"; fi
if jq -e '[.runs[0].results[].locations[0].physicalLocation | select(.artifactLocation.uriBaseId == "%SRCROOT%" and .artifactLocation.uri == "examples/staging-1011.json" and .region.endLine > .region.startLine)] | length > 0' "$tmp/ex.sarif" >/dev/null; then ok "example: relative uri with endLine"; else bad "example: relative uri with endLine"; fi
# the same record twice: two results, two fingerprints
cat fixtures/incident-enum-log/app.log fixtures/incident-enum-log/app.log >"$tmp/twice.log"
"$LOGWHY" lint -q --fail-on never --output sarif "$tmp/twice.log" >"$tmp/twice.sarif"
if jq -e '[.runs[0].results[].partialFingerprints[]] | length == (unique | length)' "$tmp/twice.sarif" >/dev/null; then ok "repeated records have fingerprints of their own"; else bad "repeated records share a fingerprint"; fi
"$LOGWHY" lint -q --fail-on never --output sarif fixtures/lint-cut-array/gcloud.json >"$tmp/cut.sarif"
if jq -e '.runs[0].invocations[0].toolExecutionNotifications[0].locations[0].physicalLocation.region.startLine == 1000' "$tmp/cut.sarif" >/dev/null &&
   $PY tests/validate_sarif.py "$tmp/cut.sarif"; then ok "warning as toolExecutionNotification"; else bad "warning as toolExecutionNotification"; fi
# JUnit: --fail-on never has no <failure>, --fail-on error only errors
"$LOGWHY" lint -q --fail-on never --output junit examples/staging-1011.json >"$tmp/never.xml"
if ! grep -q '<failure' "$tmp/never.xml" && grep -q 'failures="0"' "$tmp/never.xml"; then ok "junit --fail-on never has no failures"; else bad "junit --fail-on never has failures"; fi
"$LOGWHY" lint -q --fail-on error --output junit examples/staging-1011.json >"$tmp/err.xml"
if [ "$(grep -c '<failure type="error"' "$tmp/err.xml")" -eq "$(grep -c '<failure' "$tmp/err.xml")" ] && grep -q '<failure' "$tmp/err.xml"; then ok "junit --fail-on error"; else bad "junit --fail-on error"; fi
tests_done
