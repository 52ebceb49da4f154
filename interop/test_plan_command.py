"""`lovage plan`: a sweep in simulation, the cheapest configuration meeting the SLOs, Erlang C beside
the simulated waits, and plan.json/plan.html written."""
import json
import subprocess

SCENARIO = """
name: plan-check
seed: 3
duration: 10m
drain: 1m
fleet:
  - name: worker
    count: 1
    concurrency: 4
    prefetch_multiplier: 1
tasks:
  - name: work
    duration: {exponential: {mean: 50ms}}
load:
  arrival: poisson
  phases:
    - {duration: 10m, rate: 100/s}
"""


def test_plan_finds_the_cheapest_configuration_that_meets_the_slo(lovage, tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "plan"
    completed = subprocess.run([str(lovage), "plan", str(scenario), "--slo", "queue_wait.p99 < 120ms",
                                "--vary", "concurrency=5...9", "--seeds", "4", "--out", str(out)],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    plan = json.loads((out / "plan.json").read_text())
    rows = plan["rows"]
    assert [row["settings"] for row in rows] == [[f"concurrency={c}"] for c in range(5, 10)]
    # 100/s × 50 ms = 5 busy slots: 5 cannot keep up (no steady state, so no prediction); Erlang C
    # puts the p99 wait at 204 ms with 6 slots and 87 ms with 7.
    assert "erlang_queue_wait_p99_micros" not in rows[0]
    assert not rows[0]["meets_slo"]
    assert plan["cheapest"] is not None
    cheapest = rows[plan["cheapest"]]
    assert cheapest["meets_slo"] and all(not row["meets_slo"] for row in rows[:plan["cheapest"]])
    assert cheapest["settings"] == ["concurrency=7"]
    # The median over the seeds of the simulated p99 against the prediction.
    assert abs(cheapest["median"]["queue_wait_p99_micros"] / cheapest["erlang_queue_wait_p99_micros"] - 1) < 0.2
    # Every configuration runs on the four seeds from the scenario's unless it was stopped early.
    assert plan["seeds"] == list(range(3, 7))
    assert all(row["seeds_run"] == 4 or row["stopped_early"] for row in rows)
    assert "<- cheapest" in completed.stdout
    assert (out / "plan.html").read_text().lower().startswith("<!doctype html>")


def test_plan_refuses_bad_input_before_simulating(lovage, tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    for arguments, message in [(["--slo", "queue_wait.p99 <", "--vary", "concurrency=1...2"], "--slo"),
                               (["--slo", "lost == 0", "--vary", "threads=1...2"], "unknown key threads"),
                               (["--slo", "lost == 0", "--vary", "concurrency=5...2"], "A <= B")]:
        completed = subprocess.run([str(lovage), "plan", str(scenario), *arguments, "--out", str(tmp_path / "p")],
                                   capture_output=True, text=True, timeout=60)
        assert completed.returncode != 0
        assert message in completed.stderr, completed.stderr
        assert not (tmp_path / "p" / "plan.json").exists()
