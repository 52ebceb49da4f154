"""The prefork pool: child processes that can be killed, can crash, and are recycled."""
import time
from pathlib import Path

import pytest
from billiard.exceptions import TimeLimitExceeded, WorkerLostError

from conftest import start_lovage_worker, stop_lovage_worker


@pytest.fixture()
def prefork(lovage, redis_url):
    process, log_name = start_lovage_worker(lovage, redis_url, "-Q", "prefork-limits", "-c", "2", "--acks-late",
                                            "-P", "prefork", "--time-limit", "2", "--max-tasks-per-child", "3",
                                            "--max-memory-per-child", "200000", "-n", "limits@%h")
    yield log_name
    stop_lovage_worker(process, log_name)


def send(client, name, *args, **kwargs):
    return client.send_task(name, args=args, kwargs=kwargs, queue="prefork-limits")


def test_hard_time_limit_kills_the_child_and_the_pool_goes_on(client, prefork):
    with pytest.raises(TimeLimitExceeded):
        send(client, "lovage.sleep", 30).get(timeout=15)
    assert send(client, "lovage.add", 1, 2).get(timeout=10) == 3
    assert "killing its child (hard time limit)" in Path(prefork).read_text()


def test_a_crashing_child_is_worker_lost_and_replaced(client, prefork):
    with pytest.raises(WorkerLostError, match="exitcode 13"):
        send(client, "lovage.crash").get(timeout=10)
    assert send(client, "lovage.add", 2, 2).get(timeout=10) == 4


def test_max_tasks_per_child_recycles(client, prefork):
    for value in range(8):
        assert send(client, "lovage.add", value, 0).get(timeout=10) == value
    assert "replacing its child (max_tasks_per_child)" in Path(prefork).read_text()


def test_max_memory_per_child_recycles_a_leaking_child(client, prefork):
    # 250 MB retained by one call is over the 200,000 KiB limit: the child is replaced after it.
    assert send(client, "lovage.synthetic", retain_bytes=250_000_000).get(timeout=20) is None
    deadline = time.time() + 5
    while time.time() < deadline and "max_memory_per_child" not in Path(prefork).read_text():
        time.sleep(0.05)
    assert "replacing its child (max_memory_per_child)" in Path(prefork).read_text()


def test_worker_stats_report_jemalloc_and_child_memory(client, redis_url, prefork):
    import json
    import redis as redis_py
    assert send(client, "lovage.synthetic", retain_bytes=8_000_000).get(timeout=10) is None
    connection = redis_py.Redis.from_url(redis_url)
    deadline = time.time() + 6
    stats = {}
    while time.time() < deadline:
        keys = list(connection.scan_iter("lovage.stats.limits@*"))
        stats = {k.decode(): v.decode() for k, v in connection.hgetall(keys[0]).items()} if keys else {}
        if stats and json.loads(stats.get("children", "[]")):
            break
        time.sleep(0.2)
    assert stats["pool"] == "prefork"
    assert int(stats["processed"]) >= 1
    assert int(stats["jemalloc_allocated"]) > 0
    children = json.loads(stats["children"])
    assert any(child["rss_kib"] > 8_000 and child["jemalloc_allocated"] >= 8_000_000 for child in children)
