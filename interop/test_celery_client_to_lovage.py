"""A real Python Celery client calls Lovage's built-in tasks on a running `lovage worker`."""
import json
import time

import pytest
import redis as redis_py
from celery.exceptions import TaskRevokedError

from conftest import start_lovage_worker, stop_lovage_worker


def call(client, queue, name, *args, **options):
    return client.send_task(name, args=args, queue=queue, **options)


def test_add_returns_the_sum(client, lovage_worker):
    assert call(client, lovage_worker, "lovage.add", 2, 3).get(timeout=10) == 5


def test_echo_keeps_unicode_and_nesting(client, lovage_worker):
    value = {"text": "héllo ✓", "list": [1, 2.5, None, True, {"k": "v"}]}
    assert call(client, lovage_worker, "lovage.echo", value).get(timeout=10) == value


def test_failure_carries_exception_type_and_message(client, lovage_worker):
    result = call(client, lovage_worker, "lovage.fail", "kaboom")
    with pytest.raises(RuntimeError, match="kaboom"):
        result.get(timeout=10)
    assert result.state == "FAILURE"


def test_flaky_task_goes_through_retry_then_succeeds(client, lovage_worker):
    result = call(client, lovage_worker, "lovage.flaky", "interop-flaky", 2)
    seen = set()
    deadline = time.time() + 20
    while time.time() < deadline and result.state != "SUCCESS":
        seen.add(result.state)
        time.sleep(0.05)
    assert "RETRY" in seen
    assert result.get(timeout=1) == "ok after 2 failures"


def test_progress_reports_custom_state_with_meta(client, lovage_worker):
    result = call(client, lovage_worker, "lovage.progress", 5, 0.2)
    metas = []
    deadline = time.time() + 10
    while time.time() < deadline and result.state != "SUCCESS":
        if result.state == "PROGRESS":
            metas.append(result.info)
        time.sleep(0.02)
    assert result.get(timeout=1) == 5
    assert any(meta and meta.get("total") == 5 for meta in metas)


def test_countdown_is_honoured(client, lovage_worker):
    sent = time.time()
    assert call(client, lovage_worker, "lovage.noop", countdown=2).get(timeout=10) is None
    assert time.time() - sent >= 1.9


def test_expired_task_is_revoked_and_never_runs(client, lovage_worker):
    result = call(client, lovage_worker, "lovage.add", 1, 1, countdown=3, expires=1)
    with pytest.raises(TaskRevokedError):
        result.get(timeout=10)
    assert result.state == "REVOKED"


def test_hostile_messages_are_dead_lettered_and_the_worker_goes_on(client, redis_url, lovage_worker):
    connection = redis_py.Redis.from_url(redis_url)
    before = connection.llen("lovage.dead_letter")
    connection.lpush(lovage_worker, b"not json at all \xff")
    connection.lpush(lovage_worker, b'{"body": "", "headers": {}, "properties": {}}')
    result = client.send_task("no.such.task", queue=lovage_worker)
    assert call(client, lovage_worker, "lovage.add", 20, 22).get(timeout=10) == 42
    deadline = time.time() + 5
    while time.time() < deadline and connection.llen("lovage.dead_letter") < before + 3:
        time.sleep(0.05)
    assert connection.llen("lovage.dead_letter") == before + 3
    assert result.state == "PENDING"
    assert connection.hlen("unacked") == 0


def test_priorities_are_served_lowest_step_first(client, lovage, redis_url):
    for priority in (9, 5, 0):
        client.send_task("lovage.echo", args=(f"prio-{priority}",), queue="prio", priority=priority)
    process, log_name = start_lovage_worker(lovage, redis_url, "-Q", "prio", "-c", "1", "--prefetch-multiplier", "1",
                                            "-n", "prio@%h")
    try:
        connection = redis_py.Redis.from_url(redis_url)
        deadline = time.time() + 10
        while time.time() < deadline and connection.llen("prio") + connection.llen("prio\x06\x163") + connection.llen("prio\x06\x169") > 0:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        stop_lovage_worker(process, log_name)
    done = []
    for key in connection.scan_iter("celery-task-meta-*"):
        document = json.loads(connection.get(key))
        if document["status"] == "SUCCESS" and str(document["result"]).startswith("prio-"):
            done.append((document["date_done"], document["result"]))
    assert [value for _, value in sorted(done)] == ["prio-0", "prio-5", "prio-9"]


def test_synthetic_task_follows_its_body_model(client, lovage_worker):
    started = time.time()
    result = client.send_task("lovage.synthetic", kwargs={"duration_ms": 200, "result_bytes": 16}, queue=lovage_worker)
    assert result.get(timeout=10) == "x" * 16
    assert time.time() - started >= 0.19
    failing = client.send_task("lovage.synthetic", kwargs={"fail_probability": 1.0, "error": "ConnectionError"},
                               queue=lovage_worker)
    with pytest.raises(ConnectionError):
        failing.get(timeout=10)


def test_synthetic_task_runs_slower_only_when_it_starts_in_a_slow_window(client, lovage_worker):
    # A slow_tasks window of a scenario slows the bodies that start within it (a slow dependency
    # for that time), whenever they were published.
    now = time.time()
    inside = client.send_task("lovage.synthetic", queue=lovage_worker, kwargs={
        "duration_ms": 50, "report_timing": True, "slow_windows": [[now - 60, now + 60, 6]]})
    outside = client.send_task("lovage.synthetic", queue=lovage_worker, kwargs={
        "duration_ms": 50, "report_timing": True, "slow_windows": [[now - 60, now - 30, 6], [now + 30, now + 60, 6]]})
    for result, low, high in [(inside, 0.29, 2.0), (outside, 0.049, 0.25)]:
        started = result.get(timeout=10)["started_at"]
        done = result.date_done.timestamp()
        assert low <= done - started < high, (done - started, low, high)


def test_sleep_takes_its_time_and_returns_it(client, lovage_worker):
    started = time.time()
    assert call(client, lovage_worker, "lovage.sleep", 0.3).get(timeout=10) == 0.3
    assert time.time() - started >= 0.29


def test_the_success_line_is_celerys(client, lovage, redis_url):
    """Celery's LOG_SUCCESS: `Task NAME[ID] succeeded in SECONDSs: REPR`, the value as Python's repr
    shortened to 1024 characters (saferepr), as a Celery worker logs it."""
    import re
    from pathlib import Path
    process, log_name = start_lovage_worker(lovage, redis_url, "-Q", "success-line", "-c", "1")
    try:
        small = call(client, "success-line", "lovage.echo", {"k": None, "t": True})
        large = call(client, "success-line", "lovage.echo", "x" * 5000)
        assert small.get(timeout=10) == {"k": None, "t": True}
        assert large.get(timeout=10) == "x" * 5000
        time.sleep(0.2)
        text = Path(log_name).read_text(errors="replace")
    finally:
        stop_lovage_worker(process, log_name)
    line = re.search(r"Task lovage\.echo\[" + small.id + r"\] succeeded in ([0-9.e-]+)s: (.*)", text)
    assert line, text
    assert float(line.group(1)) >= 0
    assert line.group(2) == "{'k': None, 't': True}"
    long_line = re.search(r"Task lovage\.echo\[" + large.id + r"\] succeeded in [0-9.e-]+s: (.*)", text)
    assert long_line, text
    assert long_line.group(1) == "'" + "x" * 1023 + "..."
