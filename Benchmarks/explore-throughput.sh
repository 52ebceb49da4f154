#!/usr/bin/env bash
# Measures `lovage explore` on the visibility-timeout duplicate (target: at least 1,000 seeds a
# minute on this project's 2-core machine, and the duplicate found), then `lovage shrink` on its
# first failing seed (target: at most 3 tasks and 2 workers). Prints figures; the exit status is 1
# when a target is missed.
#   Benchmarks/explore-throughput.sh [SEEDS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."

seeds=${1:-1...10000}
jobs=${2:-$(nproc)}
scenario=scenarios/visibility-timeout-duplicate.yaml
swift build -c release --product lovage 2>&1 | grep -E "error" || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

set +e
.build/release/lovage explore "$scenario" --seeds "$seeds" --jobs "$jobs" --json >"$out/report.json" 2>"$out/speed"
status=$?
set -e
cat "$out/speed"
failing=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); g=[x for x in r["groups"] if x["invariant"]=="duplicate_not_allowed"]; print(len(g[0]["seeds"]) if g else 0)' "$out/report.json")
checked=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seeds_checked"])' "$out/report.json")
rate=$(sed -n 's/.*: \([0-9]*\) seeds\/min.*/\1/p' "$out/speed")
echo "explore: $checked seeds checked, $failing with the duplicate (exit $status), $rate seeds/min"

first=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print([x for x in r["groups"] if x["invariant"]=="duplicate_not_allowed"][0]["seeds"][0])' "$out/report.json")
.build/release/lovage shrink "$scenario" --seed "$first" --swarm --out "$out/shrunk.yaml" | tee "$out/shrink"
after=$(sed -n 's/^after *//p' "$out/shrink")
tasks=$(echo "$after" | sed -n 's/^\([0-9]*\) tasks\{0,1\},.*/\1/p')
workers=$(echo "$after" | sed -n 's/.* \([0-9]*\) workers\{0,1\},.*/\1/p')
echo "shrink: seed $first down to $tasks task(s) and $workers worker(s)"

ok=1
[ "$failing" -gt 0 ] || { echo "MISSED: no seed found the duplicate"; ok=0; }
[ "${rate:-0}" -ge 1000 ] || { echo "MISSED: under 1,000 seeds/min"; ok=0; }
[ "$tasks" -le 3 ] && [ "$workers" -le 2 ] || { echo "MISSED: shrink above 3 tasks / 2 workers"; ok=0; }
[ "$ok" = 1 ] && echo "targets met" || exit 1
