"""What Lovage's batch-fetch script costs redis-server per message: N Celery-made messages queued,
then popped and recorded in `unacked` by the worker's own script (EVALSHA, LIMIT messages a call,
50 calls a pipeline), with redis-server's CPU (utime+stime) over the pops divided by the messages.
Run twice: on the messages as Celery writes them (the script finds the delivery tag, exchange and
routing key with string searches), and on the same messages re-serialized without spaces after the
colons (the searches miss, so the script decodes each message's JSON): the difference is what the
decode costs. Prints figures; judges nothing."""
import json
import os
import re
import sys
from pathlib import Path

from bench_worker_throughput import fill
from conftest import PrivateRedis

HERE = Path(__file__).resolve().parent
COUNT = int(os.environ.get("BENCH_TASKS", "20000"))
LIMIT = int(os.environ.get("BENCH_LIMIT", "3"))
SOURCE = HERE.parent / "Sources" / "LiveWorker" / "RedisBroker+Batch.swift"


def fetch_script():
    """The script's text as the worker sends it (the Swift multi-line literal, indentation and
    escapes undone)."""
    body = SOURCE.read_text().split('static let fetchBatchScript = """', 1)[1].split('"""', 1)[0]
    lines = [line[4:] if line.startswith("    ") else line for line in body.split("\n")]
    return "\n".join(lines).strip("\n").replace("\\\\", "\\")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(server, sha, compact):
    client, _ = fill(server.url, COUNT)
    if compact:
        values = client.lrange("celery", 0, -1)
        client.delete("celery")
        pipe = client.pipeline(transaction=False)
        for value in reversed(values):
            pipe.lpush("celery", json.dumps(json.loads(value), separators=(",", ":")))
        pipe.execute()
    before = cpu_seconds(server.process.pid)
    popped = 0
    while popped < COUNT:
        pipe = client.pipeline(transaction=False)
        for _ in range(50):
            pipe.evalsha(sha, 3, "unacked", "unacked_index", "celery", LIMIT, "1700000000.000000", 0)
        replies = pipe.execute()
        if not any(replies):
            break
        popped += sum(len(reply) // 3 for reply in replies)
    spent = cpu_seconds(server.process.pid) - before
    recorded = client.hlen("unacked")
    assert recorded == popped == COUNT, (recorded, popped)
    client.flushall()
    return spent / popped


def main():
    server = PrivateRedis("lovage-fetch-bench-")
    try:
        script = fetch_script()
        assert re.search(r"redis\.call\('RPOP'", script), "the fetch script was not found in " + str(SOURCE)
        from redis import Redis
        sha = Redis.from_url(server.url).script_load(script)
        for run in (1, 2):
            plain = measure(server, sha, compact=False)
            decoded = measure(server, sha, compact=True)
            print(f"run {run}: {COUNT} messages, {LIMIT} a call: redis-server CPU {plain * 1e6:.1f} us a message as Celery "
                  f"writes them (tag found by string search), {decoded * 1e6:.1f} us when each message's JSON is decoded "
                  f"(+{(decoded - plain) * 1e6:.1f} us)")
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
