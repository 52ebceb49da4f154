"""A real Prometheus (Debian's `prometheus` package) scrapes `lovage worker --metrics-port` and
`lovage exporter` under a known mix of tasks; its HTTP API's counters must equal the tasks that
ran, as their stored results show. Everything listens on loopback; every process is started here
and stopped by its handle."""
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

from conftest import free_port, start_logged, start_lovage_worker, stop_lovage_worker, terminate

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
HERE = Path(__file__).resolve().parent


class Prometheus:
    """A Prometheus server on a free loopback port scraping `targets` every second, with its
    storage in a temporary directory."""

    def __init__(self, targets):
        self.directory = tempfile.mkdtemp(prefix="lovage-prometheus-")
        config = Path(self.directory) / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: lovage\n    static_configs:\n"
            f"      - targets: [{', '.join(json.dumps(t) for t in targets)}]\n")
        self.port = free_port()
        self.log = open(Path(self.directory) / "prometheus.log", "w")
        self.process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.directory}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        pytest.fail("prometheus did not become ready:\n" + self.log_text())

    def log_text(self):
        return (Path(self.directory) / "prometheus.log").read_text(errors="replace")

    def query(self, expression):
        """The instant vector of `expression`: {labels as a sorted tuple: value}."""
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
        with urllib.request.urlopen(url, timeout=5) as reply:
            body = json.load(reply)
        assert body["status"] == "success", body
        return {tuple(sorted((k, v) for k, v in sample["metric"].items())): float(sample["value"][1])
                for sample in body["data"]["result"]}

    def scalar(self, expression):
        values = list(self.query(expression).values())
        return values[0] if len(values) == 1 else None

    def wait_for(self, expected, timeout=30):
        """Waits until every `expression: value` in `expected` holds; returns what was last seen."""
        deadline = time.time() + timeout
        while True:
            seen = {expression: self.scalar(expression) for expression in expected}
            if seen == expected or time.time() > deadline:
                return seen
            time.sleep(0.5)

    def stop(self):
        terminate(self.process, 10)
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def prometheus_installed():
    if not os.path.exists(PROMETHEUS):
        pytest.fail(f"{PROMETHEUS} not found: install Debian's prometheus package (scripts/install-deps.sh --with-test-tools)")


def client_app(redis_url, sent_events=False):
    app = Celery("metrics_client", broker=redis_url, backend=redis_url)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                    task_send_sent_event=sent_events)
    return app


def run_mix(app, queue, add, fail, retry, adds=30, fails=7, retries=5):
    """Publishes the mix and waits for every result; returns the states the backend holds."""
    results = [app.send_task(add, args=[i, i], queue=queue) for i in range(adds)]
    results += [app.send_task(fail, args=["no such key"], queue=queue) for _ in range(fails)]
    results += [app.send_task(retry, args=retry_args(retry, i), queue=queue) for i in range(retries)]
    deadline = time.time() + 60
    for result in results:
        while result.state not in ("SUCCESS", "FAILURE") and time.time() < deadline:
            time.sleep(0.05)
    states = {}
    for result in results:
        states[result.state] = states.get(result.state, 0) + 1
    return states


def retry_args(name, i):
    # lovage.flaky(key, fail_times): fails `fail_times` times per key, then succeeds.
    return [f"metrics-flaky-{time.time_ns()}-{i}", 1] if name == "lovage.flaky" else [i]


def test_prometheus_scrapes_lovage_worker_counters_equal_tasks_run(lovage, redis_url):
    queue = "metrics-worker"
    port = free_port()
    # Threads pool: lovage.flaky counts failures per process, so each key fails exactly once.
    worker, log_name = start_lovage_worker(lovage, redis_url, "-Q", queue, "-c", "4", "-P", "threads",
                                           "-n", "metrics@%h", "--metrics-port", str(port))
    prometheus = Prometheus([f"127.0.0.1:{port}"])
    try:
        states = run_mix(client_app(redis_url), queue, "lovage.add", "lovage.fail", "lovage.flaky")
        # What ran, from the results: 30 + 5 succeeded, 7 failed; the 5 flaky ones ran twice.
        assert states == {"SUCCESS": 35, "FAILURE": 7}, states
        job = f'job="lovage",queue_name="{queue}"'
        expected = {
            f'sum(celery_task_received_total{{{job}}})': 47.0,
            f'sum(celery_task_started_total{{{job}}})': 47.0,
            f'sum(celery_task_succeeded_total{{{job}}})': 35.0,
            f'celery_task_succeeded_total{{{job},name="lovage.add"}}': 30.0,
            f'sum(celery_task_failed_total{{{job},exception="RuntimeError"}})': 7.0,
            f'sum(celery_task_failed_total{{{job}}})': 7.0,
            f'celery_task_retried_total{{{job},name="lovage.flaky"}}': 5.0,
            f'sum(celery_task_rejected_total{{{job}}})': 0.0,
            f'sum(celery_task_runtime_count{{{job}}})': 35.0,
            f'sum(lovage_task_prefetch_wait_seconds_count{{{job}}})': 47.0,
            'celery_worker_up{job="lovage"}': 1.0,
            f'celery_queue_length{{job="lovage",queue_name="{queue}"}}': 0.0,
            'lovage_worker_pool_size{job="lovage"}': 4.0,
        }
        seen = prometheus.wait_for(expected)
        assert seen == expected, "Prometheus saw:\n" + json.dumps(seen, indent=1) + "\n" + Path(log_name).read_text(errors="replace")[-3000:]
        assert prometheus.scalar('lovage_jemalloc_resident_bytes{job="lovage",process="parent"}') > 0
    finally:
        prometheus.stop()
        stop_lovage_worker(worker, log_name)


