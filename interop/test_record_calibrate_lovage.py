"""`lovage record` a Lovage fleet from outside — `lovage run scenarios/steady-mmc.yaml --mode redis`
on a private Redis — and calibrate it: the calibrated scenario, with the host costs the original
scenario carries merged in (`--host-from`), simulates to the original scenario's own figures.
Also `lovage calibrate --host`, which measures those costs on this machine.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import PrivateRedis

ROOT = Path(__file__).resolve().parent.parent
TIME_SCALE = "0.25"
# The host, broker and slot costs scenarios/steady-mmc.yaml carries (docs/fidelity.md).
HOST = """measured: "the values scenarios/steady-mmc.yaml carries"
host: {cores: 2, cpu_per_task: 700us}
broker: {latency: 50us, idle_wake: {max: 450us, time_constant: 7.4ms}}
fleet: {child_handoff: 300us, task_overhead: 150us}
"""


def close(a, b, relative, floor):
    return abs(a - b) <= max(floor, relative * abs(b))


def test_a_recorded_lovage_fleet_calibrates_into_a_scenario_that_simulates_like_the_original(lovage):
    server = PrivateRedis("lovage-record-lovage-")
    work = Path(tempfile.mkdtemp(prefix="lovage-record-lovage-"))
    try:
        recorder = subprocess.Popen([lovage, "record", "-b", server.url, "--out", str(work / "recording"), "--keyspace-events"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        real = subprocess.run([lovage, "run", "scenarios/steady-mmc.yaml", "--mode", "redis", "--broker", server.url,
                               "--time-scale", TIME_SCALE, "--out", str(work / "real"), "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert real.returncode == 0, real.stdout + real.stderr
        time.sleep(1)
        recorder.send_signal(signal.SIGINT)
        out, err = recorder.communicate(timeout=30)
        assert recorder.returncode == 0, err
        assert "new node(s) online" in err, err
    finally:
        server.stop()
    (work / "host.yaml").write_text(HOST)
    check = subprocess.run([lovage, "calibrate", str(work / "recording"), "--check", "--json", "--seeds", "3",
                            "--host-from", str(work / "host.yaml")], capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stderr
    result = json.loads(check.stdout)
    overall = next(row["figures"] for row in result["rows"] if row["task"] == "(all)")
    scenario = Path(result["scenario"]).read_text()
    assert "count: 2" in scenario and "concurrency: 4" in scenario, scenario[:2000]
    assert "idle_wake: {max: 450µs, time_constant: 7400µs}" in scenario or "idle_wake: {max: 450µs" in scenario
    # The original scenario simulated at the same time scale, over the same seeds.
    original = []
    for seed in (1, 2, 3):
        run = subprocess.run([lovage, "run", "scenarios/steady-mmc.yaml", "--mode", "sim", "--time-scale", TIME_SCALE,
                              "--seed", str(seed), "--out", str(work / f"sim{seed}"), "--quiet"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        original.append(json.loads((work / f"sim{seed}" / "summary.json").read_text()))

    def mean(values):
        return sum(values) / len(values)

    expected = {
        "throughput/s": (mean([s["throughput"] for s in original]), 0.05, 0.0),
        "queue wait p50": (mean([s["queue_wait"]["p50"] for s in original]) / 1e6, 0.15, 0.001),
        "queue wait p99": (mean([s["queue_wait"]["p99"] for s in original]) / 1e6, 0.25, 0.001),
        "run time p50": (mean([s["run_time"]["p50"] for s in original]) / 1e6, 0.10, 0.0005),
    }
    misses = [f"{name}: calibrated {overall[name]['simulated']:.6g}, original {value:.6g}"
              for name, (value, relative, floor) in expected.items()
              if not close(overall[name]["simulated"], value, relative, floor)]
    assert not misses, "\n".join(misses) + "\n" + check.stdout


def test_calibrate_host_measures_this_machine_and_its_file_merges(lovage):
    server = PrivateRedis("lovage-calibrate-host-")
    work = Path(tempfile.mkdtemp(prefix="lovage-calibrate-host-"))
    try:
        run = subprocess.run([lovage, "calibrate", "--host", "-b", server.url, "--out", str(work / "host.yaml")],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout + run.stderr
    text = (work / "host.yaml").read_text()
    assert f"cores: {os.cpu_count()}" in text, text
    for step in ("1. cores", "2. broker latency", "3. slot cost", "4. cpu per task"):
        assert step in run.stdout, run.stdout
    recording = ROOT / "examples" / "shop-recording"
    merged = subprocess.run([lovage, "calibrate", str(recording), "--out", str(work / "shop.yaml"), "--host-from", str(work / "host.yaml")],
                            capture_output=True, text=True, timeout=120)
    assert merged.returncode == 0, merged.stderr
    scenario = (work / "shop.yaml").read_text()
    assert "# from lovage calibrate --host -b" in scenario and "cpu_per_task:" in scenario
    assert subprocess.run([lovage, "validate", str(work / "shop.yaml")], capture_output=True).returncode == 0
