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

# The script suites: those that measure time or load the machine on their
# own (a follow latency, real clients and browsers with deadlines,
# valgrind) run alone; the rest run TEST_JOBS at a time (default 2), the
# longest first, each into a file of its own. Results are read back in
# name order, the same whatever ran when.
JOBS=${TEST_JOBS:-2}
ALONE=" follow e2e probe_tls wsd_abuse wsd_abuse_valgrind wsd_valgrind wsd_browser wsd_clients "
LONGEST="html merge hostile sanitize_cut fastpath real suspects sanitize docs recipes"
# (no EXIT trap while lanes run: a subshell could run it and take the
# results from under the others)
res=$(mktemp -d)

run_suite() {
	sh "tests/$1.test.sh" >"$res/$1.out" 2>&1
	echo $? >"$res/$1.rc"
}

# the next suite of the queue for a lane (mkdir is the lock), or nothing
next_suite() {
	while ! mkdir "$res/lock" 2>/dev/null; do sleep 0.05; done
	n=$(cat "$res/next")
	echo $((n + 1)) >"$res/next"
	rmdir "$res/lock"
	sed -n "$((n + 1))p" "$res/queue"
}

lane() {
	while s=$(next_suite) && [ -n "$s" ]; do
		run_suite "$s"
	done
}

names=$(for s in tests/*.test.sh; do [ -f "$s" ] && basename "$s" .test.sh; done | tr '\n' ' ')
{
	for s in $LONGEST; do
		case " $names " in *" $s "*) echo "$s" ;; esac
	done
	for s in $names; do
		case " $LONGEST $ALONE " in *" $s "*) ;; *) echo "$s" ;; esac
	done
} >"$res/queue"
echo 0 >"$res/next"
i=0
while [ "$i" -lt "$JOBS" ]; do
	lane &
	i=$((i + 1))
done
wait
for s in $ALONE; do
	case " $names " in *" $s "*) run_suite "$s" ;; esac
done
trap 'rm -rf "$res"' EXIT

for s in $names; do
	out=$(cat "$res/$s.out" 2>/dev/null)
	rc=$(cat "$res/$s.rc" 2>/dev/null || echo 1)
	last=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then p=0; f=1; fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | tail -n 60
	elif [ "$s" = real ]; then
		# the real-world corpus score is part of every run's output
		printf '%s\n' "$out" | sed -n '/^class /,$p' | sed '$d'
	fi
	echo "suite $s: $p passed, $f failed"
	pass=$((pass + p)); fail=$((fail + f))
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
