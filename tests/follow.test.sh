#!/bin/sh
# lint -f: findings appear while the file grows, each flushed as it is made;
# the run is bounded (killed after its checks, 30 s at most).
. "$(dirname "$0")/lib.sh"
pid=
suite_cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null; }

lines() { n=$(wc -l <"$1" 2>/dev/null); echo "${n:-0}"; }
wait_lines() {   # file count: wait up to 10 s for count lines
	i=0
	while [ "$(lines "$1")" -lt "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(lines "$1")" -ge "$2" ]
}

# both exist before lint starts: the background job's redirection may not
# have created out yet when the first check runs
: >"$tmp/app.log"
: >"$tmp/out"
timeout 30 "$LOGWHY" lint -q -f --output json "$tmp/app.log" >"$tmp/out" 2>"$tmp/err" &
pid=$!
echo 'received 1011 (internal error) Internal error; then sent 1011 (internal error) Internal error' >>"$tmp/app.log"
if wait_lines "$tmp/out" 1 && grep -q '"rule":"ws.close-1011"' "$tmp/out"; then
	ok "the first finding appears while following"
else
	bad "first finding did not appear while following"
fi
printf '{"severity":"ERROR","message":"WebSocket error: Object of type WebSocketState is not JSON serializable"}\n' >>"$tmp/app.log"
if wait_lines "$tmp/out" 2 && tail -n 1 "$tmp/out" | grep -q 'serialization.object-not-serializable'; then
	ok "an appended record is seen"
else
	bad "appended record not seen"
fi
check "lint -f goes on at the end of the file" 'kill -0 "$pid" 2>/dev/null'

# by name across rotation (tail -F): renamed away and made again, then
# truncated in place (copytruncate); each new record is seen
mv "$tmp/app.log" "$tmp/app.log.1"
echo 'received 1011 (internal error) Internal error; then sent 1011 (internal error) Internal error' >>"$tmp/app.log.1"
printf '{"severity":"ERROR","message":"WebSocket error: Object of type Color is not JSON serializable"}\n' >"$tmp/app.log"
if wait_lines "$tmp/out" 4 && grep -q 'Color' "$tmp/out"; then
	ok "a rotated file is followed"
else
	bad "rotated file not followed: $(cat "$tmp/out")"
fi
if [ "$(grep -c 'ws.close-1011' "$tmp/out")" -eq 2 ]; then
	ok "the old file's last record (written before the switch) is kept"
else
	bad "the old file's last record (written before the switch) was lost"
fi
# (as with tail -F, a truncation is seen when the file is shorter than what
# was read: give it that moment before writing again)
: >"$tmp/app.log"
sleep 0.5
printf '{"severity":"ERROR","message":"WebSocket error: Object of type Shade is not JSON serializable"}\n' >>"$tmp/app.log"
if wait_lines "$tmp/out" 5 && tail -n 1 "$tmp/out" | grep -q 'Shade'; then
	ok "a truncated file is read again"
else
	bad "truncated file not read again: $(tail -n 2 "$tmp/out")"
fi
kill "$pid" 2>/dev/null
pid=

# gcloud logging tail --format=json (an array) and its YAML: each finding
# within 1 s of the write that completed its record, the same findings as
# without -f
for k in json yaml; do
	out=$(timeout 120 python3 tests/follow_stream.py "$k" "fixtures/incident-enum-log/gcloud.$k" 1.2 \
		"$LOGWHY" lint -q --fail-on never --output json 2>&1)
	last=$(printf '%s\n' "$out" | tail -n 1)
	if [ "$last" = "$(printf '%s\n' "$out" | grep -c '^ok') passed, 0 failed" ]; then
		ok "lint -f on a live gcloud $k stream"
	else
		bad "lint -f on a live gcloud $k stream:"; printf '%s\n' "$out" | grep -v '^ok'
	fi
done
# triage -f on a pipe: a new report when the verdict or the ranking changes,
# the last one that of the run without -f
for k in json yaml; do
	out=$(timeout 120 python3 tests/follow_stream.py "$k" "fixtures/incident-enum-log/gcloud.$k" 1.2 \
		"$LOGWHY" triage -q --output json 2>&1)
	if [ "$(printf '%s\n' "$out" | tail -n 1)" = "3 passed, 0 failed" ]; then
		ok "triage -f on a live gcloud $k stream"
	else
		bad "triage -f on a live gcloud $k stream:"; printf '%s\n' "$out"
	fi
done

# triage -f on a terminal (tmux, its own server socket): the view is
# redrawn in place, the report's first line at the top of the screen, and
# follows the file as it grows
if command -v tmux >/dev/null 2>&1; then
	sock=logwhy-follow-$$
	: >"$tmp/live.log"
	tmux -L "$sock" new-session -d -s live -x 100 -y 30 \
		"NO_COLOR=1 LOGWHY_RULES='$PWD/rules' timeout 60 '$LOGWHY' triage -f -q '$tmp/live.log'; sleep 60"
	sleep 1
	head -n 21 fixtures/incident-enum-log/app.log >>"$tmp/live.log"
	sleep 2
	tmux -L "$sock" capture-pane -p -t live >"$tmp/screen1"
	sed -n '22,$p' fixtures/incident-enum-log/app.log >>"$tmp/live.log"
	sleep 2
	tmux -L "$sock" capture-pane -p -t live >"$tmp/screen2"
	tmux -L "$sock" kill-server 2>/dev/null
	if head -n 1 "$tmp/screen1" | grep -q '^logwhy triage: 6 records' &&
	   head -n 1 "$tmp/screen2" | grep -q '^logwhy triage: 17 records' &&
	   [ "$(grep -c 'logwhy triage:' "$tmp/screen2")" -eq 1 ] &&
	   grep -q '^verdict: serialization.logging-error' "$tmp/screen2" &&
	   grep -q 'x3, root cause of 3 symptoms' "$tmp/screen2" &&
	   [ "$(wc -l <"$tmp/screen2")" -le 30 ]; then
		ok "triage -f on a terminal"
	else
		bad "triage -f on a terminal:"; cat "$tmp/screen1"; echo ----; cat "$tmp/screen2"
	fi
else
	bad "tmux is not installed (scripts/deps.sh)"
fi

tests_done
