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
STORM_MB=${BENCH_STORM_MB:-50}
THREADS=${BENCH_THREADS:-1 2 4 8}
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
		# GNU time prints hundredths, a tenth of a 0.1 s run: the wall
		# time comes from the nanosecond clock around it (which counts
		# time's own fork and exec, about a millisecond, against us),
		# peak RSS from time.
		t0=$(date +%s%N)
		/usr/bin/time -f '%e %M' -o "$DIR/time.out" "$@" >"$SINK" 2>>"$ERR" || rc=$?
		t1=$(date +%s%N)
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
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
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

# --- anchors a user would type (issue 17) ---------------------------------
# The search a user runs for an incident: one alternation of the phrases
# they would grep for, tested against the message wherever the LogEntry
# keeps it. grep and rg print their count into a pipe (GNU grep stops at
# the first match when its output is /dev/null); jq prints the records.
user_pat='code=1011|not JSON serializable|Logging error|Traceback|validation failed|did not complete|Exception in ASGI'
# shellcheck disable=SC2016
user_jq='select((.jsonPayload.message // .textPayload // "") | tostring | test($p))'
storm=$DIR/storm-$STORM_MB.ndjson
if [ ! -s "$storm" ]; then
	note "bench: generating $storm ($STORM_MB MB, an incident storm)"
	python3 bench/gen-corpus.py "$STORM_MB" 1 1 >"$storm.tmp"
	mv "$storm.tmp" "$storm"
fi
sbytes=$(wc -c <"$storm")
srecs=$(wc -l <"$storm")
# shellcheck disable=SC2016
topipe='"$@" | cat >/dev/null'
# The rows a ratio compares run in rounds, one run of each per round, so
# that each side of a ratio sees the same minutes of a shared machine
# (whose speed can move by a third between minutes); the best of the
# rounds is kept for each (collapse, below).
u_runs=$RUNS
RUNS=1
round=0
while [ "$round" -lt "$u_runs" ]; do
	round=$((round + 1))
	measure "U jq select message" "$bytes" "$recs" jq -c --arg p "$user_pat" "$user_jq" "$nd"
	measure "U grep -cP | pipe" "$bytes" "$recs" sh -c "$topipe" sh grep -cP "$user_pat" "$nd"
	measure "U rg -c | pipe" "$bytes" "$recs" sh -c "$topipe" sh rg -c "$user_pat" "$nd"
	measure "U jq -c ." "$bytes" "$recs" jq -c . "$nd"
	measure "U triage -o json" "$bytes" "$recs" "$LW" triage -o json -q "$nd"
	measure "U lint -o json" "$bytes" "$recs" "$LW" lint -o json --fail-on never -q "$nd"
	# shellcheck disable=SC2016
	measure "U sanitize <pipe" "$bytes" "$recs" sh -c 'cat "$0" | "$@"' "$nd" "$LW" sanitize -q
	measure "U triage 1 core" "$bytes" "$recs" taskset -c 0 "$LW" triage -o json -q "$nd"
	measure "U lint 1 core" "$bytes" "$recs" taskset -c 0 "$LW" lint -o json --fail-on never -q "$nd"
	for n in $THREADS; do
		measure "U triage --threads=$n" "$bytes" "$recs" "$LW" triage -o json -q --threads="$n" "$nd"
	done
	measure "U triage storm" "$sbytes" "$srecs" "$LW" triage -o json -q "$storm"
	measure "U lint storm" "$sbytes" "$srecs" "$LW" lint -o json --fail-on never -q "$storm"
	measure "U jq select storm" "$sbytes" "$srecs" jq -c --arg p "$user_pat" "$user_jq" "$storm"
done
RUNS=$u_runs
# one line per row: the best time of its rounds, the largest peak RSS
awk -F '\t' -v OFS='\t' '
	!($1 in t) { order[++n] = $1; t[$1] = $2; b[$1] = $3; r[$1] = $4; m[$1] = $5; next }
	$2 != "-" && (t[$1] == "-" || $2 + 0 < t[$1] + 0) { t[$1] = $2 }
	$5 != "-" && $5 + 0 > m[$1] + 0 { m[$1] = $5 }
	END { for (i = 1; i <= n; i++) print order[i], t[order[i]], b[order[i]], r[order[i]], m[order[i]] }
' "$RES" >"$RES.tmp" && mv "$RES.tmp" "$RES"
# --- end of issue 17 anchors -----------------------------------------------

