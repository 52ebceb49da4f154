#!/usr/bin/env bash
# Drains 20,000 lovage.noop tasks with a Python Celery 5.7 worker (prefork -c 2, acks_late, results
# on) and with `lovage worker` (-c 2, acks_late, results on) against the same private redis-server,
# and prints both rates, their ratio and the start-up time to the first task.
#   Benchmarks/worker-throughput.sh [TASKS]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
BENCH_TASKS="${1:-20000}" LOVAGE_BIN="$PWD/.build/release/lovage" .venv/bin/python interop/bench_worker_throughput.py
