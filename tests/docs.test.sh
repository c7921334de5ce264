#!/bin/sh
# Drift tests: the option tables (as `logwhy --options` and `logwhy-wsd
# --options` dump them) against the completions, the man pages and --help.
# An option added to a table and missing anywhere fails here. Also runs the
# bash, zsh and fish completions for real, mandoc -Tlint, and the man pages'
# EXAMPLES sections.
. "$(dirname "$0")/lib.sh"
bin=$root/$BUILD/logwhy
wsd=$root/$BUILD/logwhy-wsd
suite_cleanup() { kill $(jobs -p) 2>/dev/null; }

"$bin" --options >"$tmp/dump" 2>"$tmp/err"
check "logwhy --options" '[ $? -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q "^option	lint	--fail-on	-	LEVEL	error|warning|info|never$" "$tmp/dump"'
"$wsd" --options >"$tmp/wsd.dump" 2>"$tmp/err"
check "logwhy-wsd --options" '[ $? -eq 0 ] && grep -q "^option	logwhy-wsd	--fault	-	MODE	none|enum-log|" "$tmp/wsd.dump"'
check "rules subcommands dumped" '[ "$(awk -F "	" "\$1 == \"subcommand\" { printf \"%s \", \$3 }" "$tmp/dump")" = "list show check test suggest " ]'
cat "$tmp/wsd.dump" >>"$tmp/dump"

# the committed completions are what the generator writes from the tables
scripts/gen-completions.sh "$BUILD" "$tmp/gen" >/dev/null 2>&1
for f in logwhy.bash _logwhy logwhy.fish; do
	check "completions/$f is generated from the tables (run scripts/gen-completions.sh)" \
		'cmp -s "$tmp/gen/$f" "completions/$f"'
done
check "bash -n" 'bash -n completions/logwhy.bash'
if command -v zsh >/dev/null 2>&1; then
	check "zsh -n" 'zsh -n completions/_logwhy'
fi
if command -v fish >/dev/null 2>&1; then
	check "fish -n" 'fish -n completions/logwhy.fish'
fi

