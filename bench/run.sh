#!/bin/sh
# Run by `make bench`; see bench/README.md for the knobs and what each
# figure means. Exits 0 whatever the timings; 2 only if something could not
# run.
set -eu

BUILD=${BUILD:-build}
DIR=${BENCH_DIR:-bench/out}
MB=${BENCH_MB:-300}
RUNS=${BENCH_RUNS:-3}
JQ_MB=${BENCH_JQ_MB:-2}
RSS_MB=${BENCH_RSS_MB:-}
LW=$BUILD/logwhy
JL=$BUILD/jansson_loop
# One-byte characters: grep -P in a UTF-8 locale validates every line first,
# and logwhy works on bytes too.
LC_ALL=C
export LC_ALL

mkdir -p "$DIR"
RES=$DIR/results.tsv
ERR=$DIR/stderr.log
: >"$RES"
: >"$ERR"
failed=0
SINK=/dev/null

note() { printf '%s\n' "$*" >&2; }

# Build once per size and keep: generating 300 MB takes about 20 s.
gen() {
	[ -s "$1" ] && return 0
	note "bench: generating $1 ($2 MB)"
	python3 bench/gen-corpus.py "$2" >"$1.tmp"
	mv "$1.tmp" "$1"
}

# The same records as `gcloud logging read --format=json` prints them:
# one pretty array, newest first. jq pretty-prints each object on its own;
# awk indents it one level and adds the separating commas.
gen_array() {
	[ -s "$2" ] && return 0
	note "bench: writing $2 (gcloud JSON array, newest first)"
	tac "$1" | jq --indent 2 . | awk '
		BEGIN { print "[" }
		$0 == "{" { if (n++) print "  },"; print "  {"; next }
		$0 == "}" { next }
		{ print "  " $0 }
		END { if (n) print "  }"; print "]" }' >"$2.tmp"
	mv "$2.tmp" "$2"
}

gen_gz() {
	[ -s "$2" ] && return 0
	note "bench: writing $2"
	gzip -c "$1" >"$2.tmp"
	mv "$2.tmp" "$2"
}

# measure NAME BYTES RECORDS CMD...: best wall time of RUNS runs (one run if
# the first takes over 30 s), largest peak RSS; stdout is discarded. Exit
# status 0 or 1 is success (lint exits 1 on findings, grep -c on none).
measure() {
	m_name=$1 m_bytes=$2 m_recs=$3
	shift 3
	best='' rss=0 i=0
	while [ "$i" -lt "$RUNS" ]; do
		i=$((i + 1))
		rc=0
		/usr/bin/time -f '%e %M' -o "$DIR/time.out" "$@" >"$SINK" 2>>"$ERR" || rc=$?
		if [ "$rc" -gt 1 ]; then
			note "bench: $m_name: exit $rc (see $ERR)"
			failed=1
			printf '%s\t-\t%s\t%s\t-\n' "$m_name" "$m_bytes" "$m_recs" >>"$RES"
			return 0
		fi
		# GNU time puts "Command exited with non-zero status" first.
		read -r t m <<-EOF
		$(tail -n 1 "$DIR/time.out")
		EOF
		best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
		[ "$m" -gt "$rss" ] && rss=$m
		awk -v t="$t" 'BEGIN { exit !(t > 30) }' && break
	done
	printf '%s\t%s\t%s\t%s\t%s\n' "$m_name" "$best" "$m_bytes" "$m_recs" "$rss" >>"$RES"
	note "bench: $m_name ${best}s"
}


nd=$DIR/corpus-$MB.ndjson
arr=$DIR/corpus-$MB.json
gz=$nd.gz
gen "$nd" "$MB"
gen_array "$nd" "$arr"
gen_gz "$nd" "$gz"

bytes=$(wc -c <"$nd")
recs=$(wc -l <"$nd")
abytes=$(wc -c <"$arr")

