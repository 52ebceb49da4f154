"""Capture what Celery 5.7 writes to Redis 7 for each canvas form (see README.md here).

Run from this directory with the interop venv:  ../../../../interop/.venv/bin/python capture_canvas.py [case ...]
Starts its own redis-server on 127.0.0.1:$CANVAS_PORT (default 6391), redis-cli MONITOR, and one prefork -c 2 Celery
worker (canvas_app); stops all three by PID. For each case it writes <case>.monitor.txt (the MONITOR lines between
the case's ECHO markers) and <case>.keys.txt (every key left in Redis after the case: type, TTL, exact bytes).
"""
import json
import os
import signal
import subprocess
import sys
import time

PORT = int(os.environ.get("CANVAS_PORT", "6391"))
URL = "redis://127.0.0.1:%d/0" % PORT
os.environ["CANVAS_REDIS_URL"] = URL
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import redis  # noqa: E402
from celery import chain, chord, group  # noqa: E402
from celery.result import AsyncResult, GroupResult  # noqa: E402

from canvas_app import add, app, boom, echo, errback1, errback3, tsum  # noqa: E402

r = redis.Redis(port=PORT)


def dump_keys(path):
    with open(path, "w") as f:
        for k in sorted(r.keys("*")):
            if k.startswith(b"_kombu.binding") or k in (b"unacked_mutex",):
                continue
            t = r.type(k).decode()
            f.write("KEY %r TYPE %s TTL %s\n" % (k, t, r.ttl(k)))
            if t == "string":
                f.write("  %r\n" % r.get(k))
            elif t == "list":
                for v in r.lrange(k, 0, -1):
                    f.write("  %r\n" % v)
            elif t == "zset":
                for v, s in r.zrange(k, 0, -1, withscores=True):
                    f.write("  %r score=%r\n" % (v, s))
            elif t == "hash":
                for hk, hv in sorted(r.hgetall(k).items()):
                    f.write("  %r: %r\n" % (hk, hv))
            elif t == "set":
                for v in sorted(r.smembers(k)):
                    f.write("  %r\n" % v)


def wait_quiet(seconds=2.5):
    """Let the worker finish everything the case started (queues empty, unacked empty, then a margin)."""
    deadline = time.time() + 20
    while time.time() < deadline:
        if r.llen("celery") == 0 and r.hlen("unacked") == 0:
            break
        time.sleep(0.1)
    time.sleep(seconds)


def get(res, timeout=10):
    try:
        return ("ok", res.get(timeout=timeout, propagate=False, disable_sync_subtasks=False))
    except Exception as e:  # noqa: BLE001
        return ("error", repr(e))


def case_01_chain3(notes):
    res = chain(add.s(1, 2).set(task_id="cap01-step1"), add.s(10).set(task_id="cap01-step2"),
                add.s(100).set(task_id="cap01-step3")).apply_async()
    notes["get"] = get(res)
    wait_quiet()
    p, ids = res, []
    while p is not None:
        ids.append(p.id)
        p = p.parent
    notes["last.id"] = res.id
    notes["parent chain ids from last"] = ids
    notes["children of step1"] = repr(AsyncResult("cap01-step1", app=app).children)


def case_02_link2(notes):
    res = add.apply_async((2, 2), task_id="cap02-parent",
                          link=[add.s(100).set(task_id="cap02-cb-add"), echo.s().set(task_id="cap02-cb-echo")])
    notes["get"] = get(res)
    wait_quiet()
    notes["children"] = repr(AsyncResult("cap02-parent", app=app).children)


def case_03a_link_error_1arg(notes):
    res = boom.apply_async(task_id="cap03a-boom", link_error=errback1.s().set(task_id="cap03a-errback1"))
    notes["get"] = get(res)
    wait_quiet()


def case_03b_link_error_3arg(notes):
    res = boom.apply_async(task_id="cap03b-boom", link_error=errback3.s().set(task_id="cap03b-errback3"))
    notes["get"] = get(res)
    wait_quiet()


def case_03c_link_error_two(notes):
    res = boom.apply_async(task_id="cap03c-boom", link_error=[errback1.s().set(task_id="cap03c-eb1a"),
                                                              errback1.s().set(task_id="cap03c-eb1b")])
    notes["get"] = get(res)
    wait_quiet()


def case_04_group_save(notes):
    g = group(add.s(1, 1).set(task_id="cap04-m0"), add.s(2, 2).set(task_id="cap04-m1"),
              add.s(3, 3).set(task_id="cap04-m2"))
    res = g.apply_async(task_id="cap04-group")
    notes["get"] = get(res)
    res.save()
    wait_quiet()
    back = GroupResult.restore("cap04-group", app=app)
    notes["restore"] = repr(back) + " -> " + repr(back.get(timeout=5))


def case_05_chord(notes):
    c = chord([add.s(i, 1).set(task_id="cap05-h%d" % i) for i in range(3)], tsum.s().set(task_id="cap05-body"))
    res = c.apply_async(task_id="cap05-body")
    notes["get"] = get(res)
    notes["body.parent"] = repr(res.parent)
    wait_quiet()


