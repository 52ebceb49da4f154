#!/usr/bin/env bash
# Measures the simulator on the benchmark scenario (1 h virtual at 1,000 tasks/s, 3.6 M tasks):
# wall time, peak resident memory and simulated tasks per wall second. Prints figures; it does not
# judge them (targets: under 10 s and under 200 MB on a 2-core machine).
#   Benchmarks/simulator-throughput.sh [SCENARIO] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-scenarios/benchmark-1h-1000rps.yaml}
runs=${2:-3}
swift build -c release --product lovage 2>&1 | grep -E "error" || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for run in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out/time" .build/release/lovage simulate "$scenario" --no-trace --quiet --out "$out/run" >/dev/null
  read -r wall rss < "$out/time"
  published=$(grep -m1 '"published"' "$out/run/summary.json" | tr -dc '0-9')
  awk -v run="$run" -v wall="$wall" -v rss="$rss" -v tasks="$published" 'BEGIN {
    printf "run %d: %.2f s wall, %.1f MB peak RSS, %d tasks, %.0f tasks per wall second\n", run, wall, rss / 1024, tasks, tasks / wall }'
done
