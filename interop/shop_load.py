"""The load for the record/calibrate interop test: a rate that changes over time, with a burst.

Usage: shop_load.py BROKER_URL LOG_PATH [SEED]. Publishes from this separate client process
(Poisson arrivals: 8/s for 15 s, a ramp to 30/s over 15 s with a burst of 120 image resizes at
20 s, then 12/s for 15 s) and writes one JSON line per task to LOG_PATH: its id, name and the
time.time() when apply_async returned (the message is in Redis then), which is the test's own
publish timestamp.
"""
import json
import os
import random
import sys
import time

os.environ["CELERY_BROKER_URL"] = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shop_app  # noqa: E402

PHASES = [(15.0, 8.0, 8.0), (15.0, 8.0, 30.0), (15.0, 12.0, 12.0)]  # (seconds, rate from, rate to)
BURST_AT, BURST_COUNT = 20.0, 120
MIX = [(shop_app.resize_image, 0.5), (shop_app.send_receipt, 0.3), (shop_app.build_report, 0.2)]


def schedule(rng):
    """(offset, task) pairs: a non-homogeneous Poisson process by thinning, plus the burst."""
    plan, start = [], 0.0
    for length, low, high in PHASES:
        peak, t = max(low, high), start
        while True:
            t += rng.expovariate(peak)
            if t >= start + length:
                break
            rate = low + (high - low) * (t - start) / length
            if rng.random() < rate / peak:
                plan.append((t, rng.choices([m[0] for m in MIX], [m[1] for m in MIX])[0]))
        start += length
    plan += [(BURST_AT, shop_app.resize_image)] * BURST_COUNT
    return sorted(plan, key=lambda item: item[0])


def main():
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    plan = schedule(rng)
    begin = time.time() + 0.2
    with open(sys.argv[2], "w") as log:
        for offset, task in plan:
            delay = begin + offset - time.time()
            if delay > 0:
                time.sleep(delay)
            before = time.time()
            result = task.apply_async(args=[int(offset * 1000)], queue="dify")
            # apply_async returns once the message is in Redis (its LPUSH answered): that is the
            # publish; `before` also holds the client's own work (serialising, subscribing to the
            # result), which is not time in the queue.
            log.write(json.dumps({"id": result.id, "name": task.name, "before": before, "at": time.time()}) + "\n")


if __name__ == "__main__":
    main()
