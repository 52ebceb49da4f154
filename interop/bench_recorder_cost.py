"""What `lovage record` costs the fleet it watches: a Python Celery 5.7 worker (prefork -c 2,
acks_late, results on, task events off as Dify runs it) drains N `lovage.noop` tasks, with no
recorder, with `lovage record` (which turns the worker's task events on and samples the queue
lengths every 10 ms), and with `lovage record --keyspace-events` — and with the worker's own
`-E` and no recorder, which is the part of the cost that is Celery sending task events; in rounds, so a drift of the
host's speed falls on every variant alike. Prints each variant's median rate over the rounds, its
spread and its ratio to the rate without a recorder. Prints figures; judges nothing.
Env: LOVAGE_BIN, BENCH_TASKS (default 5000), BENCH_ROUNDS (default 3)."""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from celery import Celery

from conftest import PrivateRedis, terminate

HERE = Path(__file__).resolve().parent
COUNT = int(os.environ.get("BENCH_TASKS", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# name: (recorder flags or None for no recorder, whether the worker itself runs with -E)
VARIANTS = {"no recorder": (None, False), "worker -E, no recorder": (None, True), "lovage record": ([], False),
            "record --keyspace-events": (["--keyspace-events"], False)}


def template(url):
    """A Celery-made noop message, taken from a queue no worker consumes."""
    Celery("filler", broker=url, backend=url).send_task("lovage.noop", queue="bench-template")
    return json.loads(redis.Redis.from_url(url).rpop("bench-template"))


def fill(r, message, count):
    pipe = r.pipeline(transaction=False)
    for index in range(count):
        task_id = str(uuid.uuid4())
        message["headers"]["id"] = message["headers"]["root_id"] = message["properties"]["correlation_id"] = task_id
        message["properties"]["delivery_tag"] = str(uuid.uuid4())
        pipe.lpush("celery", json.dumps(message))
        if index % 1000 == 999:
            pipe.execute()
    pipe.execute()


def drain(lovage, url, variant, message, work):
    flags, events = variant
    env = dict(os.environ, CELERY_BROKER_URL=url, PYTHONPATH=str(HERE))
    log = open(work / f"worker-{uuid.uuid4().hex[:6]}.log", "w+")
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "bench_app", "worker", "-Q", "celery", "-c", "2",
                               "--loglevel=INFO", "-P", "prefork", "-n", "bench@%h"] + (["-E"] if events else []), env=env, stdout=log, stderr=subprocess.STDOUT,
                              cwd=str(HERE))
    recorder = None
    r = redis.Redis.from_url(url)
    try:
        deadline = time.time() + 30
        while "ready." not in Path(log.name).read_text(errors="replace"):
            if time.time() > deadline:
                sys.exit("celery worker did not become ready")
            time.sleep(0.1)
        if flags is not None:
            recorder = subprocess.Popen([lovage, "record", "-b", url, "--out", str(work / f"rec-{uuid.uuid4().hex[:6]}"), *flags],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(3)
        fill(r, message, COUNT)
        first = None
        while True:
            remaining = r.llen("celery")
            if first is None and remaining < COUNT:
                first = time.time()
            if remaining == 0 and r.hlen("unacked") == 0:
                break
            time.sleep(0.01)
        rate = COUNT / (time.time() - first)
    finally:
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=30)
        terminate(worker, 20)
        r.flushall()
    return rate


def main():
    lovage = os.environ.get("LOVAGE_BIN", str(HERE.parent / ".build" / "debug" / "lovage"))
    server = PrivateRedis("lovage-bench-recorder-")
    work = Path(tempfile.mkdtemp(prefix="lovage-bench-recorder-"))
    try:
        message = template(server.url)
        rates = {name: [] for name in VARIANTS}
        for round_number in range(ROUNDS):
            for name, variant in VARIANTS.items():
                rates[name].append(drain(lovage, server.url, variant, message, work))
                print(f"round {round_number + 1}: {name:26s} {rates[name][-1]:7.0f} tasks/s", file=sys.stderr)
        base = statistics.median(rates["no recorder"])
        print(f"{COUNT} lovage.noop tasks drained by celery worker -c 2 (prefork, acks_late, results on), {ROUNDS} rounds")
        for name, values in rates.items():
            median = statistics.median(values)
            print(f"{name:26s} {median:7.0f} tasks/s  [{min(values):.0f} … {max(values):.0f}]  ratio {median / base:.3f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
