#!/bin/sh
# The fast paths change nothing a user sees. Every golden case runs again
# with LOGWHY_NO_FASTPATH=1 (every record parsed, no prefilter, every rule
# tried on every event, one thread)
# and with LOGWHY_THREADS=3 against the same expected files; then lint and
# triage run with the fast paths off, and on with 1, 2 and 5 threads, over
# the incident inputs (every shape) and a generated corpus, and their
# outputs must be byte for byte the same. Ends "N passed, N failed".
. "$(dirname "$0")/lib.sh"
export LOGWHY

# 1. the golden cases, fast paths off, then in three threads
for env in LOGWHY_NO_FASTPATH=1 LOGWHY_THREADS=3; do
	env "$env" sh tests/golden.test.sh >"$tmp/golden" 2>&1
	last=$(tail -n 1 "$tmp/golden")
	gp=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	gf=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$gp" ]; then
		bad "golden cases with $env did not finish"; tail -n 20 "$tmp/golden"
	else
		[ "$gf" -ne 0 ] && grep -A 12 '^FAIL' "$tmp/golden" | head -n 60
		pass=$((pass + gp)); fail=$((fail + gf))
	fi
done

# 2. on and off, the same bytes
same() {   # name, then the command's arguments; stdin from $IN if set
	name=$1
	shift
	LOGWHY_NO_FASTPATH=1 "$LOGWHY" "$@" <"${IN:-/dev/null}" >"$tmp/off.out" 2>"$tmp/off.err"
	off=$?
	for th in 1 2 5; do
		LOGWHY_THREADS=$th "$LOGWHY" "$@" <"${IN:-/dev/null}" >"$tmp/on.out" 2>"$tmp/on.err"
		on=$?
		if [ "$on" != "$off" ]; then
			bad "$name: exit $on with the fast paths ($th threads), $off without"
		elif ! cmp -s "$tmp/on.out" "$tmp/off.out"; then
			bad "$name: stdout differs ($th threads)"; diff "$tmp/off.out" "$tmp/on.out" | head -n 20
		elif ! cmp -s "$tmp/on.err" "$tmp/off.err"; then
			bad "$name: stderr differs ($th threads)"; diff "$tmp/off.err" "$tmp/on.err" | head -n 20
		else
			ok "$name ($th threads)"
		fi
	done
}

export NO_COLOR=1 LOGWHY_RULES="$PWD/rules"
for inc in fixtures/incident-*/; do
	for f in "$inc"*; do
		[ -f "$f" ] || continue
		n=$(basename "$inc")/$(basename "$f")
		same "lint $n" lint --fail-on never -o json "$f"
		same "triage $n" triage "$f"
		same "triage -o json $n" triage -o json "$f"
	done
done

# every real excerpt, the whole corpus in one run: the rules an event may
# match (the gate) are exactly the rules that match it
same "lint the real corpus" lint --fail-on never -o json fixtures/real

python3 bench/gen-corpus.py 4 7 >"$tmp/corpus.ndjson"
python3 - "$tmp/corpus.ndjson" "$tmp/corpus.json" <<'EOF'
import json, sys
# the same entries as gcloud prints them: one JSON array, newest first
rows = [json.loads(l) for l in open(sys.argv[1])]
rows.reverse()
json.dump(rows, open(sys.argv[2], "w"), indent=2)
EOF
gzip -c "$tmp/corpus.ndjson" >"$tmp/corpus.ndjson.gz"
for f in corpus.ndjson corpus.json corpus.ndjson.gz; do
	same "lint $f" lint --fail-on never -o json "$tmp/$f"
	same "triage $f" triage "$tmp/$f"
	same "triage -o json $f" triage -o json "$tmp/$f"
done
# gzip inflated by the read-ahead thread or by the reader: the same records
# and the same warnings in the same place, for damaged streams too
n=$(wc -c <"$tmp/corpus.ndjson.gz")
head -c $((n / 2)) "$tmp/corpus.ndjson.gz" >"$tmp/cut.gz"
head -c 5 "$tmp/corpus.ndjson.gz" >"$tmp/cut-header.gz"
{ cat "$tmp/corpus.ndjson.gz"; printf 'not gzip'; } >"$tmp/garbage.gz"
{ head -n 300 "$tmp/corpus.ndjson" | gzip -c; tail -n 300 "$tmp/corpus.ndjson" | gzip -c; } >"$tmp/members.gz"
python3 - "$tmp/corpus.ndjson.gz" "$tmp/corrupt.gz" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 3] ^= 0xff   # deflate data hit in the middle: corrupt or a bad CRC
open(sys.argv[2], "wb").write(b)
EOF
for f in cut.gz cut-header.gz garbage.gz members.gz corrupt.gz; do
	same "lint $f" lint --fail-on never -o json "$tmp/$f"
	same "triage $f" triage -o json "$tmp/$f"
	same "sanitize $f" sanitize "$tmp/$f"
