#!/usr/bin/env bash
# Where a real run's CPU time goes: runs `lovage run SCENARIO --mode redis` and samples /proc every
# 0.5 s for the run and everything it started (its redis-server, the worker parents, their prefork
# children), then prints the CPU seconds of each role and the run's queue-wait p50. Children that
# are replaced between samples lose their last half second, so the figures are lower bounds.
# Measured this way at stop 10: the task events' repr of 4 KiB results was the worker parents'
# largest cost in burst (docs/fidelity.md).
#   Benchmarks/run-cpu-by-role.sh [SCENARIO] [TIME_SCALE] [extra `lovage run` arguments, e.g. --no-task-events]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
scenario="${1:-scenarios/burst.yaml}"
scale="${2:-0.1}"
shift $(( $# > 2 ? 2 : $# ))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.build/release/lovage run "$scenario" --mode redis --time-scale "$scale" --quiet --out "$out/run" "$@" >/dev/null &
run_pid=$!
python3 - "$run_pid" "$out/run/summary.json" <<'PY'
import collections, json, os, sys, time
root = int(sys.argv[1])
tick = os.sysconf("SC_CLK_TCK")
best, role = {}, {}

def parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return int(text[text.rfind(")") + 2:].split()[1])

def descends(pid):
    seen = 0
    while pid > 1 and seen < 64:
        if pid == root:
            return True
        pid = parent(pid)
        seen += 1
    return False

while os.path.exists(f"/proc/{root}"):
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            if not descends(pid):
                continue
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if "worker-child" in cmd: kind = "prefork children"
        elif " worker " in cmd: kind = "worker parents"
        elif "redis-server" in cmd: kind = "redis-server"
        elif pid == root: kind = "lovage run (publisher, sampler, events)"
        else: kind = "other: " + cmd[:50]
        best[pid] = max(best.get(pid, 0.0), seconds)
        role[pid] = kind
    time.sleep(0.5)
totals = collections.Counter()
for pid, seconds in best.items():
    totals[role[pid]] += seconds
for kind, seconds in totals.most_common():
    print(f"{kind:42s} {seconds:7.1f} s CPU")
print(f"{'total':42s} {sum(totals.values()):7.1f} s CPU")
try:
    summary = json.load(open(sys.argv[2]))
    print(f"queue wait p50 {summary['queue_wait']['p50'] / 1000:.1f} ms, throughput {summary['throughput']:.1f} tasks/s")
except (OSError, KeyError, ValueError):
    print("the run wrote no summary")
PY
wait "$run_pid"