# every option and value of the tables, in every completion file and man page
tab=$(printf '\t')
q="'"
while IFS=$tab read -r kind cmd long short metavar values; do
	[ "$kind" = option ] || continue
	case $cmd in
	-) page=man/logwhy.1; sect=SYNOPSIS ;;
	logwhy-wsd) page=man/logwhy-wsd.1; sect=DESCRIPTION ;;
	*) page=man/logwhy.1; sect=$cmd ;;
	esac
	# the command's own section of the man page: from its .Ss (or .Sh) to the next
	awk -v s="$sect" '/^\.S[hs] /{ f = ($2 == s) } f' "$page" >"$tmp/sect"
	check "$page ($sect) documents $long" 'grep -Eq "Fl ${long#-}([^a-z-]|\$)" "$tmp/sect"'
	[ "$short" = - ] || check "$page ($sect) documents $short" \
		'grep -Eq "Fl ${short#-}([^a-zA-Z]|\$)" "$tmp/sect"'
	sn=${long#--}
	check "_logwhy has $long" 'grep -q "^[[:space:]]*$q$long[=$q:]" completions/_logwhy'
	[ "$short" = - ] || check "_logwhy has $short" 'grep -q "^[[:space:]]*$q$short[+$q:]" completions/_logwhy'
	check "logwhy.fish has $long" 'grep -Eq " -l $sn( |\$)" completions/logwhy.fish'
	[ "$short" = - ] || check "logwhy.fish has $short" 'grep -q " -s ${short#-} -l $sn" completions/logwhy.fish'
	check "logwhy.bash has $long" 'grep -Eq "[ $q|(]$long[ $q|)]" completions/logwhy.bash'
	[ "$values" = - ] && continue
	for v in $(printf '%s' "$values" | tr '|' ' '); do
		# the man page names each value as Cm
		if [ "$cmd" = - ]; then :; else
			grep -q "^\.\(It \)\?Cm $v\( \|\$\)\|Cm $v " "$tmp/sect" || \
				grep -q "^\.Cm $v" "$page" || bad "$page: value '$v' of $long"
		fi
	done
	check "values of $cmd $long in every completion file" \
		'vs=$(printf "%s" "$values" | tr "|" " "); grep -q "$vs" completions/logwhy.bash && grep -q "($vs)" completions/_logwhy && grep -q "$q$vs$q" completions/logwhy.fish'
done <"$tmp/dump"

# --help lists exactly the table's options
for cmd in $(awk -F "$tab" '$1 == "command" { print $2 }' "$tmp/dump") logwhy-wsd; do
	if [ "$cmd" = logwhy-wsd ]; then "$wsd" --help; else "$bin" "$cmd" --help; fi |
		sed -n 's/^  \(-[a-zA-Z], \|    \)\(--[a-z-]*\).*/\1\2/p' | sed 's/, / /; s/^ *//' | sort >"$tmp/help"
	awk -F "$tab" -v c="$cmd" '$1 == "option" && $2 == c { print ($4 == "-" ? "" : $4 " ") $3 }' \
		"$tmp/dump" | sort >"$tmp/want"
	check "$cmd --help lists the table's options" 'cmp -s "$tmp/help" "$tmp/want" || { diff "$tmp/want" "$tmp/help"; false; }'
done

# mandoc -Tlint: warnings and errors (STYLE notes about manuals not
# installed on this machine are not drift)
if command -v mandoc >/dev/null 2>&1; then
	for m in man/logwhy.1 man/logwhy-rules.5 man/logwhy-wsd.1; do
		check "mandoc -Tlint $m" 'out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ] || { echo "$out"; false; }'
	done
else
	bad "mandoc missing (scripts/deps.sh installs it)"
fi
# every rule key the loader knows (its tables, dumped) is in logwhy-rules(5)
for k in $(awk -F "	" '$1 == "rulekey" { print $2 }' "$tmp/dump" | sort -u); do
	check "logwhy-rules.5 documents '$k'" 'grep -Eq "(^\.(It )?| )Ic $k( |\$)" man/logwhy-rules.5'
done
check "rule keys dumped" '[ "$(grep -c "^rulekey	" "$tmp/dump")" -gt 20 ]'

# the limits: one table in the code (dumped), which --help prints and LIMITS
# in logwhy(1) states; logwhy-rules(5) states those of rule files and regexes
limits_of() { awk '/^\.Sh LIMITS/{f=1;next} /^\.Sh /{f=0} f' "$1"; }
help=$("$bin" --help)
awk -F "	" '$1 == "limit" { print $2, $3 }' "$tmp/dump" >"$tmp/limits"
check "limits dumped" '[ "$(wc -l <"$tmp/limits")" -ge 14 ]'
while read -r name num; do
	check "--help states the limit $name ($num)" 'printf "%s\n" "$help" | grep -q "[^0-9]$num[^0-9]"'
	check "logwhy(1) LIMITS states $name ($num)" 'limits_of man/logwhy.1 | grep -q "[^0-9]$num[^0-9]\|^$num[^0-9]"'
	case $name in
	rule* | regex*) check "logwhy-rules(5) LIMITS states $name ($num)" 'limits_of man/logwhy-rules.5 | grep -q "[^0-9]$num[^0-9]\|^$num[^0-9]"' ;;
	esac
done <"$tmp/limits"

