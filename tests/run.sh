#!/bin/sh
# Run every test suite: Criterion unit tests, golden cases, and the
# script suites in tests/*.test.sh. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export LOGWHY="$PWD/$BUILD/logwhy"
export LOGWHY_WSD="$PWD/$BUILD/logwhy-wsd"
pass=0
fail=0

for t in "$BUILD"/tests/*; do
	[ -x "$t" ] || continue
	out=$("$t" --jobs=2 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -n 1)
	p=$(printf '%s' "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	c=$(printf '%s' "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	p=${p:-0}; f=${f:-0}; c=${c:-0}
	if [ "$rc" -ne 0 ] && [ $((f + c)) -eq 0 ]; then f=1; fi
	if [ $((f + c)) -ne 0 ]; then
		printf '%s\n' "$out" | grep -v '^\[----\]' | tail -n 40
	fi
	echo "unit $(basename "$t"): $p passed, $((f + c)) failed"
	pass=$((pass + p)); fail=$((fail + f + c))
done

for s in tests/*.test.sh; do
	[ -f "$s" ] || continue
	out=$(sh "$s" 2>&1)
	rc=$?
	last=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then p=0; f=1; fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | tail -n 60
	elif [ "${s##*/}" = real.test.sh ]; then
		# the real-world corpus score is part of every run's output
		printf '%s\n' "$out" | sed -n '/^class /,$p' | sed '$d'
	fi
	echo "suite $(basename "$s" .test.sh): $p passed, $f failed"
	pass=$((pass + p)); fail=$((fail + f))
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
