"""The floor of a prefork drain on this machine, next to Celery and Lovage: Benchmarks/drain_floor.c
(the least a prefork worker with Celery's semantics does per task, in C, with Lovage's own fetch and
result scripts) drains the same 20,000 Celery-made messages on the same redis-server, -c 2,
prefetch multiplier 4, interleaved with Celery prefork and Lovage prefork, BENCH_REPS times.

Prints each drain's rate and CPU by role, the ratios paired within each repetition (median and
range), and what 25 times Celery's rate would need against what the floor reaches. Checks that the
floor stored every result and left `unacked` empty (as Drain checks for every worker). Judges
nothing else."""
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import redis

from bench_drain_profile import format_cpu
from bench_fetch_script import fetch_script
from bench_worker_throughput import COUNT, REPS, Drain, Pooled, paired_ratio
from conftest import PrivateRedis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 25


def store_script():
    """The result script's text as the worker sends it (the Swift multi-line literal, indentation undone)."""
    source = (ROOT / "Sources" / "LiveWorker" / "RedisResultBackend.swift").read_text()
    body = source.split('static let storeScript = """', 1)[1].split('"""', 1)[0]
    return "\n".join(line[4:] if line.startswith("    ") else line for line in body.split("\n")).strip("\n")


def build_floor(directory):
    binary = Path(directory) / "drain_floor"
    result = subprocess.run(["cc", "-O2", "-o", str(binary), str(ROOT / "Benchmarks" / "drain_floor.c"), "-lhiredis"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("cannot build Benchmarks/drain_floor.c (needs cc and libhiredis-dev, scripts/install-deps.sh):\n"
                 + result.stderr)
    return binary


def main():
    lovage = os.environ.get("LOVAGE_BIN", str(ROOT / ".build" / "release" / "lovage"))
    server = PrivateRedis("lovage-floor-redis-")
    work = tempfile.TemporaryDirectory(prefix="lovage-floor-")
    try:
        floor_binary = build_floor(work.name)
        client = redis.Redis.from_url(server.url)
        fetch_sha = client.script_load(fetch_script())
        store_sha = client.script_load(store_script())
        env = dict(os.environ, CELERY_BROKER_URL=server.url, PYTHONPATH=str(HERE))
        runs = [
            ("celery", [sys.executable, "-m", "celery", "-A", "bench_app", "worker", "-Q", "celery", "-c", "2",
                        "--loglevel=WARNING", "-P", "prefork"]),
            ("lovage", [lovage, "worker", "-b", server.url, "-Q", "celery", "-c", "2", "--acks-late", "-l", "WARNING",
                        "-P", "prefork"]),
            ("floor", [str(floor_binary), "127.0.0.1", str(server.port), fetch_sha, store_sha, "2", "4"]),
        ]
        drains = {name: [] for name, _ in runs}
        for rep in range(1, REPS + 1):
            for name, command in runs:
                drain = Drain(name, command, env, server, COUNT)
                if name == "floor":
                    stored = sum(1 for _ in drain.client.scan_iter("celery-task-meta-*", count=1000))
                    if stored != COUNT:
                        sys.exit(f"the floor stored {stored} results for {COUNT} tasks")
                drains[name].append(drain)
                drain.report(rep, REPS)
        rates = {name: [drain.rate for drain in reps] for name, reps in drains.items()}

        def ratio(ours, theirs, digits=1):
            return paired_ratio(rates[ours], rates[theirs], digits)

        print(f"-- median tasks/s over {REPS} runs: "
              + ", ".join(f"{name} {statistics.median(values):,.0f}" for name, values in rates.items()))
        print(f"ratio    floor / celery prefork = {ratio('floor', 'celery')}; lovage prefork / celery prefork = "
              f"{ratio('lovage', 'celery')}; lovage / floor = {ratio('lovage', 'floor', 2)}")
        needed = sorted(TARGET * celery / floor for celery, floor in zip(rates["celery"], rates["floor"]))
        print(f"target   {TARGET}x Celery prefork is {statistics.median(needed):.2f}x the floor's rate "
              f"(range {needed[0]:.2f}-{needed[-1]:.2f}x), paired within each repetition")
        print(f"-- CPU per role over the drains (/proc utime+stime, the parent's utime alone as user; children summed; pooled over {REPS} runs)")
        for name, reps in drains.items():
            pooled = Pooled(reps)
            print(format_cpu(name, pooled.cpu, pooled.count, pooled.seconds))
    finally:
        server.stop()
        work.cleanup()


if __name__ == "__main__":
    main()
