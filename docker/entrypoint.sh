#!/usr/bin/env bash
# The Lovage image's entrypoint: what Dify's docker-entrypoint.sh does for MODE=worker and
# MODE=beat, with `lovage` in place of `celery -A app.celery`. The variables are described in
# docs/deploy.md (one table); in short:
#
#   MODE                      worker | beat (anything else: exit 2)
#   CELERY_BROKER_URL         the broker (lovage reads it itself); its host and port are waited for
#   REDIS_HOST, REDIS_PORT    waited for when CELERY_BROKER_URL is not set (the seed's wait-for-it)
#   LOVAGE_WAIT_FOR_REDIS_SECONDS  how long to wait for a TCP connection to Redis (60; 0: do not wait)
#   CELERY_WORKER_CLASS       Celery's pool name -> `-P` (prefork, processes, threads, gevent,
#                             eventlet, solo); unknown: exit 2
#   CELERY_AUTO_SCALE=true    `--autoscale=MAX,MIN` from CELERY_MAX_WORKERS (default: CPUs) and
#                             CELERY_MIN_WORKERS (default 1)
#   CELERY_WORKER_AMOUNT      `-c N` otherwise (default: the CPUs, `nproc`)
#   CELERY_QUEUES             `-Q` (default: dify)
#   MAX_TASKS_PER_CHILD       `--max-tasks-per-child N`, only when set
#   LOG_LEVEL                 `--loglevel` (default INFO; DEBUG, INFO, WARNING or ERROR)
#   LOVAGE_METRICS_PORT, LOVAGE_METRICS_ADDRESS  `--metrics-port`, `--metrics-address`, only when set
#   LOVAGE_BEAT_SCHEDULE      MODE=beat: the schedule file (default /etc/lovage/beat-schedule.yaml)
#   LOVAGE_ENTRYPOINT_DRY_RUN=1  after the wait, print the command, one argument per line, instead
#                             of running it, and exit 0: what the tests check
#
# Exit status: the command's own once it runs; 2 for a bad setting (named on stderr); 1 when Redis
# does not accept a connection in time.
set -euo pipefail

fail() { # status, message
  echo "entrypoint: $2" >&2
  exit "$1"
}

