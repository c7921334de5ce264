#!/bin/sh
# Map and reduce: an input cut into N shards at record boundaries, each
# triaged with --shard, then merged, gives byte for byte the report of one
# triage over the whole input (text, JSON, markdown), for the incident
# fixtures and a generated Cloud Run corpus; a merge of merges equals the
# flat merge; bad shards are refused with their location.
. "$(dirname "$0")/lib.sh"
export NO_COLOR=1
L() { "$LOGWHY" "$@"; }

# same NAME WANT GOT: byte-identical files, else show the difference
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else bad "$1"; diff "$2" "$3" | head -n 10; fi
}

# shard_all INPUT DIR N [LINE...]: cut INPUT (named as the one run names
# it), triage each shard with --shard into DIR/NN.json; DIR/list names them.
# Each shard is told the format of the whole: auto-detection sees only the
# shard's first bytes (a Cloud Run stdout shard may start with a text line).
shard_all() {
	in=$1 dir=$2 n=$3
	shift 3
	case $in in *.ndjson) fmt=ndjson ;; *) fmt=text ;; esac
	python3 tests/merge_cut.py "$LOGWHY" "$in" "$dir/cut" "$n" "$@" >"$dir/cuts" || return 1
	: >"$dir/list"
	while read -r p first; do
		out=$dir/$(basename "$p").json
		L triage -q --shard --input-format "$fmt" --label "$in" --first-line "$first" "$p" >"$out" || return 1
		echo "$out" >>"$dir/list"
	done <"$dir/cuts"
}

# equal_runs NAME INPUT DIR [all]: merge of DIR's shards == one triage of
# INPUT, as text and JSON; with all, also markdown and the shards on stdin
equal_runs() {
	name=$1 in=$2 dir=$3
	L triage -q --no-suspects "$in" >"$dir/one.txt"
	L triage -q --no-suspects -o json "$in" >"$dir/one.json"
	# shellcheck disable=SC2046
	L merge -q $(cat "$dir/list") >"$dir/m.txt"
	same "$name: text" "$dir/one.txt" "$dir/m.txt"
	# shellcheck disable=SC2046
	L merge -q -o json $(cat "$dir/list") >"$dir/m.json"
	same "$name: json" "$dir/one.json" "$dir/m.json"
	[ "${4:-}" = all ] || return 0
	L triage -q --no-suspects -o markdown "$in" >"$dir/one.md"
	# shellcheck disable=SC2046
	L merge -q -o markdown $(cat "$dir/list") >"$dir/m.md"
	same "$name: markdown" "$dir/one.md" "$dir/m.md"
	# the shards one after another on standard input
	# shellcheck disable=SC2046
	cat $(cat "$dir/list") | L merge -q -o json - >"$dir/stdin.json"
	same "$name: shards on stdin" "$dir/one.json" "$dir/stdin.json"
}

n_shards() { wc -l <"$1/list" | tr -d ' '; }

# the incident fixtures: Cloud Run LogEntries (multi-line blocks joined
# from per-line entries), Cloud Run stdout, and a plain text log
for inc in enum-log missing-service e2e-env; do
	for f in entries.ndjson cloudrun.ndjson app.log; do
		in=fixtures/incident-$inc/$f
		for n in 1 2 3 7; do
			d=$tmp/$inc-$f-$n
			mkdir -p "$d"
			if shard_all "$in" "$d" "$n"; then ok "$inc/$f/$n: shards"; else bad "$inc/$f/$n: shards"; continue; fi
			equal_runs "$inc/$f in $(n_shards "$d") shards" "$in" "$d" "$([ "$n" = 3 ] && echo all)"
		done
	done
done

