#!/bin/sh
# The real-world corpus: fixtures/real/<case>/ holds log excerpts that
# engineers pasted into public threads, each case scored by the category of
# triage's verdict. A case folder has:
#   expect     one line: the category an engineer would assign from the
#              thread's conclusion (dependency, config, ...), or `none` for a
#              negative (a healthy log: no verdict and no error-level finding)
#   source     the source address(es) and a line on the thread's conclusion
#   anything else: the inputs, given to triage in sorted order
# Prints each case that is not right, then a score table per class:
# correct / wrong / missed / false alarm. Fails on any wrong verdict, false
# alarm or crash, and when fewer than REAL_MIN_PCT percent (default 90) of
# the cause cases get the right category.
. "$(dirname "$0")/lib.sh"
MIN_PCT=${REAL_MIN_PCT:-90}
export NO_COLOR=1 LOGWHY_RULES="$PWD/rules"
: >"$tmp/score"

for dir in fixtures/real/*/; do
	case=${dir%/}
	[ -f "$case/expect" ] || continue
	want=$(tr -d ' \n' <"$case/expect")
	set --
	for f in "$case"/*; do
		b=${f##*/}
		[ "$b" = expect ] || [ "$b" = source ] || set -- "$@" "$f"
	done
	"$LOGWHY" triage --output json "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" -ne 0 ] || ! got=$(jq -r '.verdict.category // "none"' "$tmp/out" 2>/dev/null); then
		echo "CRASH $case: triage exit $rc: $(head -c 300 "$tmp/err")"
		echo "$want crash" >>"$tmp/score"
		continue
	fi
	if [ "$want" = none ]; then
		"$LOGWHY" lint --fail-on error "$@" >"$tmp/lint" 2>&1 </dev/null
		lrc=$?
		if [ "$got" != none ] || [ "$lrc" -ne 0 ]; then
			echo "FALSE-ALARM $case: verdict $got, lint --fail-on error exit $lrc"
			grep -m 3 ': error: ' "$tmp/lint" | sed 's/^/    /'
			echo "$want false-alarm" >>"$tmp/score"
		else
			echo "$want correct" >>"$tmp/score"
		fi
	elif [ "$got" = "$want" ]; then
		echo "$want correct" >>"$tmp/score"
	elif [ "$got" = none ]; then
		echo "MISS $case: want $want, no verdict"
		echo "$want missed" >>"$tmp/score"
	else
		echo "WRONG $case: want $want, verdict $got ($(jq -r .verdict.rule "$tmp/out"))"
		echo "$want wrong" >>"$tmp/score"
	fi
done

awk -v min="$MIN_PCT" '
{ cls[$1] = 1; n[$1 " " $2]++; tot[$2]++; if ($1 != "none") causes++ }
END {
	printf "%-14s %7s %5s %6s %11s %5s\n", "class", "correct", "wrong", "missed", "false-alarm", "crash"
	for (c in cls) order[++k] = c
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
	for (i = 1; i <= k; i++) { c = order[i]
		printf "%-14s %7d %5d %6d %11d %5d\n", c, n[c " correct"], n[c " wrong"], n[c " missed"], n[c " false-alarm"], n[c " crash"] }
	right = 0; for (i = 1; i <= k; i++) if (order[i] != "none") right += n[order[i] " correct"]
	pct = causes ? 100 * right / causes : 100
	printf "cause cases: %d of %d right (%.1f%%); negatives: %d; wrong %d, false alarms %d, crashes %d\n",
		right, causes, pct, n["none correct"] + n["none false-alarm"] + n["none crash"], tot["wrong"], tot["false-alarm"], tot["crash"]
	bad = tot["wrong"] + tot["false-alarm"] + tot["crash"]
	if (pct < min) { printf "recall %.1f%% is under %d%%\n", pct, min; bad++ }
	printf "%d passed, %d failed\n", tot["correct"], bad
}' "$tmp/score" | tee "$tmp/table"
tail -n 1 "$tmp/table" | grep -q ' 0 failed$'
