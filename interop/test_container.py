"""The container image as far as a machine without a container engine can check it.

- docker/entrypoint.sh, run directly: the exact `lovage` command line for each combination of the
  seed's environment variables (dry run), its refusals (exit 2, the variable named), its wait for
  Redis (a clear timeout against a closed loopback port, success against a real redis-server), and
  one real start: the worker it execs answers `lovage inspect ping` as worker@<host name>.
- docker-compose.yaml, parsed: the services and the settings docs/deploy.md promises.
- Dockerfile: the runtime stage's package list against `ldd` of the lovage binary.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import PrivateRedis, free_port, terminate

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
CPUS = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
# Variables of the entrypoint that must not leak in from the environment the tests run in.
ENTRYPOINT_VARIABLES = ["MODE", "CELERY_BROKER_URL", "REDIS_HOST", "REDIS_PORT", "CELERY_WORKER_CLASS",
                        "CELERY_AUTO_SCALE", "CELERY_MAX_WORKERS", "CELERY_MIN_WORKERS", "CELERY_WORKER_AMOUNT",
                        "CELERY_QUEUES", "MAX_TASKS_PER_CHILD", "LOG_LEVEL", "LOVAGE_METRICS_PORT",
                        "LOVAGE_METRICS_ADDRESS", "LOVAGE_BEAT_SCHEDULE", "LOVAGE_WAIT_FOR_REDIS_SECONDS",
                        "LOVAGE_ENTRYPOINT_DRY_RUN", "LOVAGE"]


def entrypoint(variables, dry_run=True, wait=False, timeout=30):
    env = {k: v for k, v in os.environ.items() if k not in ENTRYPOINT_VARIABLES}
    if dry_run:
        env["LOVAGE_ENTRYPOINT_DRY_RUN"] = "1"
    if not wait:
        env["LOVAGE_WAIT_FOR_REDIS_SECONDS"] = "0"
    env.update(variables)
    return subprocess.run([str(ENTRYPOINT)], env=env, capture_output=True, text=True, timeout=timeout)


def command_of(variables):
    result = entrypoint(variables)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


TAIL = ["--loglevel", "INFO", "-Q", "dify", "--hostname=worker@%h"]


@pytest.mark.parametrize("variables, expected", [
    # The seed's default: one slot per CPU, queue dify, worker@%h, Celery's default pool.
    ({}, ["-c", str(CPUS)] + TAIL),
    ({"CELERY_WORKER_AMOUNT": "4"}, ["-c", "4"] + TAIL),
    ({"CELERY_AUTO_SCALE": "true", "CELERY_MAX_WORKERS": "8", "CELERY_MIN_WORKERS": "2"}, ["--autoscale=8,2"] + TAIL),
    # As Dify's entrypoint: the variable is compared case-insensitively, MAX defaults to the CPUs, MIN to 1.
    ({"CELERY_AUTO_SCALE": "True"}, [f"--autoscale={CPUS},1"] + TAIL),
    ({"CELERY_AUTO_SCALE": "true", "CELERY_MAX_WORKERS": "6"}, ["--autoscale=6,1"] + TAIL),
    # Autoscale wins over a fixed amount; CELERY_AUTO_SCALE other than true leaves the amount.
    ({"CELERY_AUTO_SCALE": "true", "CELERY_MAX_WORKERS": "8", "CELERY_MIN_WORKERS": "2", "CELERY_WORKER_AMOUNT": "3"},
     ["--autoscale=8,2"] + TAIL),
    ({"CELERY_AUTO_SCALE": "false", "CELERY_MAX_WORKERS": "8", "CELERY_WORKER_AMOUNT": "3"}, ["-c", "3"] + TAIL),
    ({"CELERY_WORKER_CLASS": "prefork", "CELERY_WORKER_AMOUNT": "2"}, ["-P", "prefork", "-c", "2"] + TAIL),
    ({"CELERY_WORKER_CLASS": "processes", "CELERY_WORKER_AMOUNT": "2"}, ["-P", "prefork", "-c", "2"] + TAIL),
    ({"CELERY_WORKER_CLASS": "threads", "CELERY_WORKER_AMOUNT": "2"}, ["-P", "threads", "-c", "2"] + TAIL),
    ({"CELERY_WORKER_CLASS": "gevent", "CELERY_WORKER_AMOUNT": "16"}, ["-P", "threads", "-c", "16"] + TAIL),
    ({"CELERY_WORKER_CLASS": "Eventlet", "CELERY_WORKER_AMOUNT": "16"}, ["-P", "threads", "-c", "16"] + TAIL),
    ({"CELERY_WORKER_CLASS": "solo"}, ["-P", "solo", "-c", str(CPUS)] + TAIL),
    ({"CELERY_QUEUES": "dataset,mail,ops_trace", "LOG_LEVEL": "warning", "CELERY_WORKER_AMOUNT": "1"},
     ["-c", "1", "--loglevel", "WARNING", "-Q", "dataset,mail,ops_trace", "--hostname=worker@%h"]),
    ({"MAX_TASKS_PER_CHILD": "50", "CELERY_WORKER_AMOUNT": "2"}, ["-c", "2", "--max-tasks-per-child", "50"] + TAIL),
    ({"LOVAGE_METRICS_PORT": "9808", "LOVAGE_METRICS_ADDRESS": "0.0.0.0", "CELERY_WORKER_AMOUNT": "2"},
     ["-c", "2"] + TAIL + ["--metrics-port", "9808", "--metrics-address", "0.0.0.0"]),
    ({"LOVAGE_METRICS_PORT": "9808", "CELERY_WORKER_AMOUNT": "2"}, ["-c", "2"] + TAIL + ["--metrics-port", "9808"]),
])
def test_worker_command_line(variables, expected):
    assert command_of(dict(variables, MODE="worker")) == ["lovage", "worker"] + expected


def test_beat_command_line(tmp_path):
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text((ROOT / "docker" / "beat-schedule.yaml").read_text())
    assert command_of({"MODE": "beat", "LOVAGE_BEAT_SCHEDULE": str(schedule), "LOG_LEVEL": "debug"}) == \
        ["lovage", "beat", "--loglevel", "DEBUG", "--schedule", str(schedule)]


@pytest.mark.parametrize("variables, phrase", [
    ({"MODE": "api"}, "unknown MODE 'api': use MODE=worker or MODE=beat"),
    ({}, "MODE is not set"),
    ({"MODE": "worker", "CELERY_WORKER_CLASS": "threadpool"}, "CELERY_WORKER_CLASS=threadpool is not a pool Lovage has"),
    ({"MODE": "worker", "CELERY_WORKER_AMOUNT": "four"}, "CELERY_WORKER_AMOUNT must be a whole number >= 1, got 'four'"),
    ({"MODE": "worker", "CELERY_WORKER_AMOUNT": "0"}, "CELERY_WORKER_AMOUNT must be a whole number >= 1, got '0'"),
    ({"MODE": "worker", "CELERY_AUTO_SCALE": "true", "CELERY_MAX_WORKERS": "2", "CELERY_MIN_WORKERS": "4"},
     "CELERY_MIN_WORKERS (4) is above CELERY_MAX_WORKERS (2)"),
    ({"MODE": "worker", "CELERY_AUTO_SCALE": "true", "CELERY_MAX_WORKERS": "-1"}, "CELERY_MAX_WORKERS must be a whole number >= 1"),
    ({"MODE": "worker", "LOG_LEVEL": "verbose"}, "LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got 'verbose'"),
    ({"MODE": "worker", "LOVAGE_METRICS_PORT": "metrics"}, "LOVAGE_METRICS_PORT must be a whole number >= 1"),
    ({"MODE": "beat", "LOVAGE_BEAT_SCHEDULE": "/nonexistent/schedule.yaml"},
     "MODE=beat needs a schedule file: /nonexistent/schedule.yaml does not exist"),
    ({"MODE": "worker", "LOVAGE_WAIT_FOR_REDIS_SECONDS": "soon"}, "LOVAGE_WAIT_FOR_REDIS_SECONDS must be a whole number >= 0"),
    ({"MODE": "worker", "CELERY_BROKER_URL": "amqp://guest@rabbit//", "LOVAGE_WAIT_FOR_REDIS_SECONDS": "5"},
     "CELERY_BROKER_URL must start with redis://, rediss:// or sentinel://"),
])
def test_bad_settings_exit_2_naming_the_variable(variables, phrase):
    result = entrypoint(variables, wait="LOVAGE_WAIT_FOR_REDIS_SECONDS" in variables)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert phrase in result.stderr
    assert result.stdout == "", "nothing is started or printed as a command"


def closed_loopback_port():
    """A loopback port nothing listens on (bound, then released: connections are refused)."""
    return free_port()


@pytest.mark.parametrize("variables, address, source", [
    ({"CELERY_BROKER_URL": "redis://:secret@127.0.0.1:{port}/1"}, "127.0.0.1:{port}", "CELERY_BROKER_URL"),
    ({"CELERY_BROKER_URL": "redis://[::1]:{port}/0"}, "[::1]:{port}", "CELERY_BROKER_URL"),
    ({"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "{port}"}, "127.0.0.1:{port}", "REDIS_HOST/REDIS_PORT"),
    # The broker URL wins over REDIS_HOST (it is what the worker connects to); a Sentinel URL: its first sentinel.
    ({"CELERY_BROKER_URL": "sentinel://:pw@127.0.0.1:{port};sentinel://127.0.0.2:26379/0", "REDIS_HOST": "127.0.0.9"},
     "127.0.0.1:{port}", "CELERY_BROKER_URL"),
])
def test_redis_wait_times_out_with_a_clear_message(variables, address, source):
    port = closed_loopback_port()
    variables = {k: v.format(port=port) for k, v in variables.items()}
    started = time.monotonic()
    result = entrypoint(dict(variables, MODE="worker", LOVAGE_WAIT_FOR_REDIS_SECONDS="2"), wait=True)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert f"Redis at {address.format(port=port)} (from {source}) did not accept a TCP connection within 2s" in result.stderr
    assert "secret" not in result.stderr
    assert result.stdout == ""
    assert 2 <= elapsed < 6, f"gave up after {elapsed:.1f}s for a 2s timeout"


@pytest.fixture(scope="module")
def private_redis():
    server = PrivateRedis("lovage-container-redis-")
    yield server
    server.stop()


def test_redis_wait_succeeds_against_a_real_redis(private_redis):
    result = entrypoint({"MODE": "worker", "CELERY_BROKER_URL": private_redis.url, "CELERY_WORKER_AMOUNT": "2",
                         "LOVAGE_WAIT_FOR_REDIS_SECONDS": "10"}, wait=True)
    assert result.returncode == 0, result.stderr
    assert f"Redis at 127.0.0.1:{private_redis.port} accepts connections after 0s" in result.stderr
    assert result.stdout.splitlines() == ["lovage", "worker", "-c", "2"] + TAIL


def test_redis_wait_sees_a_redis_that_starts_late():
    """Redis comes up two seconds after the entrypoint starts waiting: the wait ends then."""
    port = free_port()
    waiting = subprocess.Popen([str(ENTRYPOINT)], env=dict(
        {k: v for k, v in os.environ.items() if k not in ENTRYPOINT_VARIABLES}, MODE="worker",
        LOVAGE_ENTRYPOINT_DRY_RUN="1", LOVAGE_WAIT_FOR_REDIS_SECONDS="20", REDIS_HOST="127.0.0.1", REDIS_PORT=str(port)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    directory = tempfile.mkdtemp(prefix="lovage-container-late-redis-")
    server = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        out, err = waiting.communicate(timeout=20)
        assert waiting.returncode == 0, err
        seconds = int(re.search(r"accepts connections after (\d+)s", err).group(1))
        assert 2 <= seconds <= 5, err
    finally:
        if waiting.poll() is None:
            waiting.kill()
        terminate(server, 5)
        shutil.rmtree(directory, ignore_errors=True)


def test_entrypoint_starts_a_worker_that_answers_ping(lovage, private_redis, tmp_path):
    """Not a dry run: the entrypoint waits for the private Redis and execs `lovage worker` (LOVAGE_BIN,
    first on PATH), which answers remote control as worker@<this host's name> and runs a task sent
    to the dify queue."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lovage").symlink_to(lovage)
    env = {k: v for k, v in os.environ.items() if k not in ENTRYPOINT_VARIABLES}
    env.update(PATH=f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}", MODE="worker", CELERY_BROKER_URL=private_redis.url,
               CELERY_WORKER_AMOUNT="2", LOVAGE_WAIT_FOR_REDIS_SECONDS="10")
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(ENTRYPOINT)], env=env, stdout=out, stderr=subprocess.STDOUT)
    node = f"worker@{socket.gethostname()}"
    try:
        deadline = time.time() + 30
        while "ready." not in log.read_text(errors="replace"):
            assert process.poll() is None, "the worker exited:\n" + log.read_text(errors="replace")
            assert time.time() < deadline, "the worker did not become ready:\n" + log.read_text(errors="replace")
            time.sleep(0.1)
        ping = subprocess.run([lovage, "inspect", "ping", "-b", private_redis.url, "-d", node, "--timeout", "5", "--json"],
                              capture_output=True, text=True, timeout=30)
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert json.loads(ping.stdout) == {node: {"ok": "pong"}}
        # The healthcheck's other side: a node that is not there makes `lovage inspect ping` fail.
        absent = subprocess.run([lovage, "inspect", "ping", "-b", private_redis.url, "-d", "worker@no-such-host",
                                 "--timeout", "1"], capture_output=True, text=True, timeout=30)
        assert absent.returncode == 69, absent.stdout + absent.stderr
        # It consumes the seed's queue, dify, with the default (prefork) pool.
        added = subprocess.run([lovage, "enqueue", "lovage.add", "--args", "[2, 3]", "--queue", "dify", "-b",
                                private_redis.url, "--wait", "--timeout", "20"], capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stdout + added.stderr
        document = json.loads(added.stdout.strip().splitlines()[-1])
        assert (document["status"], document["result"]) == ("SUCCESS", 5), added.stdout
        text = log.read_text(errors="replace")
        assert f"waiting up to 10s for Redis at 127.0.0.1:{private_redis.port}" in text
        assert "entrypoint: exec lovage worker -c 2 --loglevel INFO -Q dify --hostname=worker@%h" in text
        assert "prefork" in text, text
    finally:
        # The entrypoint exec'd the worker: this PID is the worker's.
        stopped = terminate(process, 20)
    assert stopped, "the worker did not stop on SIGTERM:\n" + log.read_text(errors="replace")
    assert process.returncode == 0, log.read_text(errors="replace")


# --- docker-compose.yaml ---

@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_compose_has_the_services(compose):
    assert sorted(compose["services"]) == ["beat", "flower", "prometheus", "redis", "worker"]


def test_compose_worker(compose):
    worker = compose["services"]["worker"]
    env = worker["environment"]
    assert env["MODE"] == "worker"
    assert worker["restart"] == "always"
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/1"
    assert "redis" in worker["depends_on"]
    assert worker["deploy"]["resources"]["limits"]["memory"] == "2G"
    assert str(env["LOVAGE_METRICS_PORT"]) == "9808" and env["LOVAGE_METRICS_ADDRESS"] == "0.0.0.0"
    assert "container_name" not in worker, "a fixed container name would stop `--scale worker=N`"
    test = worker["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    # `$$` is compose's escape for a literal `$`: the shell in the container expands $HOSTNAME.
    assert test[1] == 'lovage inspect ping -d "worker@$$HOSTNAME" --timeout 5'
    # What the worker's node is called, from the command line the entrypoint builds for this env.
    command = command_of({k: str(v) for k, v in env.items()})
    assert "--hostname=worker@%h" in command
    assert command[command.index("-Q") + 1] == "dify"


def test_compose_beat_flower_prometheus(compose):
    services = compose["services"]
    beat = services["beat"]
    assert beat["environment"]["MODE"] == "beat" and beat["restart"] == "always"
    assert beat["image"] == services["worker"]["image"]
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in beat["volumes"]}
    assert (ROOT / mounted["/etc/lovage/beat-schedule.yaml"]).is_file()
    flower = services["flower"]
    assert flower["image"].startswith("mher/flower:")
    assert flower["environment"]["FLOWER_UNAUTHENTICATED_API"] == "true"
    assert "--broker=redis://redis:6379/1" in flower["command"]
    prometheus = services["prometheus"]
    assert prometheus["image"].startswith("prom/prometheus:")
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in prometheus["volumes"]}
    config = yaml.safe_load((ROOT / mounted["/etc/prometheus/prometheus.yml"]).read_text())
    [job] = config["scrape_configs"]
    [discovery] = job["dns_sd_configs"]
    assert discovery["names"] == ["worker"] and discovery["port"] == 9808
    assert job.get("metrics_path", "/metrics") == "/metrics"


