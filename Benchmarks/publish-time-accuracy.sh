#!/usr/bin/env bash
# Records the shop fleet (interop/shop_app.py: two Python Celery workers -c 2, Dify's settings, a
# ramp with a burst) once per publish-time method and seed — keyspace notifications, sampled queue
# lengths, task-sent events — and prints each method's recorded queue-wait p50/p99 against the
# harness's own measurement, with the spread over seeds. About a minute per run.
#   Benchmarks/publish-time-accuracy.sh [SEEDS] [METHODS]   (default 3 seeds; keyspace,lengths,task-sent)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product lovage 2>&1 | grep -E "error" || true
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
BENCH_SEEDS="${1:-3}" BENCH_METHODS="${2:-keyspace,lengths,task-sent}" LOVAGE_BIN="$PWD/.build/debug/lovage" .venv/bin/python interop/bench_publish_accuracy.py
