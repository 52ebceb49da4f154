"""The shop fleet recorded from outside: a private redis-server, two `celery worker -c 2` of
shop_app.py with Dify's settings, `lovage record` started before the load and stopped (Ctrl-C)
after every task ended, and this harness's own figures (shop_truth.py) taken before Redis stops.

Shared by interop/test_record_calibrate.py and Benchmarks/publish-time-accuracy.py.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from conftest import PrivateRedis, terminate
from shop_truth import measure

HERE = Path(__file__).resolve().parent
NODES = ("w1@shop", "w2@shop")


class FleetError(RuntimeError):
    pass


def record_shop_fleet(lovage, work, record_args=(), sent_events=False, seed=7, recorder=True, out=None):
    """Runs the fleet and the load once (logs in `work`, the recording in `out`, default
    work/recording); returns what the recorder said and what was measured."""
    server = PrivateRedis("lovage-record-redis-")
    env = dict(os.environ, CELERY_BROKER_URL=server.url, PYTHONPATH=str(HERE),
               SHOP_SENT_EVENTS="1" if sent_events else "")
    workers = []
    for name in NODES:
        log = open(work / f"{name}.log", "w")
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop_app", "worker", "-Q", "dify", "-c", "2", "-n", name,
             "--loglevel=INFO"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(HERE)))
    try:
        deadline = time.time() + 40
        while not all("ready." in (work / f"{n}.log").read_text(errors="replace") for n in NODES):
            if time.time() > deadline:
                raise FleetError("celery workers did not become ready:\n" + (work / f"{NODES[0]}.log").read_text(errors="replace"))
            time.sleep(0.2)
        out = Path(out) if out else work / "recording"
        process = None
        if recorder:
            process = subprocess.Popen([lovage, "record", "-b", server.url, "--out", str(out), *record_args],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Subscribed, surveyed and events enabled within about 2 s (ping waits 1 s).
            time.sleep(4)
        publish_log = work / "publish.jsonl"
        started = time.time()
        subprocess.run([sys.executable, str(HERE / "shop_load.py"), server.url, str(publish_log), str(seed)],
                       env=env, check=True, timeout=120)
        published = sum(1 for _ in open(publish_log))
        client = redis.Redis.from_url(server.url)
        deadline = time.time() + 60
        while sum(1 for _ in client.scan_iter("celery-task-meta-*")) < published:
            if time.time() > deadline:
                raise FleetError("the fleet did not finish the load within 60 s of its end")
            time.sleep(0.2)
        drained = time.time()
        time.sleep(1)
        stdout = stderr = ""
        returncode = None
        if process:
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=30)
            returncode = process.returncode
        truth = measure(server.url, str(publish_log))
        keyspace = client.config_get("notify-keyspace-events")["notify-keyspace-events"]
        return {"lovage": lovage, "url": server.url, "out": out, "work": work, "stdout": stdout, "stderr": stderr,
                "returncode": returncode, "truth": truth, "keyspace_after": keyspace, "published": published,
                "seconds": drained - started}
    finally:
        for worker in workers:
            terminate(worker, 15)
        server.stop()


def main():
    """`scripts/record-example.sh DIR`: the README's example fleet, recorded into DIR."""
    import argparse
    import tempfile
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the recording directory to write (must not hold a recording)")
    parser.add_argument("--seed", type=int, default=7, help="the load's seed")
    parser.add_argument("--keyspace-events", action="store_true", help="pass --keyspace-events to lovage record")
    arguments = parser.parse_args()
    lovage = os.environ.get("LOVAGE_BIN", str(HERE.parent / ".build" / "release" / "lovage"))
    work = Path(tempfile.mkdtemp(prefix="lovage-record-example-"))
    print(f"starting redis-server, two celery workers (interop/shop_app.py) and lovage record; logs in {work}", file=sys.stderr)
    fleet = record_shop_fleet(lovage, work, record_args=["--keyspace-events"] if arguments.keyspace_events else [],
                              seed=arguments.seed, out=arguments.out)
    sys.stderr.write(fleet["stderr"].replace("\r", "\n").split("\n")[0] + "\n")
    print(fleet["stdout"], end="")
    print(f"the load: {fleet['published']} tasks in {fleet['seconds']:.0f} s")


if __name__ == "__main__":
    main()