def test_prometheus_config_is_valid():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian's prometheus package) is not installed")
    result = subprocess.run([promtool, "check", "config", str(ROOT / "docker" / "prometheus.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_beat_schedule_loads(lovage):
    result = subprocess.run([lovage, "beat", "--next", "1", "--schedule", str(ROOT / "docker" / "beat-schedule.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "heartbeat-noop (lovage.noop, every 1m)" in result.stdout


# --- Dockerfile ---

def dockerfile_runtime_packages():
    """The packages between the `runtime-packages` markers of the Dockerfile's runtime stage."""
    text = (ROOT / "Dockerfile").read_text()
    block = re.search(r"# runtime-packages:begin\n(.*?)# runtime-packages:end", text, re.S).group(1)
    install = block.split("--no-install-recommends", 1)[1].split("&&", 1)[0]
    return sorted(word for word in install.replace("\\", " ").split())


def test_dockerfile_stages_and_user():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert stages == ["${SWIFT_IMAGE}", "debian:bookworm-slim"]
    assert re.search(r"^ARG SWIFT_IMAGE=swift:\d+\.\d+\.\d+-bookworm$", text, re.M)
    assert "swift build -c release --product lovage --static-swift-stdlib" in text
    assert re.search(r"^USER lovage$", text, re.M), "the runtime runs as a non-root user"
    assert 'ENTRYPOINT ["/usr/local/bin/lovage-entrypoint"]' in text
    assert "COPY docker/entrypoint.sh /usr/local/bin/lovage-entrypoint" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    for needed in ["!Package.swift", "!Sources/", "!Tests/", "!docker/"]:
        assert needed in ignored


def debian_package_of(path):
    """The Debian package that ships a library file (trying the /usr-merged twin of its path)."""
    real = os.path.realpath(path)
    candidates = [path, real]
    for p in (path, real):
        candidates.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for candidate in candidates:
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0]
    return None


def direct_needs(path):
    """The sonames an ELF file names itself (its NEEDED entries), not what those pull in."""
    output = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, check=True).stdout
    return [line.split()[1] for line in output.splitlines() if line.strip().startswith("NEEDED")]


def test_runtime_packages_match_ldd(lovage):
    """The runtime stage installs exactly the Debian packages whose libraries the binary names
    itself; apt brings what those depend on. The binary is LOVAGE_RELEASE_BIN when given (a
    `--static-swift-stdlib` release build, as the image's), else the debug build: that one loads the
    Swift runtime from the toolchain, which the image's static build carries inside the binary, so
    the toolchain libraries are set aside and what *they* name (libcurl for FoundationNetworking,
    which FlyingFox imports) counts as the binary's own need. A LOVAGE_RELEASE_BIN may need no
    toolchain library at all."""
    if shutil.which("dpkg") is None or shutil.which("objdump") is None:
        pytest.skip("dpkg and objdump are needed for the package check (a Debian system with binutils)")
    release = os.environ.get("LOVAGE_RELEASE_BIN")
    binary = release or lovage
    output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths, toolchain = {}, []
    for line in output.splitlines():
        line = line.strip()
        assert "not found" not in line, f"{binary}: {line}"
        match = re.match(r"(\S+) => (\S+)", line)
        if not match:
            continue    # linux-vdso and the dynamic loader itself (glibc's)
        paths[match.group(1)] = match.group(2)
        if debian_package_of(match.group(2)) is None:
            toolchain.append(match.group(1))
    if release:
        assert toolchain == [], f"{binary} needs libraries no Debian package provides: {toolchain}"
    else:
        assert all(name.startswith(("libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime"))
                   for name in toolchain), toolchain
    sonames = set(direct_needs(binary))
    for name in toolchain:
        sonames |= set(direct_needs(paths[name]))
    needed = set()
    for soname in sorted(sonames - set(toolchain)):
        if soname.startswith("ld-linux"):
            continue    # the dynamic loader, glibc's
        assert soname in paths, f"{soname} is named by {binary} or its Swift runtime but ldd did not resolve it"
        package = debian_package_of(paths[soname])
        if package not in (None, "libc6"):  # glibc is in every Debian image
            needed.add(package)
    assert dockerfile_runtime_packages() == sorted(needed), \
        f"Dockerfile runtime packages {dockerfile_runtime_packages()} != what {binary} names {sorted(needed)}"
