#!/usr/bin/env bash
# Every shipped scenario, run twice with its own seed, must print the same trace hash
# (ARCHITECTURE.md rule 5). Uses the release build.
set -euo pipefail
cd "$(dirname "$0")/.."

lovage=.build/release/lovage
test -x "$lovage" || swift build -c release --product lovage
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
for scenario in scenarios/*.yaml; do
  name=$(basename "$scenario" .yaml)
  # Assertions are checked elsewhere; a failing assertion (exit 1) still prints the hash.
  first=$("$lovage" simulate "$scenario" --quiet --no-trace --out "$out/$name-a" 2>/dev/null | awk '{print $4}') || true
  second=$("$lovage" simulate "$scenario" --quiet --no-trace --out "$out/$name-b" 2>/dev/null | awk '{print $4}') || true
  if [ -n "$first" ] && [ "$first" = "$second" ] && cmp -s "$out/$name-a/summary.json" "$out/$name-b/summary.json"; then
    echo "deterministic: $name (trace $first)"
    passed=$((passed + 1))
  else
    echo "NOT deterministic: $name ($first vs $second)" >&2
    failed=$((failed + 1))
  fi
done
echo "determinism: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
