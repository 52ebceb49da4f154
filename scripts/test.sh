#!/usr/bin/env bash
# Runs every test: the Swift test suites (codec against the captures, worker core rules, simulator
# and broker semantics, scenario errors), then the determinism check of every shipped scenario
# (each run twice in release mode must print the same trace hash).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/swift-test.log | grep -vE '^\[|^Test Suite|Executed 0 tests|passed after|started\.$' || true
# `swift test` output goes through tee; recover its status from the log.
if grep -qE '✘ Test run|error: ' .build/swift-test.log; then
  echo "swift test failed" >&2
  exit 1
fi
grep -E '✔ Test run with [0-9]+ tests' .build/swift-test.log

swift build -c release --product lovage 2>&1 | grep -E "error" || true
scripts/check-determinism.sh
