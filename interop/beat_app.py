"""A Python Celery app whose `beat_schedule` is a Lovage schedule file (JSON, path in
BEAT_SCHEDULE_JSON), so `celery beat` and `lovage beat` can run the same schedule side by side."""
import json
import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab, schedule

app = Celery("beat_app", broker=os.environ["CELERY_BROKER_URL"])
spec = json.load(open(os.environ["BEAT_SCHEDULE_JSON"]))
app.conf.timezone = spec.get("timezone", "UTC")
app.conf.enable_utc = True
app.conf.beat_cron_starting_deadline = spec.get("beat_cron_starting_deadline")


def seconds(text):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in ("ms", "s", "m", "h"):
        if str(text).endswith(unit):
            return float(str(text)[: -len(unit)]) * units[unit]
    return float(text)


def build(entry):
    when = entry["schedule"]
    if "every" in when:
        runs = schedule(timedelta(seconds=seconds(when["every"])), relative=when.get("relative", False), app=app)
    elif isinstance(when["crontab"], str):
        runs = crontab.from_string(when["crontab"])
    else:
        runs = crontab(**when["crontab"])
    options = dict(entry.get("options", {}))
    for key in ("expires", "countdown"):
        if key in options:
            options[key] = seconds(options[key])
    return {"task": entry["task"], "schedule": runs, "args": entry.get("args", []),
            "kwargs": entry.get("kwargs", {}), "options": options}


app.conf.beat_schedule = {name: build(entry) for name, entry in spec["entries"].items()}
