#!/bin/sh
# .git/hooks/pre-commit, without the pre-commit framework: refuse a commit
# whose staged recorded logs (logs/, fixtures/) show an error-level finding.
set -eu
files=$(git diff --cached --name-only --diff-filter=ACM -- logs fixtures |
	grep -E '\.(json|ndjson|jsonl|log|ya?ml|gz)$' || true)
[ -n "$files" ] || exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# lint what is staged, not the working tree
printf '%s\n' "$files" | git checkout-index --prefix="$tmp/" --stdin
cd "$tmp"
printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 logwhy lint --fail-on error
