#!/usr/bin/env bash
# The README's example of recording a fleet: starts a private redis-server, two Python Celery
# workers of interop/shop_app.py with Dify's settings (-c 2, queue dify, late acks, prefetch 1,
# task events off), `lovage record` against them, and a separate client publishing a rate that
# ramps from 8/s to 30/s with a burst of 120; stops the recorder once every task has ended
# (about a minute) and leaves the recording in DIR. Everything it starts, it stops.
#   scripts/record-example.sh DIR [--keyspace-events] [--seed N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/record-example.sh DIR [--keyspace-events] [--seed N]" >&2; exit 2; }
command -v redis-server >/dev/null || scripts/install-deps.sh
[ -x .build/release/lovage ] || swift build -c release --product lovage
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r interop/requirements.txt
out="$1"; shift
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
LOVAGE_BIN="$PWD/.build/release/lovage" .venv/bin/python interop/shop_fleet.py "$out" "$@"