def start_celery_worker(redis_url, queue):
    return start_logged(
        [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", queue, "-c", "2", "-E",
         "--loglevel=INFO", "-n", "metrics-celery@%h"], "ready.", "celery worker", timeout=30,
        prefix="celery-metrics-worker-", env=dict(os.environ, CELERY_BROKER_URL=redis_url, PYTHONPATH=str(HERE)),
        cwd=str(HERE))


def start_exporter(lovage, redis_url, port, *arguments):
    return start_logged([lovage, "exporter", "-b", redis_url, "--port", str(port), *arguments], "metrics at http://",
                        "lovage exporter", prefix="lovage-exporter-")


@pytest.mark.parametrize("fleet", ["celery", "lovage"])
def test_prometheus_scrapes_lovage_exporter_counters_equal_tasks_run(lovage, redis_url, fleet):
    queue = f"metrics-exporter-{fleet}"
    if fleet == "celery":
        worker, log_name = start_celery_worker(redis_url, queue)
        add, fail, retry, exception = "interop.add", "interop.fail", "interop.retry_once", "KeyError"
    else:
        worker, log_name = start_lovage_worker(lovage, redis_url, "-Q", queue, "-c", "4", "-P", "threads", "-E",
                                               "-n", "metrics-exported@%h")
        add, fail, retry, exception = "lovage.add", "lovage.fail", "lovage.flaky", "RuntimeError"
    port = free_port()
    exporter, exporter_log = start_exporter(lovage, redis_url, port, "-Q", queue)
    prometheus = Prometheus([f"127.0.0.1:{port}"])
    try:
        # task-sent events from the publisher give the exporter each task's queue and its queue wait.
        states = run_mix(client_app(redis_url, sent_events=True), queue, add, fail, retry, adds=20, fails=5, retries=4)
        assert states == {"SUCCESS": 24, "FAILURE": 5}, states
        # The worker's events are counted by task name across queue labels: a worker can report a
        # task before the publisher's task-sent event reaches the exporter (a Lovage worker often
        # does), and then, as in celery-exporter, that event is labelled with the default queue.
        job = f'job="lovage",queue_name="{queue}"'
        names = f'job="lovage",name=~"{add}|{fail}|{retry}"'
        expected = {
            f'sum(celery_task_sent_total{{{job}}})': 29.0,
            f'sum(celery_task_received_total{{{names}}})': 33.0,
            f'sum(celery_task_started_total{{{names}}})': 33.0,
            f'sum(celery_task_succeeded_total{{{names}}})': 24.0,
            f'sum(celery_task_succeeded_total{{job="lovage",name="{add}"}})': 20.0,
            f'sum(celery_task_failed_total{{{names},exception="{exception}"}})': 5.0,
            f'sum(celery_task_retried_total{{job="lovage",name="{retry}"}})': 4.0,
            f'sum(celery_task_runtime_count{{{names}}})': 24.0,
            'count(celery_worker_up{job="lovage"} == 1)': 1.0,
            f'celery_queue_length{{job="lovage",queue_name="{queue}"}}': 0.0,
        }
        seen = prometheus.wait_for(expected)
        assert seen == expected, ("Prometheus saw:\n" + json.dumps(seen, indent=1) + "\n"
                                  + Path(exporter_log).read_text(errors="replace")[-2000:])
        # A queue wait is observed at task-started for the tasks whose task-sent came first: most
        # of them, never more than were started.
        waits = prometheus.scalar(f'sum(celery_task_queue_wait_time_count{{{names}}})')
        assert 0 < waits <= 33.0, waits
    finally:
        prometheus.stop()
        if not terminate(exporter, 10):
            pytest.fail("lovage exporter did not stop on SIGTERM:\n" + Path(exporter_log).read_text(errors="replace"))
        os.unlink(exporter_log)
        if fleet == "celery":
            terminate(worker, 15)
            os.unlink(log_name)
        else:
            stop_lovage_worker(worker, log_name)
