"""How exactly each publish-time method of `lovage record` times the queue waits: the shop fleet
(shop_fleet.py) recorded once per method and seed, its recorded queue-wait percentiles set against
the harness's own (publish log, task_prerun stamps), overall and per task name.

  keyspace   --keyspace-events (Redis keyspace notifications of the LPUSHes)
  lengths    neither: the queue lengths sampled every 10 ms
  task-sent  the client sends task-sent events (task_send_sent_event=True)

Env: LOVAGE_BIN, BENCH_SEEDS (default 3), BENCH_METHODS (comma-separated; default all three).
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shop_fleet import record_shop_fleet  # noqa: E402

METHODS = {"keyspace": (["--keyspace-events"], False), "lengths": ([], False), "task-sent": ([], True)}
FIGURES = ["queue wait p50", "queue wait p99"]


def main():
    lovage = os.environ["LOVAGE_BIN"]
    seeds = range(7, 7 + int(os.environ.get("BENCH_SEEDS", "3")))
    chosen = os.environ.get("BENCH_METHODS", ",".join(METHODS)).split(",")
    methods = {name: METHODS[name] for name in chosen}
    rows = []
    for method, (flags, sent) in methods.items():
        for seed in seeds:
            work = Path(tempfile.mkdtemp(prefix=f"lovage-accuracy-{method}-"))
            fleet = record_shop_fleet(lovage, work, record_args=flags, sent_events=sent, seed=seed)
            check = json.loads(subprocess.run([lovage, "calibrate", str(fleet["out"]), "--check", "--json", "--seeds", "3"],
                                              capture_output=True, text=True, check=True).stdout)
            recorded = {row["task"]: row["figures"] for row in check["rows"]}
            truth = fleet["truth"][0]
            for task in ["(all)"] + sorted(t for t in truth if t != "(all)"):
                for name in FIGURES:
                    measured, got = truth[task][name], recorded[task][name]["recorded"]
                    rows.append((method, seed, task, name, measured, got, (got - measured) / measured * 100))
            print(f"{method} seed {seed}: {fleet['published']} tasks", file=sys.stderr)
    print(f"{'method':10} {'task':20} {'figure':15} {'measured (median of seeds)':>27} {'recorded':>10} {'error: median':>14} {'[min … max]':>18}")
    for method in methods:
        for task in sorted({r[2] for r in rows}):
            for name in FIGURES:
                mine = [r for r in rows if r[0] == method and r[2] == task and r[3] == name]
                errors = sorted(r[6] for r in mine)
                measured = sorted(r[4] for r in mine)[len(mine) // 2]
                got = sorted(r[5] for r in mine)[len(mine) // 2]
                print(f"{method:10} {task:20} {name:15} {measured * 1000:24.1f} ms {got * 1000:7.1f} ms "
                      f"{errors[len(errors) // 2]:+13.1f}% [{errors[0]:+.1f} … {errors[-1]:+.1f}%]")


if __name__ == "__main__":
    main()
