"""Flower 2.2 shows a Lovage worker as it shows a Celery one: its worker page (rendered, and checked
in headless Chromium), `/api/workers`, and the buttons behind `/api/worker/...` and `/api/task/...`,
which Flower carries out with Celery's remote control (pidbox)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from celery import Celery

from conftest import PrivateRedis, free_port, start_lovage_worker, terminate

NODE = "flower-lovage@interop"


@pytest.fixture(scope="module")
def broker():
    server = PrivateRedis("lovage-flower-redis-")
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def worker(lovage, broker):
    process, log_name = start_lovage_worker(lovage, broker, "-E", "-c", "2", "-P", "prefork", "--acks-late",
                                            "--prefetch-multiplier", "1", "-Q", "celery", "-n", NODE)
    yield process, log_name
    if process.poll() is None:
        terminate(process, 15)
    os.unlink(log_name)


@pytest.fixture(scope="module")
def flower(broker, worker):
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="flower-", suffix=".log", delete=False)
    env = dict(os.environ, FLOWER_UNAUTHENTICATED_API="true", CELERY_BROKER_URL=broker,
               PYTHONPATH=str(Path(__file__).parent))
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "flower_app", "-b", broker, "flower", "--address=127.0.0.1",
         f"--port={port}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(Path(__file__).parent))
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthcheck", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("flower did not start:\n" + Path(log.name).read_text(errors="replace"))
    yield base
    terminate(process, 10)
    os.unlink(log.name)


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def post(url, fields=None):
    data = urllib.parse.urlencode(fields or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def workers(flower):
    status, body = get(flower + "/api/workers?refresh=1")
    assert status == 200
    return json.loads(body)


def stats(flower):
    """The worker's stats as Flower has them after a refresh, waiting until it lists the node."""
    deadline = time.time() + 15
    while time.time() < deadline:
        listed = workers(flower)
        if NODE in listed and listed[NODE].get("stats"):
            return listed[NODE]
        time.sleep(0.5)
    pytest.fail(f"flower never listed {NODE}: {listed}")


def wait_for(predicate, what, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def test_api_workers_has_every_inspection_of_the_lovage_worker(flower):
    worker = stats(flower)
    assert worker["stats"]["pool"]["max-concurrency"] == 2
    assert len(worker["stats"]["pool"]["processes"]) == 2
    assert worker["stats"]["prefetch_count"] >= 2
    assert "lovage.add" in worker["registered"]
    assert [queue["name"] for queue in worker["active_queues"]] == ["celery"]
    assert worker["conf"]["broker_url"].startswith("redis://")


def test_worker_page_renders_with_the_pool_size(flower):
    stats(flower)
    status, html = get(flower + "/worker/" + urllib.parse.quote(NODE))
    assert status == 200
    for tab in ("pool", "broker", "queues", "tasks", "limits", "config", "system"):
        assert f'id="worker-tab-{tab}"' in html, tab
    assert "Max concurrency" in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (scripts/test.sh installs it)")
def test_worker_page_in_headless_chromium_shows_the_pool_size(flower):
    stats(flower)
    profile = tempfile.mkdtemp(prefix="lovage-chromium-")
    try:
        result = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
             "--virtual-time-budget=5000", "--dump-dom", flower + "/worker/" + urllib.parse.quote(NODE)],
            capture_output=True, text=True, timeout=90)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    dom = result.stdout
    assert NODE in dom, result.stderr[-2000:]
    # The pool tab's table: the row "Max concurrency" followed by its value cell.
    assert "Max concurrency" in dom, dom[-2000:]
    row = dom[dom.index("Max concurrency"):][:60]
    assert "<td>2</td>" in row.replace(" ", "").replace("\n", ""), row