# jq compiles each test() regex anew for every record (about 150 records/s
# with these rules), so it runs on a slice and its rate is extrapolated.
slice=$DIR/slice-$MB-$JQ_MB.ndjson
jq_recs=$(awk -v r="$recs" -v a="$JQ_MB" -v b="$MB" 'BEGIN { printf "%d", r * a / b }')
[ -s "$slice" ] || head -n "$jq_recs" "$nd" >"$slice"
jq_bytes=$(wc -c <"$slice")
python3 bench/rules2re.py jq rules/*.yml >"$DIR/rules.jq"
python3 bench/rules2re.py grep rules/*.yml >"$DIR/rules.pcre"
pcre=$(cat "$DIR/rules.pcre")

note "bench: $recs records, $bytes bytes; $RUNS runs each"
measure "triage ndjson" "$bytes" "$recs" "$LW" triage -q "$nd"
measure "lint ndjson" "$bytes" "$recs" "$LW" lint -q "$nd"
measure "sanitize ndjson" "$bytes" "$recs" "$LW" sanitize -q "$nd"
measure "triage array" "$abytes" "$recs" "$LW" triage -q "$arr"
measure "lint array" "$abytes" "$recs" "$LW" lint -q "$arr"
measure "triage gz" "$bytes" "$recs" "$LW" triage -q "$gz"
measure "lint gz" "$bytes" "$recs" "$LW" lint -q "$gz"
measure "zcat gz" "$bytes" "$recs" zcat "$gz"
# GNU grep stops at the first match when its output is /dev/null.
SINK=$DIR/grep.out
measure "grep -cP rules" "$bytes" "$recs" grep -cP "$pcre" "$nd"
SINK=/dev/null
measure "jq rules (slice)" "$jq_bytes" "$jq_recs" jq -c -f "$DIR/rules.jq" "$slice"
# jansson_loop reads standard input; time cannot redirect, so sh does.
# shellcheck disable=SC2016
measure "jansson parse" "$bytes" "$recs" sh -c 'exec "$@" <"$0"' "$nd" "$JL" parse
# shellcheck disable=SC2016
measure "jansson parse+dump" "$bytes" "$recs" sh -c 'exec "$@" <"$0"' "$nd" "$JL"

if [ -n "$RSS_MB" ]; then
	big=$DIR/corpus-$RSS_MB.ndjson
	gen "$big" "$RSS_MB"
	bb=$(wc -c <"$big")
	br=$(wc -l <"$big")
	RUNS=1
	measure "triage rss-input" "$bb" "$br" "$LW" triage -q "$big"
	measure "lint rss-input" "$bb" "$br" "$LW" lint -q "$big"
	measure "sanitize rss-input" "$bb" "$br" "$LW" sanitize -q "$big"
fi

awk -F '\t' -v mb="$MB" -v rssmb="${RSS_MB:-$MB}" '
# .gz can come out faster than the plain file within run-to-run noise
function max0(x) { return x > 0 ? x : 0 }
function ratio(a, b) { return (a in t && b in t && t[a] > 0 && t[b] > 0) ? t[b] / t[a] : -1 }
function row(what, r, target, cmp,   ok) {
	if (r < 0) { printf "  %-44s %10s  %-2s %-5s %s\n", what, "-", cmp, target, "NOT RUN"; return }
	ok = (cmp == ">=") ? r >= target + 0 : r <= target + 0
	printf "  %-44s %10.2f  %-2s %-5s %s\n", what, r, cmp, target, ok ? "met" : "NOT MET"
}
{
	name[NR] = $1
	# time prints hundredths; a 0.00 run would divide by zero
	if ($2 != "-") { t[$1] = ($2 > 0.01) ? $2 : 0.01; rate[$1] = $3 / t[$1] }
	b[$1] = $3; r[$1] = $4; m[$1] = $5
}
END {
	printf "\nlogwhy bench: %s MB corpus, %d records (best of runs; stdout discarded)\n\n", mb, r["lint ndjson"]
	printf "  %-20s %9s %9s %12s %10s\n", "what", "seconds", "MB/s", "records/s", "peak RSS"
	for (i = 1; i <= NR; i++) {
		n = name[i]
		if (!(n in t)) { printf "  %-20s %9s\n", n, "failed"; continue }
		printf "  %-20s %9.2f %9.1f %12.0f %7.1f MiB\n", n, t[n], b[n] / t[n] / 1e6, r[n] / t[n], m[n] / 1024
	}
	printf "\n  MB/s is of the NDJSON bytes (for .gz: uncompressed; for the array: its own, larger, bytes).\n"
	printf "  jq ran on a %.1f MB slice; its rate is what the table compares.\n\n", b["jq rules (slice)"] / 1e6
	printf "targets (ratio = their time per byte / ours):\n"
	# jq ran on fewer bytes: compare rates, not times.
	jq = ("jq rules (slice)" in t) ? rate["jq rules (slice)"] : 0
	row("triage vs jq throughput", jq > 0 && ("triage ndjson" in t) ? rate["triage ndjson"] / jq : -1, 10, ">=")
	row("lint vs jq throughput", jq > 0 && ("lint ndjson" in t) ? rate["lint ndjson"] / jq : -1, 10, ">=")
	row("triage vs grep -P throughput", ratio("triage ndjson", "grep -cP rules"), 0.5, ">=")
	row("lint vs grep -P throughput", ratio("lint ndjson", "grep -cP rules"), 0.5, ">=")
	row("sanitize vs jansson parse+dump throughput", ratio("sanitize ndjson", "jansson parse+dump"), 3, ">=")
	sfx = ("triage rss-input" in m) ? "rss-input" : "ndjson"
	n = split("triage lint sanitize", c, " ")
	for (k = 1; k <= n; k++)
		row(sprintf("%s peak RSS, MiB (%s MB input)", c[k], rssmb), (c[k] " " sfx) in m ? m[c[k] " " sfx] / 1024 : -1, 32, "<=")
	if ("lint gz" in t && "lint ndjson" in t && "zcat gz" in t)
		row("lint gz overhead / zcat time", max0(t["lint gz"] - t["lint ndjson"]) / t["zcat gz"], 1, "<=")
	if ("triage gz" in t && "triage ndjson" in t && "zcat gz" in t)
		row("triage gz overhead / zcat time", max0(t["triage gz"] - t["triage ndjson"]) / t["zcat gz"], 1, "<=")
	if (rssmb == mb)
		printf "\n  peak RSS measured on the %s MB corpus, not 1 GB: set BENCH_RSS_MB=1000 for that.\n", mb
	printf "  floor if every record were parsed: jansson parse %.1f MB/s\n", ("jansson parse" in rate) ? rate["jansson parse"] / 1e6 : 0
}' "$RES"

BUILD=$BUILD sh bench/wsd.sh || failed=1
[ "$failed" -eq 0 ] || exit 2
exit 0
