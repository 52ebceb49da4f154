"""The synthetic task body for a Python Celery worker, so `lovage run --mode redis --target celery`
can drive a real Celery deployment with the same scenario as a Lovage fleet.

The body mirrors Sources/LiveWorker/SyntheticTask.swift: keyword arguments duration_ms, cpu,
fail_probability with error, retain_bytes, result_bytes, slow_windows and report_timing. A
synthetic failure is only a failure: Celery's own autoretry decides whether it is retried.

It is registered as `lovage.synthetic` (Celery's task defaults, no autoretry) and, when
LOVAGE_TASK_TABLE names a task table `lovage run` wrote (JSON: the scenario's task names, each with
its Celery options: the task's own over its fleet group's defaults, already time-scaled), once
under each of the scenario's task names with those options (autoretry_for, max_retries,
retry_backoff, retry_backoff_max, retry_jitter, default_retry_delay, rate_limit, time_limit,
soft_time_limit, acks_late, reject_on_worker_lost, acks_on_failure_or_timeout, track_started).
ignore_result comes with each message, as the simulator takes it.

Settings that Celery has no worker flag for come from the environment `lovage run` sets:
LOVAGE_ACKS_LATE, LOVAGE_REJECT_ON_WORKER_LOST, LOVAGE_TRACK_STARTED (1/0), LOVAGE_VISIBILITY_TIMEOUT
(seconds), LOVAGE_PRIORITY_STEPS (comma-separated), LOVAGE_QUEUE_ORDER_STRATEGY, LOVAGE_RESULT_EXPIRES.
"""
import json
import os
import random
import time

from celery import Celery

broker = os.environ["CELERY_BROKER_URL"]
app = Celery("lovage_synthetic", broker=broker, backend=broker)


def _flag(name):
    return os.environ.get(name, "0") == "1"


app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"],
    task_acks_late=_flag("LOVAGE_ACKS_LATE"),
    task_reject_on_worker_lost=_flag("LOVAGE_REJECT_ON_WORKER_LOST"),
    task_track_started=_flag("LOVAGE_TRACK_STARTED"),
    result_expires=float(os.environ.get("LOVAGE_RESULT_EXPIRES", "86400")),
    broker_transport_options={
        "visibility_timeout": float(os.environ.get("LOVAGE_VISIBILITY_TIMEOUT", "3600")),
        "priority_steps": [int(step) for step in os.environ.get("LOVAGE_PRIORITY_STEPS", "0,3,6,9").split(",")],
        "queue_order_strategy": os.environ.get("LOVAGE_QUEUE_ORDER_STRATEGY", "round_robin"),
    },
)

_retained = []
_error_classes = {"Exception": Exception}


def _error_class(name):
    """One exception class per name, so the class a body raises is the one autoretry_for lists
    ("Exception" is Python's own, which matches every synthetic failure, as in Lovage)."""
    if name not in _error_classes:
        _error_classes[name] = type(name, (Exception,), {})
    return _error_classes[name]


class SyntheticError(Exception):
    """The default error a synthetic failure raises (its name is what the result shows)."""


_error_classes["SyntheticError"] = SyntheticError


def _body(self, duration_ms=0, cpu=False, fail_probability=0.0, error="SyntheticError", retain_bytes=0,
          result_bytes=0, report_timing=False, slow_windows=None):
    started_at = time.time()
    # A scenario's slow_tasks window slows the bodies that start within it: [[from, to, factor], ...].
    for start, end, factor in slow_windows or []:
        if start <= started_at < end:
            duration_ms *= factor
    deadline = started_at + duration_ms / 1000.0
    spin = 0
    while time.time() < deadline:
        if cpu:
            for value in range(10000):
                spin = (spin * 6364136223846793005 + value) & 0xFFFFFFFFFFFFFFFF
        else:
            time.sleep(min(0.01, max(0.0, deadline - time.time())))
    if retain_bytes:
        _retained.append(bytearray(b"\xa5" * retain_bytes))
    if fail_probability and random.random() < fail_probability:
        raise _error_class(error)("synthetic failure (p=%s)" % fail_probability)
    payload = "x" * result_bytes if result_bytes else None
    if report_timing:
        return {"started_at": started_at, "retries": self.request.retries, "result": payload}
    return payload


def synthetic(self, **kwargs):
    return _body(self, **kwargs)


app.task(name="lovage.synthetic", bind=True)(synthetic)


def _task_options(entry):
    """Celery's @app.task arguments for one task of the table."""
    options = {
        "max_retries": entry["max_retries"],
        "default_retry_delay": entry["default_retry_delay"],
        "acks_late": entry["acks_late"],
        "reject_on_worker_lost": entry["reject_on_worker_lost"],
        "acks_on_failure_or_timeout": entry["acks_on_failure_or_timeout"],
        "track_started": entry["track_started"],
        "time_limit": entry["time_limit"],
        "soft_time_limit": entry["soft_time_limit"],
        "rate_limit": entry["rate_limit"],
    }
    if entry["autoretry_for"]:
        options["autoretry_for"] = tuple(_error_class(name) for name in entry["autoretry_for"])
        options["dont_autoretry_for"] = tuple(_error_class(name) for name in entry["dont_autoretry_for"])
        options["retry_backoff"] = entry["retry_backoff"]
        # get_exponential_backoff_interval draws randrange(countdown + 1): whole seconds, as Lovage
        # truncates retry_backoff_max.
        options["retry_backoff_max"] = int(entry["retry_backoff_max"])
        options["retry_jitter"] = entry["retry_jitter"]
    return options


def _register_table(path):
    with open(path) as table:
        for entry in json.load(table)["tasks"]:
            # A function of its own per task: Celery names the task class after it.
            def run(self, **kwargs):
                return _body(self, **kwargs)
            run.__name__ = run.__qualname__ = entry["name"].replace(".", "_")
            app.task(name=entry["name"], bind=True, **_task_options(entry))(run)


if os.environ.get("LOVAGE_TASK_TABLE"):
    _register_table(os.environ["LOVAGE_TASK_TABLE"])
