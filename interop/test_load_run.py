"""`lovage run --mode redis`: a scenario on a private redis-server with a real fleet — Lovage
workers, and Python Celery workers with --target celery — written in the same layout as a
simulated run."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PrivateRedis

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = """
name: interop-load
seed: 5
duration: 4s
drain: 6s
fleet:
  - name: worker
    count: 2
    concurrency: 2
    prefetch_multiplier: 1
    queues: [celery]
    acks_late: true
tasks:
  - name: fast
    duration: {constant: 5ms}
  - name: urgent
    duration: {constant: 5ms}
    priority: 0
load:
  arrival: even
  phases:
    - {duration: 4s, rate: 50/s}
  mix: {fast: 3, urgent: 1}
faults:
  - {at: 2s, kill_worker: worker-2}
  - {at: 3s, restart_worker: worker-2}
assertions:
  - published == 199
"""


def run(lovage, tmp_path, *extra, text=SCENARIO):
    """`lovage run` of the scenario `text` in redis mode; returns the completed process and --out."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(text)
    out = tmp_path / "out"
    completed = subprocess.run([str(lovage), "run", str(scenario), "--mode", "redis", "--out", str(out), *extra],
                               capture_output=True, text=True, timeout=180, cwd=str(ROOT))
    return completed, out


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_redis_mode_runs_the_scenario_with_a_real_fleet_and_faults(lovage, tmp_path, target):
    completed, out = run(lovage, tmp_path, "--target", target, "--python", sys.executable)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == ("redis" if target == "lovage" else "redis-celery")
    # Every planned task (199: even arrivals at 50/s in [0, 4 s)) was published. worker-2 was SIGKILLed mid-run with acks_late: what it had
    # taken stays in `unacked` (the visibility timeout is an hour) and is reported as leftover, so
    # nothing is unaccounted for.
    assert summary["counts"]["published"] == 199
    assert summary["counts"]["succeeded"] + summary["leftover"]["queued"] + summary["leftover"]["unacked"] \
        + summary["leftover"]["held"] + summary["leftover"]["running"] == 199
    assert summary["counts"]["succeeded"] >= 189
    assert summary["queue_wait"]["p50"] > 0
    assert summary["run_time"]["p50"] >= 5000  # the bodies sleep 5 ms
    assert summary["publisher"]["sends_behind"] >= 0
    assert "fault: SIGKILL worker-2" in completed.stderr
    timeline = (out / "timeline.csv").read_text().splitlines()
    assert len(timeline) > 5
    assert "report.html" in completed.stdout
    assert (out / "report.html").read_text().lower().startswith("<!doctype html>")


def test_a_worker_killed_and_restarted_at_the_same_instant_comes_back(lovage, tmp_path):
    # The simulator kills, then restarts, at the same instant; a real run must too: the restart is
    # not refused because the killed process has not been reaped yet.
    text = SCENARIO.replace("{at: 3s, restart_worker: worker-2}", "{at: 2s, restart_worker: worker-2}")
    completed, out = run(lovage, tmp_path, text=text)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "fault: SIGKILL worker-2" in completed.stderr
    # The operator lines say when each worker process ended, and how.
    assert re.search(r"fleet: worker-2 \(pid \d+\) ended, signal 9", completed.stderr), completed.stderr
    assert (out / "logs" / "worker-2.log").read_text().count(" ready.") == 2


