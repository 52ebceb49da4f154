#!/usr/bin/env bash
# Rewrites results/baselines/<scenario>.json from the current build: run this after a change that
# is meant to change simulated figures, review the diff, and commit it with the change.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for scenario in scenarios/*.yaml; do
  name=$(basename "$scenario" .yaml)
  .build/release/lovage simulate "$scenario" --quiet --no-trace --out "$out/$name" \
    --baseline "results/baselines/$name.json" >/dev/null
  echo "baseline: results/baselines/$name.json"
done
