"""Celery app for capture_canvas.py: the tasks the canvas captures use (add, tsum, echo, boom, two errbacks).

Configured as Dify runs Celery: acks_late, prefetch 1, JSON. Broker and backend URL from CANVAS_REDIS_URL.
"""
import os

from celery import Celery

URL = os.environ.get("CANVAS_REDIS_URL", "redis://127.0.0.1:6391/0")
app = Celery("canvas_app", broker=URL, backend=URL)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    result_backend=URL,
)


@app.task(name="canvas_app.add")
def add(x, y):
    return x + y


@app.task(name="canvas_app.tsum")
def tsum(numbers):
    return sum(numbers)


@app.task(name="canvas_app.echo")
def echo(x):
    return x


@app.task(name="canvas_app.boom")
def boom(*args):
    return 1 / 0


@app.task(name="canvas_app.errback1")
def errback1(task_id):
    """Old-style errback: Celery publishes it with (task_id,)."""
    return "errback1:%s" % task_id


@app.task(name="canvas_app.errback3")
def errback3(request, exc, traceback):
    """New-style errback (request, exc, traceback): Celery runs it inline in the worker."""
    return "errback3:%s:%r" % (request.id, exc)
