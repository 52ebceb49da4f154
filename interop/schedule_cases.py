"""Celery beat's due-time answers, computed by Python Celery itself, as the JSON fixture the Swift
schedule tests read (Tests/SchedulesTests/Fixtures/celery-schedules.json).

Lovage must agree with Celery "to the second", and the easiest way to be wrong is to reason about
what Celery should do. So nothing here is hand-written expectation: every answer is Celery's own.

Two kinds of record:

  cases      one call of `schedule.remaining_estimate(last_run_at)` and `schedule.is_due(last_run_at)`
             on a schedule/crontab built the way beat builds it: an app with `timezone=<tz>`,
             `enable_utc=True` and, for crontabs, `beat_cron_starting_deadline`; `nowfun` returns
             `now` as an aware datetime in the app's zone (what `app.now()` returns); `last_run_at`
             is passed the same way. Instants are unix seconds (UTC) in the fixture.
  sequences  the real `celery.beat.Scheduler` (not PersistentScheduler) stepped on a fake clock:
             `delay = scheduler.tick(); clock += round((max(delay, 0) + tick_cost_seconds) * 1e6)` (the
             clock counts whole microseconds) while `clock <= until`; each send is recorded with the clock. The tick
             cost matters: beat.py's `adjust` subtracts 0.010 s from every delay, so ticks land
             early and re-tick; with a zero cost a sequence would only advance by that drift.

Where the instants come from: fixed dates in 2026 (and 2027/2028 for year ends and leap days).
Around a DST change the instants are taken relative to the transition itself (checked below to be
one). Several `now`s are "Celery's own due instant" (last_run_at + remaining_estimate evaluated at
now = last_run_at), one second before it, and after it, so the cases sit on the boundaries.
No wall clock is read: in point cases `app.now` raises if anything calls it.

Deviations from a plain `celery beat`, on purpose:

  * Celery orders two heap events with equal time and priority by `id(entry)` (beat.py: "it can
    just as well be random"), which would make the fixture differ from run to run. The generator
    uses a ScheduleEntry subclass that breaks such ties by the entry's place in the schedule
    instead, which is Lovage's rule; with the clock in whole microseconds, entries whose periods
    share multiples tie at those instants. Everything else is Celery's own code.
  * Nothing is published: `apply_entry` runs as in Celery (log, `apply_async`, which calls
    `send_task` because the task names are not registered), `send_task` is overridden to publish
    nothing, and `producer`/`connection` are None, so no broker connection is ever attempted.

Celery behaviour recorded as is, though it may look wrong (case and sequence ids in brackets):

  * A repeated (fall-back) hour runs once, by wall clock: `*/15` runs 01:00-01:45 on the first pass
    and next at 02:00, nothing on the second 01:xx pass [crontab-*/15 * * * *-new_york-fall-back-
    minus20m-at-due: next 4500 s; Lord Howe's repeated half hour: 2700 s].
  * A last_run_at on the second pass resolves the next wall time to the first pass (ffwd's
    `+ timedelta(days=0)` resets `fold`), i.e. to the past, so the entry is due at once, and after
    sending due again, on every tick, until the wall clock passes the last matching minute of that
    hour: a send storm when beat starts (or catches up) there [sequence crontab-new_york-fall-back-
    started-in-repeated-hour: 128 sends in 0.125 s]; a daily `30 1 * * *` runs a second time
    [crontab-30 1 * * *-new_york-fall-back-plus10m-soon].
  * A crontab time inside a spring-forward gap runs at that wall time read with the old offset, so
    one gap later: New York 02:30 runs at 03:30 EDT, London 01:30 at 02:30 BST.
  * With beat_cron_starting_deadline, such a gap run is only caught while now - deadline is still
    before the gap: the deadline window shrinks by the gap's length, so with 60 s it is never sent
    unless checked at its exact microsecond [crontab-30 2 * * *-new_york-spring-forward-late-30s-
    deadline-60: remaining -30 s, not due; -late-31m-deadline-3600: not due either].
  * Send instants in sequences carry float noise (0.5 us early, 1 ms of tick cost per send, which
    interval entries accumulate since last_run_at is the send time); compare them with a tolerance.

Combinations left out because Celery refuses them: none of the schedules below raise. (A crontab
whose day_of_month never occurs in its month_of_year, e.g. `0 0 30 2 *`, raises ValueError in
crontab.__init__; such specs are simply not in the table.)

Regenerate: /work/main/.venv/bin/python interop/schedule_cases.py  (from the repository root).
"""
import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import celery
from celery import Celery
from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import crontab, schedule

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests" / "SchedulesTests" / "Fixtures" / "celery-schedules.json"

