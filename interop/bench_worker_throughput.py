"""Drain N `lovage.noop` tasks with a Python Celery worker (prefork -c 2) and with `lovage worker`
(prefork -c 2, then threads -c 2), all with acks_late and results on, against the same Redis, and
print the rates, the ratios and the start-up time to the first task. With BENCH_EVENTS=1 the two Lovage
runs are repeated with -E (task events published, as for Flower) and the cost of the events is printed.
Prints figures; judges nothing."""
import os
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
COUNT = int(os.environ.get("BENCH_TASKS", "20000"))


def fill(url, count):
    """A Celery-made message, copied with fresh ids (as the captures' enqueue B)."""
    client = Celery("filler", broker=url, backend=url)
    r = redis.Redis.from_url(url)
    r.flushall()
    client.send_task("lovage.noop", ignore_result=False)
    template = r.rpop("celery")
    import json
    message = json.loads(template)
    pipe = r.pipeline(transaction=False)
    for index in range(count):
        task_id = str(uuid.uuid4())
        message["headers"]["id"] = task_id
        message["headers"]["root_id"] = task_id
        message["properties"]["correlation_id"] = task_id
        message["properties"]["delivery_tag"] = str(uuid.uuid4())
        pipe.lpush("celery", json.dumps(message))
        if index % 1000 == 999:
            pipe.execute()
    pipe.execute()
    return r


def drain(name, command, env, url):
    r = fill(url, COUNT)
    launched = time.time()
    log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(HERE))
    first = None
    try:
        while True:
            remaining = r.llen("celery")
            if first is None and remaining < COUNT:
                first = time.time()
            if remaining == 0 and r.hlen("unacked") == 0:
                break
            if process.poll() is not None:
                sys.exit(f"{name} worker exited early:\n" + Path(log.name).read_text(errors="replace"))
            if time.time() - launched > 600:
                sys.exit(f"{name}: not drained after 600 s")
            time.sleep(0.02)
        done = time.time()
    finally:
        terminate(process, 20)
        os.unlink(log.name)
    rate = COUNT / (done - first)
    print(f"{name:8s} {COUNT} tasks in {done - first:6.2f} s = {rate:8.0f} tasks/s; start-up to first task {first - launched:5.2f} s")
    return rate


def main():
    lovage = os.environ.get("LOVAGE_BIN", str(HERE.parent / ".build" / "release" / "lovage"))
    redis_server = PrivateRedis("lovage-bench-redis-")
    url = redis_server.url
    try:
        env = dict(os.environ, CELERY_BROKER_URL=url, PYTHONPATH=str(HERE))
        celery_rate = drain("celery", [sys.executable, "-m", "celery", "-A", "bench_app", "worker", "-Q", "celery",
                                       "-c", "2", "--loglevel=WARNING", "-P", "prefork"], env, url)
        lovage_rate = drain("lovage", [lovage, "worker", "-b", url, "-Q", "celery", "-c", "2", "--acks-late",
                                       "-P", "prefork", "-l", "WARNING"], env, url)
        threads_rate = drain("threads", [lovage, "worker", "-b", url, "-Q", "celery", "-c", "2", "--acks-late",
                                         "-P", "threads", "-l", "WARNING"], env, url)
        print(f"ratio    lovage prefork / celery prefork = {lovage_rate / celery_rate:.1f}x; "
              f"lovage threads / celery prefork = {threads_rate / celery_rate:.1f}x")
        if os.environ.get("BENCH_EVENTS") == "1":
            events_rate = drain("lovage-E", [lovage, "worker", "-b", url, "-Q", "celery", "-c", "2", "--acks-late",
                                             "-P", "prefork", "-l", "WARNING", "-E"], env, url)
            threads_events_rate = drain("thread-E", [lovage, "worker", "-b", url, "-Q", "celery", "-c", "2",
                                                     "--acks-late", "-P", "threads", "-l", "WARNING", "-E"], env, url)
            print(f"events   -E costs {100 * (1 - events_rate / lovage_rate):+.1f}% (prefork), "
                  f"{100 * (1 - threads_events_rate / threads_rate):+.1f}% (threads) of the rate without")
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
