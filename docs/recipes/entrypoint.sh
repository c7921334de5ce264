#!/bin/bash
# Cloud Run entrypoint: run the app with its stdout and stderr through
# `logwhy sanitize`, so every line Cloud Logging reads is one strict JSON
# object (Python reprs rewritten, secrets redacted, tracebacks one entry).
#   COPY entrypoint.sh /usr/local/bin/
#   ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
#   CMD ["python", "-m", "app"]
# As PID 1 it forwards SIGTERM (Cloud Run's shutdown notice) to the app and
# exits with the app's status once the sanitizer has written every line.
set -u
dir=$(mktemp -d)
mkfifo "$dir/log"
logwhy sanitize -q <"$dir/log" &
sanitizer=$!
"$@" >"$dir/log" 2>&1 &
app=$!
trap 'kill -TERM "$app" 2>/dev/null' TERM INT
while :; do
	wait "$app"
	rc=$?
	# wait also returns when a trapped signal arrives: go on until the app ends
	kill -0 "$app" 2>/dev/null || break
done
wait "$sanitizer"
rm -rf "$dir"
exit "$rc"
