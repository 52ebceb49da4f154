"""`lovage beat` on a real Redis: two and three beats share the lock and every run is sent once,
through a SIGKILL of the holder (taken over within the lock's expiry); without the lock two beats
send everything twice; a restart after a downtime sends one catch-up per entry and never repeats;
`worker -B` on two workers sends each run once; Python Celery workers run what it sends; and
`celery beat` with the same schedule sends the same tasks at the same periods, in the same form."""
import tempfile
import time

import pytest
import redis

from beat_support import Beat, QueueWatcher, write_schedule
from conftest import PrivateRedis, start_lovage_worker, stop_lovage_worker

LOCK_TIMEOUT = 2.0


@pytest.fixture
def server():
    instance = PrivateRedis("lovage-beat-redis-")
    yield instance
    instance.stop()


def gaps(times):
    return [b - a for a, b in zip(times, times[1:])]


def holder_of(beats):
    holding = [beat for beat in beats if "holding the lock" in beat.text() and beat.process.poll() is None]
    return holding[-1] if holding else None


@pytest.mark.parametrize("count", [2, 3])
def test_beats_with_the_lock_send_each_run_once_through_a_kill_of_the_holder(lovage, server, count):
    schedule = write_schedule(tempfile.mkdtemp(), {"tick": {"task": "app.tick", "schedule": {"every": "1s"},
                                                            "options": {"queue": "beat-ha"}}})
    watcher = QueueWatcher(server.url, "beat-ha")
    beats = [Beat.lovage(lovage, server.url, schedule, "--lock-timeout", f"{LOCK_TIMEOUT}s") for _ in range(count)]
    try:
        deadline = time.time() + 10
        while holder_of(beats) is None and time.time() < deadline:
            time.sleep(0.05)
        first = holder_of(beats)
        assert first is not None, "\n".join(beat.text() for beat in beats)
        time.sleep(4.5)
        killed_at = time.time()
        first.kill()
        time.sleep(LOCK_TIMEOUT + 4)
        survivors = [beat for beat in beats if beat is not first]
        second = holder_of(survivors)
        assert second is not None, "no standby took over:\n" + "\n".join(beat.text() for beat in survivors)
        for beat in survivors:
            assert beat.stop(), beat.text()
        watcher.stop()
        times = watcher.times()
        logs = "\n".join(beat.text() for beat in beats)
        # Once per due time: never two sends closer than half the period, by any pair of beats.
        assert times and min(gaps(times)) > 0.5, (gaps(times), logs)
        before = [t for t in times if t < killed_at]
        after = [t for t in times if t > killed_at]
        assert len(before) >= 4 and len(after) >= 3, (times, logs)
        # The takeover: the first send after the kill comes within the lock's expiry (plus a renew
        # interval of the standby's polling and the send's own period).
        assert after[0] - killed_at <= LOCK_TIMEOUT + LOCK_TIMEOUT / 3 + 1.2, (after[0] - killed_at, logs)
        sent = sum(beat.text().count("Scheduler: Sending due task tick (app.tick)") for beat in beats)
        assert sent == len(times), (sent, len(times))
    finally:
        watcher.stop()
        for beat in beats:
            beat.close()


def test_two_beats_without_the_lock_send_every_run_twice(lovage, server):
    schedule = write_schedule(tempfile.mkdtemp(), {"tick": {"task": "app.tick", "schedule": {"every": "1s"},
                                                            "options": {"queue": "beat-twice"}}})
    watcher = QueueWatcher(server.url, "beat-twice")
    beats = [Beat.lovage(lovage, server.url, schedule, "--no-lock") for _ in range(2)]
    try:
        assert all(beat.wait_for("sending without the lock") for beat in beats)
        time.sleep(5.3)
        for beat in beats:
            assert beat.stop()
        watcher.stop()
        per_beat = [beat.text().count("Scheduler: Sending due task tick") for beat in beats]
        assert min(per_beat) >= 4 and len(watcher.times()) == sum(per_beat), (per_beat, len(watcher.times()))
    finally:
        watcher.stop()
        for beat in beats:
            beat.close()


