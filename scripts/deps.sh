#!/bin/sh
# Install what building and testing logwhy needs, when it is missing.
# As root: apt-get installs it. Otherwise: print the exact command and fail.
set -eu

# mandoc, zsh and fish lint the man pages and check the completions (tests/docs.test.sh).
# clang and its compiler-rt (libFuzzer, ASan, UBSan) build `make fuzz` only.
# parallel (GNU parallel) runs the sharding recipe (tests/recipes.test.sh).
# python3-yaml writes the rule pages (scripts/gen-rule-docs.py, checked by tests/docs.test.sh).
# libssl-dev: OpenSSL's headers for the build; libssl3 is what 'logwhy probe wss://'
# loads (libssl.so.3, dlopened, not linked); openssl makes the test certificates.
# chromium is the real browser of tests/wsd_browser.test.sh (headless, over
# --remote-debugging-pipe).
# tmux shows triage -f's live view on a terminal (tests/follow.test.sh).
pkgs="build-essential pkg-config libjansson-dev libpcre2-dev libyaml-dev zlib1g-dev
libcriterion-dev python3 python3-jsonschema python3-yaml jq python3-websockets valgrind
mandoc zsh fish clang libclang-rt-14-dev parallel libssl-dev libssl3 openssl
chromium tmux"

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
# node and npm run npm's ws and wscat against logwhy-wsd (tests/wsd_node.test.sh,
# tests/wsd_clients.test.sh; Node's built-in WebSocket there needs Node 20+).
# NodeSource's nodejs carries npm itself, so look for the commands rather
# than the Debian packages.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "logwhy: missing packages:$missing" >&2
	echo "logwhy: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "logwhy: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
