"""A Python Celery app whose `beat_schedule` is a Lovage schedule file (JSON, path in
BEAT_SCHEDULE_JSON), so `celery beat` and `lovage beat` can run the same schedule side by side.

`lovage run --target celery` runs its beats with it and sets, besides:
BEAT_CLOCK_OFFSET_SECONDS (signed float) — the beat's schedule clock is the host's plus this (the
  scenario's start_at and the beat's clock_offset), through each schedule's `nowfun`, so only the
  schedule is shifted: messages' eta and expires stay on the host's clock, as in the simulator;
BEAT_MAX_INTERVAL_SECONDS — beat_max_loop_interval (a float; `celery beat --max-interval` takes
  whole seconds only);
LOVAGE_PRIORITY_STEPS — Kombu's priority steps, as the workers have them, so a send lands on the
  priority list the workers read;
BEAT_RUN_START_UNIX_SECONDS — for a beat that starts with the run: each entry's first last run
  (`ScheduleEntry.last_run_at`, which Celery otherwise sets to the beat's own start), so the first
  interval runs an interval after the run's start however long Python took to start, as in the
  simulator. An entry already in the beat's shelve (a restart) keeps its stored last run: Celery's
  `merge_inplace` updates an existing entry through `ScheduleEntry.update`, which copies only task,
  schedule, args, kwargs and options (celery/beat.py)."""
import json
import os
from datetime import datetime, timedelta, timezone

from celery import Celery
from celery.schedules import crontab, schedule

app = Celery("beat_app", broker=os.environ["CELERY_BROKER_URL"])
spec = json.load(open(os.environ["BEAT_SCHEDULE_JSON"]))
app.conf.timezone = spec.get("timezone", "UTC")
app.conf.enable_utc = True
app.conf.beat_cron_starting_deadline = spec.get("beat_cron_starting_deadline")
# No celery.backend_cleanup entry (Celery adds one at 04:00 when results expire): only the file's entries.
app.conf.result_expires = None
if os.environ.get("BEAT_MAX_INTERVAL_SECONDS"):
    app.conf.beat_max_loop_interval = float(os.environ["BEAT_MAX_INTERVAL_SECONDS"])
if os.environ.get("LOVAGE_PRIORITY_STEPS"):
    app.conf.broker_transport_options = {
        "priority_steps": [int(step) for step in os.environ["LOVAGE_PRIORITY_STEPS"].split(",")]}
CLOCK_OFFSET = timedelta(seconds=float(os.environ.get("BEAT_CLOCK_OFFSET_SECONDS", "0")))
# On the beat's schedule clock (the host's plus the offset), as Celery compares it with `nowfun`.
RUN_START = (datetime.fromtimestamp(float(os.environ["BEAT_RUN_START_UNIX_SECONDS"]), timezone.utc) + CLOCK_OFFSET
             if os.environ.get("BEAT_RUN_START_UNIX_SECONDS") else None)


def shifted_now():
    """The beat's schedule clock: the app's now plus the offset (module level, so the persistent
    schedule can pickle the schedules that name it)."""
    return app.now() + CLOCK_OFFSET


def seconds(text):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in ("ms", "s", "m", "h"):
        if str(text).endswith(unit):
            return float(str(text)[: -len(unit)]) * units[unit]
    return float(text)


def build(entry):
    when = entry["schedule"]
    nowfun = shifted_now if CLOCK_OFFSET else None
    if "every" in when:
        runs = schedule(timedelta(seconds=seconds(when["every"])), relative=when.get("relative", False), nowfun=nowfun, app=app)
    elif isinstance(when["crontab"], str):
        runs = crontab.from_string(when["crontab"])
        runs.nowfun = nowfun
    else:
        runs = crontab(**when["crontab"], nowfun=nowfun)
    options = dict(entry.get("options", {}))
    for key in ("expires", "countdown"):
        if key in options:
            options[key] = seconds(options[key])
    built = {"task": entry["task"], "schedule": runs, "args": entry.get("args", []),
             "kwargs": entry.get("kwargs", {}), "options": options}
    if RUN_START is not None:
        built["last_run_at"] = RUN_START
    return built


app.conf.beat_schedule = {name: build(entry) for name, entry in spec["entries"].items()}
