"""`lovage plan --broker` and `lovage explore --broker`: the sweep's runs published as lovage.simulate
tasks to `lovage worker` processes on a private Redis give exactly the local run's output, also when
a worker is SIGKILLed mid-sweep; a worker of another build and a queue nobody consumes are refused."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from conftest import start_lovage_worker, terminate

PLAN_SCENARIO = """
name: sweep-check
seed: 3
duration: 1m
drain: 30s
fleet:
  - name: worker
    count: 2
    concurrency: 3
    prefetch_multiplier: 1
    acks_late: true
tasks:
  - name: work
    duration: {exponential: {mean: 50ms}}
    failure: {probability: 0.02, error: RuntimeError}
load:
  arrival: poisson
  phases:
    - {duration: 1m, rate: 80/s}
faults:
  - {at: 20s, restart_worker: worker-1}
"""

PLAN_ARGUMENTS = ["--slo", "queue_wait.p99 < 300ms", "--vary", "concurrency=1...4"]


def start_worker(lovage, redis_url, queue, name, *extra, env=None):
    """A `lovage worker` in a session of its own, so SIGKILL to its group takes its children too."""
    return start_lovage_worker(lovage, redis_url, "-Q", queue, "-c", "1", "-n", f"{name}@%h", *extra, env=env,
                               new_session=True, prefix=f"lovage-sweep-{name}-")


class Workers:
    def __init__(self, lovage, redis_url, queue):
        self.lovage, self.redis_url, self.queue = lovage, redis_url, queue
        self.started = []

    def start(self, name, *extra, env=None):
        process, log = start_worker(self.lovage, self.redis_url, self.queue, name, *extra, env=env)
        self.started.append((process, log))
        return process, log

    def stop(self):
        for process, log in self.started:
            if process.poll() is None:
                terminate(process, 15)
            os.unlink(log)


@pytest.fixture
def workers(lovage, redis_url, request):
    pool = Workers(lovage, redis_url, "sweep-" + request.node.name[:40])
    yield pool
    pool.stop()


def plan(lovage, scenario, out, *extra, seeds=4, wait=True):
    command = [lovage, "plan", str(scenario), *PLAN_ARGUMENTS, "--seeds", str(seeds), "--out", str(out), *extra]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def comparable(completed, out):
    """The plan's table without its header line (it holds the wall time and where the runs ran)
    and without the output folder's name, and plan.json without wall_seconds."""
    lines = completed.stdout.splitlines()
    document = json.loads((out / "plan.json").read_text())
    document.pop("wall_seconds")
    return [line for line in lines[1:] if not line.startswith(("written", "          "))], document


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(PLAN_SCENARIO)
    return path


