#!/usr/bin/env bash
# Instructions the worker's main process executes per task, counted by callgrind (the stable figure
# for the parent's per-task code; wall and CPU time move with the host): interop/bench_worker_instructions.py
# drains 1,000 and 5,000 Celery-made noop messages under valgrind (threads pool, -c 2, acks_late,
# results on) and divides the difference. About 1 minute per binary.
#   Benchmarks/worker-instructions.sh                      # this checkout's release build
#   LOVAGE_BASE_BIN=/path/to/other/lovage Benchmarks/worker-instructions.sh    # side by side, with the ratio
# Needs valgrind and objcopy (apt-get install valgrind binutils).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lovage 2>&1 | grep -E "error" || true
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
LOVAGE_BIN="${LOVAGE_BIN:-$PWD/.build/release/lovage}" .venv/bin/python interop/bench_worker_instructions.py
