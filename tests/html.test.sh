#!/bin/sh
# triage's HTML report in a real browser, and the JSON it is drawn from.
# Each bundled incident, the three at once, a cause that stops at a new
# revision, and a hostile log line are rendered with -o html and loaded in
# headless Chromium (scripts/deps.sh installs it) by tests/html_check.py:
# the DOM must show the verdict, every cause's section and timeline lane,
# the unexplained lane and the where-tables, with nothing external and no
# element from a log line; the 1280 px screenshot must not be blank. A
# page with the hostile line left unescaped must fail those checks. The
# JSON reports are validated against tests/schemas/triage-report.schema.json
# and their buckets against the time axis. The markdown of the three
# incidents at once must stay at most half the 263 lines it had before its
# links were folded. Ends with "N passed, N failed".
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

# the hostile input: the enum-log incident with a log line, a revision and
# a close reason that carry markup
$PY - "$tmp/hostile.ndjson" <<'EOF'
import json, sys
h = '<script>console.log(1)</script> "><img src=x onerror=console.log(1)>'
out = open(sys.argv[1], "w")
for line in open("fixtures/incident-enum-log/entries.ndjson"):
    o = json.loads(line)
    o["resource"]["labels"]["revision_name"] = "rev-00154" + h
    p = o.get("jsonPayload", {})
    if p.get("message", "").startswith("WebSocket error: Object of type"):
        p["message"] += " " + h
    if "code=1011" in p.get("message", ""):
        p["message"] = p["message"].replace('"Internal error"', '"Internal error ' + h.replace('"', "'") + '"')
    out.write(json.dumps(o) + "\n")
EOF

run_page() {   # NAME [hostile] -- INPUT...
	name=$1
	shift
	mode=
	if [ "$1" = hostile ]; then mode=hostile; shift; fi
	shift   # --
	if ! "$LOGWHY" triage -q -o html "$@" >"$tmp/$name.html" ||
	   ! "$LOGWHY" triage -q -o json "$@" >"$tmp/$name.json"; then
		bad "$name: triage failed"
		return
	fi
	out=$($PY tests/html_check.py "$tmp/$name.html" "$tmp/$name.json" "$tmp" $mode 2>&1)
	printf '%s\n' "$out" | grep '^FAIL' || true
	p=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then bad "$name: html_check did not finish"; printf '%s\n' "$out" | tail -n 5; return; fi
	pass=$((pass + p))
	fail=$((fail + f))
}

for inc in enum-log missing-service e2e-env; do
	run_page "$inc" -- "fixtures/incident-$inc/entries.ndjson"
done
run_page three -- fixtures/incident-*/gcloud.json
run_page revisions -- fixtures/triage-where-revisions/input.ndjson
run_page hostile hostile -- "$tmp/hostile.ndjson"

# the checks can fail: the hostile page with its escaping undone
if [ -f "$tmp/hostile.html" ]; then
	sed '/console.log(1)/ { s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; }' "$tmp/hostile.html" >"$tmp/unescaped.html"
	if $PY tests/html_check.py "$tmp/unescaped.html" "$tmp/hostile.json" "$tmp" hostile >"$tmp/neg.out" 2>&1; then
		bad "an unescaped hostile page passed the checks"
	elif grep -q '^ok.*Chromium built a DOM' "$tmp/neg.out" &&
	     grep -q '^FAIL.*hostile .* is text in the page' "$tmp/neg.out" &&
	     grep -q '^FAIL.*no img element from the hostile line' "$tmp/neg.out" &&
	     grep -q '^FAIL.*escaped in the source' "$tmp/neg.out"; then
		ok "an unescaped hostile page fails the checks"
	else
		bad "an unescaped hostile page failed for another reason"; grep '^FAIL' "$tmp/neg.out" | head -n 5
	fi
fi

# the JSON reports: the schema, and every buckets array on the time axis
for j in "$tmp"/*.json; do
	if $PY - "$j" <<'EOF'
import json, sys
import jsonschema
schema = json.load(open("tests/schemas/triage-report.schema.json"))
jsonschema.Draft7Validator.check_schema(schema)
jsonschema.Draft7Validator(schema).validate(json.load(open(sys.argv[1])))
EOF
	then ok "schema: $(basename "$j")"; else bad "schema: $(basename "$j")"; fi
	if jq -e '(.buckets.count // 0) as $n |
		[.causes[] | .buckets, .explained_buckets] + [.symptoms[] | .buckets, .unexplained_buckets] |
		all(length == $n)' "$j" >/dev/null &&
	   jq -e '[.causes[], .symptoms[] | select(.first_seen != null) | (.buckets | add) <= .count] | all' "$j" >/dev/null &&
	   jq -e '.buckets == null or ((.buckets.width_ms * .buckets.count * 1000) > 0)' "$j" >/dev/null
	then ok "buckets: $(basename "$j")"; else bad "buckets: $(basename "$j")"; fi
done
# the revision fixture: where-counts and the revision that stopped the cause
j=$tmp/revisions.json
if jq -e '[.revisions[].name] == ["netra-backend-staging-00154-2tw","netra-backend-staging-00155-9kq"] and
	.causes[0].where.not_seen_after_revision == "netra-backend-staging-00155-9kq" and
	.causes[0].where.revision == [{"value":"netra-backend-staging-00154-2tw","count":2}] and
	.symptoms[0].where.instance[0].count == 2' "$j" >/dev/null; then ok "revisions: where-counts"; else bad "revisions: where-counts"; fi
# the same cause on both revisions is not "not seen after" anything
# (its second failing connection, records 22-41, moved to the new revision)
awk 'NR >= 22 && NR <= 41 { sub(/netra-backend-staging-00154-2tw/, "netra-backend-staging-00155-9kq") } 1' \
	fixtures/triage-where-revisions/input.ndjson >"$tmp/both.ndjson"
if "$LOGWHY" triage -q -o json "$tmp/both.ndjson" |
	jq -e '[.causes[].where.not_seen_after_revision] | all(. == null)' >/dev/null; then ok "revisions: a cause on both"; else bad "revisions: a cause on both"; fi

# the markdown of the three incidents at once: at most half of 263 lines
n=$("$LOGWHY" triage -q -o markdown fixtures/incident-*/cloudrun.ndjson | wc -l)
if [ "$n" -le 131 ]; then ok "markdown of the three incidents: $n lines"; else bad "markdown of the three incidents: $n lines (at most 131)"; fi
tests_done
