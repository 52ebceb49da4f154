"""Celery canvas (chain, link, link_error, group, chord, immutable, starmap) run by a worker and read back with
Celery's own AsyncResult/GroupResult, as Dify's Python client would.

Each test runs against a Python Celery 5.7 worker (the reference) and against a Lovage worker. Wire facts: Tests/Fixtures/celery-wire/canvas/.
A Lovage worker needs the built-ins lovage.add, lovage.echo, lovage.tsum(numbers), lovage.boom() (raises
ZeroDivisionError) and lovage.errback(task_id) (returns "errback:<task_id>").
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_py
from celery import chain, chord, group
from celery.canvas import xstarmap
from celery.result import AsyncResult, GroupResult

from conftest import start_lovage_worker, stop_lovage_worker, terminate


class Target:
    """Where a canvas goes: a queue and the task-name prefix the worker on it knows."""

    def __init__(self, queue, prefix):
        self.queue, self.prefix = queue, prefix

    def s(self, client, name, *args, **options):
        return client.signature(self.prefix + name, args=args, queue=self.queue, **options)

    def si(self, client, name, *args, **options):
        return self.s(client, name, *args, **options).set(immutable=True)


@pytest.fixture(scope="module")
def canvas_lovage_worker(lovage, redis_url):
    """A Lovage worker (prefork, -c 4, late acks) on its own queue, for this module's canvases."""
    queue = "canvas-lovage"
    process, log_name = start_lovage_worker(lovage, redis_url, "-Q", queue, "-c", "4", "--acks-late",
                                            "-n", "canvas-lovage@%h", "--without-mingle")
    yield queue
    stop_lovage_worker(process, log_name)


@pytest.fixture(params=["celery", "lovage"])
def target(request):
    if request.param == "celery":
        request.getfixturevalue("celery_worker")
        return Target("celery", "interop.")
    return Target(request.getfixturevalue("canvas_lovage_worker"), "lovage.")


