"""A Python Celery app with its own tasks, for the record/calibrate interop test (not lovage.synthetic).

Three task types with different duration shapes on Dify's settings (queue `dify`, late acks,
prefetch 1): a log-normal image resize, a quick receipt mail that fails 15% of the time with a
ConnectionError and is retried by `autoretry_for` after 0.5 s, and a bimodal report. Every attempt
pushes when Celery began it (its `task_prerun` signal) and when its body ended to the Redis list
`shop:attempts`, and a success returns that start in its result and pushes when Celery finished
storing it (its `task_success` signal) to `shop:succeeded`: with the client's publish times and the
result documents, that is the test's own ground truth, independent of Celery's events.
"""
import json
import math
import os
import random
import time

import redis
from celery import Celery, signals

broker = os.environ["CELERY_BROKER_URL"]
app = Celery("shop_app", broker=broker, backend=broker)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_default_queue="dify",
    broker_connection_retry_on_startup=True,
    # Clients that send task-sent events give the recorder exact publish times (SHOP_SENT_EVENTS=1).
    task_send_sent_event=bool(os.environ.get("SHOP_SENT_EVENTS")),
)
_truth = None
# When Celery began each task in this child (its `task_prerun` signal, sent as its trace starts):
# where Celery's own `runtime` starts, and so where a slot's work on the task starts.
_began = {}


@signals.task_prerun.connect
def _stamp(task_id=None, **_):
    _began[task_id] = time.time()


@signals.task_success.connect
def _stamp_success(sender=None, **_):
    """Sent right after Celery takes its `runtime` (the result is stored by then): the end of a
    success's run time as Celery measures it, stamped here by the app's own clock."""
    _client().rpush("shop:succeeded", json.dumps({"id": sender.request.id, "at": time.time()}))


def _client():
    global _truth
    if _truth is None:
        _truth = redis.Redis.from_url(broker)
    return _truth


def _start(task):
    return _began.pop(task.request.id, time.time())


def _note(task, outcome, started):
    _client().rpush("shop:attempts", json.dumps({
        "id": task.request.id, "name": task.name, "retries": task.request.retries,
        "started": started, "ended": time.time(), "outcome": outcome}))


def _rng(task):
    return random.Random(f"{task.request.id}-{task.request.retries}")


@app.task(bind=True, name="shop.resize_image")
def resize_image(self, width):
    started = _start(self)
    time.sleep(_rng(self).lognormvariate(math.log(0.040), 0.6))
    _note(self, "succeeded", started)
    return {"started": started, "width": width}


@app.task(bind=True, name="shop.send_receipt", autoretry_for=(ConnectionError,),
          retry_kwargs={"max_retries": 3, "countdown": 0.5}, retry_backoff=False, retry_jitter=False)
def send_receipt(self, order):
    started = _start(self)
    rng = _rng(self)
    time.sleep(rng.uniform(0.005, 0.015))
    if rng.random() < 0.15:
        _note(self, "raised", started)
        raise ConnectionError("smtp unavailable")
    _note(self, "succeeded", started)
    return {"started": started, "order": order}


@app.task(bind=True, name="shop.build_report")
def build_report(self, month):
    started = _start(self)
    time.sleep(0.200 if _rng(self).random() < 0.2 else 0.020)
    _note(self, "succeeded", started)
    return {"started": started, "month": month}
