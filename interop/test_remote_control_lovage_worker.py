"""Celery's own remote-control client (`celery inspect`, `celery control`, `celery status` and
`app.control`) against a Lovage worker, beside a Python Celery worker on the same Redis: every
inspection answers in Celery's shape, a broadcast revoke reaches both kinds of worker, and a Lovage
worker started after a revoke learns it through mingle's hello."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery

from conftest import PrivateRedis, start_lovage_worker, terminate

NODE = "rc-lovage@interop"
PY_NODE = "rc-celery@interop"
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def broker():
    server = PrivateRedis("lovage-rc-redis-")
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def python_worker(broker):
    env = dict(os.environ, CELERY_BROKER_URL=broker, PYTHONPATH=str(HERE))
    log = HERE / f".rc-celery-{os.getpid()}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", "python", "-c", "1",
             "--loglevel=INFO", "-n", PY_NODE], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(HERE))
    deadline = time.time() + 30
    while "ready." not in log.read_text(errors="replace"):
        if time.time() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("celery worker did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.1)
    yield process
    terminate(process, 15)
    log.unlink()


@pytest.fixture(scope="module")
def lovage_worker(lovage, broker, python_worker):
    process, log_name = start_lovage_worker(lovage, broker, "-c", "2", "-P", "prefork", "--acks-late",
                                            "--prefetch-multiplier", "1", "-Q", "celery", "-n", NODE)
    yield process, log_name
    if process.poll() is None:
        terminate(process, 15)
    os.unlink(log_name)


def celery(broker, *arguments, timeout=30):
    env = dict(os.environ, CELERY_BROKER_URL=broker, PYTHONPATH=str(HERE))
    return subprocess.run([sys.executable, "-m", "celery", "-A", "celery_app", "-b", broker, *arguments],
                          env=env, capture_output=True, text=True, timeout=timeout, cwd=str(HERE))


def inspect_json(broker, command, *arguments):
    result = celery(broker, "inspect", command, *arguments, "-d", NODE, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)[NODE]


def test_celery_status_lists_both_workers(broker, lovage_worker):
    result = celery(broker, "status")
    assert result.returncode == 0, result.stderr
    assert f"{NODE}: OK" in result.stdout and f"{PY_NODE}: OK" in result.stdout
    assert "2 nodes online." in result.stdout


@pytest.mark.parametrize("command", ["ping", "stats", "active", "reserved", "scheduled", "revoked", "registered",
                                     "active_queues", "conf", "report", "clock", "memsample", "memdump"])
def test_every_inspection_answers(broker, lovage_worker, command):
    value = inspect_json(broker, command)
    if command == "ping":
        assert value == {"ok": "pong"}
    elif command == "stats":
        assert value["pool"]["max-concurrency"] == 2
        assert len(value["pool"]["processes"]) == 2
        assert isinstance(value["clock"], str) and isinstance(value["pid"], int)
        assert value["prefetch_count"] == 2
        for key in ("total", "uptime", "broker", "rusage"):
            assert key in value
    elif command in ("active", "reserved", "scheduled", "revoked"):
        assert isinstance(value, list)
    elif command == "registered":
        assert "lovage.add" in value
    elif command == "active_queues":
        assert [queue["name"] for queue in value] == ["celery"]
    elif command == "conf":
        assert value["broker_url"].startswith("redis://")
    elif command == "report":
        assert value["ok"].startswith("\nsoftware -> lovage:")
    elif command == "clock":
        assert isinstance(value["clock"], int)


def test_controls_through_the_celery_cli(broker, lovage_worker):
    def control(*arguments):
        result = celery(broker, "control", *arguments, "-d", NODE, "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        # `celery control --json` prints the list of replies, one {node: value} each.
        replies = json.loads(result.stdout)
        return next(reply[NODE] for reply in replies if NODE in reply)

    assert control("rate_limit", "lovage.add", "5/s") == {"ok": "new rate limit set successfully"}
    assert "lovage.add [rate_limit=5/s]" in inspect_json(broker, "registered", "rate_limit")
    assert control("rate_limit", "lovage.add", "0") == {"ok": "rate limit disabled successfully"}
    assert control("rate_limit", "no.such.task", "1/s") == {"error": "unknown task"}
    assert control("time_limit", "lovage.sleep", "5", "10") == {"ok": "time limits set successfully"}
    assert control("pool_grow", "1") == {"ok": "pool will grow"}
    deadline = time.time() + 10
    while len(inspect_json(broker, "stats")["pool"]["processes"]) != 3:
        assert time.time() < deadline, "the pool did not grow"
        time.sleep(0.2)
    assert control("pool_shrink", "1") == {"ok": "pool will shrink"}
    assert control("autoscale", "4", "2") == {"error": "ValueError('Autoscale not enabled')"}
    assert control("add_consumer", "extra") == {"ok": "add consumer extra"}
    assert "extra" in [queue["name"] for queue in inspect_json(broker, "active_queues")]
    assert control("cancel_consumer", "extra") == {"ok": "no longer consuming from extra"}
    assert control("enable_events") == {"ok": "task events enabled"}
    assert control("disable_events") == {"ok": "task events disabled"}
    assert control("heartbeat") is None
    assert control("pool_restart") == {"error": "ValueError('Pool restarts not enabled')"}


def test_a_broadcast_revoke_reaches_both_kinds_of_worker(broker, lovage_worker):
    client = Celery("rc_client", broker=broker, backend=broker)
    on_lovage = client.send_task("lovage.add", args=(1, 2), countdown=2)
    on_python = client.send_task("interop.add", args=(1, 2), countdown=2, queue="python")
    client.control.revoke([on_lovage.id, on_python.id])
    time.sleep(3.5)
    assert client.AsyncResult(on_lovage.id).state == "REVOKED"
    assert client.AsyncResult(on_python.id).state == "REVOKED"


def test_a_worker_started_after_a_revoke_learns_it_through_hello(lovage, broker, python_worker):
    client = Celery("rc_client", broker=broker, backend=broker)
    # Revoked while only the Python worker runs; the message waits in a queue nobody consumes yet.
    pending = client.send_task("lovage.add", args=(2, 2), queue="late")
    reply = client.control.revoke(pending.id, reply=True, destination=[PY_NODE])
    assert reply and PY_NODE in reply[0]
    process, log_name = start_lovage_worker(lovage, broker, "-c", "1", "-Q", "late", "-n", "rc-late@interop")
    try:
        log = Path(log_name).read_text(errors="replace")
        assert "mingle: sync with" in log, log
        deadline = time.time() + 10
        while client.AsyncResult(pending.id).state != "REVOKED":
            assert time.time() < deadline, "the task learnt through hello was not discarded"
            time.sleep(0.2)
    finally:
        terminate(process, 15)
        os.unlink(log_name)


def test_query_task_finds_a_held_task(broker, lovage_worker):
    client = Celery("rc_client", broker=broker, backend=broker)
    held = client.send_task("lovage.add", args=(3, 4), countdown=5)
    deadline = time.time() + 5
    while True:
        value = inspect_json(broker, "query_task", held.id)
        if held.id in value:
            break
        assert time.time() < deadline, value
        time.sleep(0.2)
    state, info = value[held.id]
    assert state == "scheduled"
    assert info["id"] == held.id and info["name"] == "lovage.add" and info["args"] == [3, 4]
    assert inspect_json(broker, "query_task", "no-such-id") == {}
    assert held.get(timeout=15) == 7


def test_remote_shutdown_is_warm_and_loses_nothing(broker, lovage_worker):
    """Last in the file: it stops the module's Lovage worker."""
    process, log_name = lovage_worker
    client = Celery("rc_client", broker=broker, backend=broker)
    running = client.send_task("lovage.sleep", args=(1,))
    deadline = time.time() + 10
    while not any(task["id"] == running.id for task in inspect_json(broker, "active")):
        assert time.time() < deadline, "the task did not start"
        time.sleep(0.1)
    result = celery(broker, "control", "shutdown", "-d", NODE)
    assert "No nodes replied" in result.stderr + result.stdout  # shutdown never replies, as Celery
    process.wait(timeout=20)
    assert process.returncode == 0
    assert client.AsyncResult(running.id).state == "SUCCESS"
    assert "Got shutdown from remote" in Path(log_name).read_text(errors="replace")

