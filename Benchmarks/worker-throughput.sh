#!/usr/bin/env bash
# Drains 20,000 lovage.noop tasks with Python Celery 5.7 workers (prefork and threads, -c 2, acks_late,
# results on, with and without -E) and with `lovage worker` (the same four) against the same private
# redis-server, and prints the rates, the ratios and the start-up time to the first task; then where
# the time went: Redis commands per task (INFO commandstats), CPU per role (parent, children,
# redis-server) per 1,000 tasks, and the ceiling the command mix implies from redis-benchmark -P 16/64
# (MONITOR sample of BENCH_SAMPLE=2000 tasks) with how close each drain came to it. Every drain runs
# BENCH_REPS=3 times, interleaved; each ratio is paired within a repetition and printed as the median
# with its range (about 12 min here with the defaults).
#   Benchmarks/worker-throughput.sh [TASKS]        # BENCH_EVENTS=0: no -E runs; BENCH_PROFILE=0: no ceiling
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
BENCH_TASKS="${1:-20000}" LOVAGE_BIN="$PWD/.build/release/lovage" .venv/bin/python interop/bench_worker_throughput.py