done
IN=$tmp/cut.gz same "lint gzip on stdin" lint --fail-on never -o json -
IN=$tmp/corpus.ndjson.gz same "sanitize gzip on stdin" sanitize -
unset IN

# records the skim must refuse, mixed in: escapes, non-ASCII, open runs
{
	head -n 400 "$tmp/corpus.ndjson"
	printf '%s\n' '{"insertId":"a1","jsonPayload":{"message":"Object of type \u0057ebSocketState is not JSON serializable"},"logName":"projects/p/logs/run.googleapis.com%2Fstdout","timestamp":"2025-09-08T04:00:00.5Z"}'
	printf '%s\n' '{"insertId":"a2","textPayload":"code=1011 caf\u00e9 \/ws","logName":"projects/p/logs/x","timestamp":"2025-09-08T04:00:00.6Z"}'
	printf '%s\n' '{"insertId":"a3","textPayload":"WebSocket closed code=1011 — Internal error","logName":"projects/p/logs/x","timestamp":"2025-09-08T04:00:00.7Z"}'
	printf '%s\n' '{"insertId":"a4","textPayload":"plain line","logName":"projects/p/logs/x","timestamp":"not a time"}'
	printf '%s\n' '{"insertId":"a5","textPayload":"plain line","logName":"projects/p/logs/x","timestamp":"2025-09-08T04:00:00.8Z","timestamp":"2025-09-08T04:00:09Z"}'
	printf '%s\n' '{"insertId":"a6","textPayload":"big 123456789012345678901234567890","n":1e999,"logName":"x","timestamp":"2025-09-08T04:00:00.9Z"}'
	tail -n 400 "$tmp/corpus.ndjson"
} >"$tmp/mixed.ndjson"
python3 tests/fastpath_keys.py "$tmp/corpus.ndjson" >"$tmp/keys.ndjson"
same "triage suspect keys" triage -o json "$tmp/keys.ndjson"
same "lint mixed" lint --fail-on never -o json "$tmp/mixed.ndjson"
same "triage mixed" triage -o json "$tmp/mixed.ndjson"

# warnings from framing (a cut record) and from parsing (invalid JSON kept
# as text) spread over many batches: with threads, each in its place
awk 'NR % 97 == 0 { print "{\"timestamp\":\"2025-09-08T04:00:01Z\",\"textPayload\":\"code=1011 cut" } NR % 131 == 0 { printf "{\"textPayload\":\"%s\",\"timestamp\":\"2025-09-08T04:00:02Z\"}\n", sprintf("%2000s", "x") } { print }' \
	"$tmp/corpus.ndjson" >"$tmp/warned.ndjson"
same "lint warned" lint --fail-on never -o json --max-record 1500 "$tmp/warned.ndjson"
same "triage warned" triage -o json --max-record 1500 "$tmp/warned.ndjson"
IN=$tmp/warned.ndjson same "triage warned on stdin" triage --max-record 1500 -
unset IN

# docker json-file lines in 16 KiB pieces put back together, whole and cut
# at the record limit (a warning at the first piece), across batches
for m in 8388608 20000; do
	same "lint docker pieces, limit $m" lint --fail-on never -o json --max-record $m \
		fixtures/source-docker-json-long/container-json.log
	same "triage docker pieces, limit $m" triage -o json --max-record $m \
		fixtures/source-docker-json-long/container-json.log
done

# a regular file of JSON lines is read in chunks by the threads: cuts put
# inside arrays, broken values, docker pieces and text blocks, after CRLF,
# a byte order mark, blank lines, a record longer than a chunk, and a cut
# record at the end (tests/chunk_cases.py)
mkdir -p "$tmp/chunks"
python3 tests/chunk_cases.py "$tmp/corpus.ndjson" fixtures/source-docker-json-long/container-json.log \
	"$tmp/chunks"
for f in "$tmp"/chunks/*; do
	n=$(basename "$f")
	same "lint chunks $n" lint --fail-on never -o json "$f"
	same "triage chunks $n" triage -o json "$f"
done

tests_done