SHORT = {"UTC": "utc", "America/New_York": "new_york", "Europe/London": "london",
         "Asia/Kolkata": "kolkata", "Australia/Lord_Howe": "lord_howe"}

# DST changes of 2026 as UTC instants (verified in check_transitions): (zone, label, instant).
TRANSITIONS = [
    ("America/New_York", "spring-forward", "2026-03-08T07:00:00"),  # 02:00 EST -> 03:00 EDT
    ("America/New_York", "fall-back", "2026-11-01T06:00:00"),  # 02:00 EDT -> 01:00 EST
    ("Europe/London", "spring-forward", "2026-03-29T01:00:00"),  # 01:00 GMT -> 02:00 BST
    ("Europe/London", "fall-back", "2026-10-25T01:00:00"),  # 02:00 BST -> 01:00 GMT
    ("Australia/Lord_Howe", "fall-back", "2026-04-04T15:00:00"),  # 02:00 +11 -> 01:30 +10:30
    ("Australia/Lord_Howe", "spring-forward", "2026-10-03T15:30:00"),  # 02:00 +10:30 -> 02:30 +11
]


# ---- instants and schedules -------------------------------------------------------------------

def utc(text):
    """Unix seconds of an ISO time in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=dt_timezone.utc).timestamp()


def local(tz, text, fold=0):
    """Unix seconds of a wall-clock time in `tz` (fold picks the second of a repeated time)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz), fold=fold).timestamp()


def aware(ts, tz):
    """`ts` as Celery sees it: an aware datetime in the app's zone, like app.now() returns."""
    return datetime.fromtimestamp(ts, ZoneInfo(tz))


def every(seconds, relative=False):
    return {"every_seconds": float(seconds), "relative": relative}


def cron(text):
    """'m h dom moy dow' (crontab(5) order) as the fixture's field dict."""
    minute, hour, day_of_month, month_of_year, day_of_week = text.split(" ")
    return {"crontab": {"minute": minute, "hour": hour, "day_of_week": day_of_week,
                        "day_of_month": day_of_month, "month_of_year": month_of_year}}


def make_app(tz, deadline=None):
    app = Celery("lovage-schedule-cases", set_as_current=False)
    app.conf.broker_url = "memory://"  # nothing should connect; if something did, it stays in-process
    app.conf.timezone = tz
    app.conf.enable_utc = True
    app.conf.beat_cron_starting_deadline = deadline
    return app


def build(spec, app, nowfun):
    if "crontab" in spec:
        return crontab(**spec["crontab"], app=app, nowfun=nowfun)
    return schedule(run_every=timedelta(seconds=spec["every_seconds"]),
                    relative=spec["relative"], app=app, nowfun=nowfun)


def no_wall_clock():
    raise AssertionError("a schedule read the wall clock (app.now) instead of its nowfun")


def celery_answer(tz, spec, last, now, deadline=None):
    app = make_app(tz, deadline)
    app.now = no_wall_clock
    now_dt = aware(now, tz)
    sched = build(spec, app, lambda: now_dt)
    last_dt = aware(last, tz)
    remaining = sched.remaining_estimate(last_dt).total_seconds()
    due, next_s = sched.is_due(last_dt)
    return remaining, bool(due), float(next_s)


def due_after(tz, spec, last):
    """Celery's next due instant after `last`: last + remaining_estimate(last) at now = last."""
    return last + celery_answer(tz, spec, last, last)[0]


def point(case_id, tz, spec, last, now, deadline=None):
    remaining, due, next_s = celery_answer(tz, spec, last, now, deadline)
    return {"id": case_id, "timezone": tz, "schedule": spec,
            "deadline_seconds": None if deadline is None else float(deadline),
            "last_run_at": float(last), "now": float(now),
            "remaining_seconds": remaining, "is_due": due, "next_seconds": next_s}


