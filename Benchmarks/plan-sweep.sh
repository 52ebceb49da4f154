#!/usr/bin/env bash
# Times a capacity-planning sweep: 32 configurations (concurrency 1...32 on 4 workers) of the
# one-hour benchmark scenario at 500 tasks/s, simulated two at a time, and prints the wall time.
#   Benchmarks/plan-sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
.build/release/lovage plan scenarios/benchmark-1h-1000rps.yaml --slo 'queue_wait.p99 < 1s' \
  --vary rate=500 --vary concurrency=1...32 --out "$out" | grep -E "^(plan|cheapest)"
end=$(date +%s.%N)
python3 -c "import sys; print(f'wall time {float(sys.argv[2]) - float(sys.argv[1]):.1f} s for 32 configurations (1 h of virtual time each, 1.8 M tasks)')" "$start" "$end"