def case_06_chord_fail(notes):
    c = chord([add.s(1, 1).set(task_id="cap06-h0"), boom.s().set(task_id="cap06-h1"),
               add.s(2, 2).set(task_id="cap06-h2")],
              tsum.s().set(task_id="cap06-body").on_error(errback1.s().set(task_id="cap06-errback1")))
    res = c.apply_async()
    notes["get"] = get(res)
    wait_quiet()


def case_07_chain_group_task(notes):
    c = chain(add.s(1, 1).set(task_id="cap07-step1"),
              group(add.s(10).set(task_id="cap07-g0"), add.s(20).set(task_id="cap07-g1")),
              tsum.s().set(task_id="cap07-body"))
    notes["chain repr"] = repr(c)
    res = c.apply_async()
    notes["get"] = get(res)
    wait_quiet()


def case_08a_chord_chain_header(notes):
    c = chord([chain(add.s(1, 1).set(task_id="cap08a-c1"), add.s(2).set(task_id="cap08a-c2")),
               add.s(3, 3).set(task_id="cap08a-h1")], tsum.s().set(task_id="cap08a-body"))
    res = c.apply_async()
    notes["get"] = get(res)
    wait_quiet()


def case_08b_chord_group_header(notes):
    c = chord([group(add.s(1, 1).set(task_id="cap08b-g0"), add.s(2, 2).set(task_id="cap08b-g1")),
               add.s(3, 3).set(task_id="cap08b-h1")], tsum.s().set(task_id="cap08b-body"))
    res = c.apply_async()
    notes["get"] = get(res)
    wait_quiet()


def case_09_immutable(notes):
    res = chain(add.s(1, 2).set(task_id="cap09-step1"), add.si(5, 5).set(task_id="cap09-step2")).apply_async()
    notes["get"] = get(res)
    wait_quiet()


def case_10a_chunks(notes):
    res = add.chunks(zip(range(6), range(6)), 2).apply_async()
    notes["get"] = get(res)
    wait_quiet()


def case_10b_starmap(notes):
    res = add.starmap([(1, 1), (2, 2)]).apply_async(task_id="cap10b-starmap")
    notes["get"] = get(res)
    wait_quiet()


def case_11_chord_member_revoked(notes):
    app.control.revoke("cap11-h1")
    time.sleep(1.0)
    c = chord([add.s(1, 1).set(task_id="cap11-h0"), add.s(2, 2).set(task_id="cap11-h1"),
               add.s(3, 3).set(task_id="cap11-h2")], tsum.s().set(task_id="cap11-body"))
    res = c.apply_async()
    notes["get"] = get(res, timeout=8)
    wait_quiet()


CASES = [v for k, v in sorted(globals().items()) if k.startswith("case_")]


def main():
    wanted = sys.argv[1:]
    redis_proc = subprocess.Popen(["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    monitor_path = os.path.join(HERE, ".monitor-all.txt")
    mon = subprocess.Popen(["redis-cli", "-p", str(PORT), "MONITOR"], stdout=open(monitor_path, "w"))
    time.sleep(0.3)
    worker = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "celery"), "-A", "canvas_app", "worker",
                               "-c", "2", "-P", "prefork", "-Q", "celery", "--loglevel=INFO", "-n", "cap@localhost",
                               "--without-mingle", "--without-gossip"],
                              cwd=HERE, stdout=open(os.path.join(HERE, ".worker.log"), "w"), stderr=subprocess.STDOUT)
    all_notes = {}
    try:
        time.sleep(4)
        for fn in CASES:
            name = fn.__name__[len("case_"):]
            if wanted and not any(name.startswith(w) for w in wanted):
                continue
            r.execute_command("ECHO", "=== begin %s ===" % name)
            notes = {}
            fn(notes)
            r.execute_command("ECHO", "=== end %s ===" % name)
            dump_keys(os.path.join(HERE, "%s.keys.txt" % name))
            all_notes[name] = notes
            print(name, json.dumps(notes, default=repr))
            for k in r.keys("celery-task-meta-*") + r.keys("celery-taskset-meta-*") + r.keys("chord-unlock-*"):
                r.delete(k)
        time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        mon.send_signal(signal.SIGTERM)
        redis_proc.send_signal(signal.SIGTERM)
        redis_proc.wait(5)
    with open(os.path.join(HERE, "notes.json"), "w") as f:
        json.dump(all_notes, f, indent=1, sort_keys=True, default=repr)
    # split the MONITOR log per case
    lines = open(monitor_path, errors="replace").read().splitlines()
    cur = None
    out = {}
    for line in lines:
        if '"ECHO" "=== begin ' in line:
            cur = line.split("=== begin ")[1].split(" ===")[0]
            out[cur] = []
            continue
        if '"ECHO" "=== end ' in line:
            cur = None
            continue
        if cur:
            out[cur].append(line)
    for name, ls in out.items():
        with open(os.path.join(HERE, "%s.monitor.txt" % name), "w") as f:
            f.write("\n".join(ls) + "\n")


if __name__ == "__main__":
    main()
