#!/usr/bin/env bash
# The floor of a prefork drain on this machine, next to Celery prefork and Lovage prefork: the C
# program Benchmarks/drain_floor.c does the least a prefork worker with Celery's semantics does per
# task (acks_late, results on, -O fair, prefetch window 2 x 4), with Lovage's own fetch and result
# scripts, and nothing else. All three drain the same 20,000 Celery-made messages on the same
# private redis-server, BENCH_REPS=3 times interleaved (about 2 minutes here). Prints the rates, the
# ratios paired within each repetition, what 25x Celery prefork is as a fraction of the floor's rate,
# and the CPU each role spent per task.
#   Benchmarks/drain-floor.sh [TASKS]        # needs cc and libhiredis-dev (scripts/install-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
BENCH_TASKS="${1:-20000}" LOVAGE_BIN="$PWD/.build/release/lovage" .venv/bin/python interop/bench_drain_floor.py
