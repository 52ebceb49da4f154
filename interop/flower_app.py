"""The app Flower runs with (`celery -A flower_app flower`) in the Flower tests: as in a real
deployment, Flower knows the task names, which its rate-limit and time-limit buttons require
(flower/api/control.py checks `taskname in capp.tasks`). The bodies are never run by Flower."""
import os

from celery import Celery

app = Celery("flower_app", broker=os.environ["CELERY_BROKER_URL"])


@app.task(name="lovage.add")
def add(x, y):
    return x + y


@app.task(name="lovage.sleep")
def sleep(seconds):
    return None
