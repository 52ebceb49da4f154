"""Decode every LPUSH (a published task message) and SETEX/SET (result, taskset, chord-size document) in the
per-case MONITOR logs into <case>.decoded.txt: headers that matter for canvas, the base64 body decoded, in order.

Run after capture_canvas.py: python decode_monitor.py
"""
import base64
import glob
import json
import re

LINE = re.compile(r'^(\S+) \[\d+ ([^\]]+)\] "(LPUSH|SETEX|SET|ZADD|DEL|EXPIRE|ZRANGE|GET|ZCOUNT|SISMEMBER|SADD)" (.*)$')
HEADERS = ("task", "id", "root_id", "parent_id", "group", "group_index", "argsrepr", "kwargsrepr")


def unquote(arg):
    return arg.encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8")


def args_of(rest):
    return [unquote(a) for a in re.findall(r'"((?:[^"\\]|\\.)*)"', rest)]


for path in sorted(glob.glob("*.monitor.txt")):
    out = []
    for line in open(path, errors="replace"):
        m = LINE.match(line.rstrip("\n"))
        if not m:
            continue
        _, who, cmd, rest = m.groups()
        a = args_of(rest)
        if a and a[0] in ("unacked", "unacked_index", "unacked_mutex"):
            continue
        if cmd == "LPUSH" and not a[0].startswith("celery"):
            continue
        if cmd == "LPUSH":
            msg = json.loads(a[1])
            h = msg["headers"]
            out.append("LPUSH %s by %s\n  headers: %s\n  body: %s" % (
                a[0], who, json.dumps({k: h.get(k) for k in HEADERS}),
                base64.b64decode(msg["body"]).decode()))
        elif cmd in ("GET",) and not a[0].startswith("celery-taskset"):
            continue
        else:
            out.append("%s by %s: %s" % (cmd, who, json.dumps(a)))
    with open(path.replace(".monitor.txt", ".decoded.txt"), "w") as f:
        f.write("\n".join(out) + "\n")
