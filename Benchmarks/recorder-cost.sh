#!/usr/bin/env bash
# What `lovage record` costs a real Celery fleet: a Python Celery 5.7 worker (prefork -c 2,
# acks_late, results on, task events off) drains N noop tasks without a recorder, with `lovage
# record` (task events turned on, queue lengths sampled every 10 ms) and with --keyspace-events,
# in rounds; prints each median rate, its spread and its ratio to the rate without a recorder.
#   Benchmarks/recorder-cost.sh [TASKS] [ROUNDS]   (default 5000 tasks, 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
cd interop
BENCH_TASKS="${1:-5000}" BENCH_ROUNDS="${2:-3}" LOVAGE_BIN="$PWD/../.build/release/lovage" ../.venv/bin/python bench_recorder_cost.py
