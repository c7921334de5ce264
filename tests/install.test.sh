#!/bin/sh
# make install / uninstall into a scratch prefix (staged with DESTDIR): the
# installed binary finds the installed rules from any working directory.
. "$(dirname "$0")/lib.sh"

make --no-print-directory -s install BUILD="$BUILD" PREFIX=/opt/logwhy DESTDIR="$tmp/root" >"$tmp/log" 2>&1
check "make install" '[ $? -eq 0 ] || [ -x "$tmp/root/opt/logwhy/bin/logwhy" ]'
bin=$tmp/root/opt/logwhy/bin/logwhy
check "binaries installed" '[ -x "$bin" ] && [ -x "$tmp/root/opt/logwhy/bin/logwhy-wsd" ]'
check "rules installed" 'ls "$tmp/root/opt/logwhy/share/logwhy/rules/"*.yml >/dev/null 2>&1'
check "--version names the installed rules" \
	'(cd / && env -u LOGWHY_RULES "$bin" --version) | grep -q "rules: $tmp/root/opt/logwhy/share/logwhy/rules"'
check "rules load from any directory" '(cd / && env -u LOGWHY_RULES "$bin" rules check) >/dev/null'
check "triage runs installed" \
	'(cd / && env -u LOGWHY_RULES "$bin" triage -q "$OLDPWD/examples/staging-1011.json") | grep -q "^verdict: serialization"'
share=$tmp/root/opt/logwhy/share
check "man pages installed" '[ -f "$share/man/man1/logwhy.1" ] && [ -f "$share/man/man1/logwhy-wsd.1" ] && [ -f "$share/man/man5/logwhy-rules.5" ]'
check "man logwhy renders" 'command -v mandoc >/dev/null && mandoc -Tmarkdown "$share/man/man1/logwhy.1" | grep -q "COMMON OPTIONS"'
check "bash completion installed" '[ -f "$share/bash-completion/completions/logwhy" ] && [ -e "$share/bash-completion/completions/logwhy-wsd" ]'
check "zsh completion installed" '[ -f "$share/zsh/site-functions/_logwhy" ]'
check "fish completion installed" '[ -f "$share/fish/vendor_completions.d/logwhy.fish" ]'
check "installed bash completion completes rule ids" \
	'[ -n "$(cd / && env -u LOGWHY_RULES bash -c ". $share/bash-completion/completions/logwhy; COMP_WORDS=($bin rules show ws.close-10); COMP_CWORD=3; _logwhy; echo \${COMPREPLY[*]}")" ]'
make --no-print-directory -s uninstall PREFIX=/opt/logwhy DESTDIR="$tmp/root" >>"$tmp/log" 2>&1
check "uninstall removes it" '[ ! -e "$bin" ] && [ ! -e "$tmp/root/opt/logwhy/share/logwhy" ]'
check "uninstall leaves no file" '[ -z "$(find "$tmp/root" -type f -o -type l)" ]'
tests_done
