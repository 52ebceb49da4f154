#!/usr/bin/env bash
# Times capacity-planning sweeps of 32 configurations × 10 seeds (320 runs at most; a
# configuration is stopped once an SLO failed on 2 of its seeds) of the shipped planning
# scenarios, --jobs at the number of cores, and prints each wall time and CPU time (user + system of
# the plan and its simulate processes: the figure that does not move with other load on the host):
#   steady-mmc               concurrency=1...32            queue_wait.p99 < 50ms
#   dify-default             autoscale MAX 1...32 (MIN 2)  queue_wait.p99 < 30s
#   keda-fooled-by-prefetch  scaler.max_replicas=1...32    queue_wait.p99 < 2m      (--no-early-stop: all 320 runs; every configuration strands work, so early stopping would run 64)
#   mmc-erlang               concurrency=1...32            queue_wait.p99 < 250ms   (8 h of virtual time per run)
# With --one-hour it also times the earlier benchmark: 32 configurations (concurrency 1...32 on 4
# workers) of the one-hour benchmark scenario at 500 tasks/s, one seed each.
#   Benchmarks/plan-sweep.sh [--one-hour] [--only NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
one_hour=0; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --one-hour) one_hour=1 ;;
    --only) only=$2; shift ;;
    *) echo "usage: $0 [--one-hour] [--only NAME]" >&2; exit 2 ;;
  esac
  shift
done
swift build -c release --product lovage 2>&1 | grep -E "error" || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sweep() {
  local name=$1; shift
  [ -n "$only" ] && [ "$only" != "$name" ] && return 0
  local status=0
  # Wall, user and system seconds of the plan and its simulate processes.
  /usr/bin/time -f "%e %U %S" -o "$out/$name.time" \
    .build/release/lovage plan "scenarios/$name.yaml" "$@" --out "$out/$name" > "$out/$name.txt" || status=$?
  [ "$status" -le 1 ] || { cat "$out/$name.txt"; echo "lovage plan $name failed ($status)"; exit 2; }
  python3 - "$out/$name.time" "$out/$name/plan.json" "$name" <<'PY'
import json, sys
wall, user, system = (float(x) for x in open(sys.argv[1]).read().split()[-3:])
plan = json.load(open(sys.argv[2]))
runs = sum(r["seeds_run"] for r in plan["rows"])
stopped = sum(r["stopped_early"] for r in plan["rows"])
pick = " ".join(plan["rows"][plan["cheapest"]]["settings"]) if plan.get("cheapest") is not None else "none"
print(f"{sys.argv[3]:<24} wall {wall:6.1f} s (CPU {user + system:6.1f} s)  {len(plan['rows'])} configurations × {len(plan['seeds'])} seeds: "
      f"{runs} runs ({stopped} configurations stopped early); cheapest {pick}")
PY
}
sweep steady-mmc --slo 'queue_wait.p99 < 50ms' --vary concurrency=1...32
sweep dify-default --slo 'queue_wait.p99 < 30s' --vary "autoscale=$(seq -s '|' 2 33 | sed 's/\([0-9]*\)/\1,2/g')"
sweep keda-fooled-by-prefetch --slo 'queue_wait.p99 < 2m' --vary scaler.max_replicas=1...32 --no-early-stop
sweep mmc-erlang --slo 'queue_wait.p99 < 250ms' --vary concurrency=1...32
if [ "$one_hour" = 1 ]; then
  sweep benchmark-1h-1000rps --slo 'queue_wait.p99 < 1s' --vary rate=500 --vary concurrency=1...32 --seeds 1 --no-default-slos
fi
