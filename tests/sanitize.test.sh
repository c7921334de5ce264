#!/bin/sh
# Property test for `logwhy sanitize`: generated hostile corpora (broken
# JSON, reprs, NaN, bad UTF-8, NULs, CRLF, huge lines, secrets) must come out
# as one strict JSON object per input record, clean lines byte for byte, no
# JWT left (checked by python3's json, not by logwhy). Also: --check exit
# codes, and output identical when sanitized twice.
. "$(dirname "$0")/lib.sh"
export LOGWHY_RULES=$PWD/rules

for seed in 1 2 3; do
	n=400
	python3 tests/sanitize_gen.py $n $seed "$tmp/in" "$tmp/clean" || { bad "gen $seed"; continue; }
	for fmt in auto text; do
		for limit in 8388608 65536; do
			name="seed $seed, --input-format $fmt, --max-record $limit"
			"$LOGWHY" sanitize -q --input-format $fmt --max-record $limit "$tmp/in" >"$tmp/out"
			rc=$?
			if [ $rc -ne 0 ]; then bad "$name: exit $rc"; continue; fi
			# in text mode the clean JSON lines are text records, not passed through
			clean="$tmp/clean"
			[ $fmt = text ] && : >"$tmp/none" && clean="$tmp/none"
			if python3 tests/sanitize_check.py "$tmp/in" "$tmp/out" "$clean" $n; then ok "$name"; else bad "$name"; fi
		done
	done
	# sanitizing the output again changes nothing
	"$LOGWHY" sanitize -q "$tmp/in" >"$tmp/once"
	"$LOGWHY" sanitize -q --check "$tmp/once" 2>"$tmp/check2"
	rc=$?
	if [ $rc -eq 0 ]; then ok "seed $seed: a second pass changes nothing"; else bad "seed $seed: second pass would change: $(head -n 3 "$tmp/check2")"; fi
	# --check on the dirty corpus: exit 1, nothing on stdout
	"$LOGWHY" sanitize -q --check "$tmp/in" >"$tmp/cout" 2>/dev/null
	rc=$?
	if [ $rc -eq 1 ] && [ ! -s "$tmp/cout" ]; then ok "seed $seed: --check exit 1, nothing on stdout"; else bad "seed $seed: --check exit $rc"; fi
done

# gzip input, stdin, and an input read in pieces all give the same lines
python3 tests/sanitize_gen.py 200 9 "$tmp/in" "$tmp/clean"
"$LOGWHY" sanitize -q "$tmp/in" >"$tmp/a"
gzip -c "$tmp/in" >"$tmp/in.gz"
"$LOGWHY" sanitize -q "$tmp/in.gz" >"$tmp/b"
cat "$tmp/in" | "$LOGWHY" sanitize -q >"$tmp/c"
if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a" "$tmp/c"; then ok "gzip/stdin the same"; else bad "gzip/stdin differ"; fi

tests_done