def test_a_restart_after_downtime_sends_one_catch_up_and_a_quick_restart_repeats_nothing(lovage, server):
    schedule = write_schedule(tempfile.mkdtemp(), {"every2": {"task": "app.every2", "schedule": {"every": "2s"},
                                                              "options": {"queue": "beat-restart"}}})
    watcher = QueueWatcher(server.url, "beat-restart")
    beat = Beat.lovage(lovage, server.url, schedule)
    try:
        assert beat.wait_for("Scheduler: Sending due task every2", timeout=6), beat.text()
        assert beat.stop()
        stopped = time.time()
        sent_before = len(watcher.times())
        # A quick restart: the stored last run is less than a period old, so nothing goes out at once.
        quick = Beat.lovage(lovage, server.url, schedule)
        assert quick.wait_for("holding the lock"), quick.text()
        time.sleep(0.8)
        assert len(watcher.times()) == sent_before, "a restart repeated a run"
        assert quick.stop()
        quick.close()
        # Down for 7 s: three due times pass; the restart sends one now, then every 2 s again.
        time.sleep(7 - (time.time() - stopped))
        restarted_at = time.time()
        again = Beat.lovage(lovage, server.url, schedule)
        assert again.wait_for("Scheduler: Sending due task every2", timeout=5), again.text()
        time.sleep(2.6)
        assert again.stop()
        watcher.stop()
        log = again.text()
        assert "passed 3 due times" in log or "passed 4 due times" in log, log
        assert "sending it once now, as Celery beat does" in log, log
        after = [t for t in watcher.times() if t > restarted_at]
        assert len(after) == 2, (after, log)
        assert after[0] - restarted_at < 1.0 and 1.5 < after[1] - after[0] < 2.5, (after, log)
        again.close()
    finally:
        watcher.stop()
        beat.close()


def test_worker_B_on_two_workers_sends_each_run_once_and_the_workers_run_them(lovage, server):
    schedule = write_schedule(tempfile.mkdtemp(), {"add": {"task": "lovage.add", "schedule": {"every": "1s"},
                                                           "args": [2, 3], "options": {"queue": "beat-b"}}})
    started = time.time()
    workers = [start_lovage_worker(lovage, server.url, "-Q", "beat-b", "-c", "1", "-P", "threads", "-n", f"b{i}@%h",
                                   "-B", "--schedule", str(schedule), "--beat-lock-timeout", "2s")
               for i in range(2)]
    try:
        time.sleep(5.5)
    finally:
        elapsed = time.time() - started
        logs = []
        for process, log_name in workers:
            logs.append(open(log_name).read())
            stop_lovage_worker(process, log_name)
    sent = [log.count("Scheduler: Sending due task add (lovage.add)") for log in logs]
    assert sum(1 for count in sent if count > 0) == 1, sent   # one holder
    # One per second the beat ran, at most (no second sender).
    assert 4 <= sum(sent) <= elapsed + 1, (sent, elapsed)
    client = redis.Redis.from_url(server.url)
    results = [client.get(key) for key in client.keys("celery-task-meta-*")]
    assert len(results) >= sum(sent) - 1 and all(b'"result": 5' in r for r in results), results
    assert any("standby:" in log for log in logs), logs


def test_python_celery_workers_run_what_lovage_beat_sends(lovage, redis_url, celery_worker):
    schedule = write_schedule(tempfile.mkdtemp(), {"add": {"task": "interop.add", "schedule": {"every": "1s"},
                                                           "args": [20, 22], "options": {"queue": "dify"}}})
    beat = Beat.lovage(lovage, redis_url, schedule, "-l", "DEBUG", "--key-prefix", "interop-beat")
    try:
        time.sleep(3.5)
        assert beat.stop()
        ids = [line.split("id->")[1].strip() for line in beat.text().splitlines() if "id->" in line]
        assert len(ids) >= 2, beat.text()
        client = redis.Redis.from_url(redis_url)
        deadline = time.time() + 10
        while time.time() < deadline and not all(client.get(f"celery-task-meta-{i}") for i in ids):
            time.sleep(0.1)
        documents = [client.get(f"celery-task-meta-{i}") for i in ids]
        assert all(d and b'"SUCCESS"' in d and b'"result": 42' in d for d in documents), documents
    finally:
        beat.close()


