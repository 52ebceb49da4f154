"""Fixtures: a private redis-server on a free loopback port and a real Celery worker against it."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def temporary_files_under_pytest(tmp_path_factory):
    """Every temporary file of the session under pytest's own base directory: the tests' mkdtemp
    and NamedTemporaryFile calls (recordings, schedules, logs, redis data directories) and, through
    TMPDIR, those of the processes they start. pytest keeps only its last three base directories,
    so test runs no longer pile recordings up in /tmp."""
    directory = tmp_path_factory.mktemp("tmp")
    previous_tempdir, previous_variable = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(directory)
    os.environ["TMPDIR"] = str(directory)
    yield directory
    tempfile.tempdir = previous_tempdir
    if previous_variable is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = previous_variable


@pytest.fixture(scope="session")
def lovage():
    path = Path(os.environ.get("LOVAGE_BIN", ROOT / ".build" / "debug" / "lovage"))
    if not path.exists():
        pytest.fail(f"lovage executable not found at {path}; build it first (swift build)")
    return str(path)


def terminate(process, timeout, sig=signal.SIGTERM):
    """Sends `sig` to a process this suite started and waits `timeout` seconds; kills it if it is
    still running. Returns whether it stopped on its own."""
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


class PrivateRedis:
    """A redis-server on a free loopback port with persistence off and its own data directory.

    Shared by the interop fixtures and the throughput benchmark so both start and end it the same way.
    """

    def __init__(self, prefix):
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.directory = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start listening on 127.0.0.1:{self.port} within 10 s")

    def stop(self):
        terminate(self.process, 5)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url():
    try:
        server = PrivateRedis("lovage-interop-redis-")
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def celery_worker(redis_url):
    """A real `celery worker` (prefork, 2 processes) on queues celery and dify."""
    env = dict(os.environ, CELERY_BROKER_URL=redis_url, PYTHONPATH=str(Path(__file__).parent))
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", "celery,dify", "-c", "2",
         "--loglevel=INFO", "-n", "interop@%h"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(Path(__file__).parent))
    deadline = time.time() + 30
    while time.time() < deadline:
        if "ready." in Path(log.name).read_text(errors="replace"):
            break
        if process.poll() is not None:
            pytest.fail("celery worker exited:\n" + Path(log.name).read_text(errors="replace"))
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("celery worker did not become ready:\n" + Path(log.name).read_text(errors="replace"))
    yield process
    terminate(process, 15)
    os.unlink(log.name)


def start_logged(command, ready, what, timeout=20, prefix="lovage-process-", **popen):
    """Starts `command` with its output in a temporary log and waits until the log shows `ready`.
    Returns (process, log path); fails the test with the log if it exits or times out first."""
    log = tempfile.NamedTemporaryFile(prefix=prefix, suffix=".log", delete=False)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ready in Path(log.name).read_text(errors="replace"):
            return process, log.name
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"{what} did not start:\n" + Path(log.name).read_text(errors="replace"))


def start_lovage_worker(lovage, redis_url, *arguments, env=None, new_session=False, prefix="lovage-worker-"):
    """A `lovage worker` logging to a temporary file, once it says `ready.`. `new_session` puts it in
    a process group of its own, so a SIGKILL to the group takes its prefork children too."""
    return start_logged([lovage, "worker", "--broker", redis_url, *arguments], "ready.", "lovage worker",
                        prefix=prefix, env=dict(os.environ, **(env or {})), start_new_session=new_session)


def stop_lovage_worker(process, log_name):
    if not terminate(process, 15):
        pytest.fail("lovage worker did not stop on SIGTERM:\n" + Path(log_name).read_text(errors="replace"))
    os.unlink(log_name)


@pytest.fixture(scope="session", params=["prefork", "threads"])
def lovage_worker(request, lovage, redis_url):
    """A Lovage worker (-c 4, late acks) with each pool, on its own queue; yields the queue name."""
    queue = f"lovage-{request.param}"
    process, log_name = start_lovage_worker(lovage, redis_url, "-Q", queue, "-c", "4", "--acks-late",
                                            "-P", request.param, "-n", f"{request.param}@%h")
    yield queue
    stop_lovage_worker(process, log_name)


@pytest.fixture(scope="session")
def client(redis_url):
    from celery import Celery
    app = Celery("interop_client", broker=redis_url, backend=redis_url)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    return app