def test_the_task_returns_what_simulate_figures_only_prints(lovage, redis_url, workers, scenario):
    workers.start("one")
    local = subprocess.run([lovage, "simulate", str(scenario), "--figures-only", "--seeds", "5", "--set", "concurrency=6"],
                           capture_output=True, text=True, timeout=300, check=True).stdout
    kwargs = {"scenario": PLAN_SCENARIO, "source_path": str(scenario), "settings": ["concurrency=6"], "seeds": [5],
              "returns": "figures"}
    completed = subprocess.run([lovage, "enqueue", "lovage.simulate", "--broker", redis_url, "--queue", workers.queue,
                                "--kwargs", json.dumps(kwargs), "--wait", "--timeout", "120s"],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout.splitlines()[-1])["result"]
    assert result["figures"] == [local.rstrip("\n")]
    assert result["worker"].startswith("one@")
    assert result["build"].startswith("lovage ")
    # Bad input is a clear task failure naming the argument, not a crash.
    bad = subprocess.run([lovage, "enqueue", "lovage.simulate", "--broker", redis_url, "--queue", workers.queue,
                          "--kwargs", json.dumps({"scenario": PLAN_SCENARIO, "seeds": "5"}), "--wait", "--timeout", "60s"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "seeds: expected a non-empty list" in bad.stdout


def test_plan_on_the_fleet_gives_the_local_plan(lovage, redis_url, workers, scenario, tmp_path):
    workers.start("one")
    workers.start("two")
    local = plan(lovage, scenario, tmp_path / "local")
    assert local.returncode in (0, 1), local.stdout + local.stderr
    remote = plan(lovage, scenario, tmp_path / "remote", "--broker", redis_url, "--queue", workers.queue)
    assert remote.returncode == local.returncode, remote.stdout + remote.stderr
    assert comparable(remote, tmp_path / "remote") == comparable(local, tmp_path / "local")
    document = json.loads((tmp_path / "local" / "plan.json").read_text())
    # The comparison covers the early stop and every run's trace hash.
    assert any(row["stopped_early"] for row in document["rows"])
    assert all(run["trace_hash"] for row in document["rows"] for run in row["runs"])
    assert "on the workers of queue " + workers.queue in remote.stdout.splitlines()[0]


def inspect(lovage, redis_url, command, node):
    """The reply of the worker whose name starts with `node@` (other tests' workers may share the server)."""
    completed = subprocess.run([lovage, "inspect", command, "-b", redis_url, "--json", "--timeout", "2"],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    replies = {name: reply for name, reply in json.loads(completed.stdout).items() if name.startswith(node + "@")}
    assert len(replies) == 1, completed.stdout
    return next(iter(replies.values()))


def test_runs_an_early_stop_makes_unnecessary_are_revoked(lovage, redis_url, workers, scenario, tmp_path):
    """The whole sweep is queued before one single-process worker starts, so it takes the runs in
    the order they were published: a configuration that fails its first seeds stops early while its
    later seeds are still queued, and those are revoked — the worker lists them and does not run
    them — and the plan is still the local plan."""
    seeds = 6
    local = plan(lovage, scenario, tmp_path / "local", seeds=seeds)
    document = json.loads((tmp_path / "local" / "plan.json").read_text())
    needed = sum(len(row["runs"]) for row in document["rows"])
    stopped = sum(1 for row in document["rows"] if row["stopped_early"])
    published = len(document["rows"]) * seeds
    assert stopped and needed < published
    client = redis.Redis.from_url(redis_url)
    # The server is shared with other tests: only the results this sweep leaves count.
    earlier = set(client.scan_iter("celery-task-meta-*"))
    running = plan(lovage, scenario, tmp_path / "remote", "--broker", redis_url, "--queue", workers.queue, seeds=seeds,
                   wait=False)
    deadline = time.time() + 60
    while client.llen(workers.queue) < published and time.time() < deadline:
        time.sleep(0.05)
    assert client.llen(workers.queue) == published
    workers.start("one")
    stdout, stderr = running.communicate(timeout=600)
    assert running.returncode == local.returncode, stdout + stderr
    remote = subprocess.CompletedProcess(running.args, running.returncode, stdout, stderr)
    assert comparable(remote, tmp_path / "remote") == comparable(local, tmp_path / "local")
    revoked = inspect(lovage, redis_url, "revoked", "one")
    ran = inspect(lovage, redis_url, "stats", "one")["total"].get("lovage.simulate", 0)
    # Each stopped configuration's seed in a child when its stop came may still run; no other.
    assert revoked, "no run was revoked"
    assert needed <= ran <= needed + stopped, (needed, ran, stopped)
    assert ran < published
    assert client.llen(workers.queue) == 0, "nothing is left queued"
    # What a worker stores after the sweep ended (a revoked message it still held, a stopped
    # configuration's seed that was running) is left, with Celery's expiry; nothing the sweep used.
    time.sleep(1)
    left = [json.loads(client.get(key))["status"] for key in set(client.scan_iter("celery-task-meta-*")) - earlier]
    assert left.count("SUCCESS") <= stopped and set(left) <= {"SUCCESS", "REVOKED"}, left
    assert left.count("REVOKED") <= len(revoked), (left, revoked)


def test_a_worker_killed_mid_sweep_loses_nothing(lovage, redis_url, workers, scenario, tmp_path):
    # A short visibility timeout so the killed worker's unacknowledged messages come back quickly.
    doomed, doomed_log = workers.start("doomed", "--visibility-timeout", "2s")
    workers.start("survivor", "--visibility-timeout", "2s")
    # Enough runs (4 configurations × 12 seeds, none stopped) that the kill lands mid-sweep.
    local = plan(lovage, scenario, tmp_path / "local", "--no-early-stop", seeds=12)
    running = plan(lovage, scenario, tmp_path / "remote", "--no-early-stop", "--broker", redis_url, "--queue", workers.queue,
                   seeds=12, wait=False)
    deadline = time.time() + 120
    while "lovage.simulate" not in Path(doomed_log).read_text(errors="replace") and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    assert running.poll() is None, "the sweep ended before the worker was killed"
    # A worker started after the visibility timeout restores the dead worker's messages at start.
    time.sleep(2.5)
    _, restorer_log = workers.start("restorer", "--visibility-timeout", "2s")
    stdout, stderr = running.communicate(timeout=600)
    remote = subprocess.CompletedProcess(running.args, running.returncode, stdout, stderr)
    assert remote.returncode == local.returncode, stdout + stderr
    assert comparable(remote, tmp_path / "remote") == comparable(local, tmp_path / "local")
    assert "restored" in Path(restorer_log).read_text(errors="replace")


def test_explore_on_the_fleet_gives_the_local_report(lovage, redis_url, workers, scenario):
    workers.start("one")
    workers.start("two")
    for output in ([], ["--json"]):
        local = subprocess.run([lovage, "explore", str(scenario), "--seeds", "1...10", *output],
                               capture_output=True, text=True, timeout=600)
        remote = subprocess.run([lovage, "explore", str(scenario), "--seeds", "1...10", *output, "--broker", redis_url,
                                 "--queue", workers.queue, "--seeds-per-task", "3"], capture_output=True, text=True, timeout=600)
        assert local.returncode in (0, 1), local.stderr
        assert remote.returncode == local.returncode, remote.stderr
        assert remote.stdout == local.stdout
        assert "on the workers of queue " + workers.queue in remote.stderr


def test_a_worker_of_another_build_is_refused(lovage, redis_url, workers, scenario, tmp_path):
    # LOVAGE_BUILD_IDENTITY_OVERRIDE exists for this test: a worker that says it is another build.
    workers.start("older", env={"LOVAGE_BUILD_IDENTITY_OVERRIDE": "lovage 0.0.9 exe crc32 00000000 size 1"})
    remote = plan(lovage, scenario, tmp_path / "remote", "--broker", redis_url, "--queue", workers.queue)
    assert remote.returncode == 2, remote.stdout + remote.stderr
    assert "worker older@" in remote.stderr
    assert "runs another build (lovage 0.0.9 exe crc32 00000000 size 1)" in remote.stderr
    assert not (tmp_path / "remote" / "plan.json").exists()


def test_a_queue_nobody_consumes_is_reported(lovage, redis_url, scenario, tmp_path):
    started = time.time()
    remote = plan(lovage, scenario, tmp_path / "remote", "--broker", redis_url, "--queue", "sweep-nobody",
                  "--stall-timeout", "2s")
    assert remote.returncode == 2, remote.stdout + remote.stderr
    assert "no result and no task taken from queue sweep-nobody for 2 s" in remote.stderr
    assert time.time() - started < 60
    # The unconsumed messages were taken back off the queue.
    length = subprocess.run(["redis-cli", "-u", redis_url, "LLEN", "sweep-nobody"], capture_output=True, text=True)
    assert length.stdout.strip() == "0"