if [ -n "$RSS_MB" ]; then
	big=$DIR/corpus-$RSS_MB.ndjson
	gen "$big" "$RSS_MB"
	bb=$(wc -c <"$big")
	br=$(wc -l <"$big")
	RUNS=1
	measure "triage rss-input" "$bb" "$br" "$LW" triage -o json -q "$big"
	measure "lint rss-input" "$bb" "$br" "$LW" lint -o json --fail-on never -q "$big"
	measure "sanitize rss-input" "$bb" "$br" "$LW" sanitize -q "$big"
fi

# --- patterns and suspects (kept as one block of its own) ---
# triage's rows above look for suspects (the default); this is the same
# triage without them, and `logwhy patterns` against jansson's parse.
RUNS=${BENCH_RUNS:-3}
measure "triage no-suspects" "$bytes" "$recs" "$LW" triage -q --no-suspects "$nd"
measure "patterns ndjson" "$bytes" "$recs" "$LW" patterns -q "$nd"
measure "patterns gz" "$bytes" "$recs" "$LW" patterns -q "$gz"
if [ -n "$RSS_MB" ]; then
	RUNS=1
	measure "patterns rss-input" "$bb" "$br" "$LW" patterns -q "$big"
fi
# --- end of the patterns and suspects block ---

# --- sanitize and its secret patterns (issue 20) ---
# The same sanitize before the secret patterns (the shipped rules without
# rules/secrets.yml, whose redact: patterns are what it added) and with no
# redaction at all (--no-redact: the floor).
RUNS=${BENCH_RUNS:-3}
nosec=$DIR/rules-without-secrets
rm -rf "$nosec" && mkdir -p "$nosec"
for f in rules/*.yml; do
	[ "$(basename "$f")" = secrets.yml ] || cp "$f" "$nosec/"
done
measure "sanitize before secrets" "$bytes" "$recs" env LOGWHY_RULES="$nosec" "$LW" sanitize -q "$nd"
measure "sanitize no-redact" "$bytes" "$recs" "$LW" sanitize -q --no-redact "$nd"
# --- end of the sanitize block ---

awk -F '\t' -v mb="$MB" -v rssmb="${RSS_MB:-$MB}" -v nd="$nd" -v storm="$storm" \
	-v upat="$user_pat" -v ujq="$user_jq" '
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
	# a 0 s run would divide by zero
	if ($2 != "-") { t[$1] = ($2 > 0.0001) ? $2 : 0.0001; rate[$1] = $3 / t[$1] }
	b[$1] = $3; r[$1] = $4; m[$1] = $5
}
END {
	printf "\nlogwhy bench: %s MB corpus, %d records (best of runs; stdout discarded)\n\n", mb, r["lint ndjson"]
	printf "  %-24s %9s %9s %12s %10s\n", "what", "seconds", "MB/s", "records/s", "peak RSS"
	for (i = 1; i <= NR; i++) {
		n = name[i]
		if (!(n in t)) { printf "  %-24s %9s\n", n, "failed"; continue }
		printf "  %-24s %9.3f %9.1f %12.0f %7.1f MiB\n", n, t[n], b[n] / t[n] / 1e6, r[n] / t[n], m[n] / 1024
	}
	printf "\n  MB/s is of the NDJSON bytes (for .gz: uncompressed; for the array: its own, larger, bytes).\n"
	printf "  jq ran on a %.1f MB slice; its rate is what the table compares.\n\n", b["jq rules (slice)"] / 1e6
	printf "issue 6 targets, against the older anchors above (jq running every rule\047s\n"
	printf "regex as its own test(); grep -cP over every rule pattern) -- ratio = their time per byte / ours:\n"
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
	printf "\nissue 17 targets, against what a user would type (the U rows):\n"
	printf "  corpus  %s (%.1f MB, %d records)\n", nd, b["U triage -o json"] / 1e6, r["U triage -o json"]
	printf "  storm   %s (%.1f MB, %d records)\n", storm, b["U triage storm"] / 1e6, r["U triage storm"]
	printf "  pattern %s\n", upat
	printf "  jq      jq -c --arg p \"$pattern\" \047%s\047 FILE\n", ujq
	printf "  grep    grep -cP \"$pattern\" FILE | cat;  rg -c \"$pattern\" FILE | cat\n"
	printf "  jq -c . FILE;  cat FILE | logwhy sanitize;  logwhy triage -o json FILE;  logwhy lint -o json --fail-on never FILE\n\n"
	row("triage vs jq select throughput", ratio("U triage -o json", "U jq select message"), 10, ">=")
	row("lint vs jq select throughput", ratio("U lint -o json", "U jq select message"), 10, ">=")
	row("triage vs grep -cP throughput", ratio("U triage -o json", "U grep -cP | pipe"), 0.5, ">=")
	row("lint vs grep -cP throughput", ratio("U lint -o json", "U grep -cP | pipe"), 0.5, ">=")
	row("triage vs rg -c throughput (info)", ratio("U triage -o json", "U rg -c | pipe"), 0.5, ">=")
	row("sanitize vs jq -c . throughput", ratio("U sanitize <pipe", "U jq -c ."), 5, ">=")
	# info: the targets are on the corpus above; here most records are
	# parsed and matched
	printf "  %-44s %10.2f  (info)\n", "triage storm vs jq select storm", ratio("U triage storm", "U jq select storm")
	for (k = 1; k <= n; k++)
		row(sprintf("%s peak RSS, MiB (%s MB input)", c[k], rssmb), (c[k] " " sfx) in m ? m[c[k] " " sfx] / 1024 : -1, 64, "<=")
	printf "  %-44s %10.2f  (1 core time / default threads time)\n", "triage 2 cores vs 1 core", ratio("U triage -o json", "U triage 1 core")
	printf "  %-44s %10.2f\n", "lint 2 cores vs 1 core", ratio("U lint -o json", "U lint 1 core")
	for (i = 1; i <= NR; i++)
		if (name[i] ~ /^U triage --threads=/ && (name[i] in t))
			printf "  %-44s %10.2f  (vs --threads=1)\n", substr(name[i], 3), ratio(name[i], "U triage --threads=1")
	if (rssmb == mb)
		printf "\n  peak RSS measured on the %s MB corpus, not 1 GB: set BENCH_RSS_MB=1000 for that.\n", mb
	printf "  floor if every record were parsed: jansson parse %.1f MB/s\n", ("jansson parse" in rate) ? rate["jansson parse"] / 1e6 : 0
}' "$RES"

# patterns and suspects targets (their own block)
awk -F '\t' -v rssmb="${RSS_MB:-$MB}" -v mb="$MB" '
function ratio(a, b) { return (a in t && b in t && t[a] > 0 && t[b] > 0) ? t[b] / t[a] : -1 }
function row(what, r, target, cmp,   ok) {
	if (r < 0) { printf "  %-44s %10s  %-2s %-5s %s\n", what, "-", cmp, target, "NOT RUN"; return }
	ok = (cmp == ">=") ? r >= target + 0 : r <= target + 0
	printf "  %-44s %10.2f  %-2s %-5s %s\n", what, r, cmp, target, ok ? "met" : "NOT MET"
}
{ if ($2 != "-") t[$1] = ($2 > 0.0001) ? $2 : 0.0001; m[$1] = $5 }
END {
	printf "\npatterns and suspects (ratio = their time / ours):\n"
	row("patterns vs jansson parse throughput", ratio("patterns ndjson", "jansson parse"), 1, ">=")
	row("triage with suspects / without, throughput", ratio("triage ndjson", "triage no-suspects"), 0.85, ">=")
	sfx = ("patterns rss-input" in m) ? "rss-input" : "ndjson"
	row(sprintf("patterns peak RSS, MiB (%s MB input)", rssmb), ("patterns " sfx) in m ? m["patterns " sfx] / 1024 : -1, 64, "<=")
	row(sprintf("triage (suspects) peak RSS, MiB (%s MB input)", rssmb), ("triage " sfx) in m ? m["triage " sfx] / 1024 : -1, 64, "<=")
}' "$RES"

# sanitize's secret patterns (their own block)
awk -F '\t' '
function ratio(a, b) { return (a in t && b in t && t[a] > 0 && t[b] > 0) ? t[b] / t[a] : -1 }
{ if ($2 != "-") t[$1] = ($2 > 0.0001) ? $2 : 0.0001 }
END {
	printf "\nsanitize and its secret patterns (ratio = their time / ours):\n"
	r = ratio("sanitize ndjson", "sanitize before secrets")
	if (r < 0) printf "  %-44s %10s\n", "sanitize vs before the secret patterns", "NOT RUN"
	else printf "  %-44s %10.2f  >= 0.9   %s\n", "sanitize vs before the secret patterns", r, (r >= 0.9) ? "met" : "NOT MET"
	r = ratio("sanitize ndjson", "sanitize no-redact")
	if (r >= 0) printf "  %-44s %10.2f  (info: the cost of all redaction)\n", "sanitize vs sanitize --no-redact", r
}' "$RES"

BUILD=$BUILD sh bench/wsd.sh || failed=1
[ "$failed" -eq 0 ] || exit 2
exit 0
