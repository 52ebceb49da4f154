#!/usr/bin/env bash
# Measures the real-mode load generator: publishes Benchmarks/publisher-30k.yaml (30,000 tasks/s
# for 10 s) to a private redis-server with no fleet, and prints the rate it sent at, how many sends
# fell more than 10 ms behind their intended time, and the largest lag.
#   Benchmarks/publisher-throughput.sh [SCENARIO]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
scenario="${1:-Benchmarks/publisher-30k.yaml}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.build/release/lovage run "$scenario" --mode redis --publish-only --quiet --out "$out" >/dev/null
python3 - "$out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p = s["publisher"]
print(f"published {s['counts']['published']} messages at {p['sent_per_second']:,.0f}/s; "
      f"{p['sends_behind']} send(s) more than 10 ms behind schedule; max lag {p['max_lag_micros'] / 1000:.1f} ms")
PY
