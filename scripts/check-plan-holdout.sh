#!/usr/bin/env bash
# Checks the plan's guarantee on a scenario the planner was never tuned against
# (Tests/Fixtures/dify-uploads.yaml): `lovage plan` picks a configuration from the scenario's own
# ten seeds (3...12); the same configurations are then simulated on 30 seeds the plan never saw
# (1000...1029). The pick must meet every SLO on at least 90% of those seeds (27 of 30), and be
# at most one step (one --vary value) above the cheapest configuration that does.
# Prints both plans' verdicts and exits 1 when the guarantee does not hold.
#   scripts/check-plan-holdout.sh [SLO]        (default SLO: 'queue_wait.p99 < 20s')
set -euo pipefail
cd "$(dirname "$0")/.."
slo=${1:-'queue_wait.p99 < 20s'}
scenario=Tests/Fixtures/dify-uploads.yaml
vary=workers=8...16
swift build -c release --product lovage 2>&1 | grep -E "error" || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
.build/release/lovage plan "$scenario" --slo "$slo" --vary "$vary" --out "$out/plan" --json > /dev/null || status=$?
[ "$status" -le 1 ] || { echo "lovage plan failed ($status)"; exit 2; }
status=0
.build/release/lovage plan "$scenario" --slo "$slo" --vary "$vary" --seeds 1000...1029 --no-early-stop \
  --out "$out/holdout" --json > /dev/null || status=$?
[ "$status" -le 1 ] || { echo "lovage plan on the holdout seeds failed ($status)"; exit 2; }
python3 - "$out/plan/plan.json" "$out/holdout/plan.json" <<'PY'
import json, sys
plan, holdout = (json.load(open(p)) for p in sys.argv[1:3])
def together(row, slos):
    # Seeds on which every SLO held at once (stricter than the per-SLO rule).
    n = len(row["runs"])
    return sum(all(s["values"][i] is not None and ok(s, s["values"][i]) for s in slos) for i in range(n))
def ok(s, v):
    op = s["objective"].split()[1]; t = s["threshold"]
    return {"<": v < t, "<=": v <= t, ">": v > t, ">=": v >= t, "==": v == t, "!=": v != t}[op]
print(f"{'configuration':<16}{'planned seeds ' + str(plan['seeds'][0]) + '...' + str(plan['seeds'][-1]):>28}{'holdout seeds 1000...1029':>42}")
for i, (a, b) in enumerate(zip(plan["rows"], holdout["rows"])):
    pa = " ".join(f"{s['passes']}/{a['seeds_run']}" for s in a["slo"])
    pb = " ".join(f"{s['passes']}/{b['seeds_run']}" for s in b["slo"])
    joint = together(b, b["slo"])
    verdict_b = pb + (" meets" if b["meets_slo"] else " misses") + f" (all at once {joint}/30)"
    mark = ("  <- pick" if i == plan["cheapest"] else "") + ("  <- cheapest on holdout" if i == holdout["cheapest"] else "")
    print(f"{' '.join(a['settings']):<16}{pa + (' meets' if a['meets_slo'] else ' misses'):>28}  "
          f"{verdict_b:>42}{mark}")
print(f"SLOs: {', '.join(plan['objectives'])}; a configuration meets them when they all hold at once in {plan['required_passes']} of {len(plan['seeds'])} planned seeds, {holdout['required_passes']} of 30 holdout seeds")
pick, best = plan["cheapest"], holdout["cheapest"]
if pick is None or best is None:
    print("FAIL: " + ("the plan picked nothing" if pick is None else "nothing meets the SLOs on the holdout seeds")); sys.exit(1)
row = holdout["rows"][pick]
print(f"pick {' '.join(row['settings'])}: meets every SLO at once on {row['all_slo_passes']} of 30 holdout seeds; "
      f"cheapest meeting them on the holdout seeds: {' '.join(holdout['rows'][best]['settings'])}; steps above it: {pick - best}")
if not row["meets_slo"] or pick - best > 1:
    print("FAIL: the pick does not hold on 90% of the holdout seeds" if not row["meets_slo"] else "FAIL: the pick is more than one step above the cheapest"); sys.exit(1)
print("ok")
PY
