#!/usr/bin/env bash
# The micro-benchmarks (package-benchmark suites in Benchmarks/Micro, a package of their own): decode
# and encode a captured Celery message, one WorkerCore step, a tiny simulator run, Redis round trips
# against a private loopback redis-server. Each is gated on one figure, its p90 malloc count per
# iteration, which is exactly repeatable where wall time is not (Sources/MallocGate says why).
#
#   Benchmarks/micro-benchmarks.sh            build, run every suite, print the figures and check
#                                             them against Benchmarks/Micro/Thresholds/*.p90.json
#   Benchmarks/micro-benchmarks.sh --update   build, run every suite and rewrite the thresholds from
#                                             this run (review the diff and commit it with the change
#                                             that moved the counts)
#
# The tolerance is zero both ways (MallocGate.exact), so:
#   exit 0  every p90 malloc count equals its committed threshold
#   exit 1  a regression (each is named), a benchmark without a committed threshold, a stale
#           threshold file, or a failed build or run
#   exit 2  only improvements: commit refreshed thresholds (--update) so the gate keeps them
#
# Needs redis-server on PATH (the Redis suite starts its own on a free 127.0.0.1 port and stops it).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/Micro"

mode=check
case "${1:-}" in
  "") ;;
  --update) mode=update ;;
  *) echo "usage: $0 [--update]" >&2; exit 64 ;;
esac

thresholds="$PWD/Thresholds"
# A run is stored as a package-benchmark baseline under this name, then checked and exported.
baseline="run-$$"
work="$PWD/.build/micro-benchmarks-$$"
mkdir -p "$work/measured"
# The Redis suite appends "PID DIRECTORY" of each server it starts, so a server whose benchmark
# process died before its teardown is stopped here — that PID only, and only if it is still that
# redis-server (same working directory).
export LOVAGE_MICRO_REDIS_PIDS="$work/redis-servers"

cleanup() {
  if [[ -f "$LOVAGE_MICRO_REDIS_PIDS" ]]; then
    while read -r pid dir; do
      if [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$dir" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]]; then
        echo "stopping redis-server $pid left by a benchmark that did not finish" >&2
        kill "$pid" 2>/dev/null || true
      fi
      if [[ "$dir" == /tmp/lovage-redis-* ]]; then rm -rf "$dir"; fi
    done < "$LOVAGE_MICRO_REDIS_PIDS"
  fi
  rm -rf "$work" .benchmarkBaselines/*/"$baseline"
  # Drop the folders package-benchmark made for this run's baseline, unless others' baselines live there.
  rmdir .benchmarkBaselines/* .benchmarkBaselines 2>/dev/null || true
}
trap cleanup EXIT

# SwiftPM's build progress lines and package-benchmark's note that it did not preload the Swift
# runtime interposer (that one is for ARC metrics on Swift 6.3, which these suites do not measure)
# are dropped; everything else the tools print is shown.
quiet() {
  grep -v -e '^\[[0-9]*/[0-9]*\]' -e 'Swift runtime interposer on Linux' -e 'skipping LD_PRELOAD of .*libSwiftRuntimeInterposerSwift' || true
}

echo "== building and running the micro-benchmarks (Benchmarks/Micro) =="
# One run, stored as a baseline; the check and the export below read it instead of running again.
if ! swift package --allow-writing-to-package-directory benchmark baseline update "$baseline" --no-progress 2>&1 | quiet; then
  echo "FAILED: the micro-benchmarks did not build or a benchmark failed (see above)" >&2
  exit 1
fi
# The run's p90 counts, exported in the thresholds' own format (from the baseline, nothing reruns).
swift package --allow-writing-to-package-directory benchmark thresholds update "$baseline" \
  --path "$work/measured" --no-progress > "$work/export.log" 2>&1 || true
if ! compgen -G "$work/measured/*.p90.json" > /dev/null; then
  quiet < "$work/export.log"
  echo "FAILED: could not export the measured counts (see above)" >&2
  exit 1
fi

p90() { tr -dc '0-9' < "$1"; }

echo
echo "== p90 malloc count per iteration: measured (committed threshold) =="
problems=0
for file in "$work"/measured/*.p90.json; do
  name=$(basename "$file" .p90.json)
  committed="$thresholds/$name.p90.json"
  if [[ -f "$committed" ]]; then
    printf '  %-58s %6s  (%s)\n' "$name" "$(p90 "$file")" "$(p90 "$committed")"
  else
    printf '  %-58s %6s  (no threshold committed)\n' "$name" "$(p90 "$file")"
  fi
  if (( $(p90 "$file") > 2047 )); then
    echo "    note: above 2,047 package-benchmark rounds counts, so one extra malloc may not show" >&2
  fi
done

if [[ "$mode" == update ]]; then
  mkdir -p "$thresholds"
  rm -f "$thresholds"/*.p90.json
  cp "$work"/measured/*.p90.json "$thresholds"/
  echo
  changes=$(git -C "$thresholds" status --short -- .)
  if [[ -n "$changes" ]]; then
    echo "thresholds rewritten in Benchmarks/Micro/Thresholds; review and commit:"
    sed 's/^/  /' <<< "$changes"
  else
    echo "thresholds rewritten in Benchmarks/Micro/Thresholds: no count changed"
  fi
  exit 0
fi

for file in "$work"/measured/*.p90.json; do
  name=$(basename "$file" .p90.json)
  if [[ ! -f "$thresholds/$name.p90.json" ]]; then
    echo "FAILED: $name has no committed threshold; run Benchmarks/micro-benchmarks.sh --update and commit it" >&2
    problems=1
  fi
done
for file in "$thresholds"/*.p90.json; do
  name=$(basename "$file" .p90.json)
  if [[ ! -f "$work/measured/$name.p90.json" ]]; then
    echo "FAILED: Thresholds/$name.p90.json belongs to no benchmark that ran; run Benchmarks/micro-benchmarks.sh --update" >&2
    problems=1
  fi
done

echo
echo "== check against Benchmarks/Micro/Thresholds (p90, zero tolerance) =="
status=0
swift package benchmark thresholds check "$baseline" --path "$thresholds" --no-progress > "$work/check.log" 2>&1 || status=$?
quiet < "$work/check.log" | grep -v -e '^Build' || true
if (( status != 0 )); then
  regressions=$(sed -n 's/.*Deviations worse than threshold for \(.*\)/\1/p' "$work/check.log")
  improvements=$(sed -n 's/.*Deviations better than threshold for \(.*\)/\1/p' "$work/check.log")
  if [[ -n "$regressions" ]]; then
    while read -r name; do echo "REGRESSION: $name allocates more than its committed threshold" >&2; done <<< "$regressions"
    exit 1
  elif [[ -n "$improvements" ]]; then
    while read -r name; do echo "IMPROVEMENT: $name allocates less than its committed threshold" >&2; done <<< "$improvements"
    echo "run Benchmarks/micro-benchmarks.sh --update and commit the new thresholds so the gate keeps the improvement" >&2
    (( problems == 0 )) && exit 2
    exit 1
  else
    echo "FAILED: the threshold check did not complete (exit $status); see above" >&2
    exit 1
  fi
fi
if (( problems != 0 )); then exit 1; fi
echo "ok: every p90 malloc count equals its committed threshold"
