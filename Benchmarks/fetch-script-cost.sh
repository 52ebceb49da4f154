#!/usr/bin/env bash
# What the worker's batch-fetch script costs redis-server per message, with the tag found by string
# search (messages as Celery writes them) and with each message's JSON decoded (the same messages
# without spaces after the colons): interop/bench_fetch_script.py, on its own private redis-server.
#   Benchmarks/fetch-script-cost.sh [MESSAGES]        # BENCH_LIMIT=3: messages a call
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
BENCH_TASKS="${1:-20000}" .venv/bin/python interop/bench_fetch_script.py
