#!/bin/sh
# The integration recipes in docs/recipes/ run as written: their logwhy
# commands are taken from the files themselves and run against fixtures.
. "$(dirname "$0")/lib.sh"
PATH=$root/$BUILD:$PATH
export PATH
r=docs/recipes

# logs/: one incident (error-level findings) and one healthy text log
mkdir -p "$tmp/w/logs"
cp examples/staging-1011.json "$tmp/w/logs/staging.json"
printf '%s\n' '2025-09-08 04:30:00,001 - app - INFO - started' \
	'2025-09-08 04:30:01,002 - app - INFO - GET /health 200' >"$tmp/w/logs/app.log"

# the command of a CI step: the line that runs logwhy, YAML prefix removed
cmd_of() { sed -n 's/^ *\(- \|run: \)\{0,1\}\(logwhy .*\)$/\2/p' "$1" | head -n 1; }

c=$(cmd_of $r/github-code-scanning.yml)
check "github: a logwhy step" '[ -n "$c" ]'
(cd "$tmp/w" && sh -c "$c" 2>/dev/null)
check "github: lint fails the job on the incident (exit 1)" '[ $? -eq 1 ]'
check "github: the SARIF is valid for upload-sarif" 'python3 tests/validate_sarif.py "$tmp/w/logwhy.sarif"'
check "github: uploads the file the step wrote" 'grep -q "sarif_file: logwhy.sarif" $r/github-code-scanning.yml && grep -q "if: always()" $r/github-code-scanning.yml'

c=$(cmd_of $r/gitlab-ci.yml)
check "gitlab: a logwhy script line" '[ -n "$c" ]'
(cd "$tmp/w" && sh -c "$c" 2>/dev/null)
check "gitlab: lint fails the job on the incident (exit 1)" '[ $? -eq 1 ]'
check "gitlab: the JUnit report parses and has failures" \
	'python3 -c "import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); sys.exit(0 if t.getroot().iter(\"failure\") and list(t.getroot().iter(\"failure\")) else 1)" "$tmp/w/logwhy-junit.xml"'
check "gitlab: the report is the artifact" 'grep -q "junit: logwhy-junit.xml" $r/gitlab-ci.yml'

entry=$(sed -n 's/^ *entry: //p' $r/pre-commit-config.yaml)
check "pre-commit framework: healthy log passes" '(cd "$tmp/w" && $entry logs/app.log >/dev/null 2>&1)'
(cd "$tmp/w" && $entry logs/staging.json >/dev/null 2>&1)
check "pre-commit framework: incident log is refused" '[ $? -eq 1 ]'
files=$(sed -n "s/^ *files: '\(.*\)'\$/\1/p" $r/pre-commit-config.yaml)
check "pre-commit framework: files pattern takes logs" \
	'printf "logs/a.json\nfixtures/x/b.log\n" | grep -Ecq "$files" && ! printf "src/a.c\n" | grep -Eq "$files"'

# the plain git hook, in a scratch repository
g=$tmp/repo
git init -q "$g"
cp $r/pre-commit.sh "$g/.git/hooks/pre-commit"
mkdir "$g/logs"
gc() { git -C "$g" -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false commit -q -m "$1" >/dev/null 2>&1; }
cp "$tmp/w/logs/app.log" "$g/logs/app.log"
git -C "$g" add logs/app.log
check "git hook: a healthy log commits" 'gc healthy'
cp "$tmp/w/logs/staging.json" "$g/logs/staging.json"
git -C "$g" add logs/staging.json
check "git hook: an incident log is refused" '! gc incident'
# what is staged counts, not the working tree
printf '{"message":"ok"}\n' >"$g/logs/staging.json"
check "git hook: lints the staged content" '! gc incident-still-staged'
git -C "$g" add logs/staging.json
check "git hook: commits once the staged log is healthy" 'gc fixed'

# the Cloud Run entrypoint
app='echo "{\"state\": \"<WebSocketState.CONNECTED: 1>\"}"; echo "plain text line" >&2; echo "{\"token\": \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\"}"; exit 3'
$r/entrypoint.sh sh -c "$app" >"$tmp/ep.out" 2>"$tmp/ep.err"
rc=$?
check "entrypoint: keeps the app's exit status" '[ $rc -eq 3 ]'
check "entrypoint: every line is one JSON object" \
	'[ "$(wc -l <"$tmp/ep.out")" -eq 3 ] && jq -e "type == \"object\"" "$tmp/ep.out" >/dev/null'
check "entrypoint: reprs rewritten, secrets redacted" \
	'grep -Eq "\"state\": ?\"connected\"" "$tmp/ep.out" && grep -q "REDACTED:" "$tmp/ep.out" && ! grep -q eyJhbGci "$tmp/ep.out"'
