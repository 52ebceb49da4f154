"""`lovage inspect|control|status` against a real Python Celery 5.7 worker: every command, text and
--json output, exit statuses (0, 3, 69, 64), and a broadcast revoke the worker honours."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import terminate

HOST = socket.gethostname()
NODE = f"inspect@{HOST}"


@pytest.fixture(scope="module")
def worker(redis_url):
    """A Celery worker of its own (this module shuts it down at the end)."""
    env = dict(os.environ, CELERY_BROKER_URL=redis_url, PYTHONPATH=str(Path(__file__).parent))
    log = tempfile.NamedTemporaryFile(prefix="celery-inspect-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", "inspectq", "-c", "2",
         "--loglevel=INFO", "-n", "inspect@%h"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(Path(__file__).parent))
    deadline = time.time() + 30
    while "ready." not in Path(log.name).read_text(errors="replace"):
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            pytest.fail("celery worker did not start:\n" + Path(log.name).read_text(errors="replace"))
        time.sleep(0.1)
    yield process
    if process.poll() is None:
        terminate(process, 15)
    os.unlink(log.name)


def run(lovage, redis_url, *args, timeout="1"):
    done = subprocess.run([lovage, *args, "-b", redis_url, "--timeout", timeout, "-d", NODE],
                          capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout, done.stderr


def json_reply(lovage, redis_url, *args):
    code, out, err = run(lovage, redis_url, *args, "--json")
    assert code == 0, err
    replies = json.loads(out)
    assert list(replies) == [NODE]
    return replies[NODE]


def test_ping_text_and_json(lovage, redis_url, worker):
    code, out, _ = run(lovage, redis_url, "inspect", "ping")
    assert code == 0
    assert out == f"->  {NODE}: OK\n        pong\n\n1 node online.\n"
    assert json_reply(lovage, redis_url, "inspect", "ping") == {"ok": "pong"}


def test_status(lovage, redis_url, worker):
    code, out, _ = run(lovage, redis_url, "status")
    assert (code, out) == (0, f"->  {NODE}: OK\n\n1 node online.\n")


@pytest.mark.parametrize("command,check", [
    ("stats", lambda v: v["pool"]["max-concurrency"] == 2 and "total" in v),
    ("active", lambda v: v == []),
    ("reserved", lambda v: v == []),
    ("scheduled", lambda v: isinstance(v, list)),
    ("revoked", lambda v: isinstance(v, list)),
    ("registered", lambda v: "interop.add" in v and "interop.echo" in v),
    ("active_queues", lambda v: [q["name"] for q in v] == ["inspectq"]),
    ("conf", lambda v: v["task_acks_late"] is True),
    ("report", lambda v: "celery:5.7.0" in v["ok"]),
    ("clock", lambda v: isinstance(v["clock"], int)),
    ("memsample", lambda v: v is None or isinstance(v, str)),
    ("memdump", lambda v: isinstance(v, str)),
])
def test_inspect_commands(lovage, redis_url, worker, command, check):
    assert check(json_reply(lovage, redis_url, "inspect", command))
    code, out, _ = run(lovage, redis_url, "inspect", command)
    assert code == 0 and out.startswith(f"->  {NODE}: OK\n") and out.endswith("\n1 node online.\n")


def test_registered_text_lists_one_task_per_line(lovage, redis_url, worker):
    _, out, _ = run(lovage, redis_url, "inspect", "registered")
    assert "    * interop.add\n" in out


def test_query_task_and_scheduled_of_a_countdown_task(lovage, redis_url, worker, client):
    result = client.send_task("interop.echo", args=[1], queue="inspectq", countdown=30)
    time.sleep(1.0)
    scheduled = json_reply(lovage, redis_url, "inspect", "scheduled")
    assert result.id in [entry["request"]["id"] for entry in scheduled]
    found = json_reply(lovage, redis_url, "inspect", "query_task", result.id, "00000000-0000-0000-0000-000000000000")
    assert list(found) == [result.id] and found[result.id][0] == "scheduled"
    assert json_reply(lovage, redis_url, "control", "revoke", result.id) == {
        "ok": f"tasks {{'{result.id}'}} flagged as revoked"}


def test_broadcast_revoke_is_honoured(lovage, redis_url, worker, client):
    result = client.send_task("interop.stamp", queue="inspectq", countdown=2)
    time.sleep(0.5)
    done = subprocess.run([lovage, "control", "revoke", result.id, "-b", redis_url], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"->  {NODE}: OK\n        tasks {{'{result.id}'}} flagged as revoked\n" in done.stdout
    assert result.id in json_reply(lovage, redis_url, "inspect", "revoked")
    deadline = time.time() + 10
    while result.state != "REVOKED" and time.time() < deadline:
        time.sleep(0.2)
    assert result.state == "REVOKED"


@pytest.mark.parametrize("args,reply", [
    (["terminate", "SIGTERM", "11111111-1111-1111-1111-111111111111"], None),
    (["rate_limit", "interop.add", "5/s"], {"ok": "new rate limit set successfully"}),
    (["time_limit", "interop.add", "5", "10"], {"ok": "time limits set successfully"}),
    (["time_limit", "interop.add", "5"], {"ok": "time limits set successfully"}),
    (["pool_grow", "1"], {"ok": "pool will grow"}),
    (["pool_shrink", "1"], {"ok": "pool will shrink"}),
    (["autoscale", "3", "2"], None),
    (["add_consumer", "q2"], {"ok": "add consumer q2"}),
    (["cancel_consumer", "q2"], {"ok": "no longer consuming from q2"}),
    (["enable_events"], {"ok": "task events enabled"}),
    (["disable_events"], {"ok": "task events disabled"}),
    (["heartbeat"], None),
    (["pool_restart"], {"error": "ValueError('Pool restarts not enabled')"}),
])
def test_control_commands(lovage, redis_url, worker, args, reply):
    value = json_reply(lovage, redis_url, "control", *args)
    if reply is not None:
        assert value == reply
    code, out, _ = run(lovage, redis_url, "control", *args)
    assert code == 0 and out.startswith(f"->  {NODE}: ")


def test_pool_restart_error_is_shown_as_error(lovage, redis_url, worker):
    _, out, _ = run(lovage, redis_url, "control", "pool_restart")
    assert out == f"->  {NODE}: ERROR\n        ValueError('Pool restarts not enabled')\n"


def test_missing_destination_exits_69_and_partial_exits_3(lovage, redis_url, worker):
    done = subprocess.run([lovage, "inspect", "ping", "-b", redis_url, "-d", "nosuch@nowhere"],
                          capture_output=True, text=True)
    assert done.returncode == 69 and done.stderr == "Error: No nodes replied within time constraint\n"
    done = subprocess.run([lovage, "inspect", "ping", "-b", redis_url, "-d", f"nosuch@nowhere,{NODE}"],
                          capture_output=True, text=True)
    assert done.returncode == 3 and "nosuch@nowhere" in done.stderr and f"->  {NODE}: OK" in done.stdout


def test_unknown_command_and_unreachable_broker(lovage, redis_url):
    done = subprocess.run([lovage, "inspect", "bogus", "-b", redis_url], capture_output=True, text=True)
    assert done.returncode == 64 and "ping, stats" in done.stderr
    done = subprocess.run([lovage, "inspect", "ping", "-b", "redis://127.0.0.1:1/0"], capture_output=True, text=True)
    assert done.returncode == 69 and "redis://127.0.0.1:1/0" in done.stderr


def test_zz_shutdown_stops_the_worker(lovage, redis_url, worker):
    code, out, _ = run(lovage, redis_url, "control", "shutdown")
    assert code == 0 and f"shutdown sent to {NODE}" in out
    worker.wait(timeout=20)
    assert worker.returncode is not None
