"""A broker that stops answering, and a Redis Sentinel failover, under a real Lovage worker.

The frozen broker is a redis-server stopped with SIGSTOP: its kernel still holds the sockets open and
even accepts new connections, but nothing answers — what a wedged server or a partition without a
reset looks like to a client. The failover is a real master, replica and three redis-sentinels on
loopback ports, with the master killed (SIGKILL) while the worker drains acks_late tasks.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import redis
from celery import Celery

from conftest import PrivateRedis, free_port, start_lovage_worker, terminate


def wait_for(predicate, timeout, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def log_text(path):
    return Path(path).read_text(errors="replace")


def results_done(backend, ids):
    keys = [f"celery-task-meta-{task_id}" for task_id in ids]
    return sum(1 for value in backend.mget(keys) if value and json.loads(value)["status"] == "SUCCESS")


# --- A server that forgets the worker's scripts --------------------------------------------------

@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_scripts_flushed_mid_drain_lose_nothing(lovage, pool):
    """The worker names its fetch and result scripts by SHA1 (EVALSHA). SCRIPT FLUSH every 5 ms
    while it drains makes Redis answer NOSCRIPT: each such write is sent again once the scripts
    are loaded again, and each such fetch is taken over by the consumer thread, so every task
    gets its result and nothing is left in `unacked`."""
    server = PrivateRedis("lovage-noscript-redis-")
    worker = None
    try:
        worker, log_name = start_lovage_worker(lovage, server.url, "-Q", "noscript", "-c", "2", "--acks-late", "-P", pool,
                                               "-n", "noscript@%h")
        app = Celery("noscript_client", broker=server.url, backend=server.url)
        backend = redis.Redis.from_url(server.url)
        flushing = threading.Event()
        flushes = []

        def flush():
            flusher = redis.Redis.from_url(server.url)
            while not flushing.is_set():
                flusher.script_flush()
                flushes.append(time.time())
                time.sleep(0.005)

        flusher = threading.Thread(target=flush)
        flusher.start()
        try:
            ids = [app.send_task("lovage.add", args=[n, 1], queue="noscript").id for n in range(400)]
            wait_for(lambda: results_done(backend, ids) == len(ids), 60)
        finally:
            flushing.set()
            flusher.join()
        assert results_done(backend, ids) == len(ids), log_text(log_name)
        assert wait_for(lambda: backend.hlen("unacked") == 0, 10), backend.hgetall("unacked")
        assert backend.llen("noscript") == 0
        results = [json.loads(backend.get(f"celery-task-meta-{task_id}"))["result"] for task_id in ids]
        assert results == [n + 1 for n in range(400)]
        assert len(flushes) > 1 and "NOSCRIPT" in log_text(log_name), "no flush landed mid-drain"
        assert worker.poll() is None, log_text(log_name)
    finally:
        if worker is not None and worker.poll() is None:
            terminate(worker, 15)
        server.stop()


# --- A broker that hangs -------------------------------------------------------------------------

TIMEOUTS = json.dumps({"socket_timeout": 1, "socket_connect_timeout": 1, "health_check_interval": 1})


@pytest.fixture
def frozen_setup(lovage):
    server = PrivateRedis("lovage-freeze-redis-")
    worker = None
    try:
        worker, log_name = start_lovage_worker(
            lovage, server.url, "-Q", "freeze", "-c", "2", "--acks-late", "-P", "threads", "-n", "freeze@%h",
            "--broker-transport-options", TIMEOUTS)
        app = Celery("freeze_client", broker=server.url, backend=server.url)
        yield server, worker, log_name, app
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        if worker is not None and worker.poll() is None:
            terminate(worker, 15)
        server.stop()


def test_a_frozen_broker_is_reported_within_the_timeout_and_survived(frozen_setup):
    server, worker, log_name, app = frozen_setup
    ids = [app.send_task("lovage.sleep", args=[0.2], queue="freeze").id for _ in range(30)]
    backend = redis.Redis.from_url(server.url)
    assert wait_for(lambda: results_done(backend, ids) >= 4, 20)

    os.kill(server.process.pid, signal.SIGSTOP)
    frozen_at = time.time()
    # socket_timeout is 1 s: the worker says so within it (plus a second of slack for a loaded host).
    said = wait_for(lambda: "broker not answering" in log_text(log_name), 6)
    assert said, log_text(log_name)
    reported_after = time.time() - frozen_at
    assert reported_after <= 3.5, f"reported {reported_after:.1f} s after the freeze"
    # Frozen for many timeouts: the worker keeps trying, stays up, and says it once per connection.
    time.sleep(8)
    assert worker.poll() is None, log_text(log_name)
    text = log_text(log_name)
    assert text.count("broker not answering:") <= 1, text
    assert text.count("broker not answering on the consumer connection") <= 1, text

    os.kill(server.process.pid, signal.SIGCONT)
    thawed_at = time.time()
    assert wait_for(lambda: results_done(backend, ids) == len(ids), 40), log_text(log_name)
    assert "connection restored after" in log_text(log_name)
    # Nothing held that cannot be acknowledged: no delivery left in unacked, nothing left queued.
    assert wait_for(lambda: backend.hlen("unacked") == 0, 10), backend.hgetall("unacked")
    assert backend.llen("freeze") == 0
    print(f"freeze: reported after {reported_after:.1f} s; all {len(ids)} done {time.time() - thawed_at:.1f} s after SIGCONT")


def test_a_worker_stops_while_its_broker_is_frozen_and_loses_nothing(frozen_setup):
    server, worker, log_name, app = frozen_setup
    ids = [app.send_task("lovage.sleep", args=[0.3], queue="freeze").id for _ in range(10)]
    backend = redis.Redis.from_url(server.url)
    assert wait_for(lambda: results_done(backend, ids) >= 2, 20)
    os.kill(server.process.pid, signal.SIGSTOP)
    assert wait_for(lambda: "broker not answering" in log_text(log_name), 6), log_text(log_name)
    stopped_at = time.time()
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("a worker whose broker is frozen did not stop on SIGTERM:\n" + log_text(log_name))
    assert "shutting down while the broker is not reachable" in log_text(log_name)
    print(f"stopped {time.time() - stopped_at:.1f} s after SIGTERM with the broker frozen")
    os.kill(server.process.pid, signal.SIGCONT)
    # What it could not acknowledge is still in the broker: queued, or in unacked for the next
    # worker's restore sweep. Every task is accounted for.
    done = results_done(backend, ids)
    held = backend.hlen("unacked") + backend.llen("freeze")
    assert done + held >= len(ids), (done, held, backend.hgetall("unacked"))


# --- Redis Sentinel failover ---------------------------------------------------------------------

class SentinelGroup:
    """A master, one replica and three sentinels (quorum 2) on free loopback ports."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="lovage-sentinel-")
        self.processes = {}
        try:
            self.start_all()
        except BaseException:
            # Whatever had started (the master and replica come first) must not outlive the test.
            self.stop()
            raise

    def start_all(self):
        self.master_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        sentinel = shutil.which("redis-sentinel")
        if sentinel is None:
            raise RuntimeError("redis-sentinel is not on PATH (scripts/install-deps.sh --with-test-tools installs it)")
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.start("master", [server, "--port", str(self.master_port), "--dir", self.dir("master"), *common])
        self.start("replica", [server, "--port", str(self.replica_port), "--dir", self.dir("replica"), *common,
                               "--replicaof", "127.0.0.1", str(self.master_port)])
        for index, port in enumerate(self.sentinel_ports):
            config = Path(self.dir(f"sentinel{index}")) / "sentinel.conf"
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {config.parent}\n"
                f"sentinel monitor mymaster 127.0.0.1 {self.master_port} 2\n"
                "sentinel down-after-milliseconds mymaster 1000\n"
                "sentinel failover-timeout mymaster 10000\n"
                "sentinel parallel-syncs mymaster 1\n")
            self.start(f"sentinel{index}", [sentinel, str(config)])
        master = redis.Redis(port=self.master_port)
        replica = redis.Redis(port=self.replica_port)
        ok = wait_for(lambda: self.ping(master) and self.ping(replica)
                      and replica.info("replication").get("master_link_status") == "up", 20)
        ok = ok and wait_for(lambda: all(self.sentinel_sees_replica(port) for port in self.sentinel_ports), 20)
        if not ok:
            raise RuntimeError("the sentinel group did not come up within 40 s")

    def dir(self, name):
        path = Path(self.directory) / name
        path.mkdir(exist_ok=True)
        return str(path)

    def start(self, name, command):
        log = open(Path(self.directory) / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    @staticmethod
    def ping(client):
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def sentinel_sees_replica(self, port):
        try:
            client = redis.Redis(port=port)
            master = client.sentinel_master("mymaster")
            return master.get("num-slaves", 0) >= 1 and master.get("num-other-sentinels", 0) >= 2
        except redis.RedisError:
            return False

    @property
    def url(self):
        return ";".join(f"sentinel://127.0.0.1:{port}/0" for port in self.sentinel_ports)

    def current_master_port(self):
        for port in self.sentinel_ports:
            try:
                return int(redis.Redis(port=port).sentinel_get_master_addr_by_name("mymaster")[1])
            except (redis.RedisError, TypeError):
                continue
        return None

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                terminate(process, 5)
        shutil.rmtree(self.directory, ignore_errors=True)


def test_a_sentinel_failover_is_followed_and_its_cost_stated(lovage):
    group = SentinelGroup()
    results = PrivateRedis("lovage-sentinel-results-")
    worker = None
    try:
        options = json.dumps({"master_name": "mymaster", "socket_timeout": 2, "socket_connect_timeout": 1})
        worker, log_name = start_lovage_worker(
            lovage, group.url, "-Q", "failover", "-c", "2", "--acks-late", "-P", "threads", "-n", "failover@%h",
            "--broker-transport-options", options, "--result-backend", results.url,
            "--result-backend-transport-options", "{}")
        app = Celery("failover_client", broker=group.url, backend=results.url)
        app.conf.broker_transport_options = {"master_name": "mymaster"}
        backend = redis.Redis.from_url(results.url)

        # A publisher at ~50 tasks/s for 8 s; the master is killed after 3 s.
        acknowledged, failed_publishes = [], []

        def publish():
            for index in range(400):
                try:
                    acknowledged.append(app.send_task("lovage.echo", args=[index], queue="failover").id)
                except Exception as error:  # the publish did not return: not acknowledged to the publisher
                    failed_publishes.append(repr(error))
                time.sleep(0.02)

        publisher = threading.Thread(target=publish)
        publisher.start()
        progress = []  # (time, results done)
        killed_at = None
        old_master = group.master_port
        while publisher.is_alive() or results_done(backend, acknowledged) < len(acknowledged):
            now = time.time()
            progress.append((now, results_done(backend, list(acknowledged))))
            if killed_at is None and len(acknowledged) >= 150:
                group.processes["master"].kill()
                killed_at = now
            if killed_at and now - killed_at > 60:
                break
            time.sleep(0.05)
        publisher.join()
        new_master = group.current_master_port()
        assert new_master == group.replica_port, f"the sentinels did not fail over (master {new_master})"

        done = results_done(backend, acknowledged)
        lost = len(acknowledged) - done
        runs = [int(value) for value in re.findall(r"succeeded in [0-9.e-]+s: (\d+)", log_text(log_name))]
        duplicates = len(runs) - len(set(runs))
        # Longest stretch after the kill in which no result was added while some were owed.
        longest, since = 0.0, None
        for (at, count), (_, later) in zip(progress, progress[1:]):
            if at < killed_at:
                continue
            if later == count and count < len(acknowledged):
                since = since or at
                longest = max(longest, at - since)
            else:
                since = None
        print(f"failover cost: {len(acknowledged)} published and acknowledged, {len(failed_publishes)} publishes failed, "
              f"{lost} lost, {duplicates} run twice, {longest:.1f} s without progress after the master died "
              f"(master {old_master} -> {new_master})")
        assert lost == 0, f"{lost} acknowledged tasks never ran:\n" + log_text(log_name)[-4000:]
        assert worker.poll() is None
        text = log_text(log_name)
        assert "connection restored after" in text or "connection lost" in text
        # The worker follows the new master: its node answers remote control through it.
        status = subprocess.run([lovage, "inspect", "ping", "-b", group.url, "--broker-transport-options",
                                 json.dumps({"master_name": "mymaster"}), "-d", worker_name(text), "--timeout", "3"],
                                capture_output=True, text=True, timeout=30)
        assert status.returncode == 0, status.stdout + status.stderr
        assert longest < 20
    finally:
        if worker is not None and worker.poll() is None:
            terminate(worker, 15)
        group.stop()
        results.stop()


def worker_name(log):
    match = re.search(r"-------------- (\S+) \(Lovage", log)
    assert match, log[:2000]
    return match.group(1)