# A whole number >= minimum, or a clear error naming the variable.
whole_number() { # variable-name, value, minimum
  [[ "$2" =~ ^[0-9]+$ ]] && (( 10#$2 >= $3 )) \
    || fail 2 "$1 must be a whole number >= $3, got '$2'"
  echo $(( 10#$2 ))
}

# host and port (one per line) of a Redis URL: redis://[user:password@]host[:port][/db][?query],
# rediss:// the same, [::1] for IPv6, sentinel:// the first sentinel (default port 26379).
url_host_port() { # url
  local url=$1 rest authority host port default_port=6379
  case "$url" in
    redis://*|rediss://*) rest=${url#*://} ;;
    sentinel://*) rest=${url#*://}; rest=${rest%%;*}; default_port=26379 ;;
    *) fail 2 "CELERY_BROKER_URL must start with redis://, rediss:// or sentinel://, got '${url%%://*}://...'" ;;
  esac
  authority=${rest%%/*}
  authority=${authority%%\?*}
  authority=${authority##*@}
  if [[ "$authority" == \[* ]]; then
    host=${authority%%]*}; host=${host#[}
    port=${authority#*]}; port=${port#:}
  elif [[ "$authority" == *:* ]]; then
    host=${authority%:*}; port=${authority##*:}
  else
    host=$authority; port=
  fi
  [ -n "$host" ] || host=127.0.0.1
  [ -n "$port" ] || port=$default_port
  echo "$host"
  echo "$port"
}

# Waits until host:port accepts a TCP connection (bash's /dev/tcp; no redis-tools in the image),
# as the seed's `wait-for-it HOST:PORT -t 60`, and says where the address came from when it gives up.
wait_for_redis() {
  local timeout source host port
  timeout=$(whole_number LOVAGE_WAIT_FOR_REDIS_SECONDS "${LOVAGE_WAIT_FOR_REDIS_SECONDS:-60}" 0)
  (( timeout > 0 )) || return 0
  if [ -n "${CELERY_BROKER_URL:-}" ]; then
    source=CELERY_BROKER_URL
    local address
    address=$(url_host_port "$CELERY_BROKER_URL")
    host=${address%$'\n'*}; port=${address#*$'\n'}
  elif [ -n "${REDIS_HOST:-}" ]; then
    source="REDIS_HOST/REDIS_PORT"
    host=$REDIS_HOST
    port=$(whole_number REDIS_PORT "${REDIS_PORT:-6379}" 1)
  else
    source="the default broker (no CELERY_BROKER_URL or REDIS_HOST)"
    host=127.0.0.1; port=6379
  fi
  local shown="$host:$port"
  [[ "$host" != *:* ]] || shown="[$host]:$port"
  echo "entrypoint: waiting up to ${timeout}s for Redis at $shown (from $source)" >&2
  # Microseconds from EPOCHREALTIME (bash's SECONDS ticks in whole seconds, too coarse for a deadline).
  local start now deadline
  start=${EPOCHREALTIME//[!0-9]/}
  deadline=$(( start + timeout * 1000000 ))
  while :; do
    if timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
      now=${EPOCHREALTIME//[!0-9]/}
      echo "entrypoint: Redis at $shown accepts connections after $(( (now - start) / 1000000 ))s" >&2
      return 0
    fi
    now=${EPOCHREALTIME//[!0-9]/}
    (( now < deadline )) \
      || fail 1 "Redis at $shown (from $source) did not accept a TCP connection within ${timeout}s; is it running and reachable from this container?"
    sleep 0.5
  done
}

# Celery's pool names (CELERY_WORKER_CLASS) to `lovage worker -P`: lovage runs gevent and
# eventlet bodies on threads, so say so instead of pretending.
pool_option() {
  local name=${CELERY_WORKER_CLASS:-}
  [ -n "$name" ] || return 0
  case "${name,,}" in
    prefork|processes) echo prefork ;;
    threads) echo threads ;;
    gevent|eventlet)
      echo "entrypoint: CELERY_WORKER_CLASS=$name runs as the threads pool in Lovage" >&2
      echo threads ;;
    solo) echo solo ;;
    *) fail 2 "CELERY_WORKER_CLASS=$name is not a pool Lovage has (prefork, processes, threads, gevent, eventlet, solo)" ;;
  esac
}

# LOG_LEVEL as lovage takes it (Celery's names; lovage has no CRITICAL).
log_level() {
  local level=${LOG_LEVEL:-INFO}
  case "${level^^}" in
    DEBUG|INFO|WARNING|ERROR) echo "${level^^}" ;;
    *) fail 2 "LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got '$level'" ;;
  esac
}

LOVAGE=${LOVAGE:-lovage}
command=()

case "${MODE:-}" in
  worker)
    command=("$LOVAGE" worker)
    pool=$(pool_option)
    [ -z "$pool" ] || command+=(-P "$pool")
    cpus=$(nproc)
    auto_scale=${CELERY_AUTO_SCALE:-}
    if [ "${auto_scale,,}" = true ]; then
      max=$(whole_number CELERY_MAX_WORKERS "${CELERY_MAX_WORKERS:-$cpus}" 1)
      min=$(whole_number CELERY_MIN_WORKERS "${CELERY_MIN_WORKERS:-1}" 0)
      (( min <= max )) || fail 2 "CELERY_MIN_WORKERS ($min) is above CELERY_MAX_WORKERS ($max)"
      command+=("--autoscale=$max,$min")
    else
      command+=(-c "$(whole_number CELERY_WORKER_AMOUNT "${CELERY_WORKER_AMOUNT:-$cpus}" 1)")
    fi
    [ -z "${MAX_TASKS_PER_CHILD:-}" ] \
      || command+=(--max-tasks-per-child "$(whole_number MAX_TASKS_PER_CHILD "$MAX_TASKS_PER_CHILD" 1)")
    command+=(--loglevel "$(log_level)" -Q "${CELERY_QUEUES:-dify}" "--hostname=worker@%h")
    [ -z "${LOVAGE_METRICS_PORT:-}" ] \
      || command+=(--metrics-port "$(whole_number LOVAGE_METRICS_PORT "$LOVAGE_METRICS_PORT" 1)")
    [ -z "${LOVAGE_METRICS_ADDRESS:-}" ] || command+=(--metrics-address "$LOVAGE_METRICS_ADDRESS")
    ;;
  beat)
    schedule=${LOVAGE_BEAT_SCHEDULE:-/etc/lovage/beat-schedule.yaml}
    [ -f "$schedule" ] \
      || fail 2 "MODE=beat needs a schedule file: $schedule does not exist (mount one, or set LOVAGE_BEAT_SCHEDULE)"
    command=("$LOVAGE" beat --loglevel "$(log_level)" --schedule "$schedule")
    ;;
  "") fail 2 "MODE is not set: use MODE=worker or MODE=beat" ;;
  *) fail 2 "unknown MODE '$MODE': use MODE=worker or MODE=beat" ;;
esac

wait_for_redis

if [ "${LOVAGE_ENTRYPOINT_DRY_RUN:-}" = 1 ]; then
  printf '%s\n' "${command[@]}"
  exit 0
fi
echo "entrypoint: exec ${command[*]}" >&2
exec "${command[@]}"