# a cause in one shard, the symptom it explains in the next: the cut goes
# right before the first 1011 close; correlation must cross it
in=fixtures/incident-enum-log/entries.ndjson
sym=$(L lint -q --output json "$in" | jq -r 'select(.rule == "ws.close-1011") | .line' | head -n 1)
d=$tmp/cross
mkdir -p "$d"
shard_all "$in" "$d" 2 "$sym"
check "cross: cut right before the symptom (line $sym)" '[ "$(sed -n 2p "$d/cuts" | cut -d" " -f2)" = "$sym" ]'
check "cross: the first shard has no symptom, the second has it unexplained on its own" \
	'[ "$(jq ".symptoms | length" "$d/shard-01.json")" = 0 ] &&
	 [ "$(jq "[.symptoms[] | select(.rule == \"ws.close-1011\") | .unexplained] | .[0]" "$d/shard-02.json")" -ge 1 ]'
equal_runs "cross" "$in" "$d" all
check "cross: merged, every 1011 close is explained" \
	'[ "$(jq "[.symptoms[] | select(.rule == \"ws.close-1011\") | .unexplained] | .[0]" "$d/m.json")" = 0 ]'

# several inputs, one shard per file (the 'parallel ::: files' recipe)
d=$tmp/files
mkdir -p "$d"
a=fixtures/incident-missing-service/cloudrun.ndjson b=fixtures/incident-missing-service/app.log
L triage -q --shard "$a" >"$d/a.json"
L triage -q --shard "$b" >"$d/b.json"
L triage -q --no-suspects -o json "$a" "$b" >"$d/one.json"
L merge -q -o json "$d/a.json" "$d/b.json" >"$d/m.json"
same "per file: json" "$d/one.json" "$d/m.json"

# the generated Cloud Run corpus (about 5 MB)
python3 bench/gen-corpus.py 5 >"$tmp/corpus.ndjson"
for n in 1 2 3 7; do
	d=$tmp/corpus-$n
	mkdir -p "$d"
	if shard_all "$tmp/corpus.ndjson" "$d" "$n"; then ok "corpus/$n: shards"; else bad "corpus/$n: shards"; continue; fi
	equal_runs "corpus in $(n_shards "$d") shards" "$tmp/corpus.ndjson" "$d" all
done

# (merge reports carry no suspects: shards do not hold the records they come
# from, so each one run above is triage --no-suspects)
# a tree of merges: (1..3) and (4..7) merged with --shard, then merged
d=$tmp/corpus-7
L merge -q --shard $(sed -n 1,3p "$d/list") >"$d/left.json"
L merge -q --shard $(sed -n 4,7p "$d/list") >"$d/right.json"
L merge -q -o json "$d/left.json" "$d/right.json" >"$d/tree.json"
same "tree merge equals the flat merge (json)" "$d/m.json" "$d/tree.json"
L merge -q "$d/left.json" "$d/right.json" >"$d/tree.txt"
same "tree merge equals the flat merge (text)" "$d/m.txt" "$d/tree.txt"
# shellcheck disable=SC2046
L merge -q --shard $(cat "$d/list") >"$d/flat-shard.json"
L merge -q --shard "$d/left.json" "$d/right.json" >"$d/tree-shard.json"
same "a merged shard is the same from a tree or flat" "$d/flat-shard.json" "$d/tree-shard.json"
check "a merged shard's report part is the one-run report" \
	'jq -c "del(.shard)" "$d/flat-shard.json" | cmp -s - "$tmp/corpus-7/one.json"'
check "without --shard, triage JSON has no shard section" '! grep -q "\"shard\"" "$d/one.json"'

# a text log whose shard starts with records without a time: they take the
# latest time of the shard before, as in one run
d=$tmp/notime
mkdir -p "$d"
printf '%s\n' '2025-09-08 04:33:03,141 - app - ERROR - WebSocket error: Object of type WebSocketState is not JSON serializable' \
	'Disconnected (code: 1011, reason: "Internal error")' >"$d/in.log"
L triage -q --no-suspects -o json "$d/in.log" >"$d/one.json"
sed -n 1p "$d/in.log" >"$d/p1"
sed -n 2p "$d/in.log" >"$d/p2"
L triage -q --shard --label "$d/in.log" "$d/p1" >"$d/1.json"
L triage -q --shard --label "$d/in.log" --first-line 2 "$d/p2" >"$d/2.json"
L merge -q -o json "$d/1.json" "$d/2.json" >"$d/m.json"
same "records without a time inherit across shards" "$d/one.json" "$d/m.json"
check "  (and the symptom is explained)" '[ "$(jq ".verdict != null" "$d/m.json")" = true ]'

# errors: exit 2, located
s=$tmp/corpus-2/shard-01.json
L triage -q -o json "$in" >"$tmp/report.json"
L merge "$tmp/report.json" >/dev/null 2>"$tmp/err"
check "a report without --shard: exit 2, located" \
	'[ $? -eq 2 ] && grep -q "report.json:1:1: not a logwhy shard" "$tmp/err"'
head -c 300 "$s" >"$tmp/cut-head.json"
L merge "$tmp/cut-head.json" >/dev/null 2>"$tmp/err"
check "a shard cut before its findings: exit 2" '[ $? -eq 2 ] && grep -q "cut-head.json:1:[0-9]*: " "$tmp/err"'
size=$(wc -c <"$s")
head -c $((size - 300)) "$s" >"$tmp/cut-tail.json"
L merge "$tmp/cut-tail.json" >/dev/null 2>"$tmp/err"
check "a shard cut inside its findings: exit 2, says so" \
	'[ $? -eq 2 ] && grep -q "cut-tail.json:1:[0-9]*: the input ends inside a shard" "$tmp/err"'
sed 's/"format":1,/"format":99,/' "$s" >"$tmp/v99.json"
L merge "$tmp/v99.json" >/dev/null 2>"$tmp/err"
check "another shard format: exit 2, names both" \
	'[ $? -eq 2 ] && grep -q "shard format 99, but this logwhy reads format 1" "$tmp/err"'
L merge --rules rules/websocket.yml "$s" >/dev/null 2>"$tmp/err"
check "other rules: exit 2" '[ $? -eq 2 ] && grep -q "shard made with other rules" "$tmp/err"'
printf '{"a":1,\n  "b": [1, 2,, 3]}\n' >"$tmp/bad.json"
L merge "$tmp/bad.json" >/dev/null 2>"$tmp/err"
check "invalid JSON: exit 2 with line and column" '[ $? -eq 2 ] && grep -q "bad.json:2:14: invalid JSON" "$tmp/err"'
: >"$tmp/empty.json"
L merge "$tmp/empty.json" >/dev/null 2>"$tmp/err"
check "no shard at all: exit 2" '[ $? -eq 2 ] && grep -q "empty.json: no shard" "$tmp/err"'
L merge "$s" "$tmp/no-such.json" >/dev/null 2>"$tmp/err"
check "a missing shard file: exit 2, no partial report" '[ $? -eq 2 ] && grep -q "no-such.json: No such file" "$tmp/err"'
L triage --shard -o text "$in" >/dev/null 2>"$tmp/err"
check "triage --shard with text output: exit 2" '[ $? -eq 2 ]'
L triage --label x "$in" "$in" >/dev/null 2>"$tmp/err"
check "--label with two inputs: exit 2" '[ $? -eq 2 ]'

tests_done
