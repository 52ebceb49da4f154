#!/usr/bin/env bash
# Every shipped scenario, run twice at full length in release mode, must print the same trace hash
# and write byte-identical summaries (docs/ARCHITECTURE.md rule 5), its own assertions must hold, and its
# figures must equal the committed baseline in results/baselines/ exactly (refresh them with
# scripts/refresh-baselines.sh when a change is meant to move them).
set -uo pipefail
cd "$(dirname "$0")/.."

lovage=.build/release/lovage
test -x "$lovage" || swift build -c release --product lovage || exit 1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
for scenario in scenarios/*.yaml; do
  name=$(basename "$scenario" .yaml)
  first=$("$lovage" simulate "$scenario" --quiet --no-trace --out "$out/$name-a" 2>"$out/$name.err" | awk '{print $4}')
  status=${PIPESTATUS[0]}
  second=$("$lovage" simulate "$scenario" --quiet --no-trace --out "$out/$name-b" 2>/dev/null | awk '{print $4}')
  if [ "$status" -ne 0 ]; then
    echo "FAILED: $name: its assertions do not hold (exit $status)" >&2
    cat "$out/$name.err" >&2
    failed=$((failed + 1))
  elif [ -n "$first" ] && [ "$first" = "$second" ] && cmp -s "$out/$name-a/summary.json" "$out/$name-b/summary.json"; then
    if [ ! -f "results/baselines/$name.json" ]; then
      echo "FAILED: $name has no baseline; run scripts/refresh-baselines.sh" >&2
      failed=$((failed + 1))
    elif ! "$lovage" compare "results/baselines/$name.json" "$out/$name-a/summary.json" > "$out/$name.compare" 2>&1; then
      echo "FAILED: $name differs from its baseline:" >&2
      cat "$out/$name.compare" >&2
      failed=$((failed + 1))
    else
      echo "deterministic, assertions hold, matches its baseline: $name (trace $first)"
      passed=$((passed + 1))
    fi
  else
    echo "FAILED: $name is not deterministic ($first vs $second)" >&2
    failed=$((failed + 1))
  fi
done
echo "scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
