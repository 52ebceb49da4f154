#!/usr/bin/env bash
# Quick start: install what is missing, build in release mode, run the default scenario on the
# simulated broker (no Redis needed). Extra arguments go to `lovage simulate`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "building (release)..."
swift build -c release --product lovage 2>&1 | grep -E "error|warning: unre|Compiling lovage|Build complete" || true
test -x .build/release/lovage || { echo "error: build failed; run 'swift build -c release' to see why" >&2; exit 1; }
exec .build/release/lovage simulate scenarios/dify-default.yaml "$@"