def label_of(spec):
    if "crontab" in spec:
        f = spec["crontab"]
        return "crontab-" + " ".join([f["minute"], f["hour"], f["day_of_month"], f["month_of_year"],
                                      f["day_of_week"]])
    s = spec["every_seconds"]
    text = f"{s / 86400:g}d" if s % 86400 == 0 else f"{s / 3600:g}h" if s % 3600 == 0 else \
        f"{s / 60:g}m" if s % 60 == 0 else f"{s:g}s"
    return f"interval-{text}-{'rel' if spec['relative'] else 'abs'}"


# ---- point cases --------------------------------------------------------------------------------

def interval_cases():
    """Each period and mode with last_run_at before now by less than, exactly and several times the
    interval, and in the future (the clock went back); in UTC and in +05:30, where rounding to the
    local hour/day is not rounding to the UTC one."""
    now = utc("2026-06-15T10:17:23.5")
    elapsed = [("less-than-interval", 0.25), ("exactly-interval", 1.0), ("several-intervals", 3.5),
               ("last-run-in-future", -0.5)]
    for tz in ["UTC", "Asia/Kolkata"]:
        for seconds in [1, 30, 300, 3600, 86400, 5400]:
            for relative in [False, True]:
                spec = every(seconds, relative)
                for name, factor in elapsed:
                    yield point(f"{label_of(spec)}-{SHORT[tz]}-{name}", tz, spec,
                                now - factor * seconds, now)


def interval_dst_cases():
    """Intervals whose next run falls across a DST change. Relative ones round to local wall-clock
    boundaries, which move; `now` one second before, at and after Celery's own due instant."""
    for tz, change, when in TRANSITIONS:
        t = utc(when)
        for seconds in [300, 3600, 5400, 86400]:
            spec = every(seconds)
            yield point(f"{label_of(spec)}-{SHORT[tz]}-{change}-across", tz, spec,
                        t - seconds / 2, t + 1)
            spec = every(seconds, relative=True)
            for where, last in [("before", t - seconds / 2), ("inside", t + 600)]:
                due = due_after(tz, spec, last)
                for name, now in [("before-due", due - 1), ("at-due", due), ("after-due", due + 1)]:
                    yield point(f"{label_of(spec)}-{SHORT[tz]}-{change}-{where}-{name}", tz, spec,
                                last, now)


# (crontab, zone, last_run_at as local wall time, what it tests)
CRONTAB_GROUPS = [
    ("*/5 * * * *", "UTC", "2026-06-15 10:17:23.5", "mid-hour"),
    ("*/5 * * * *", "UTC", "2026-12-31 23:58:00", "year-end"),
    ("*/5 * * * *", "Asia/Kolkata", "2026-06-15 10:17:23.5", "mid-hour"),
    ("0 * * * *", "UTC", "2026-06-15 10:17:00", "mid-hour"),
    ("0 * * * *", "UTC", "2026-12-31 23:59:59", "year-end"),
    ("0 * * * *", "Asia/Kolkata", "2026-06-15 10:17:00", "mid-hour"),
    ("30 2 * * *", "UTC", "2026-06-15 03:00:00", "after-todays-run"),
    ("30 2 * * *", "UTC", "2026-06-15 02:29:59", "just-before"),
    ("0 0 * * *", "UTC", "2026-02-28 12:00:00", "february-end"),
    ("0 0 * * *", "UTC", "2026-12-31 23:59:30", "year-end"),
    ("0 0 * * *", "Asia/Kolkata", "2026-06-15 12:00:00", "midday"),
    ("0 9 * * mon-fri", "UTC", "2026-06-12 10:00:00", "friday-after-run"),
    ("0 9 * * mon-fri", "UTC", "2026-06-13 09:00:00", "saturday"),
    ("0 9 * * mon-fri", "UTC", "2026-06-15 08:59:59", "monday-before-run"),
    ("0 9 * * mon-fri", "America/New_York", "2026-06-12 09:00:00", "friday-at-run"),
    ("0 0 1 * *", "UTC", "2026-01-31 12:00:00", "january-end"),
    ("0 0 1 * *", "UTC", "2026-12-15 00:00:00", "year-end"),
    ("0 0 1 * *", "UTC", "2026-02-01 00:00:00", "at-run"),
    ("0 0 31 * *", "UTC", "2026-01-31 00:00:00", "skips-february"),
    ("0 0 31 * *", "UTC", "2026-04-01 00:00:00", "skips-april"),
    ("0 0 31 * *", "UTC", "2026-11-15 00:00:00", "november"),
    ("0 0 31 * *", "UTC", "2026-12-31 00:00:00", "year-end"),
    ("0 0 29 2 *", "UTC", "2026-03-01 00:00:00", "to-2028"),
    ("0 0 29 2 *", "UTC", "2028-02-29 00:00:00", "at-run-to-2032"),
    ("0 0 29 2 *", "UTC", "2027-12-31 23:59:59", "year-end"),
    ("15,45 */3 * * sat,sun", "UTC", "2026-06-12 23:50:00", "friday-night"),
    ("15,45 */3 * * sat,sun", "UTC", "2026-06-13 21:46:00", "saturday-last-slot"),
    ("15,45 */3 * * sat,sun", "UTC", "2026-06-14 22:00:00", "sunday-night"),
    ("0 12 1-7 * mon", "UTC", "2026-06-01 12:00:00", "first-monday-at-run"),
    ("0 12 1-7 * mon", "UTC", "2026-06-02 00:00:00", "day-after"),
    ("0 12 1-7 * mon", "UTC", "2026-08-08 00:00:00", "after-first-week"),
    ("*/20 8-18 * jan-mar *", "UTC", "2026-03-31 18:40:00", "quarter-end"),
    ("*/20 8-18 * jan-mar *", "UTC", "2026-01-15 07:59:00", "before-hours"),
    ("*/20 8-18 * jan-mar *", "UTC", "2026-02-28 18:50:00", "evening"),
    ("*/20 8-18 * jan-mar *", "Europe/London", "2026-03-28 18:40:00", "before-spring-forward"),
]


