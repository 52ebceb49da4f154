#!/usr/bin/env bash
# Installs the system packages Lovage needs on Debian/Ubuntu, only those missing.
# Swift itself is not a Debian package: it must already be on PATH (swift.org toolchain).
set -euo pipefail

packages=(libhiredis-dev libjemalloc-dev zlib1g-dev redis-server python3-venv)
# `--with-test-tools` (scripts/test.sh): also what only the tests use — headless Chromium, which
# renders Flower's worker page of a Lovage worker in interop/test_flower_lovage_worker.py;
# Prometheus, which scrapes `lovage worker --metrics-port` and `lovage exporter` in
# interop/test_prometheus_metrics.py; and redis-sentinel, for the failover test in
# interop/test_broker_faults.py.
if [ "${1:-}" = "--with-test-tools" ]; then
  packages+=(chromium prometheus redis-sentinel)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH. Install the Swift 6 toolchain from swift.org, then run this again." >&2
  exit 1
fi
