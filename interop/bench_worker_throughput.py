"""Drain N `lovage.noop` tasks with Python Celery workers (prefork -c 2, threads -c 2, prefork -c 2 -E)
and with `lovage worker` (prefork -c 2, threads -c 2, and both with -E), all with acks_late and results
on, against the same Redis, and print the rates, the ratios and the start-up time to the first task.
Then, for each run, where its time went (interop/bench_drain_profile.py): Redis commands per task
(`INFO commandstats` over the drain), what the clients sent and what scripts ran (MONITOR on a short
drain of BENCH_SAMPLE tasks), the ceiling that mix implies from `redis-benchmark -P 16/64` and how
close the drain came to it, and CPU per role (parent, children, redis-server) per 1,000 tasks.
The whole set of drains runs BENCH_REPS times (default 3), interleaved (every configuration once,
then again), so a change in the host's load falls on both sides of a ratio: each ratio is taken
within one repetition and printed as the median with its range over the repetitions; commands and
CPU are pooled over them. BENCH_EVENTS=0 leaves out the -E runs; BENCH_PROFILE=0 leaves out the
MONITOR sample and ceiling. Prints figures; judges nothing."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from celery import Celery

from bench_drain_profile import (CLIENTS, MonitorSample, RoleCPU, ceiling, command_counts, format_commands, format_cpu,
                                 format_sample, redis_benchmark_binary)
from conftest import PrivateRedis, terminate

HERE = Path(__file__).resolve().parent
COUNT = int(os.environ.get("BENCH_TASKS", "20000"))
REPS = os.environ.get("BENCH_REPS", "3")
if not REPS.isdigit() or int(REPS) < 1:
    sys.exit(f"BENCH_REPS must be a whole number of repetitions, 1 or more (got {REPS!r})")
REPS = int(REPS)
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "2000"))
PIPELINES = (16, 64)
# The benchmark's own polling, left out of the command counts.
OWN_COMMANDS = {"llen", "hlen", "info", "config|resetstat"}


def fill(url, count):
    """A Celery-made message, copied with fresh ids (as the captures' enqueue B). Returns the client
    and the last message pushed."""
    client = Celery("filler", broker=url, backend=url)
    r = redis.Redis.from_url(url, single_connection_client=True)
    r.flushall()
    client.send_task("lovage.noop", ignore_result=False)
    template = r.rpop("celery")
    message = json.loads(template)
    pipe = r.pipeline(transaction=False)
    body = None
    for index in range(count):
        task_id = str(uuid.uuid4())
        message["headers"]["id"] = task_id
        message["headers"]["root_id"] = task_id
        message["properties"]["correlation_id"] = task_id
        message["properties"]["delivery_tag"] = str(uuid.uuid4())
        body = json.dumps(message)
        pipe.lpush("celery", body)
        if index % 1000 == 999:
            pipe.execute()
    pipe.execute()
    return r, body


def paired_ratio(ours, theirs, digits=1):
    """The median and range of ours / theirs (rates of the same repetitions), paired within each repetition."""
    paired = sorted(a / b for a, b in zip(ours, theirs))
    spread = f" (range {paired[0]:.{digits}f}-{paired[-1]:.{digits}f}x over {len(paired)} runs)" if len(paired) > 1 else ""
    return f"{statistics.median(paired):.{digits}f}x{spread}"


class Drain:
    """One measured drain: the rate, the start-up time, and from the first task taken to an empty
    queue and `unacked`, the commands Redis ran (the benchmark's own polling taken out) and the CPU
    of each role."""

    def __init__(self, name, command, env, server, count, monitor=False):
        r, self.message = fill(server.url, count)
        sample = MonitorSample(server.port, r.client_info()["addr"]) if monitor else None
        launched = time.time()
        log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(HERE))
        first = None
        polls = {"llen": 0, "hlen": 0}
        try:
            while True:
                remaining = r.llen("celery")
                polls["llen"] += 1
                if first is None and remaining < count:
                    first = time.time()
                    r.config_resetstat()
                    polls = {"llen": 0, "hlen": 0}
                    cpu_first = RoleCPU(process.pid, server.process.pid)
                if remaining == 0:
                    polls["hlen"] += 1
                    if r.hlen("unacked") == 0:
                        break
                if process.poll() is not None:
                    sys.exit(f"{name} worker exited early:\n" + Path(log.name).read_text(errors="replace"))
                if time.time() - launched > 600:
                    sys.exit(f"{name}: not drained after 600 s")
                time.sleep(0.02)
            done = time.time()
            self.cpu = RoleCPU(process.pid, server.process.pid).since(cpu_first)
            counts = command_counts(r)
        finally:
            if sample:
                sample.stop()
            terminate(process, 20)
            os.unlink(log.name)
        for own, calls in polls.items():
            counts[own] = counts.get(own, 0) - calls
        self.commands = {command: calls for command, calls in counts.items()
                         if calls > 0 and command not in OWN_COMMANDS}
        self.name, self.count, self.sample, self.client = name, count, sample, r
        self.seconds = done - first
        self.rate = count / self.seconds
        self.startup = first - launched

    def report(self, rep=1, reps=1):
        print(f"{self.name:8s} {self.count} tasks in {self.seconds:6.2f} s = {self.rate:8.0f} tasks/s; "
              f"start-up to first task {self.startup:5.2f} s" + (f" (run {rep} of {reps})" if reps > 1 else ""))


class Pooled:
    """Several drains of one configuration as one: commands, CPU, tasks and seconds summed."""

    def __init__(self, drains):
        self.name = drains[0].name
        self.count = sum(drain.count for drain in drains)
        self.seconds = sum(drain.seconds for drain in drains)
        self.commands, self.cpu = {}, {}
        for drain in drains:
            for command, calls in drain.commands.items():
                self.commands[command] = self.commands.get(command, 0) + calls
            for role, seconds in drain.cpu.items():
                self.cpu[role] = self.cpu.get(role, 0.0) + seconds


def main():
    lovage = os.environ.get("LOVAGE_BIN", str(HERE.parent / ".build" / "release" / "lovage"))
    events = os.environ.get("BENCH_EVENTS", "1") == "1"
    profile = os.environ.get("BENCH_PROFILE", "1") == "1"
    redis_server = PrivateRedis("lovage-bench-redis-")
    try:
        env = dict(os.environ, CELERY_BROKER_URL=redis_server.url, PYTHONPATH=str(HERE))
        url = redis_server.url
        celery = [sys.executable, "-m", "celery", "-A", "bench_app", "worker", "-Q", "celery", "-c", "2",
                  "--loglevel=WARNING"]
        worker = [lovage, "worker", "-b", url, "-Q", "celery", "-c", "2", "--acks-late", "-l", "WARNING"]
        runs = [("celery", celery + ["-P", "prefork"]), ("lovage", worker + ["-P", "prefork"]),
                ("threads", worker + ["-P", "threads"]), ("celery-t", celery + ["-P", "threads"])]
        if events:
            runs += [("celery-E", celery + ["-P", "prefork", "-E"]), ("lovage-E", worker + ["-P", "prefork", "-E"]),
                     ("thread-E", worker + ["-P", "threads", "-E"]), ("celeryTE", celery + ["-P", "threads", "-E"])]
        drains = {name: [] for name, _ in runs}
        for rep in range(1, REPS + 1):
            for name, command in runs:
                drain = Drain(name, command, env, redis_server, COUNT)
                drains[name].append(drain)
                drain.report(rep, REPS)
        rates = {name: [drain.rate for drain in reps] for name, reps in drains.items()}
        rate = {name: statistics.median(values) for name, values in rates.items()}

        def ratio(ours, theirs):
            return paired_ratio(rates[ours], rates[theirs])

        def change(ours, theirs):
            paired = sorted(100 * (1 - a / b) for a, b in zip(rates[ours], rates[theirs]))
            return f"{statistics.median(paired):+.1f}%"

        print(f"-- median tasks/s over {REPS} runs: " + ", ".join(f"{name} {value:,.0f}" for name, value in rate.items()))
        print(f"ratio    lovage prefork / celery prefork = {ratio('lovage', 'celery')}; "
              f"lovage threads / celery prefork = {ratio('threads', 'celery')}; "
              f"lovage threads / celery threads = {ratio('threads', 'celery-t')}")
        if events:
            print(f"ratio -E lovage prefork / celery prefork = {ratio('lovage-E', 'celery-E')}; "
                  f"lovage threads / celery threads = {ratio('thread-E', 'celeryTE')}")
            print(f"events   -E costs {change('lovage-E', 'lovage')} (prefork), "
                  f"{change('thread-E', 'threads')} (threads) of the rate without; "
                  f"Celery {change('celery-E', 'celery')} (prefork), "
                  f"{change('celeryTE', 'celery-t')} (threads)")
        pooled = {name: Pooled(reps) for name, reps in drains.items()}
        print("-- Redis commands per task over the drains (INFO commandstats; a script's commands counted too)")
        for drain in pooled.values():
            print(format_commands(drain.name, drain.commands, drain.count))
        for lovage_name, celery_name in (("lovage", "celery"), ("threads", "celery-t"), ("lovage-E", "celery-E"),
                                         ("thread-E", "celeryTE")):
            if lovage_name in pooled:
                ours, theirs = (sum(pooled[n].commands.values()) / pooled[n].count for n in (lovage_name, celery_name))
                print(f"ratio    commands per task {lovage_name} / {celery_name} = {ours:.2f} / {theirs:.2f} = {ours / theirs:.2f}x")
        print(f"-- CPU per role over the drains (/proc utime+stime, the parent's utime alone as user; children summed; pooled over {REPS} runs)")
        for drain in pooled.values():
            print(format_cpu(drain.name, drain.cpu, drain.count, drain.seconds))
        if profile:
            binary = redis_benchmark_binary()
            print(f"-- the ceiling: each command shape the clients sent in a MONITOR sample of {SAMPLE} tasks, run alone "
                  f"by redis-benchmark ({CLIENTS} clients, -P {' and -P '.join(map(str, PIPELINES))}) on the same redis-server, "
                  f"weighted by calls per task")
            if binary is None:
                print("redis-benchmark not found: no ceiling")
            for name, command in runs:
                sampled = Drain(name, command, env, redis_server, SAMPLE, monitor=True)
                print(format_sample(name, sampled.sample, SAMPLE))
                if binary is None:
                    continue
                limits, measured = ceiling(binary, sampled.client, redis_server.port, sampled.sample, SAMPLE,
                                           PIPELINES, sampled.message, b"celery")
                shapes = "; ".join(f"{shape} " + "/".join(f"{rates[p]:,.0f}" if isinstance(rates[p], float)
                                                          else f"failed ({rates[p]})" for p in PIPELINES)
                                   for shape, _, rates in measured)
                print(f"{name:8s} requests/s at -P {'/'.join(map(str, PIPELINES))}: {shapes}")
                print(f"{name:8s} ceiling " + ", ".join(
                    f"-P {p}: {limits[p]:8,.0f} tasks/s (drain {100 * rate[name] / limits[p]:.1f}% of it)"
                    if limits[p] else f"-P {p}: none (a command failed)" for p in PIPELINES)
                      + f"; the drains above ran at {rate[name]:,.0f} tasks/s (median)")
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
