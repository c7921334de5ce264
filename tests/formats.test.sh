#!/bin/sh
# Each incident (fixtures/incident-*/, rendered by scripts/gen-incident.py),
# five input shapes: gcloud JSON (newest first), gcloud YAML, LogEntry
# NDJSON, Cloud Run stdout+stderr, Python-logging text. Each shape must give
# the same findings (rule, message) for the same records, the same number
# of records once multi-line blocks are joined, and the same triage (verdict,
# causes, chains, counts, times); gcloud.json must hold the findings the
# incident is about, and triage must give the same bytes run after run.
. "$(dirname "$0")/lib.sh"

summarize() {
	"$LOGWHY" lint --rules rules --fail-on never --output json "$1" 2>"$tmp/err" |
		jq -r '[.rule, .message] | @tsv' | sort
}
# triage's summary without what names the input itself (the example's
# source, line and raw text; the revisions and instances, which only some
# shapes carry), times to the millisecond (Python's text
# logging has no finer, and stderr lines in a Cloud Run capture carry no
# time of their own): the rest must not depend on the shape
verdict() {
	"$LOGWHY" triage --rules rules -q --output json "$1" |
		jq -S 'del(.causes[].example) | del(.warnings) | del(.revisions) |
			del(.causes[].where) | del(.symptoms[].where) |
			(.. | strings) |= (if test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T") then .[0:23] else . end)'
}
records() {
	"$LOGWHY" lint --rules rules --fail-on never "$1" 2>&1 >/dev/null |
		sed -n 's/^logwhy: \([0-9]*\) records.*/\1/p'
}

# "rule count" pairs each incident's gcloud.json must show
expected() {
	case $1 in
	# three failed connections: each a 1011 close, the handler's
	# serialization error, the failed log call and the state check behind it
	enum-log) echo "ws.close-1011 3
serialization.object-not-serializable 3
serialization.logging-error 3
context.cloud-run-state-check 3" ;;
	# three connections closed ~63 ms after accept, two services None on
	# each; the debug script's own trace adds one close and one early close
	missing-service) echo "ws.close-1011 4
ws.closed-before-welcome 4
missing-service.app-state-none 6" ;;
	# three connections: E2E detection false, no bypass, strict JWT fails,
	# the factory rejects the context; one health JSON with e2e disabled
	e2e-env) echo "ws.close-1011 3
e2e-env.variables-unset 3
e2e-env.bypass-disabled 3
auth.jwt-strict-validation-failed 3
auth.factory-ssot-validation-failed 3
context.e2e-health-disabled 1" ;;
	esac
}

ndirs=0
for dir in fixtures/incident-*/; do
	dir=${dir%/}
	name=${dir#fixtures/incident-}
	ndirs=$((ndirs + 1))
	summarize "$dir/gcloud.json" >"$tmp/want"
	want_records=$(records "$dir/gcloud.json")
	exp=$(expected "$name")
	[ -n "$exp" ] || bad "$dir: no expected findings for incident '$name' in $0"
	while read -r r want; do
		[ -n "$r" ] || continue
		n=$(grep -c "^$r	" "$tmp/want")
		if [ "$n" -eq "$want" ]; then
			ok "$dir/gcloud.json: $want findings of $r"
		else
			bad "$dir/gcloud.json: $n findings of $r, want $want"
		fi
	done <<EOF
$exp
EOF
	# the same bytes from run to run
	"$LOGWHY" triage --rules rules -q "$dir/gcloud.json" >"$tmp/t1"
	"$LOGWHY" triage --rules rules -q "$dir/gcloud.json" >"$tmp/t2"
	check "$dir: triage gives the same bytes run after run" 'cmp -s "$tmp/t1" "$tmp/t2"'
	verdict "$dir/gcloud.json" >"$tmp/vwant"
	for f in gcloud.yaml entries.ndjson cloudrun.ndjson app.log; do
		verdict "$dir/$f" >"$tmp/vgot"
		if diff -u "$tmp/vwant" "$tmp/vgot" >"$tmp/diff"; then
			ok "$dir/$f: triage as gcloud.json's"
		else
			bad "$dir/$f: triage differs from gcloud.json"; head -n 20 "$tmp/diff"
		fi
		summarize "$dir/$f" >"$tmp/got"
		if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
			ok "$dir/$f: findings as gcloud.json's"
		else
			bad "$dir/$f: findings differ from gcloud.json"; head -n 20 "$tmp/diff"
		fi
		got_records=$(records "$dir/$f")
		if [ -n "$got_records" ] && [ "$got_records" = "$want_records" ]; then
			ok "$dir/$f: $want_records records as gcloud.json"
		else
			bad "$dir/$f: $got_records records, gcloud.json has $want_records"
		fi
	done
done
if [ "$ndirs" -eq 0 ]; then
	bad "no fixtures/incident-*/ folders"
fi
tests_done
