#!/bin/sh
# Suspects and rules suggest on planted-cause incidents (tests/suspects_gen.py):
# in every case the planted error no rule knows is suspect 1 and no decoy
# is; an input without symptoms lists none; `rules suggest` prints a rule
# that `rules test` passes and that, given back with --rules, turns the
# verdict from none into that rule. Then the pattern grouping accuracy on
# the labelled set (tests/data/patterns/), printed, at least 0.95.
. "$(dirname "$0")/lib.sh"
export NO_COLOR=1
L() { "$LOGWHY" "$@"; }

python3 tests/suspects_gen.py "$tmp/cases" || { echo "FAIL generator"; exit 1; }
for dir in "$tmp"/cases/*/; do
	name=$(basename "$dir")
	cd "$dir" || exit 1
	files=$(jq -r '.files[]' case.json)
	planted=$(jq -r .planted case.json)
	nsym=$(jq -r .symptoms case.json)
	# shellcheck disable=SC2086
	L triage -q -o json $files >report.json
	check "$name: triage exits 0 with JSON" '[ $? -eq 0 ] && jq -e . report.json >/dev/null'
	check "$name: no rule gives a verdict" '[ "$(jq -c .verdict report.json)" = null ]'
	if [ "$nsym" = 0 ]; then
		check "$name: no symptom, no suspects" '[ "$(jq -c .suspects report.json)" = "[]" ]'
		# shellcheck disable=SC2086
		L rules suggest -q --category dependency $files >sug.yml 2>err
		check "$name: rules suggest without a suspect is an error" '[ $? -eq 2 ] && [ ! -s sug.yml ] && grep -q "no suspect" err'
		cd "$root" || exit 1
		continue
	fi
	check "$name: the symptoms are unexplained" \
		'[ "$(jq "[.symptoms[].unexplained] | add" report.json)" = "$nsym" ]'
	check "$name: the planted error is suspect 1" \
		'jq -r ".suspects[0].pattern" report.json | grep -q "^$planted"'
	check "$name: suspect 1 precedes every unexplained symptom" \
		'[ "$(jq ".suspects[0].symptoms" report.json)" = "$nsym" ]'
	for decoy in $(jq -r '.decoys[] | @base64' case.json); do
		d=$(printf '%s' "$decoy" | base64 -d)
		check "$name: decoy '$d' is not suspect 1" \
			'! jq -r ".suspects[0].pattern" report.json | grep -qF "$d"'
	done
	check "$name: the frequent error everywhere is no suspect at all" \
		'! jq -r ".suspects[].pattern" report.json | grep -qF "Cache refresh failed"'
	check "$name: text shows suspects under their own heading, not as the verdict" \
		'L triage -q $files | grep -q "^suspects: no rule knows these; they precede the unexplained symptoms" &&
		 L triage -q $files | grep -q "^verdict: none"'
	check "$name: markdown has a Suspects section" 'L triage -q -o markdown $files | grep -q "^## Suspects"'

	# shellcheck disable=SC2086
	L rules suggest -q --category dependency $files >sug.yml 2>err
	check "$name: rules suggest prints a rule" '[ $? -eq 0 ] && grep -q "^id: dependency\." sug.yml'
	check "$name: the suggested rule passes rules test" \
		'L rules test --rules "$root/rules" --rules sug.yml | tail -n 1 | grep -q " 0 failed$"'
	id=$(sed -n 's/^id: //p' sug.yml)
	# shellcheck disable=SC2086
	L triage -q -o json --rules "$root/rules" --rules sug.yml $files >after.json
	check "$name: given back, the suggested rule is the verdict" \
		'[ "$(jq -r .verdict.rule after.json)" = "$id" ]'
	check "$name: ... and explains every symptom" \
		'[ "$(jq "[.symptoms[].unexplained] | add" after.json)" = 0 ] && [ "$(jq -c .suspects after.json)" = "[]" ]'
	# by pattern id, as `logwhy patterns` names it
	# shellcheck disable=SC2086
	pid=$(L patterns -q -o json $files | jq -r --arg p "$planted" '[.patterns[] | select(.pattern | startswith($p))][0].id')
	# shellcheck disable=SC2086
	L rules suggest -q --category dependency --pattern "$pid" --id dependency.flux $files >sug2.yml 2>err
	check "$name: rules suggest --pattern $pid" '[ $? -eq 0 ] && grep -q "^id: dependency.flux$" sug2.yml'
	cd "$root" || exit 1
done

# a pattern id that is not there; no --category
L rules suggest -q --category x --pattern p00000000 fixtures/incident-enum-log/app.log >/dev/null 2>"$tmp/err"
check "rules suggest --pattern unknown: exit 2" '[ $? -eq 2 ] && grep -q "no pattern" "$tmp/err"'
L rules suggest -q fixtures/incident-enum-log/app.log >/dev/null 2>"$tmp/err"
check "rules suggest without --category: exit 2" '[ $? -eq 2 ] && grep -q "category" "$tmp/err"'
# every symptom explained by a rule: no suspects
check "rules explain every symptom: suspects empty" \
	'[ "$(L triage -q -o json fixtures/incident-enum-log/gcloud.json | jq -c .suspects)" = "[]" ]'
check "--no-suspects: no suspects key" \
	'! L triage -q -o json --no-suspects fixtures/incident-enum-log/gcloud.json | jq -e "has(\"suspects\")" >/dev/null'

# the fast path (skimmed LogEntries) changes nothing: patterns, suspects
python3 bench/gen-corpus.py 2 >"$tmp/corpus.ndjson"
for args in "patterns -o json" "patterns --records" "triage -o json"; do
	# shellcheck disable=SC2086
	check "LOGWHY_NO_FASTPATH=1: same $args" \
		'[ "$(L $args -q "$tmp/corpus.ndjson" | md5sum)" = "$(LOGWHY_NO_FASTPATH=1 L $args -q "$tmp/corpus.ndjson" | md5sum)" ]'
done
for dir in "$tmp"/cases/*/; do
	files=$(jq -r '.files[] | "'"$dir"'" + .' "$dir/case.json")
	# shellcheck disable=SC2086
	check "LOGWHY_NO_FASTPATH=1: same triage of $(basename "$dir")" \
		'[ "$(L triage -q -o json $files | md5sum)" = "$(LOGWHY_NO_FASTPATH=1 L triage -q -o json $files | md5sum)" ]'
done

# grouping accuracy on the labelled set
acc=$(python3 tests/pattern_accuracy.py "$LOGWHY" tests/data/patterns/real.tsv)
echo "pattern grouping accuracy: $acc"
check "grouping accuracy >= 0.95" 'awk -v a="$(echo "$acc" | cut -d" " -f1)" "BEGIN { exit !(a >= 0.95) }"'

tests_done
