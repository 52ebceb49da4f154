"""A small Celery app for the interop tests: the tasks a real Python worker runs for Lovage."""
import os
import time

from celery import Celery

broker = os.environ["CELERY_BROKER_URL"]
app = Celery("celery_app", broker=broker, backend=broker)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
)


@app.task(name="interop.add")
def add(x, y):
    return x + y


@app.task(name="interop.fail")
def fail(message):
    raise KeyError(message)


@app.task(name="interop.echo")
def echo(value):
    return value


@app.task(name="interop.stamp")
def stamp():
    """When the task really ran (seconds since the epoch), to check countdowns."""
    return time.time()


@app.task(name="interop.tsum")
def tsum(numbers):
    """A chord body: the sum of the header's results."""
    return sum(numbers)


@app.task(name="interop.boom")
def boom(*args):
    raise ZeroDivisionError("division by zero")


@app.task(name="interop.errback")
def errback(task_id):
    """Old-style errback (task_id,): Celery publishes it as a message."""
    return "errback:%s" % task_id


# The same bodies under Lovage's built-in names, so a Python worker can share a queue with a Lovage worker.
app.task(name="lovage.add")(add.run)
app.task(name="lovage.tsum")(tsum.run)


@app.task(bind=True, name="interop.retry_once", max_retries=3)
def retry_once(self, value):
    """Retries once (countdown 0.2 s), then returns `value`: one task-retried event per task."""
    if self.request.retries == 0:
        raise self.retry(countdown=0.2)
    return value