def test_pool_grow_and_shrink_buttons(flower):
    stats(flower)
    status, body = post(flower + "/api/worker/pool/grow/" + NODE, {"n": 1})
    assert status == 200, body
    assert json.loads(body)["message"] == f"Growing '{NODE}' worker's pool by 1"
    # As a Celery prefork worker reports it: one more process and a prefetch window one larger,
    # while max-concurrency stays the -c it was started with.
    grown = wait_for(lambda: (lambda s: s if len(s["pool"]["processes"]) == 3 else None)(stats(flower)["stats"]),
                     "the pool to grow to 3 processes")
    assert grown["pool"]["max-concurrency"] == 2
    assert grown["prefetch_count"] == 3
    status, body = post(flower + "/api/worker/pool/shrink/" + NODE, {"n": 1})
    assert status == 200, body
    assert json.loads(body)["message"] == f"Shrinking '{NODE}' worker's pool by 1"
    wait_for(lambda: len(stats(flower)["stats"]["pool"]["processes"]) == 2, "the pool to shrink to 2 processes")


def test_autoscale_button_on_a_fixed_pool_gives_celerys_error(flower):
    stats(flower)
    status, body = post(flower + "/api/worker/pool/autoscale/" + NODE, {"min": 1, "max": 3})
    assert status == 403
    assert "Autoscale not enabled" in body


def test_consumer_buttons(flower):
    stats(flower)
    status, body = post(flower + "/api/worker/queue/add-consumer/" + NODE, {"queue": "extra"})
    assert status == 200, body
    assert json.loads(body)["message"] == "add consumer extra"
    wait_for(lambda: "extra" in [q["name"] for q in stats(flower)["active_queues"]], "queue extra")
    status, body = post(flower + "/api/worker/queue/cancel-consumer/" + NODE, {"queue": "extra"})
    assert status == 200, body
    assert json.loads(body)["message"] == "no longer consuming from extra"
    wait_for(lambda: "extra" not in [q["name"] for q in stats(flower)["active_queues"]], "queue extra gone")


def test_rate_and_time_limit_buttons(flower):
    stats(flower)
    status, body = post(flower + "/api/task/rate-limit/lovage.add", {"workername": NODE, "ratelimit": "5/s"})
    assert status == 200, body
    assert json.loads(body)["message"] == "new rate limit set successfully"
    status, body = post(flower + "/api/task/timeout/lovage.sleep", {"workername": NODE, "soft": 5, "hard": 10})
    assert status == 200, body
    assert json.loads(body)["message"] == "time limits set successfully"
    wait_for(lambda: "lovage.add [rate_limit=5/s]" in stats(flower)["registered"], "the rate limit in registered")


def test_revoke_and_terminate_buttons(flower, broker):
    stats(flower)
    client = Celery("flower_client", broker=broker, backend=broker)
    # A task held for its countdown, revoked before it is due: it must never run.
    held = client.send_task("lovage.add", args=(1, 2), countdown=3)
    status, body = post(flower + f"/api/task/revoke/{held.id}")
    assert status == 200, body
    # A running task terminated.
    running = client.send_task("lovage.sleep", args=(30,))
    wait_for(lambda: any(t["id"] == running.id
                         for t in (client.control.inspect(destination=[NODE]).active() or {}).get(NODE, [])),
             "the sleep task to run")
    status, body = post(flower + f"/api/task/revoke/{running.id}", {"terminate": "true", "signal": "SIGKILL"})
    assert status == 200, body
    wait_for(lambda: client.AsyncResult(running.id).state == "REVOKED", "the terminated task to be REVOKED")
    time.sleep(4)
    assert client.AsyncResult(held.id).state == "REVOKED"


def test_shutdown_button_is_a_warm_shutdown(flower, worker, broker):
    process, log_name = worker
    stats(flower)
    client = Celery("flower_client", broker=broker, backend=broker)
    running = client.send_task("lovage.sleep", args=(1,))
    wait_for(lambda: any(t["id"] == running.id
                         for t in (client.control.inspect(destination=[NODE]).active() or {}).get(NODE, [])),
             "the task to start")
    status, body = post(flower + "/api/worker/shutdown/" + NODE)
    assert status == 200, body
    process.wait(timeout=20)
    assert process.returncode == 0, Path(log_name).read_text(errors="replace")
    # The running task finished before the worker stopped: nothing lost.
    assert client.AsyncResult(running.id).state == "SUCCESS"
    assert "Got shutdown from remote" in Path(log_name).read_text(errors="replace")