def test_redis_mode_refuses_what_it_cannot_run_before_starting_anything(lovage, tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO.replace("    duration: {constant: 5ms}\n    priority: 0",
                                         "    duration: {constant: 5ms}\n    crash: 0.1"))
    completed = subprocess.run([str(lovage), "run", str(scenario), "--mode", "redis", "--out", str(tmp_path / "o")],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert "tasks.urgent.crash" in completed.stderr
    assert not (tmp_path / "o" / "summary.json").exists()


def test_publish_only_sends_the_plan_on_schedule_with_no_fleet(lovage, tmp_path):
    completed, out = run(lovage, tmp_path, "--publish-only")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["published"] == 199
    assert summary["counts"]["succeeded"] == 0
    # 50/s evenly for 4 s: the publisher keeps to the schedule on an idle machine.
    assert 40 <= summary["publisher"]["sent_per_second"] <= 60
    assert summary["publisher"]["max_lag_micros"] < 1_000_000
    assert not (out / "logs" / "worker-1.log").exists()
    # No fleet, no task events: duplicates are not counted (and say so), not reported as zero found.
    assert "task_events" not in summary
    assert "duplicates: not counted" in completed.stdout


def processes_mentioning(text):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append((int(entry), cmdline))
    return found


def test_ctrl_c_stops_the_load_and_every_worker_it_started_and_still_reports(lovage, tmp_path):
    server = PrivateRedis("lovage-run-interrupt-")
    try:
        scenario = tmp_path / "scenario.yaml"
        long_run = SCENARIO.replace("duration: 4s", "duration: 60s").replace("{duration: 4s, rate: 50/s}", "{duration: 60s, rate: 50/s}")
        scenario.write_text(long_run.split("faults:")[0] + "assertions:" + long_run.split("assertions:")[1])
        out = tmp_path / "out"
        process = subprocess.Popen([str(lovage), "run", str(scenario), "--mode", "redis", "--broker", server.url,
                                    "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline and len(processes_mentioning(f"worker -b {server.url}")) < 2:
            time.sleep(0.1)
        assert len(processes_mentioning(f"worker -b {server.url}")) >= 2, "the fleet did not start"
        time.sleep(2)
        workers = [pid for pid, _ in processes_mentioning(f"worker -b {server.url}")]
        children = [int(child) for pid in workers
                    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        assert len(children) >= 4, "each worker runs two prefork children"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        # The run reports what happened until the interrupt, then exits with the assertion's verdict.
        assert process.returncode in (0, 1), stderr
        summary = json.loads((out / "summary.json").read_text())
        assert 0 < summary["counts"]["published"] < 3000
        assert "run stopped early: interrupted" in stdout
        assert processes_mentioning(f"worker -b {server.url}") == []
        # Every worker and every pool child it started is gone, none left as a zombie for init.
        assert [pid for pid in workers + children if Path(f"/proc/{pid}").exists()] == []
    finally:
        server.stop()


def test_broker_latency_and_outage_faults_happen_for_real(lovage, tmp_path):
    faults = ("faults:\n"
              "  - {from: 1s, to: 2s, broker_latency: 30ms}\n"
              "  - {from: 2500ms, to: 3500ms, broker_outage: true}\n")
    completed, out = run(lovage, tmp_path,
                         text=SCENARIO.split("faults:")[0] + faults + "assertions:" + SCENARIO.split("assertions:")[1])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "broker latency +30000 µs" in completed.stderr
    assert "redis-server frozen (SIGSTOP)" in completed.stderr and "redis-server resumed (SIGCONT)" in completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    # Nothing is lost: every task finishes once the server is back.
    assert summary["counts"]["succeeded"] == 199
    # With 30 ms on every hop the fleet falls behind 50 tasks/s (it keeps up easily without), so a
    # backlog shows in the timeline during the latency window.
    rows = [dict(zip(lines[0].split(","), line.split(","))) for lines in [(out / "timeline.csv").read_text().splitlines()]
            for line in lines[1:]]
    assert any(1 < float(row["at_seconds"]) <= 2.4 and int(row["queued"]) > 0 for row in rows)
    # Sends due during the outage went out late and were counted; latency counts from the intended
    # time, so the tasks sent late show the outage.
    assert summary["publisher"]["sends_behind"] >= 40
    assert summary["publisher"]["max_lag_micros"] >= 800_000
    assert summary["latency"]["max"] >= 800_000


RETRY_SCENARIO = """
name: interop-retry
seed: 9
duration: 3s
drain: 20s
fleet:
  - name: worker
    count: 1
    concurrency: 4
    prefetch_multiplier: 1
    queues: [celery]
    acks_late: true
tasks:
  - name: flaky
    duration: {constant: 2ms}
    failure: {probability: 0.5, error: ConnectionError}
    retry:
      max_retries: 2
      autoretry_for: [ConnectionError]
      default_retry_delay: 100ms
load:
  arrival: even
  phases:
    - {duration: 3s, rate: 40/s}
  mix: {flaky: 1}
"""


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_retry_policies_run_for_real_and_are_counted(lovage, tmp_path, target):
    completed, out = run(lovage, tmp_path, "--target", target, "--python", sys.executable, text=RETRY_SCENARIO)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    counts = json.loads((out / "summary.json").read_text())["counts"]
    # 119 tasks, each attempt failing with p = 0.5 and retried up to twice by the worker (Lovage's
    # core, or Celery's autoretry): about 1/8 fail for good (after 2 retries each) and about 0.75
    # retries per task in all, counted from the task-retried events.
    assert counts["published"] == 119
    assert counts["succeeded"] + counts["failed"] == 119
    assert 3 <= counts["failed"] <= 35
    assert 50 <= counts["retried"] <= 140
    assert counts["retried"] >= 2 * counts["failed"]
    # Every attempt counts, as in the simulator: the retried ones and a last one that failed from
    # their task events, the last successful one from its result.
    assert counts["executions"] == counts["published"] + counts["retried"]


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_a_task_that_always_fails_is_retried_exactly_max_retries_times(lovage, tmp_path, target):
    always = RETRY_SCENARIO.replace("probability: 0.5", "probability: 1.0").replace("{duration: 3s, rate: 40/s}",
                                                                                    "{duration: 3s, rate: 10/s}")
    completed, out = run(lovage, tmp_path, "--target", target, "--python", sys.executable, text=always)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    counts = json.loads((out / "summary.json").read_text())["counts"]
    assert counts["published"] == 29
    assert counts["failed"] == 29 and counts["succeeded"] == 0
    assert counts["retried"] == 2 * 29
    # No attempt succeeded, so no result has a start time: the queue waits and run times of all
    # 87 attempts come from the task events (2 ms bodies).
    summary = json.loads((out / "summary.json").read_text())
    assert counts["executions"] == 3 * 29
    assert summary["run_time"]["p50"] >= 2_000 and summary["run_time"]["max"] < 1_000_000
    assert summary["by_task"][0]["run_time"]["p50"] >= 2_000


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_results_and_events_name_the_scenario_task(lovage, tmp_path, target):
    # The load is published under the scenario's task names, which the fleet registered from the
    # run's task table; the worker's own retry decision shows in the events it sent. A group's
    # ignore_result is not passed on: the run reads every task's result.
    text = RETRY_SCENARIO.replace("    acks_late: true\n", "    acks_late: true\n    ignore_result: true\n")
    completed, out = run(lovage, tmp_path, "--target", target, "--python", sys.executable, text=text)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["succeeded"] + summary["counts"]["failed"] == 119
    assert [row["task"] for row in summary["by_task"]] == ["flaky"]
    assert summary["by_task"][0]["retried"] == summary["counts"]["retried"] > 0
    table = json.loads((out / "logs" / "task-table-worker.json").read_text())
    assert [(task["name"], task["max_retries"], task["autoretry_for"], task["default_retry_delay"], task["acks_late"],
             task["ignore_result"]) for task in table["tasks"]] == [("flaky", 2, ["ConnectionError"], 0.1, True, False)]


PER_TASK_SCENARIO = """
name: interop-per-task
seed: 2
duration: 3s
drain: 20s
fleet:
  - name: worker
    count: 1
    concurrency: 8
    prefetch_multiplier: 4
    queues: [celery]
tasks:
  - name: limited
    duration: {constant: 5ms}
    rate_limit: 1/s
  - name: capped
    duration: {constant: 3s}
    time_limit: 500ms
  - name: free
    duration: {constant: 5ms}
load:
  arrival: even
  phases:
    - {duration: 3s, rate: 10/s}
  mix: {limited: 1, capped: 1, free: 2}
"""


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_per_task_rate_limits_and_time_limits_act_in_the_worker(lovage, tmp_path, target):
    # Options set on one task, not on the fleet group: the worker applies them to that task only.
    completed, out = run(lovage, tmp_path, "--target", target, "--python", sys.executable, text=PER_TASK_SCENARIO)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    tasks = {row["task"]: row for row in summary["by_task"]}
    assert summary["counts"]["published"] == 29
    # rate_limit 1/s: one start a second on the one worker, so the ~7 limited tasks published in
    # 3 s wait seconds for their turn; the free ones do not wait for them.
    assert tasks["limited"]["published"] >= 4 and tasks["limited"]["succeeded"] == tasks["limited"]["published"]
    assert tasks["limited"]["queue_wait"]["p99"] >= 1_500_000, tasks["limited"]
    assert tasks["limited"]["queue_wait"]["p50"] > 2 * tasks["free"]["queue_wait"]["p50"], tasks
    assert tasks["free"]["succeeded"] == tasks["free"]["published"]
    if target == "lovage":
        # Lovage's core holds a limited task in its bucket without holding up the others. Celery's
        # worker delays them too (free tasks waited 0.1-0.5 s at p50 here), which the model lacks.
        assert tasks["free"]["queue_wait"]["p99"] < 300_000, tasks["free"]
    # time_limit 500ms on a 3 s body: every attempt is killed (TimeLimitExceeded) and fails.
    assert tasks["capped"]["published"] >= 3
    assert tasks["capped"]["failed"] == tasks["capped"]["published"] and tasks["capped"]["succeeded"] == 0


SCALED_SCENARIO = """
name: interop-scaled
seed: 4
duration: 10s
drain: 20s
fleet:
  - name: worker
    count: 1
    concurrency: 2
    prefetch_multiplier: 1
    queues: [celery]
    acks_late: true
    scaler:
      policy: hpa
      target_backlog_per_replica: 2
      min_replicas: 1
      max_replicas: 4
      polling_interval: 1s
      scale_down_stabilization: 3s
      shutdown_grace: 10s
tasks:
  - name: slow
    duration: {constant: 400ms}
load:
  arrival: even
  phases:
    - {duration: 10s, rate: 15/s}
  mix: {slow: 1}
"""


def test_a_fleet_scaler_starts_and_stops_real_workers(lovage, tmp_path):
    completed, out = run(lovage, tmp_path, text=SCALED_SCENARIO)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    # 15/s × 0.4 s = 6 busy slots: one worker of two cannot keep up, the HPA starts more.
    assert "scaler: started worker-2" in completed.stderr
    assert summary["peak_workers"] >= 3
    assert summary["counts"]["succeeded"] == summary["counts"]["published"] == 149
    rows = [dict(zip(lines[0].split(","), line.split(","))) for lines in [(out / "timeline.csv").read_text().splitlines()]
            for line in lines[1:]]
    assert max(int(row["desired_workers"]) for row in rows) >= 3
    assert all(int(row["desired_workers"]) <= 4 for row in rows)


def test_recycling_by_max_tasks_per_child_is_counted_from_the_workers(lovage, tmp_path):
    # 199 tasks over 4 children of two workers, each child replaced after 5 tasks: about 39 recycles
    # (workers refresh their stats within 250 ms of a recycle, so a short run sees nearly all of them).
    text = (SCENARIO.split("faults:")[0].replace("    acks_late: true\n", "    acks_late: true\n    max_tasks_per_child: 5\n")
            + "assertions:" + SCENARIO.split("assertions:")[1])
    completed, out = run(lovage, tmp_path, text=text)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    counts = json.loads((out / "summary.json").read_text())["counts"]
    assert counts["succeeded"] == 199
    assert 25 <= counts["recycled"] <= 40


DUPLICATE_SCENARIO = """
name: interop-duplicates
seed: 3
duration: 4s
drain: 8s
broker:
  visibility_timeout: 2s
fleet:
  - name: worker
    count: 2
    concurrency: 2
    prefetch_multiplier: 1
    queues: [celery]
    acks_late: true
tasks:
  - name: slow
    duration: {constant: 800ms}
load:
  arrival: even
  phases:
    - {duration: 4s, rate: 4/s}
faults:
  - {at: 1500ms, kill_worker: worker-1}
  - {at: 4s, restart_worker: worker-1}
assertions:
  - duplicates > 0
"""


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_duplicates_are_counted_from_task_events(lovage, tmp_path, target):
    # worker-1 is SIGKILLed with late acks while it runs tasks; restarted 2.5 s later, past the 2 s
    # visibility timeout, its restore sweep gives them back and they run a second time. The fleet
    # runs with -E and the run counts the second task-started of the same (uuid, retries).
    completed, out = run(lovage, tmp_path, "--target", target, "--python", sys.executable, text=DUPLICATE_SCENARIO)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    events = summary["task_events"]
    assert summary["counts"]["duplicates"] > 0
    assert events["complete"] and events["subscriber_interruptions"] == 0
    assert events["duplicates"] == summary["counts"]["duplicates"]
    assert events["redelivered"] >= summary["counts"]["duplicates"]
    assert events["started"] == summary["counts"]["succeeded"] + summary["counts"]["duplicates"]
    assert summary["duplicate_causes"][0]["cause"].startswith("started again after the message was delivered again")
    assert "pass  duplicates > 0" in completed.stdout
    assert "deliveries received again" in (out / "report.html").read_text()


def test_a_run_without_faults_counts_no_duplicates(lovage, tmp_path):
    text = DUPLICATE_SCENARIO.split("faults:")[0] + "assertions:\n  - duplicates == 0\n"
    completed, out = run(lovage, tmp_path, text=text)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["duplicates"] == 0
    assert summary["task_events"]["started"] == summary["counts"]["published"]


def test_a_memory_limit_kills_the_worker_whole_and_restarts_it(lovage, tmp_path):
    # Each call keeps 8 MiB alive in its child and nothing recycles the children: the worker and its
    # two children pass the 200 MiB container limit after a few dozen calls, the run kills the
    # worker with SIGKILL (the kernel's OOM killer ends the whole container) and restarts it after
    # restart_delay, again and again; acks_late leaves what it held in unacked.
    text = """
name: interop-oom
seed: 3
duration: 6s
drain: 4s
fleet:
  - name: worker
    count: 1
    concurrency: 2
    prefetch_multiplier: 1
    acks_late: true
    memory_limit: 200MiB
    restart_delay: 500ms
tasks:
  - name: leaky
    duration: {constant: 5ms}
    memory: {retained_per_call: 8MiB}
load:
  arrival: even
  phases:
    - {duration: 6s, rate: 20/s}
assertions:
  - oom_killed >= 2
"""
    completed, out = run(lovage, tmp_path, text=text)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["oom_killed"] >= 2
    assert "oom: worker-1 killed" in completed.stderr and "oom: restarted worker-1" in completed.stderr
    # The restarted worker goes on consuming: most calls still succeed.
    assert summary["counts"]["succeeded"] >= 60


CONTROLS_SCENARIO = """
name: interop-controls
seed: 7
duration: 6s
drain: 10s
fleet:
  - name: worker
    count: 1
    concurrency: 1
    prefetch_multiplier: 1
    queues: [celery]
    acks_late: true
tasks:
  - name: slow
    duration: {constant: 200ms}
load:
  arrival: even
  phases:
    - {duration: 6s, rate: 10/s}
  mix: {slow: 1}
controls:
  - {at: 2s, control: {command: pool_grow, n: 3}, destination: worker-1}
  - {at: 3s, control: {command: revoke, task_index: 55}}
  - {at: 4s, control: {command: rate_limit, task: slow, rate: 100/s}}
assertions:
  - revoked == 1
  - lost == 0
"""


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_a_scenarios_controls_reach_the_real_workers_through_the_mailbox(lovage, tmp_path, target):
    """The runbook in a real run: each control is sent through the pidbox mailbox at its time, to
    Lovage workers and to Python Celery workers alike, and their replies are in the summary."""
    completed, out = run(lovage, tmp_path, "--target", target, text=CONTROLS_SCENARIO)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    controls = summary["controls"]
    assert [c["control"].split(" ")[0] for c in controls] == ["pool_grow", "revoke", "rate_limit"], controls
    assert all(c["status"] == "ok" for c in controls), controls
    assert all(c["worker"] == "worker-1" for c in controls), controls
    assert controls[0]["reply"] == "pool will grow"
    assert "controls applied: 3 (ok 3" in completed.stdout


PIPELINE_SCENARIO = """
name: interop-pipeline
seed: 3
duration: 4s
drain: 15s
fleet:
  - name: worker
    count: 2
    concurrency: 2
    prefetch_multiplier: 1
    queues: [docs]
    acks_late: true
routes:
  'doc.*': docs
tasks:
  - name: doc.parse
    duration: {constant: 20ms}
    then: [doc.split]
  - name: doc.split
    duration: {constant: 10ms}
    fan_out: {task: doc.embed, count: {uniform: {min: 3, max: 6}}}
    join: doc.update_index
  - name: doc.embed
    duration: {constant: 15ms}
  - name: doc.update_index
    duration: {constant: 10ms}
  - name: doc.ping
    duration: {constant: 2ms}
    failure: {probability: 1.0}
    on_failure: [doc.mark_error]
  - name: doc.mark_error
    duration: 5ms
load:
  arrival: even
  phases:
    - {duration: 4s, rate: 3/s}
  mix: {doc.parse: 2, doc.ping: 1}
assertions:
  - pipelines_stuck == 0
"""


@pytest.mark.parametrize("target", ["lovage", "celery"])
def test_pipelines_run_as_real_canvas_messages_and_match_the_simulators_fan_out(lovage, tmp_path, target):
    # Each parse is published with the rest of its pipeline frozen in its message (split, then a
    # chord of embeds whose body is update_index), and each ping with its errback as link_error;
    # the workers, Lovage's or Celery's, publish what follows. The fan-out sizes come from the
    # seed's stream 6, so they are the simulator's for the same seed.
    completed, out = run(lovage, tmp_path, "--target", target, "--python", sys.executable, text=PIPELINE_SCENARIO)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((out / "summary.json").read_text())
    simulated = json.loads(subprocess.run([str(lovage), "simulate", str(tmp_path / "scenario.yaml"), "--json", "--no-trace"],
                                          capture_output=True, text=True, timeout=60, check=True, cwd=str(ROOT)).stdout)
    [pipeline] = summary["pipelines"]
    [expected] = simulated["pipelines"]
    assert pipeline["shape"] == "doc.parse → doc.split → chord(doc.embed × n) → doc.update_index"
    assert pipeline["started"] == pipeline["completed"] == expected["started"] > 0
    assert (pipeline["failed"], pipeline["stuck"]) == (0, 0)
    assert pipeline["joins"] == {"fired": pipeline["started"], "failed": 0, "stuck": 0}
    assert [(s["stage"], s["tasks"], s["ended"]) for s in pipeline["stages"]] == \
        [(s["stage"], s["tasks"], s["ended"]) for s in expected["stages"]]
    assert pipeline["fan_out_members"] == expected["fan_out_members"]
    assert pipeline["tasks_published"] == expected["tasks_published"]
    # From the root's intended send to update_index's result: at least the four bodies' 55 ms.
    assert 55_000 <= summary["pipeline_latency"]["p50"] < 5_000_000
    by_task = {row["task"]: row for row in summary["by_task"]}
    assert by_task["doc.ping"]["failed"] == by_task["doc.ping"]["published"] > 0
    assert by_task["doc.mark_error"]["succeeded"] == by_task["doc.ping"]["failed"]
    assert by_task["doc.embed"]["succeeded"] == pipeline["stages"][2]["tasks"]
    assert summary["counts"]["published"] == simulated["counts"]["published"]
    assert summary["leftover"]["examples"] == []