def crontab_cases():
    """Crontab semantics away from DST: steps, lists, weekday and month names, Celery's AND of
    day_of_month and day_of_week, months without the day, leap days, month and year ends. `now`
    just after last_run_at, one second before Celery's due instant, at it, and 30 min late."""
    for text, tz, wall, what in CRONTAB_GROUPS:
        spec, last = cron(text), local(tz, wall)
        due = due_after(tz, spec, last)
        for name, now in [("soon", last + 1), ("before-due", due - 1), ("at-due", due),
                          ("late-30m", due + 1800)]:
            yield point(f"{label_of(spec)}-{SHORT[tz]}-{what}-{name}", tz, spec, last, now)


def crontab_dst_cases():
    """Crontabs around each DST change: every quarter hour, and the daily 01:30 and 02:30 that are
    skipped or repeated on some of these nights. last_run_at 70 and 20 min before the change and
    10 and 70 min after it (for a fall-back, -20 and +10 are the first and second pass through the
    repeated wall time); `now` one second after last_run_at (beat starting then), one second
    before and at Celery's due instant."""
    for tz, change, when in TRANSITIONS:
        t = utc(when)
        for text in ["*/15 * * * *", "30 1 * * *", "30 2 * * *"]:
            spec = cron(text)
            for where, offset in [("minus70m", -4200), ("minus20m", -1200), ("plus10m", 600),
                                  ("plus70m", 4200)]:
                last = t + offset
                due = due_after(tz, spec, last)
                for name, now in [("soon", last + 1), ("before-due", due - 1), ("at-due", due)]:
                    yield point(f"{label_of(spec)}-{SHORT[tz]}-{change}-{where}-{name}", tz, spec,
                                last, now)


DEADLINE_GROUPS = [
    ("*/5 * * * *", "UTC", "2026-06-15 10:17:23.5", "mid-hour"),
    ("0 * * * *", "UTC", "2026-06-15 10:17:00", "mid-hour"),
    ("0 9 * * mon-fri", "America/New_York", "2026-06-12 09:00:00", "friday-at-run"),
    ("30 2 * * *", "America/New_York", "2026-03-07 02:30:00", "spring-forward"),
]


