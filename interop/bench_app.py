"""The Celery app the worker benchmark drains with a Python worker (as in Tests/Fixtures/celery-wire)."""
import os

from celery import Celery

broker = os.environ["CELERY_BROKER_URL"]
app = Celery("bench_app", broker=broker, backend=broker)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                task_acks_late=True, worker_prefetch_multiplier=4)


@app.task(name="lovage.noop")
def noop():
    return None
