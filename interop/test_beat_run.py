"""`lovage run --mode redis` with a `schedule:`: real beat processes (`lovage beat`, or `celery beat`
with --target celery) send the periodic tasks, the run's fleet runs them, and the summary's periodic
section is judged from the beats' logs as the simulator judges its own beats."""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = """
name: interop-beat-run
seed: 3
duration: {duration}
drain: 5s
fleet:
  - {{name: worker, count: 1, concurrency: 2, queues: [celery]}}
tasks:
  - name: tick
    duration: {{constant: 10ms}}
  - name: fast
    duration: {{constant: 5ms}}
load:
  arrival: even
  phases:
    - {{duration: {duration}, rate: 2/s}}
  mix: {{fast: 1}}
schedule:
  beats: {beats}
  lock: {lock}
  lock_timeout: 2s
  max_interval: 1s
  entries:
    every-second:
      task: tick
      schedule: {{every: 1s}}
{faults}
"""


def run(lovage, tmp_path, *extra, duration="20s", beats=2, lock="true", faults=""):
    """`lovage run` of the scenario in redis mode; returns the completed process, summary and --out."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO.format(duration=duration, beats=beats, lock=lock, faults=faults))
    out = tmp_path / "out"
    completed = subprocess.run([str(lovage), "run", str(scenario), "--mode", "redis", "--out", str(out), *extra],
                               capture_output=True, text=True, timeout=180, cwd=str(ROOT))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed, json.loads((out / "summary.json").read_text()), out


def tick_published(summary):
    return next(row["published"] for row in summary["by_task"] if row["task"] == "tick")


def test_the_holder_killed_a_standby_takes_over_within_the_lock_timeout(lovage, tmp_path):
    completed, summary, out = run(lovage, tmp_path, faults="faults:\n  - {at: 8s, kill_beat: 1}")
    entry = summary["periodic"]["entries"][0]
    # 20 s at 1 s: about 19 runs; the takeover costs at most the lock timeout (2 s) plus a renewal.
    assert entry["duplicates"] == 0, entry
    assert 16 <= entry["sends"] <= 19, entry
    assert entry["missed"] <= 3, entry
    assert entry["sends"] + entry["missed"] == entry["due"]
    for cause in entry["missed_causes"]:
        assert cause["cause"].startswith("lock takeover after the holder was killed (beat-1 killed at 00:00:08"), cause
        assert 8 <= cause["first_at_seconds"] <= 10.7, cause
    taken = re.search(r"the lock taken again at 00:00:(\d\d\.\d\d\d)\)", json.dumps(entry["missed_causes"]))
    if taken:
        assert float(taken.group(1)) - 8 <= 2 + 0.7 + 0.2, taken.group(0)   # lock_timeout + a standby's look
    beats = summary["periodic"]["beats"]
    assert [beat["lock_taken"] for beat in beats] == [1, 1]
    assert beats[0]["sends"] in (7, 8) and beats[0]["sends"] + beats[1]["sends"] == entry["sends"]
    # The beats' tasks ran on the fleet and count in the task figures.
    assert tick_published(summary) == entry["sends"]
    assert summary["counts"]["published"] == 39 + entry["sends"]   # even arrivals at 2/s in [0, 20 s)
    assert summary["counts"]["succeeded"] == summary["counts"]["published"]
    assert "fault: SIGKILL beat-1" in completed.stderr
    assert "Scheduler: Sending due task every-second (tick)" in (out / "logs" / "beat-2.log").read_text()


def test_two_beats_without_the_lock_send_every_run_twice(lovage, tmp_path):
    _, summary, _ = run(lovage, tmp_path, duration="8s", lock="false")
    entry = summary["periodic"]["entries"][0]
    assert 6 <= entry["due"] <= 7, entry
    assert entry["duplicates"] == entry["due"] and entry["sends"] == 2 * entry["due"], entry
    assert entry["missed"] == 0
    causes = entry["duplicate_causes"]
    assert causes and all(cause["cause"].startswith("two beats held no lock (") for cause in causes), causes
    assert [beat["lock"] for beat in summary["periodic"]["beats"]] == [False, False]
    assert tick_published(summary) == entry["sends"]


def test_celery_beat_sends_at_the_period(lovage, tmp_path):
    _, summary, out = run(lovage, tmp_path, "--target", "celery", "--python", sys.executable, duration="8s", beats=1)
    entry = summary["periodic"]["entries"][0]
    assert entry["sends"] in (6, 7) and entry["duplicates"] == 0 and entry["missed"] == 0, entry
    assert 900_000 <= entry["gap_micros"]["min"] <= entry["gap_micros"]["max"] <= 1_100_000, entry
    assert summary["periodic"]["beats"] == [{"beat": "beat-1", "lock": False, "clock_offset_micros": 0,
                                             "sends": entry["sends"], "lock_taken": 0}]
    assert tick_published(summary) == entry["sends"]
    assert "celery beat" in (out / "logs" / "beat-1.log").read_text()