def deadline_cases():
    """beat_cron_starting_deadline: a missed run is only caught up if one fell within the last
    `deadline` seconds. `now` at the due instant, 30 s, 60 s (exactly the 60 s deadline: Celery
    counts it in), 31 min and 3 days late; deadline null, 60 s and 3600 s."""
    for text, tz, wall, what in DEADLINE_GROUPS:
        spec, last = cron(text), local(tz, wall)
        due = due_after(tz, spec, last)
        for name, now in [("at-due", due), ("late-30s", due + 30), ("late-60s", due + 60),
                          ("late-31m", due + 1870), ("late-3d", due + 3 * 86400 + 70)]:
            for deadline in [None, 60, 3600]:
                yield point(f"{label_of(spec)}-{SHORT[tz]}-{what}-{name}-deadline-{deadline}",
                            tz, spec, last, now, deadline)


# ---- beat sequences ------------------------------------------------------------------------------

class TieBreakByName(ScheduleEntry):
    """Celery's ScheduleEntry with heap ties broken by the entry's place in beat_schedule instead
    of id() (see the docstring): Lovage's rule, file order."""
    ties = 0
    order = {}

    def __lt__(self, other):
        if isinstance(other, ScheduleEntry):
            TieBreakByName.ties += 1
            return TieBreakByName.order[self.name] < TieBreakByName.order[other.name]
        return NotImplemented


class FakeClockScheduler(Scheduler):
    """celery.beat.Scheduler that publishes nothing and records what it would have sent."""
    Entry = TieBreakByName
    producer = None  # Scheduler.producer would connect to the broker
    connection = None

    def __init__(self, app, clock, **kwargs):
        self.clock, self.sends, self.published = clock, [], 0
        super().__init__(app, lazy=True, **kwargs)

    def apply_entry(self, entry, producer=None):
        self.sends.append({"at": self.clock[0] / 1e6, "entry": entry.name})
        super().apply_entry(entry, producer=producer)

    def send_task(self, *args, **kwargs):
        self.published += 1


def run_sequence(seq_id, tz, entries, start, until, max_interval=300.0, tick_cost=0.001):
    # The fake clock counts whole microseconds (what a datetime holds), so float noise in the
    # clock itself cannot move a tick across a due microsecond; each tick's delay is rounded to
    # the microsecond as it is added.
    clock = [round(start * 1e6)]
    epoch = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
    app = make_app(tz)
    app.now = lambda: (epoch + timedelta(microseconds=clock[0])).astimezone(ZoneInfo(tz))
    nowfun = app.now
    assert len({e["task"] for e in entries}) == len(entries), "distinct tasks: ties must reach __lt__"
    app.conf.beat_schedule = {e["name"]: {"task": e["task"], "schedule": build(e["schedule"], app, nowfun)}
                              for e in entries}
    scheduler = FakeClockScheduler(app, clock, max_interval=max_interval)
    scheduler.setup_schedule()
    assert set(scheduler.schedule) == {e["name"] for e in entries}, set(scheduler.schedule)
    for e in entries:
        if e.get("last_run_at") is not None:  # as PersistentScheduler restores it from its shelve
            scheduler.schedule[e["name"]].last_run_at = aware(e["last_run_at"], tz)
    TieBreakByName.ties = 0
    TieBreakByName.order = {e["name"]: index for index, e in enumerate(entries)}
    while clock[0] <= round(until * 1e6):
        delay = scheduler.tick()
        clock[0] += round((max(delay, 0) + tick_cost) * 1e6)
    assert scheduler.published == len(scheduler.sends), "apply_async failed (logged by apply_entry)"
    return {"id": seq_id, "timezone": tz, "max_interval_seconds": float(max_interval),
            "start": float(start), "until": float(until), "tick_cost_seconds": tick_cost,
            "entries": [{"name": e["name"], "task": e["task"], "schedule": e["schedule"],
                         "last_run_at": e.get("last_run_at")} for e in entries],
            "sends": scheduler.sends}


def entry(name, spec, last_run_at=None):
    return {"name": name, "task": f"tasks.{name}", "schedule": spec, "last_run_at": last_run_at}


