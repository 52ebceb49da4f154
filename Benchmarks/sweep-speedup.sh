#!/usr/bin/env bash
# Wall time of one fixed plan (4 configurations × 8 seeds, --no-early-stop: 32 runs of 5 min of
# virtual time at 80 tasks/s) run with `lovage plan --broker` on 1, 2 and 4 `lovage worker -c 1`
# processes on a private redis-server, and locally with --jobs 1 for the per-run cost. Prints each
# wall time, the speed-up over one worker and the seconds per run, and checks that every --broker
# plan.json equals the local one apart from wall_seconds.
# This machine has 2 cores: 4 worker processes cannot run faster than 2, so the 4-worker figure
# shows the overhead of oversubscription, not scaling. On N hosts the sweep scales with the cores.
#   Benchmarks/sweep-speedup.sh            (LOVAGE_BIN=… to time another build; default .build/release/lovage,
#                                           else .build/debug/lovage)
set -euo pipefail
cd "$(dirname "$0")/.."
lovage=${LOVAGE_BIN:-.build/release/lovage}
[ -x "$lovage" ] || lovage=.build/debug/lovage
[ -x "$lovage" ] || { echo "build lovage first (swift build)" >&2; exit 2; }
out=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$out" >/dev/null 2>&1 &
redis_pid=$!
workers=()
cleanup() {
  for pid in "${workers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${workers[@]}"; do wait "$pid" 2>/dev/null || true; done
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT
url=redis://127.0.0.1:$port/0
cat > "$out/scenario.yaml" <<'YAML'
name: sweep-speedup
seed: 3
duration: 5m
drain: 30s
fleet:
  - {name: worker, count: 2, concurrency: 3, prefetch_multiplier: 1, acks_late: true}
tasks:
  - name: work
    duration: {exponential: {mean: 50ms}}
load:
  arrival: poisson
  phases:
    - {duration: 5m, rate: 80/s}
YAML
plan=(plan "$out/scenario.yaml" --slo 'queue_wait.p99 < 300ms' --vary concurrency=1...4 --seeds 8 --no-early-stop --json)
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
start=$(date +%s.%N)
"$lovage" "${plan[@]}" --jobs 1 --out "$out/local" >/dev/null || [ $? -eq 1 ]
local_wall=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
runs=32
python3 -c "print(f'local --jobs 1: {$local_wall} s wall, {$local_wall/$runs:.2f} s per run ({$runs} runs)')"
one=""
for count in 1 2 4; do
  while [ ${#workers[@]} -lt "$count" ]; do
    n=${#workers[@]}
    "$lovage" worker -b "$url" -Q lovage.sweep -c 1 -n "bench$n@%h" -l WARNING >"$out/worker$n.log" 2>&1 &
    workers+=($!)
  done
  sleep 2
  start=$(date +%s.%N)
  "$lovage" "${plan[@]}" --broker "$url" --out "$out/remote$count" >/dev/null || [ $? -eq 1 ]
  wall=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  [ -z "$one" ] && one=$wall
  python3 - "$out/local/plan.json" "$out/remote$count/plan.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("wall_seconds"); b.pop("wall_seconds")
sys.exit(0 if a == b else "plan.json differs from the local run")
PY
  python3 -c "print(f'--broker, {$count} worker(s): {$wall} s wall, speed-up {$one/$wall:.2f}x over 1 worker, identical plan.json')"
done
echo "cores here: $(nproc)"
