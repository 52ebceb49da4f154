"""The record/calibrate interop test's own figures: measured from the load client's publish log,
the tasks' own start/end notes (`shop:attempts`) and the result documents, never from Celery's
events or from Lovage.

- queue wait of an attempt: when Celery began it in a child (the `task_prerun` signal, where
  Celery's own `runtime` starts) − its publish (a first attempt: the middle of apply_async's call,
  within which its LPUSH happened — `publish uncertainty` is the p90 of half that call's time; a
  retry: the previous attempt's end + the 0.5 s countdown);
- run time of a success: when Celery had stored its result (the `task_success` signal, sent just
  after Celery takes its `runtime`) − that start; the result document's `date_done` is stamped
  before the store's round trip, which on a loaded host is a tenth of a 10 ms task;
- throughput: tasks ended for good (succeeded, or failed after their retries) per second, from the
  first publish to the last end.
"""
import json
from datetime import datetime, timezone

import redis


def quantile(values, q):
    """Nearest rank, as Lovage's check figures."""
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, max(0, int(q * len(values) + 0.5) - 1))] if q < 1 else values[-1]


def measure(broker_url, publish_log, countdown=0.5):
    published = {}
    with open(publish_log) as log:
        for line in log:
            entry = json.loads(line)
            published[entry["id"]] = entry
    client = redis.Redis.from_url(broker_url)
    attempts = [json.loads(raw) for raw in client.lrange("shop:attempts", 0, -1)]
    by_task = {}
    for attempt in attempts:
        by_task.setdefault(attempt["id"], []).append(attempt)
    succeeded = {}
    for raw in client.lrange("shop:succeeded", 0, -1):
        entry = json.loads(raw)
        succeeded[entry["id"]] = entry["at"]
    waits, runs, ends, finished = {}, {}, [], {}
    for task_id, mine in by_task.items():
        mine.sort(key=lambda a: a["retries"])
        for attempt in mine:
            if attempt["retries"] == 0:
                # The LPUSH happened between apply_async's call and its return: take the middle.
                due = (published[task_id]["before"] + published[task_id]["at"]) / 2
            else:
                previous = next(a for a in mine if a["retries"] == attempt["retries"] - 1)
                due = previous["ended"] + countdown
            waits.setdefault(attempt["name"], []).append(max(0.0, attempt["started"] - due))
        document = client.get(f"celery-task-meta-{task_id}")
        if document is None:
            continue
        meta = json.loads(document)
        done = datetime.fromisoformat(meta["date_done"]).replace(tzinfo=timezone.utc).timestamp()
        ends.append(done)
        name = mine[0]["name"]
        finished[name] = finished.get(name, 0) + 1
        if meta["status"] == "SUCCESS":
            runs.setdefault(name, []).append(succeeded[task_id] - meta["result"]["started"])
    # How far the middle can be from the LPUSH: half of apply_async's time, which a loaded host
    # stretches to milliseconds. Its p90 bounds the truth's own error in a queue-wait quantile.
    halves = sorted((entry["at"] - entry["before"]) / 2 for entry in published.values())
    uncertainty = halves[min(len(halves) - 1, int(0.9 * len(halves)))]
    first = min(entry["at"] for entry in published.values())
    span = max(ends) - first
    figures = {}
    for name in sorted(waits) + ["(all)"]:
        wait = sum(waits.values(), []) if name == "(all)" else waits[name]
        run = sum(runs.values(), []) if name == "(all)" else runs.get(name, [])
        count = sum(finished.values()) if name == "(all)" else finished.get(name, 0)
        figures[name] = {
            "throughput/s": count / span,
            "queue wait p50": quantile(wait, 0.5), "queue wait p99": quantile(wait, 0.99),
            "run time p50": quantile(run, 0.5), "attempts": len(wait), "publish uncertainty": uncertainty,
        }
    return figures, len(published), len(attempts)
