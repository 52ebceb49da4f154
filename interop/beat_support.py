"""Helpers for the beat interop tests: start and end beat processes, and watch a queue list so each
sent message is seen with the time it arrived (BRPOP on a connection of its own)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis

from conftest import terminate

HERE = Path(__file__).parent


class Beat:
    """One `lovage beat` (or `celery beat`) process with its log in a temporary file."""

    def __init__(self, command, env=None):
        self.log = tempfile.NamedTemporaryFile(prefix="beat-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=str(HERE))

    @classmethod
    def lovage(cls, lovage, url, schedule, *extra):
        return cls([lovage, "beat", "-b", url, "--schedule", str(schedule), *extra])

    @classmethod
    def celery(cls, url, schedule_json, db):
        env = dict(os.environ, CELERY_BROKER_URL=url, BEAT_SCHEDULE_JSON=str(schedule_json), PYTHONPATH=str(HERE))
        return cls([sys.executable, "-m", "celery", "-A", "beat_app", "-b", url, "beat", "-s", str(db),
                    "--max-interval", "1", "--loglevel", "INFO"], env=env)

    def text(self):
        return Path(self.log.name).read_text(errors="replace")

    def wait_for(self, phrase, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if phrase in self.text():
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        return terminate(self.process, 10)

    def close(self):
        if self.process.poll() is None:
            self.kill()
        os.unlink(self.log.name)


class QueueWatcher:
    """Pops every message pushed to `queue` and keeps (arrival time, decoded message)."""

    def __init__(self, url, queue):
        self.client = redis.Redis.from_url(url)
        self.queue = queue
        self.seen = []
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            item = self.client.brpop([self.queue], timeout=0.2)
            if item:
                self.seen.append((time.time(), json.loads(item[1])))

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)

    def times(self, task=None):
        return [at for at, message in self.seen if task is None or message["headers"]["task"] == task]


def write_schedule(directory, entries, timezone="UTC"):
    """The same schedule as YAML for lovage beat (JSON is YAML) and as JSON for beat_app.py."""
    path = Path(directory) / "schedule.json"
    path.write_text(json.dumps({"timezone": timezone, "entries": entries}))
    return path