# bash completion, for real: COMP_WORDS/COMP_CWORD as bash sets them
comp() {
	bash -c '. completions/logwhy.bash; fn=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		$fn; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' comp "$@"
}
check "bash: logwhy tri → triage" '[ "$(comp _logwhy "$bin" tri)" = "triage " ]'
check "bash: logwhy lint --out → --output, --output-file" '[ "$(comp _logwhy "$bin" lint --out)" = "--output --output-file " ]'
check "bash: logwhy lint --output → formats" '[ "$(comp _logwhy "$bin" lint --output "")" = "github json junit sarif text " ]'
check "bash: logwhy lint --output=j" '[ "$(comp _logwhy "$bin" lint --output = j)" = "json junit " ]'
check "bash: logwhy sanitize --enum" '[ "$(comp _logwhy "$bin" sanitize --enum "")" = "lower name repr value " ]'
check "bash: logwhy triage --color" '[ "$(comp _logwhy "$bin" triage --color "")" = "always auto never " ]'
check "bash: logwhy rules → subcommands" '[ "$(comp _logwhy "$bin" rules "")" = "check list show suggest test " ]'
ids=$("$bin" rules list | awk '$1 ~ /^ser/ { print $1 }' | sort | tr '\n' ' ')
check "bash: logwhy rules show ser → rule ids" '[ -n "$ids" ] && [ "$(comp _logwhy "$bin" rules show ser)" = "$ids" ]'
check "bash: logwhy rules --color never show ws.close-10" '[ "$(comp _logwhy "$bin" rules --color never show ws.close-10)" = "$("$bin" rules list | awk "\$1 ~ /^ws.close-10/ { print \$1 }" | sort | tr "\n" " ")" ]'
check "bash: logwhy triage FILE" '[ "$(comp _logwhy "$bin" triage examples/staging-1011.js)" = "examples/staging-1011.json " ]'
check "bash: logwhy-wsd --fault → fault names" '[ "$(comp _logwhy_wsd "$wsd" --fault "")" = "abort e2e-env enum-log missing-service none startup-incomplete " ]'
check "bash: logwhy-wsd --sa" '[ "$(comp _logwhy_wsd "$wsd" --sa)" = "--safe-logging " ]'
# every command offers exactly its table's options
for cmd in $(awk -F "$tab" '$1 == "command" { print $2 }' "$tmp/dump"); do
	want=$(awk -F "$tab" -v c="$cmd" '$1 == "option" && $2 == c { print $3 }' "$tmp/dump" | sort | tr '\n' ' ')
	check "bash: logwhy $cmd --" '[ "$(comp _logwhy "$bin" "$cmd" --)" = "$want" ]'
done

# What every real shell must complete alike: $1 names the shell, $2 is the
# function that prints its matches for a command line.
ask_shell() {
	sh_name=$1 comp=$2
	check "$sh_name: logwhy tri" '[ "$($comp "logwhy tri")" = "triage " ]'
	check "$sh_name: logwhy lint --output" '[ "$($comp "logwhy lint --output ")" = "github json junit sarif text " ]'
	check "$sh_name: logwhy rules show ser" '[ "$($comp "logwhy rules show ser")" = "$ids" ]'
	check "$sh_name: logwhy-wsd --fault" '[ "$($comp "logwhy-wsd --fault ")" = "abort e2e-env enum-log missing-service none startup-incomplete " ]'
	for cmd in $(awk -F "$tab" '$1 == "command" { print $2 }' "$tmp/dump") logwhy-wsd; do
		want=$(awk -F "$tab" -v c="$cmd" '$1 == "option" && $2 == c { print $3 }' "$tmp/dump" | sort | tr '\n' ' ')
		line="logwhy $cmd --"
		[ "$cmd" = logwhy-wsd ] && line="logwhy-wsd --"
		check "$sh_name: $line" '[ "$($comp "$line")" = "$want" ]'
	done
}

# zsh, for real, when it is installed: a pty, compinit, and the matches
if command -v zsh >/dev/null 2>&1; then
	zcomp() { PATH=$root/$BUILD:$PATH timeout 30 zsh tests/zcomp.zsh "$1" | tr '\n' ' '; }
	ask_shell zsh zcomp
	check "zsh: logwhy lint --output=" '[ "$(zcomp "logwhy lint --output=")" = "github json junit sarif text " ]'
	check "zsh: logwhy rules" '[ "$(zcomp "logwhy rules ")" = "check list show suggest test " ]'
fi

# fish, for real, when it is installed
if command -v fish >/dev/null 2>&1; then
	fcomp() {
		PATH=$root/$BUILD:$PATH fish -c 'source completions/logwhy.fish; complete -C $argv[1]' "$1" |
			cut -f1 | sort | tr '\n' ' '
	}
	ask_shell fish fcomp
fi

