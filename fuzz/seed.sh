#!/bin/sh
# Assemble the seed corpora, build/fuzz/corpus/<target>/, from what the
# repository already holds (fixtures/, tests/data/, examples/, rules/) and
# the hand-written seeds in fuzz/seeds/<target>/. Files are named by their
# content's hash, so running it again adds nothing twice and never removes
# what the fuzzer has found. FUZZ_CORPUS overrides the destination.
#
# frame, rest, sanitize and normalize take a selector byte first (fuzz/fuzz.h):
# '@' is every switch at its default; for normalize 'A' makes the record
# YAML and 'B' text.
set -eu
cd "$(dirname "$0")/.."
out=${FUZZ_CORPUS:-build/fuzz/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# put TARGET PREFIX: stdin, with PREFIX in front, becomes one seed.
put() {
	mkdir -p "$out/$1"
	{ printf '%s' "$2"; cat; } >"$tmp/seed"
	h=$(cksum <"$tmp/seed" | tr ' ' '-')
	mv "$tmp/seed" "$out/$1/seed-$h"
}

# lines TARGET PREFIX FILE...: every non-empty line a seed.
lines() {
	t=$1 pre=$2
	shift 2
	cat "$@" | grep -av '^$' | sort -u >"$tmp/lines" || true
	while IFS= read -r l; do
		printf '%s' "$l" | put "$t" "$pre"
	done <"$tmp/lines"
}

# Whole log inputs: every fixture input (not cmd/expected*), test data, examples.
inputs=$(find fixtures tests/data examples -type f ! -name cmd ! -name 'expected*' \
	! -name '*.yml' | sort)
for f in $inputs; do
	put frame @ <"$f"
	put rest @ <"$f"
	put sanitize @ <"$f"
done

# One record per seed for the normalizer and the close-trace parser.
texts=$(find fixtures tests/data examples -type f \( -name '*.log' -o -name '*.ndjson' \) | sort)
# shellcheck disable=SC2086
lines normalize @ $(echo "$texts" | grep '\.ndjson$')
# shellcheck disable=SC2086
lines normalize B $(echo "$texts" | grep '\.log$')
# shellcheck disable=SC2086
lines close '' $texts
# gcloud's YAML documents, one each
for f in $(find fixtures tests/data -type f -name '*.yaml' | sort); do
	awk -v d="$tmp/yaml" 'BEGIN { n = 0 } /^---/ { n++; next } { print > (d "." n) }' "$f"
	for y in "$tmp"/yaml.*; do
		[ -f "$y" ] || continue
		put normalize A <"$y"
		rm -f "$y"
	done
done

# Rule files: the shipped ones, and every rule file the golden cases load.
for f in rules/*.yml $(find fixtures -type f -name '*.yml' | sort); do
	put rules '' <"$f"
done

# Hand-written seeds where the repository has none (ws frames, handshakes,
# close-trace wordings, odd framing): copied as they are.
for d in fuzz/seeds/*/; do
	t=$(basename "$d")
	for f in "$d"*; do
		[ -f "$f" ] && put "$t" '' <"$f"
	done
done

for d in "$out"/*/; do
	echo "corpus $(basename "$d"): $(find "$d" -type f | wc -l) files"
done
