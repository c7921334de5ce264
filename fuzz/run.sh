#!/bin/sh
# Run the fuzz targets built by `make fuzz`: for each target, replay its
# regression inputs (fuzz/regress/<target>/: every crash ever found), then
# fuzz it for SECONDS from its seeded corpus (fuzz/seed.sh).
#   fuzz/run.sh [SECONDS] [TARGET...]     default 20 s, every target
# SECONDS 0 only replays. A target fails when a replay or the fuzzing finds
# a crash, leak, timeout or out-of-memory; its input is then in
# build/fuzz/artifacts/<target>/ and its log in build/fuzz/logs/<target>.log.
# Ends with "N passed, N failed"; exit 1 when any failed.
set -u
cd "$(dirname "$0")/.."
secs=${1:-20}
[ $# -gt 0 ] && shift
bin=${FUZZ_BIN:-build/fuzz}
targets=${*:-$(for f in fuzz/fuzz_*.c; do f=${f#fuzz/fuzz_}; echo "${f%.c}"; done)}
mkdir -p "$bin/logs" "$bin/artifacts"
fuzz/seed.sh >/dev/null || { echo "fuzz/seed.sh failed"; exit 1; }
pass=0
fail=0

for t in $targets; do
	exe=$bin/fuzz_$t
	log=$bin/logs/$t.log
	if [ ! -x "$exe" ]; then
		echo "FAIL $t: $exe not built (make fuzz)"; fail=$((fail + 1)); continue
	fi
	# The handshake parser must see inputs past its 8 KiB header limit.
	# Elsewhere 8 KiB keeps the speed up (a 40 KiB fixture runs at ~70/s
	# through sanitize, a few KiB at thousands); longer seeds are cut,
	# which exercises the cut-array and cut-record paths for free.
	case $t in
	ws_handshake) maxlen=20000 ;;
	*) maxlen=8192 ;;
	esac
	common="-rss_limit_mb=2048 -timeout=10 -max_len=$maxlen"
	ok=1
	: >"$log"
	if [ -d "fuzz/regress/$t" ] && [ -n "$(ls "fuzz/regress/$t")" ]; then
		n=$(ls "fuzz/regress/$t" | wc -l)
		# shellcheck disable=SC2086
		if ! "$exe" $common "fuzz/regress/$t"/* >>"$log" 2>&1; then
			echo "FAIL $t: a regression input fails again (see $log)"; ok=0
		else
			echo "replay $t: $n regression inputs ok"
		fi
	fi
	if [ $ok = 1 ] && [ "$secs" -gt 0 ]; then
		dict=""
		[ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
		mkdir -p "$bin/artifacts/$t"
		# shellcheck disable=SC2086
		"$exe" $common $dict -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="$bin/artifacts/$t/" "$bin/corpus/$t" >>"$log" 2>&1
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p')
		if [ $rc -ne 0 ]; then
			art=$(ls -t "$bin/artifacts/$t" 2>/dev/null | head -n 1)
			echo "FAIL $t: exit $rc, input $bin/artifacts/$t/$art (see $log)"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*promise broken)' "$log" | head -n 3
			ok=0
		else
			echo "ok $t: ${execs:-?} execs in ${secs}s, ${cov:-no coverage line}"
		fi
	fi
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