$r/entrypoint.sh sh -c 'echo "{\"message\": \"up\"}"; trap "echo \"{\\\"message\\\": \\\"shutting down\\\"}\"; exit 0" TERM; while :; do sleep 0.05; done' >"$tmp/term.out" 2>&1 &
ep=$!
i=0
while ! grep -q up "$tmp/term.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $ep
wait $ep
rc=$?
check "entrypoint: SIGTERM reaches the app, which shuts down cleanly" \
	'[ $rc -eq 0 ] && grep -q "shutting down" "$tmp/term.out"'

# sharding (docs/recipes/sharding.md): each map/reduce pipeline, taken from
# the recipe's marked block, prints what one triage over the same logs does
# (without suspects: shards carry none)
s=$r/sharding.md
block_of() { awk -v n="<!-- test: $1 -->" '$0 == n { f = 1; next } f && /^```/ { if (b) exit; b = 1; next } f && b' "$s"; }
sw=$tmp/shard
mkdir -p "$sw/logs"
cp fixtures/incident-enum-log/entries.ndjson "$sw/logs/a-enum.ndjson"
cp fixtures/incident-missing-service/entries.ndjson "$sw/logs/b-missing.ndjson"
python3 bench/gen-corpus.py 1 >"$sw/logs/big.ndjson"
(cd "$sw" && logwhy triage -q --no-suspects logs/*.ndjson) >"$sw/one-files.txt"
(cd "$sw" && cat logs/big.ndjson | logwhy triage -q --no-suspects) >"$sw/one-stream.txt"
if command -v parallel >/dev/null 2>&1; then
	c=$(block_of parallel-files)
	check "sharding: parallel over files equals one run" \
		'[ -n "$c" ] && (cd "$sw" && sh -c "$c") | cmp -s - "$sw/one-files.txt"'
	# blocks of K lines where no multi-line record straddles a multiple of K
	k=$(python3 tests/merge_cut.py "$root/$BUILD/logwhy" "$sw/logs/big.ndjson" --block-lines 300)
	c=$(block_of parallel-pipe | sed "s/20000/$k/g")
	check "sharding: parallel --pipe -N $k equals one run over the stream" \
		'[ -n "$c" ] && (cd "$sw" && sh -c "$c") | cmp -s - "$sw/one-stream.txt"'
else
	echo "sharding: GNU parallel not installed, its recipes not run (scripts/deps.sh installs it)"
fi
c=$(block_of xargs)
check "sharding: xargs -P over files equals one run" \
	'[ -n "$c" ] && (cd "$sw" && sh -c "$c") | cmp -s - "$sw/one-files.txt"'
rm -f "$sw"/logs/*.shard
# Spark and Hadoop name every shard's input <stdin>: compare the JSON
# reports without the examples (their source and line are the shard's)
noex() { jq -c 'del(.causes[].example)' "$1"; }
(cd "$sw" && logwhy triage -q --no-suspects -o json logs/*.ndjson) >"$sw/one.json"
noex "$sw/one.json" >"$sw/one.noex"
# Spark: the recipe's pipe command on each partition (one per file here),
# the collected lines merged as the driver does
c=$(block_of spark | sed -n 's/.*lines\.pipe("\(.*\)").*/\1/p')
(cd "$sw" && for f in logs/*.ndjson; do sh -c "$c" <"$f"; done | logwhy merge -o json -) >"$sw/spark.json"
check "sharding: spark's pipe command, merged, equals one run" \
	'[ -n "$c" ] && noex "$sw/spark.json" | cmp -s - "$sw/one.noex"'
# Hadoop: the mapper on each split, the shuffle's sort, the recipe's reducer
red=$(block_of hadoop | sed -n "s/.*-reducer 'sh -c \"\(.*\)\"'.*/\1/p")
(cd "$sw" && for f in logs/*.ndjson; do
	mapreduce_map_input_file=$PWD/$f mapreduce_map_input_start=0 sh "$root/$r/hadoop-mapper.sh" <"$f"
done | LC_ALL=C sort -t "	" -k1,1 | sh -c "$red -o json") >"$sw/hadoop.json"
check "sharding: hadoop streaming (mapper, sort, reducer) equals one run" \
	'[ -n "$red" ] && noex "$sw/hadoop.json" | cmp -s - "$sw/one.noex"'
awk '/^with .hadoop-mapper.sh/ { f = 1 } f && /^```sh/ { b = 1; next } b && /^```/ { exit } b' "$s" >"$sw/mapper.md"
grep -v '^#' $r/hadoop-mapper.sh >"$sw/mapper.sh"
check "sharding: the mapper shown in the recipe is hadoop-mapper.sh" 'cmp -s "$sw/mapper.md" "$sw/mapper.sh"'

tests_done