def sequences():
    t0 = utc("2026-06-15T10:00:00.25")
    ny_fall, ny_spring = utc("2026-11-01T06:00:00"), utc("2026-03-08T07:00:00")
    yield run_sequence("intervals-15s-60s-300s", "UTC",
                       [entry("every-15s", every(15)), entry("every-60s", every(60)),
                        entry("every-300s", every(300))], t0, t0 + 1800)
    yield run_sequence("crontab-every-minute-with-45s-interval", "UTC",
                       [entry("each-minute", cron("*/1 * * * *")), entry("every-45s", every(45))],
                       t0, t0 + 1200)
    yield run_sequence("tie-two-entries-every-60s", "UTC",
                       [entry("b-second", every(60)), entry("a-first", every(60))], t0, t0 + 600)
    # One missed entry each: two entries overdue at start would tie (both due "now").
    yield run_sequence("restart-after-downtime-interval", "UTC",
                       [entry("every-60s-missed-a-day", every(60), t0 - 86400),
                        entry("every-30s-fresh", every(30))], t0, t0 + 900)
    yield run_sequence("restart-after-downtime-crontab", "UTC",
                       [entry("every-10m-missed-a-week", cron("*/10 * * * *"), t0 - 7 * 86400),
                        entry("every-4m", every(240))], t0, t0 + 1800)
    # Entries chosen so that no two fall due at the same instant (that would be a tie, above).
    yield run_sequence("crontab-new_york-fall-back", "America/New_York",
                       [entry("every-20m", cron("*/20 * * * *")), entry("daily-0130", cron("30 1 * * *"))],
                       ny_fall - 7200, ny_fall + 7200)
    # Beat (re)started in the second 01:xx EST pass: Celery sends on every tick until 01:45 EST.
    storm = utc("2026-11-01T06:44:59.875")
    yield run_sequence("crontab-new_york-fall-back-started-in-repeated-hour", "America/New_York",
                       [entry("quarter-hour", cron("*/15 * * * *"))], storm, utc("2026-11-01T07:00:00.5"))
    # Starts at 00:03 EST so the relative 10-minute entry keeps to :x3 and never meets `*/20`.
    yield run_sequence("crontab-new_york-spring-forward", "America/New_York",
                       [entry("every-20m", cron("*/20 * * * *")), entry("daily-0230", cron("30 2 * * *")),
                        entry("every-10m-rel", every(600, relative=True))], ny_spring - 7020, ny_spring + 7200)
    for mi in [5.0, 300.0]:
        yield run_sequence(f"max-interval-{mi:g}s", "UTC",
                           [entry("hourly", cron("0 * * * *")), entry("every-7m", every(420))],
                           t0, t0 + 3600, max_interval=mi)
    yield run_sequence("relative-intervals-kolkata", "Asia/Kolkata",
                       [entry("every-5m-rel", every(300, relative=True)),
                        entry("every-1h-rel", every(3600, relative=True))], t0 + 77, t0 + 3 * 3600)
    lh_fall = utc("2026-04-04T15:00:00")
    yield run_sequence("crontab-lord_howe-fall-back", "Australia/Lord_Howe",
                       [entry("half-hour", cron("*/30 * * * *")), entry("every-25m", every(1500))],
                       lh_fall - 5400, lh_fall + 5400)
    london_spring = utc("2026-03-29T01:00:00")
    yield run_sequence("london-spring-forward", "Europe/London",
                       [entry("hourly", cron("0 * * * *")), entry("every-1h", every(3600)),
                        entry("daily-0130", cron("30 1 * * *"))], london_spring - 7200 + 0.25,
                       london_spring + 7200)


# ---- the fixture -----------------------------------------------------------------------------------

def check_transitions():
    for tz, _, when in TRANSITIONS:
        t = utc(when)
        assert aware(t - 1, tz).utcoffset() != aware(t, tz).utcoffset(), (tz, when)


def generate():
    check_transitions()
    cases = [*interval_cases(), *interval_dst_cases(), *crontab_cases(), *crontab_dst_cases(),
             *deadline_cases()]
    seqs = list(sequences())
    for records in (cases, seqs):
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    return {"generated_by": "interop/schedule_cases.py", "celery": celery.__version__,
            "cases": cases, "sequences": seqs}


def dumps(fixture):
    return json.dumps(fixture, sort_keys=True, indent=1) + "\n"


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    fixture = generate()
    FIXTURE.write_text(dumps(fixture))
    print(f"{FIXTURE.relative_to(ROOT)}: {len(fixture['cases'])} cases, "
          f"{len(fixture['sequences'])} sequences")
