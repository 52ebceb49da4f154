"""`lovage record` a real Python Celery fleet, `lovage calibrate` it, and check the calibrated model
against figures this test measured itself (interop/shop_truth.py).

The fleet: interop/shop_app.py (three task types of different duration shapes, one failing and
retrying) on two `celery worker -c 2` with Dify's settings (queue dify, late acks, prefetch 1, task
events off: the recorder turns them on). The load: interop/shop_load.py from a separate process, a
rate that ramps from 8/s to 30/s with a burst of 120 at 20 s.
"""
import gzip
import json
import math
import statistics
import subprocess
import tempfile
from pathlib import Path

import pytest

from shop_fleet import FleetError, record_shop_fleet
# The tolerances: relative, with an absolute floor (seconds) for very small figures.
# The p50 wait of a task that finds a free slot is 2-4 ms here, and this 2-core host's scheduling
# moves it by 1-1.5 ms from run to run when other work shares the cores (CI): its floor is 2 ms.
TOLERANCES = {"throughput/s": (0.05, 0.0), "queue wait p50": (0.15, 0.002), "queue wait p99": (0.25, 0.001),
              "run time p50": (0.10, 0.0005)}

MIN_ATTEMPTS_FOR_P99 = 400

# Student's t at 0.995 by degrees of freedom: the seeds' 99% prediction interval of one more run.
T_995 = {2: 9.925, 3: 5.841, 4: 4.604, 5: 4.032, 6: 3.707, 7: 3.499, 8: 3.355, 9: 3.250}


def seed_interval(runs):
    """How far one more run can fall from the seeds' mean (99%): mean ± t × s × √(1 + 1/n).

    This test's truth is one real run. Where the model's own seeds scatter a figure wider than its
    tolerance, one run cannot place it closer: the median run time of the three tasks together
    falls in the gap between the short ones (10-20 ms, 40% of the runs) and the resizes (around
    40 ms), and its seeds spread over 21.6-26.8 ms."""
    n = len(runs)
    if n < 3 or n - 1 not in T_995:
        return 0.0
    return T_995[n - 1] * statistics.stdev(runs) * math.sqrt(1 + 1 / n)


def within(measured, truth, name, uncertainty=0.0):
    """Within the tolerance, or within the truth's own uncertainty (for queue waits: how far this
    test's publish instants can be from the LPUSH, which a loaded host stretches)."""
    relative, floor = TOLERANCES[name]
    return abs(measured - truth) <= max(floor, relative * abs(truth), uncertainty)


@pytest.fixture(scope="module")
def recorded_fleet(lovage):
    work = Path(tempfile.mkdtemp(prefix="lovage-record-"))
    try:
        yield record_shop_fleet(lovage, work, record_args=["--keyspace-events"])
    except FleetError as error:
        pytest.fail(str(error))


def test_the_recorder_stops_cleanly_and_undoes_what_it_changed(recorded_fleet):
    assert recorded_fleet["returncode"] == 0, recorded_fleet["stderr"]
    stderr = recorded_fleet["stderr"]
    assert "task events were off on w1@shop, w2@shop" in stderr, stderr
    assert "task events turned off again on w1@shop, w2@shop" in stderr, stderr
    assert recorded_fleet["keyspace_after"] == "", "notify-keyspace-events was not restored"
    assert "load on the broker:" in recorded_fleet["stdout"]
    lines = [json.loads(line) for line in gzip.open(recorded_fleet["out"] / "recording.jsonl.gz", "rt")]
    assert lines[0]["kind"] == "header" and lines[-1]["kind"] == "footer"
    events = [line["event"] for line in lines if line["kind"] == "event"]
    received = {e["uuid"] for e in events if e["type"] == "task-received"}
    assert len(received) == recorded_fleet["published"]
    # Nothing private is kept without --keep-args: no arguments, results or exception texts.
    assert not any(key in e for e in events for key in ("args", "kwargs", "result", "traceback"))
    assert {e["exception"] for e in events if "exception" in e} == {"ConnectionError"}
    assert any(line["kind"] == "push" for line in lines)
    fleet = [line for line in lines if line["kind"] == "fleet"]
    assert {line["node"] for line in fleet} == {"w1@shop", "w2@shop"}


def test_the_calibrated_model_reproduces_what_the_test_measured(recorded_fleet):
    lovage, out = recorded_fleet["lovage"], recorded_fleet["out"]
    run = subprocess.run([lovage, "calibrate", str(out), "--check", "--json", "--seeds", "5"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    check = json.loads(run.stdout)
    scenario = Path(check["scenario"]).read_text()
    assert "count: 2" in scenario and "concurrency: 2" in scenario and "prefetch_multiplier: 1" in scenario
    assert "acks_late: true" in scenario and "autoretry_for: [ConnectionError]" in scenario
    assert "trace: calibrated.trace.csv" in scenario
    validate = subprocess.run([lovage, "validate", check["scenario"]], capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    truth, _, _ = recorded_fleet["truth"]
    rows = {row["task"]: row["figures"] for row in check["rows"]}
    assert set(rows) == set(truth), (set(rows), set(truth))
    misses = []
    for task, figures in truth.items():
        for name in TOLERANCES:
            if figures[name] is None:
                continue
            # A p99 of a few hundred waits is its two or three largest: it moves by a factor of
            # ten from seed to seed, so it is held to the tolerance only with enough attempts.
            if name.endswith("p99") and figures["attempts"] < MIN_ATTEMPTS_FOR_P99:
                continue
            for side in ("recorded", "simulated"):
                value = rows[task][name][side]
                uncertainty = figures["publish uncertainty"] if name.startswith("queue wait") else 0.0
                if side == "simulated":
                    uncertainty = max(uncertainty, seed_interval(rows[task][name]["runs"]))
                if not within(value, figures[name], name, uncertainty):
                    misses.append(f"{task} {name}: {side} {value:.6g} against measured {figures[name]:.6g}")
    report = "\n".join(misses) + "\n\n" + run.stdout
    (recorded_fleet["work"] / "misses.txt").write_text(report)
    assert not misses, report
