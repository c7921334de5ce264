# Print the matches zsh completion offers for a command line, one a line,
# sorted: an interactive zsh on a pty (zsh/zpty) with completions/ in
# $fpath, compadd wrapped to print what it adds. For tests/docs.test.sh.
# usage: zsh tests/zcomp.zsh 'logwhy lint --output '   (from the repository root)
zmodload zsh/zpty zsh/datetime || exit 2
zpty z zsh -f -i
zpty -w z 'PROMPT= ; RPROMPT= ; unsetopt zle_bracketed_paste 2>/dev/null; fpath=(completions $fpath); autoload -U compinit; compinit -u -D'
zpty -w z 'compadd() { local -a __h; builtin compadd -O __h "$@"; (( $#__h )) && print -r -l -- "@@"${^__h}; builtin compadd "$@" }'
zpty -w z 'bindkey "^I" complete-word; print DONE""INIT'
while zpty -r z line; do [[ $line == *DONEINIT* ]] && break; done
zpty -w -n z "$1"$'\t'
# Collect until the matches stop coming (0.3 s quiet after the first), at
# most 10 s: no fixed sleep to race with a loaded machine.
out=()
float start=$EPOCHREALTIME last=$EPOCHREALTIME
while (( EPOCHREALTIME - start < 10 )); do
	if zpty -r -t z line; then
		[[ $line == *@@* ]] && { out+=("${${line##*@@}%%$'\r'*}"); last=$EPOCHREALTIME; }
	else
		(( $#out && EPOCHREALTIME - last > 0.3 )) && break
		sleep 0.05
	fi
done
zpty -d z
print -l -- ${(u)out} | grep -v '^[[:space:]]*$' | sort