# the EXAMPLES sections, run (except those that need gcloud)
examples() {
	awk '/^\.Sh /{ s = $2 } s == "EXAMPLES" && /^\.Ed/ { f = 0; print "\036" } f { gsub(/\\e/, "\\"); print } s == "EXAMPLES" && /^\.Bd -literal/ { f = 1 }' "$1"
}
mkdir "$tmp/ex"
ln -s "$root/examples" "$tmp/ex/examples"
examples man/logwhy.1 | awk -v d="$tmp/ex" 'BEGIN { RS = "\036\n" } { n++; printf "%s", $0 > (d "/" n ".sh") }'
for s in "$tmp"/ex/*.sh; do
	grep -q gcloud "$s" && continue
	# lint exits 1 when it finds something: only 2 (usage, input, rule error) fails
	(cd "$tmp/ex" && PATH=$root/$BUILD:$PATH sh "$s" >"$s.out" 2>"$s.err")
	rc=$?
	check "logwhy(1) example: $(head -n 1 "$s")" '[ $rc -le 1 ] && ! grep -q "error:" "$s.err" && { [ -s "$s.out" ] || [ -s "$tmp/ex/logwhy.sarif" ]; }'
done
examples man/logwhy-rules.5 | tr -d '\036' >"$tmp/ex/billing.yml"
check "logwhy-rules(5) example rule passes rules test" \
	'[ "$(cd "$tmp/ex" && "$bin" rules test --rules billing.yml)" = "4 passed, 0 failed" ]'
# each per-key snippet of logwhy-rules(5) KEYS loads, completed into a rule
awk '/^\.Sh /{ s = $2 } s == "KEYS" && /^\.Ed/ { f = 0; print "\036" } f { gsub(/\\e/, "\\"); print } s == "KEYS" && /^\.Bd -literal/ { f = 1 }' \
	man/logwhy-rules.5 | awk '# Each literal snippet of KEYS, completed into a rule with the required keys
# it lacks (id and category kept consistent).
BEGIN { RS = "\036\n"; split("id title category role severity match message", req, " ") }
{
	n++
	delete has
	m = split($0, lines, "\n")
	for (i = 1; i <= m; i++)
		if (match(lines[i], /^[a-z_]+:/))
			has[substr(lines[i], 1, RLENGTH - 1)] = substr(lines[i], RLENGTH + 2)
	cat = "doc"
	if ("category" in has) cat = has["category"]
	if ("id" in has) { cat = has["id"]; sub(/\..*/, "", cat) }
	out = ""
	for (i = 1; i <= 7; i++) {
		k = req[i]
		if (k in has)
			continue
		if (k == "id") out = out "id: " cat ".doc-key-" n "\n"
		else if (k == "match") out = out "match: { message: x }\n"
		else if (k == "category") out = out "category: " cat "\n"
		else if (k == "role") out = out "role: cause\n"
		else if (k == "severity") out = out "severity: info\n"
		else out = out k ": t\n"
	}
	printf "%s%s---\n", out, $0
}
' >"$tmp/ex/keys.yml"
check "logwhy-rules(5) KEYS snippets load" \
	'[ "$(grep -c "^---" "$tmp/ex/keys.yml")" -ge 15 ] && "$bin" rules check rules "$tmp/ex/keys.yml" >/dev/null'
mkdir "$tmp/wsd"
examples man/logwhy-wsd.1 | tr -d '\036' >"$tmp/wsd/ex.sh"
(cd "$tmp/wsd" && PATH=$root/$BUILD:$PATH timeout 30 sh ex.sh >out 2>err)
check "logwhy-wsd(1) example ends in a serialization verdict" 'grep -q "^verdict: serialization" "$tmp/wsd/out"'

# the rule pages SARIF links as helpUri are what the generator writes from the rules
python3 scripts/gen-rule-docs.py rules "$tmp/rule-docs" 2>"$tmp/err"
check "docs/rules is what scripts/gen-rule-docs.py writes (run it)" 'diff -r "$tmp/rule-docs" docs/rules >"$tmp/diff" 2>&1 || { head -n 20 "$tmp/diff"; false; }'
"$bin" lint -q --fail-on never --output sarif examples/staging-1011.json >"$tmp/help.sarif"
for u in $(jq -r '.runs[0].tool.driver.rules[].helpUri' "$tmp/help.sarif"); do
	check "helpUri has a page: ${u##*/}" '[ -f "docs/rules/${u##*/}" ] && case $u in https://github.com/logwhy/logwhy/blob/main/docs/rules/*) true ;; *) false ;; esac'
done

tests_done