def ids(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def test_chain_of_three_passes_results_along_and_links_parents(client, target):
    t = target
    first, second, third = ids("chain1"), ids("chain2"), ids("chain3")
    res = chain(t.s(client, "add", 1, 2).set(task_id=first), t.s(client, "add", 10).set(task_id=second),
                t.s(client, "add", 100).set(task_id=third)).apply_async()
    assert res.get(timeout=15) == 113
    assert [res.id, res.parent.id, res.parent.parent.id] == [third, second, first]
    assert [c.id for c in AsyncResult(first, app=client).children] == [second]
    assert AsyncResult(second, app=client).get(timeout=5) == 13


def test_two_link_callbacks_run_as_a_group_child_of_the_parent(client, target):
    t = target
    parent = ids("link")
    res = t.s(client, "add", 2, 2).apply_async(
        task_id=parent, link=[t.s(client, "add", 100), t.s(client, "echo")])
    assert res.get(timeout=10) == 4
    deadline = time.time() + 10
    while time.time() < deadline and not AsyncResult(parent, app=client).children:
        time.sleep(0.1)
    (child,) = AsyncResult(parent, app=client).children
    assert isinstance(child, GroupResult)
    assert child.get(timeout=10) == [104, 4]


def test_immutable_step_ignores_the_previous_result(client, target):
    t = target
    res = chain(t.s(client, "add", 1, 2), t.si(client, "add", 5, 5)).apply_async()
    assert res.get(timeout=10) == 10
    assert res.parent.get(timeout=5) == 3


def test_group_saved_and_restored(client, target):
    t = target
    gid = ids("group")
    res = group(t.s(client, "add", i, i) for i in range(3)).apply_async(task_id=gid)
    assert res.get(timeout=10) == [0, 2, 4]
    res.save()
    back = GroupResult.restore(gid, app=client)
    assert [r.id for r in back.results] == [r.id for r in res.results]
    assert back.get(timeout=5) == [0, 2, 4]


def test_chord_joins_its_header_in_order(client, target):
    t = target
    res = chord([t.s(client, "add", i, 1) for i in range(3)], t.s(client, "tsum")).apply_async()
    assert res.get(timeout=15) == 6
    assert res.parent.get(timeout=5) == [1, 2, 3]


def test_chain_upgrading_group_and_task_into_a_chord(client, target):
    t = target
    res = chain(t.s(client, "add", 1, 1), group(t.s(client, "add", 10), t.s(client, "add", 20)),
                t.s(client, "tsum")).apply_async()
    assert res.get(timeout=15) == 34


def test_chord_with_a_chain_and_a_group_in_its_header(client, target):
    t = target
    with_chain = chord([chain(t.s(client, "add", 1, 1), t.s(client, "add", 2)), t.s(client, "add", 3, 3)],
                       t.s(client, "tsum")).apply_async()
    with_group = chord([group(t.s(client, "add", 1, 1), t.s(client, "add", 2, 2)), t.s(client, "add", 3, 3)],
                       t.s(client, "tsum")).apply_async()
    assert with_chain.get(timeout=15) == 10
    assert with_group.get(timeout=15) == 12


def test_failing_chord_member_fails_the_body_and_runs_its_errback(client, target):
    t = target
    bad, body, errback = ids("bad"), ids("body"), ids("errback")
    res = chord([t.s(client, "add", 1, 1), t.s(client, "boom").set(task_id=bad)],
                t.s(client, "tsum").set(task_id=body).on_error(t.s(client, "errback").set(task_id=errback))
                ).apply_async()
    res.get(timeout=15, propagate=False)
    assert res.state == "FAILURE"
    assert type(res.result).__name__ == "ChordError"
    assert str(res.result) == "Dependency %s raised ZeroDivisionError('division by zero')" % bad
    assert AsyncResult(errback, app=client).get(timeout=10) == "errback:%s" % body


def test_failing_first_step_of_a_chain_in_a_chord_header_fails_the_chord(client, target):
    # The chain's last step never runs, but its chord part returns as FAILURE (backends/base.py
    # mark_as_failure: "call on_chord_part_return() as well to avoid stalls"), so the body fails at once.
    t = target
    last = ids("last")
    res = chord([chain(t.s(client, "boom"), t.s(client, "add", 2).set(task_id=last)), t.s(client, "add", 3, 3)],
                t.s(client, "tsum")).apply_async()
    res.get(timeout=15, propagate=False)
    assert res.state == "FAILURE"
    assert type(res.result).__name__ == "ChordError"
    assert str(res.result) == "Dependency %s raised ZeroDivisionError('division by zero')" % last


def test_chain_whose_middle_step_fails_stops_and_runs_the_errback(client, target):
    t = target
    middle, last, errback = ids("middle"), ids("last"), ids("errback")
    res = chain(t.s(client, "add", 1, 1), t.s(client, "boom").set(task_id=middle).on_error(
        t.s(client, "errback").set(task_id=errback)), t.s(client, "add", 5).set(task_id=last)).apply_async()
    assert AsyncResult(errback, app=client).get(timeout=10) == "errback:%s" % middle
    assert AsyncResult(middle, app=client).state == "FAILURE"
    # Celery never runs the rest, but stores the same FAILURE under every remaining step's id (backends/base.py
    # mark_as_failure walks request.chain), so the chain's own result (the last step) raises the middle's error.
    assert res.id == last
    res.get(timeout=10, propagate=False)
    assert res.state == "FAILURE" and isinstance(res.result, ZeroDivisionError)


def test_starmap_runs_every_item_in_one_task(client, target):
    res = xstarmap(client.signature(target.prefix + "add"), [(1, 1), (2, 2)], app=client).set(
        queue=target.queue).apply_async()
    assert res.get(timeout=10) == [2, 4]


def test_chord_members_split_between_a_lovage_and_a_python_worker_join(client, redis_url, lovage_worker):
    """A Python worker that knows Lovage's names consumes the Lovage worker's queue too: the join must not care."""
    env = dict(os.environ, CELERY_BROKER_URL=redis_url, PYTHONPATH=str(Path(__file__).parent))
    log = tempfile.NamedTemporaryFile(prefix="celery-shared-", suffix=".log", delete=False)
    process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", lovage_worker,
                                "-c", "2", "--loglevel=INFO", "-n", "shared@%h"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, cwd=str(Path(__file__).parent))
    try:
        deadline = time.time() + 30
        while time.time() < deadline and "ready." not in Path(log.name).read_text(errors="replace"):
            time.sleep(0.1)
        t = Target(lovage_worker, "lovage.")
        res = chord([t.s(client, "add", i, 1) for i in range(20)], t.s(client, "tsum")).apply_async()
        assert res.get(timeout=30) == sum(range(1, 21))
        assert {AsyncResult(r.id, app=client).state for r in res.parent.results} == {"SUCCESS"}
        ran_in_python = len(re.findall(r"Task lovage\.add\[[^\]]+\] succeeded in", Path(log.name).read_text(errors="replace")))
        assert 0 < ran_in_python < 20, "members run by the Python worker: %d of 20" % ran_in_python
    finally:
        terminate(process, 15)
        os.unlink(log.name)


def test_malformed_chain_embed_is_dead_lettered_with_a_reason(client, redis_url, lovage_worker):
    """A chain entry that is not a signature dict: Lovage must dead-letter the message, not drop the chain."""
    connection = redis_py.Redis.from_url(redis_url)
    before = connection.llen("lovage.dead_letter")
    res = client.signature("lovage.add", args=(1, 1), queue=lovage_worker).apply_async(
        chain=["not a signature"])
    deadline = time.time() + 10
    while time.time() < deadline and connection.llen("lovage.dead_letter") <= before:
        time.sleep(0.05)
    assert connection.llen("lovage.dead_letter") == before + 1
    entry = connection.lindex("lovage.dead_letter", 0)
    record = json.loads(entry)
    assert "body[2].chain[0]" in record["reason"], record
    raw = next(base64.b64decode(value) for key, value in record.items() if key not in ("reason", "queue", "at"))
    assert res.id.encode() in raw, "the whole message is kept, base64, so nothing is lost"
    assert connection.get(f"celery-task-meta-{res.id}") is None, "never run half-way"