def test_celery_beat_and_lovage_beat_send_the_same_tasks_at_the_same_due_times(lovage, server):
    entries = {"fast": {"task": "app.fast", "schedule": {"every": "1s"}, "options": {"queue": "beat-celery"}},
               "slow": {"task": "app.slow", "schedule": {"every": "3s"}, "args": [1, "x"], "kwargs": {"k": True},
                        "options": {"queue": "beat-lovage", "priority": 6, "expires": "30s"}},
               "minutely": {"task": "app.minutely", "schedule": {"crontab": "* * * * *"}, "options": {"queue": "beat-cron"}}}
    directory = tempfile.mkdtemp()
    schedule = write_schedule(directory, entries)
    celery_entries = {name: dict(entry, options=dict(entry["options"], queue=entry["options"]["queue"] + "-py"))
                      for name, entry in entries.items()}
    celery_schedule = write_schedule(tempfile.mkdtemp(), celery_entries)
    # Priority 6 goes to Kombu's list for the priority step 6: "<queue>\x06\x166".
    keys = {"beat-celery": "beat-celery", "beat-celery-py": "beat-celery-py",
            "beat-lovage": "beat-lovage\x06\x166", "beat-lovage-py": "beat-lovage-py\x06\x166",
            "beat-cron": "beat-cron", "beat-cron-py": "beat-cron-py"}
    watchers = {queue: QueueWatcher(server.url, key) for queue, key in keys.items()}
    ours = Beat.lovage(lovage, server.url, schedule)
    theirs = Beat.celery(server.url, celery_schedule, f"{directory}/celerybeat-schedule")
    try:
        assert theirs.wait_for("beat: Starting", timeout=20), theirs.text()
        # Run across a minute boundary (at least 10 s in), where both must send `minutely`.
        boundary = (int(time.time()) // 60 + 1) * 60
        if boundary - time.time() < 10:
            boundary += 60
        time.sleep(boundary + 2.5 - time.time())
        assert ours.stop() and theirs.stop()
        for watcher in watchers.values():
            watcher.stop()
        for queue in ("beat-celery", "beat-lovage"):
            mine, python = watchers[queue].times(), watchers[queue + "-py"].times()
            # The same number of sends (±1 for the two beats' different start times) at the same period.
            assert abs(len(mine) - len(python)) <= 1 and len(mine) >= 2, (queue, len(mine), len(python))
            period = 1.0 if queue == "beat-celery" else 3.0
            for series in (mine, python):
                assert all(abs(gap - period) < 0.25 for gap in gaps(series)), (queue, gaps(series))
        # A crontab is due at the same instant for both: the minute, on the wall clock.
        # (A minute boundary the beats passed before `boundary`, while Celery beat was starting, sent
        # it too: only the sends around `boundary` are compared.)
        mine, python = ([at for at in watchers[queue].times() if at >= boundary - 1] for queue in ("beat-cron", "beat-cron-py"))
        assert len(mine) == 1 and len(python) == 1, (mine, python)
        assert 0 <= mine[0] - boundary < 1.0 and 0 <= python[0] - boundary < 1.1, (mine[0] - boundary, python[0] - boundary)
        # The same message: headers, properties and body as Celery beat's apply_async publishes them.
        mine = watchers["beat-lovage"].seen[0][1]
        python = watchers["beat-lovage-py"].seen[0][1]
        assert sorted(mine["headers"]) == sorted(python["headers"]), (sorted(mine["headers"]), sorted(python["headers"]))
        for header in ("task", "argsrepr", "kwargsrepr", "celery_beat_task", "retries", "timelimit"):
            assert mine["headers"][header] == python["headers"][header], header
        assert mine["headers"]["expires"] is not None and python["headers"]["expires"] is not None
        assert mine["properties"]["priority"] == python["properties"]["priority"] == 6
        assert sorted(mine["properties"]) == sorted(python["properties"])
        assert mine["body"] == python["body"] or mine["content-type"] == python["content-type"]
        assert "Scheduler: Sending due task slow (app.slow)" in ours.text()
        assert "Scheduler: Sending due task slow (app.slow)" in theirs.text()
    finally:
        for watcher in watchers.values():
            watcher.stop()
        ours.close()
        theirs.close()


def test_an_unreachable_broker_is_waited_for_reported_and_used_when_it_comes(lovage):
    from conftest import free_port
    import shutil
    import subprocess
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    schedule = write_schedule(tempfile.mkdtemp(), {"tick": {"task": "app.tick", "schedule": {"every": "1s"},
                                                            "options": {"queue": "beat-late"}}})
    beat = Beat.lovage(lovage, url, schedule)
    server = None
    try:
        assert beat.wait_for("cannot reach the broker", timeout=10), beat.text()
        assert beat.process.poll() is None, "beat gave up instead of waiting"
        server = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert beat.wait_for("is back after", timeout=10), beat.text()
        assert beat.wait_for("Scheduler: Sending due task tick", timeout=5), beat.text()
        assert beat.stop()
    finally:
        beat.close()
        if server:
            server.terminate()
            server.wait()


def test_a_bad_schedule_file_is_refused_before_anything_is_sent(lovage, server):
    import subprocess
    directory = tempfile.mkdtemp()
    bad = f"{directory}/bad.yaml"
    open(bad, "w").write("entries:\n  nightly:\n    task: app.index\n    schedule: {crontab: \"0 25 * * *\"}\n")
    run = subprocess.run([lovage, "beat", "-b", server.url, "--schedule", bad], capture_output=True, text=True, timeout=20)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{bad}:4:" in run.stderr and "entries.nightly.schedule.crontab.hour" in run.stderr and "25" in run.stderr, run.stderr
    assert redis.Redis.from_url(server.url).keys("*") == []
