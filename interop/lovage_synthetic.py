"""`lovage.synthetic` for a Python Celery worker, so `lovage run --mode redis --target celery` can
drive a real Celery deployment with the same scenario as a Lovage fleet.

The task mirrors Sources/LiveWorker/SyntheticTask.swift: keyword arguments duration_ms, cpu,
fail_probability with error, retain_bytes, result_bytes, slow_windows, report_timing and retry (the policy a
failure of an autoretried type is retried under, with Celery's own countdown rule). Settings that Celery
has no worker flag for come from the environment `lovage run` sets: LOVAGE_ACKS_LATE,
LOVAGE_REJECT_ON_WORKER_LOST, LOVAGE_TRACK_STARTED (1/0), LOVAGE_VISIBILITY_TIMEOUT (seconds),
LOVAGE_PRIORITY_STEPS (comma-separated), LOVAGE_QUEUE_ORDER_STRATEGY, LOVAGE_RESULT_EXPIRES.
"""
import os
import random
import time

from celery import Celery
from celery.utils.time import get_exponential_backoff_interval

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


class SyntheticError(Exception):
    """The default error a synthetic failure raises (its name is what the result shows)."""


@app.task(name="lovage.synthetic", bind=True, max_retries=None)
def synthetic(self, duration_ms=0, cpu=False, fail_probability=0.0, error="SyntheticError", retain_bytes=0,
              result_bytes=0, report_timing=False, retry=None, slow_windows=None):
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
        exc = type(error, (Exception,), {})("synthetic failure (p=%s)" % fail_probability)
        if retry and _autoretries(retry, error) and (retry.get("max_retries") is None
                                                     or self.request.retries + 1 <= retry["max_retries"]):
            raise self.retry(exc=exc, countdown=_countdown(retry, self.request.retries), max_retries=None)
        raise exc
    payload = "x" * result_bytes if result_bytes else None
    if report_timing:
        return {"started_at": started_at, "retries": self.request.retries, "result": payload}
    return payload


def _autoretries(policy, error):
    if error in policy.get("dont_autoretry_for", []):
        return False
    names = policy.get("autoretry_for", [])
    return error in names or "Exception" in names


def _countdown(policy, retries):
    """celery/app/autoretry.py: backoff with jitter, else default_retry_delay."""
    if policy.get("backoff") is None:
        return policy.get("default_retry_delay_s", 180)
    return get_exponential_backoff_interval(factor=int(policy["backoff"]), retries=retries,
                                            maximum=int(policy.get("backoff_max_s", 600)),
                                            full_jitter=policy.get("jitter", True))
