#!/bin/sh
# The shape of src/: data flows one way (README, "Architecture"), so a
# module includes only the modules below it, never one above or beside it;
# and no module includes another's private header (*_impl.h). The layers,
# lowest first:
#   util | ws, read | event | pattern | rules | sanitize, triage | emit | cli, wsd
# Ends "N passed, N failed".
. "$(dirname "$0")/lib.sh"

layer() {
	case $1 in
	util) echo 0 ;;
	ws | read) echo 1 ;;
	event) echo 2 ;;
	pattern) echo 3 ;;
	rules) echo 4 ;;
	sanitize | triage) echo 5 ;;
	emit) echo 6 ;;
	cli | wsd) echo 7 ;;
	*) echo none ;;
	esac
}

# violations DIR MODULE: each include in DIR of a module not below MODULE,
# or of another module's private header, as file:line: what
violations() {
	grep -rnoE '^#include "[a-z]+/[a-z_]+\.h"' "$1" | sed 's/#include "//; s/"$//' |
		while IFS=: read -r file line target; do
			to=${target%%/*}
			[ "$to" = "$2" ] && continue
			k=$(layer "$to")
			if [ "$k" = none ] || [ "$k" -ge "$(layer "$2")" ]; then
				echo "$file:$line: includes $target ($to is not below $2)"
			fi
			case $target in *_impl.h) echo "$file:$line: includes $target, private to $to" ;; esac
		done
}

for dir in src/*/; do
	m=$(basename "$dir")
	check "src/$m has a layer" '[ "$(layer "$m")" != none ]'
	violations "$dir" "$m" >"$tmp/bad"
	check "src/$m includes only the modules below it, through their public headers" \
		'[ ! -s "$tmp/bad" ] || { cat "$tmp/bad"; false; }'
done
# the check finds what it is for: an arrow up, an arrow sideways, a private header
mkdir -p "$tmp/t"
printf '#include "emit/report.h"\n#include "sanitize/sanitize.h"\n#include "rules/rule.h"\n#include "event/event_impl.h"\n' >"$tmp/t/x.c"
violations "$tmp/t" triage >"$tmp/bad"
check "the check finds triage -> emit, triage -> sanitize and a private header, not triage -> rules" \
	'[ "$(cut -d: -f2 "$tmp/bad" | tr "\n" " ")" = "1 2 4 " ]'
# struct rule is private to rules/: its body stands only in rules/rule_impl.h
# (others read a rule's description, rules/rule.h), and nothing outside
# src/rules but the white-box unit tests includes that header
rule_body() { grep -lE '^struct rule[[:space:]]*\{' "$@" 2>/dev/null; }
check "struct rule's body is in rules/rule_impl.h alone" \
	'[ "$(rule_body src/*/*.h src/*/*.c)" = src/rules/rule_impl.h ]'
check "only src/rules and tests/unit include rules/rule_impl.h" \
	'! grep -rln "^#include \"rules/rule_impl\.h\"" src fuzz bench tests --include="*.[ch]" |
		grep -v -e "^src/rules/" -e "^tests/unit/"'
# the issue's literal check
check "no include of emit/ from triage, rules, event or read" \
	'! grep -rn "#include \"emit/" src/triage src/rules src/event src/read'

tests_done
