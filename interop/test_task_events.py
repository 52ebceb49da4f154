"""Celery's own event receiver (celery.events.Receiver, what `celery events` and Flower use) reads the
events a `lovage worker -E` publishes, and Celery's monitor state model (celery.events.state.State,
Flower's) accepts them."""
import threading
import time

import pytest
from celery import Celery

from conftest import start_lovage_worker, stop_lovage_worker


class Capture:
    """A Receiver on its own connection and thread, keeping every event it is handed."""

    def __init__(self, redis_url):
        self.app = Celery("events_monitor", broker=redis_url)
        self.events = []
        self.lock = threading.Lock()
        self.connection = self.app.connection()
        self.receiver = self.app.events.Receiver(self.connection, handlers={"*": self.keep})
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        # The receiver has subscribed once its consumer is set up; give it a moment.
        self.ready.wait(5)
        time.sleep(0.5)

    def run(self):
        self.ready.set()
        try:
            self.receiver.capture(limit=None, timeout=None, wakeup=False)
        except Exception:  # the connection is closed at the end of the test
            pass

    def keep(self, event):
        with self.lock:
            self.events.append(event)

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def wait_for(self, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(predicate(event) for event in self.snapshot()):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.receiver.should_stop = True
        self.thread.join(5)
        self.connection.release()


@pytest.fixture
def capture(redis_url):
    monitor = Capture(redis_url)
    yield monitor
    monitor.stop()


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_receiver_sees_lovage_task_and_worker_events(lovage, redis_url, client, capture, pool):
    queue = f"events-{pool}"
    hostname = f"events-{pool}@interop"
    process, log_name = start_lovage_worker(lovage, redis_url, "-Q", queue, "-c", "2", "--acks-late", "-P", pool,
                                            "-n", hostname, "-E")
    try:
        ok = client.send_task("lovage.add", args=(2, 3), queue=queue)
        bad = client.send_task("lovage.fail", args=("kaboom",), queue=queue)
        assert ok.get(timeout=10) == 5
        with pytest.raises(RuntimeError):
            bad.get(timeout=10)
        assert capture.wait_for(lambda e: e["type"] == "task-failed" and e.get("uuid") == bad.id, 5)
        # A heartbeat follows worker-online within the 2 s interval.
        assert capture.wait_for(lambda e: e["type"] == "worker-heartbeat" and e["hostname"] == hostname, 5)
    finally:
        stop_lovage_worker(process, log_name)
    assert capture.wait_for(lambda e: e["type"] == "worker-offline" and e["hostname"] == hostname, 5)

    events = [e for e in capture.snapshot() if e["hostname"] == hostname]
    by_type = {}
    for event in events:
        by_type.setdefault((event["type"], event.get("uuid")), []).append(event)

    received = by_type[("task-received", ok.id)][0]
    assert received["name"] == "lovage.add"
    assert received["args"] == "(2, 3)" and received["kwargs"] == "{}"
    assert received["retries"] == 0 and received["root_id"] == ok.id
    assert ("task-started", ok.id) in by_type
    succeeded = by_type[("task-succeeded", ok.id)][0]
    assert succeeded["result"] == "5"
    assert isinstance(succeeded["runtime"], float) and 0 <= succeeded["runtime"] < 5

    failed = by_type[("task-failed", bad.id)][0]
    assert failed["exception"] == "RuntimeError('kaboom')"
    assert failed["traceback"].endswith("RuntimeError: kaboom\n")

    online = by_type[("worker-online", None)][0]
    heartbeat = by_type[("worker-heartbeat", None)][0]
    for worker_event in (online, heartbeat):
        assert worker_event["freq"] == 2.0
        assert len(worker_event["loadavg"]) == 3
        assert worker_event["sw_ident"] == "lovage" and worker_event["sw_sys"] == "Linux"
        assert isinstance(worker_event["pid"], int) and isinstance(worker_event["clock"], int)
        assert isinstance(worker_event["timestamp"], float)
    assert heartbeat["processed"] >= 0 and heartbeat["active"] >= 0
    # The Lamport clock moves forward with every event of this worker, in the order sent.
    clocks = [e["clock"] for e in events]
    assert clocks == sorted(clocks) and len(set(clocks)) == len(clocks)

    # Flower's model of the cluster: the same events give a task in SUCCESS with its result and
    # runtime, a task in FAILURE with its exception, and the worker, now offline.
    state = capture.app.events.State()
    for event in events:
        state.event(dict(event))
    task = state.tasks[ok.id]
    assert task.state == "SUCCESS" and task.name == "lovage.add" and task.result == "5"
    assert task.worker.hostname == hostname and task.runtime == succeeded["runtime"]
    assert state.tasks[bad.id].state == "FAILURE"
    assert state.tasks[bad.id].exception == "RuntimeError('kaboom')"
    assert not state.workers[hostname].alive


def test_no_task_events_without_the_flag(lovage, redis_url, client, capture):
    """Without -E a worker sends its worker events (online, heartbeat, offline), as Celery's does
    (celery/worker/consumer/events.py: groups ['worker']), and no task event."""
    queue = "events-off"
    process, log_name = start_lovage_worker(lovage, redis_url, "-Q", queue, "-c", "1", "-n", "events-off@interop")
    try:
        assert client.send_task("lovage.add", args=(1, 1), queue=queue).get(timeout=10) == 2
        time.sleep(2.5)
    finally:
        stop_lovage_worker(process, log_name)
    kinds = [e["type"] for e in capture.snapshot() if e["hostname"] == "events-off@interop"]
    assert not [kind for kind in kinds if kind.startswith("task-")], kinds
    assert "worker-online" in kinds and "worker-offline" in kinds, kinds
