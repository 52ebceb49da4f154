"""Where a worker drain's time goes, for interop/bench_worker_throughput.py: the Redis commands it
costs per task (`INFO commandstats` deltas, and a MONITOR sample that tells commands a client sent
from commands a Lua script ran), the CPU each role spends (/proc utime+stime: the worker's parent
process, its children summed, redis-server), and the ceiling the command mix implies, from
`redis-benchmark` with pipelining run on the same redis-server with arguments copied from the
sample. Measures and prints; judges nothing."""
import os
import re
import shutil
import socket
import subprocess
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- CPU per role ------------------------------------------------------------------------------

def cpu_seconds(pid, user_only=False):
    """utime + stime of one process (all its threads), in seconds (utime alone with `user_only`);
    0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # Fields after the ")" start at field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + (0 if user_only else int(fields[12]))) / CLOCK_TICKS


def descendants(pid):
    """Every live process below `pid` (children, grandchildren...), from /proc's parent links."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                after = handle.read().rsplit(b")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents.setdefault(int(after[1]), []).append(int(entry))
    found, frontier = [], [pid]
    while frontier:
        below = parents.get(frontier.pop(), [])
        found.extend(below)
        frontier.extend(below)
    return sorted(found)


class RoleCPU:
    """A snapshot of CPU seconds by role: the worker's parent process, its descendants summed (by
    pid, so a child that exits between snapshots is simply missing from the later one: the
    workers here keep their children for the whole drain), and redis-server."""

    def __init__(self, worker_pid, redis_pid):
        self.parent = cpu_seconds(worker_pid)
        self.parent_user = cpu_seconds(worker_pid, user_only=True)
        self.children = {pid: cpu_seconds(pid) for pid in descendants(worker_pid)}
        self.redis = cpu_seconds(redis_pid)

    def since(self, earlier):
        children = sum(seconds - earlier.children.get(pid, 0.0) for pid, seconds in self.children.items())
        return {"parent": self.parent - earlier.parent, "children": children, "redis-server": self.redis - earlier.redis,
                PARENT_USER: self.parent_user - earlier.parent_user}


# The parent's user-space part (utime), shown inside the parent's figure and not added to the total:
# what the worker's own code costs, apart from the kernel's work for it (system calls, switches).
PARENT_USER = "parent user"


def format_cpu(name, roles, tasks, wall_seconds):
    total = sum(seconds for role, seconds in roles.items() if role != PARENT_USER)

    def part(role, seconds):
        user = f", user {1000 * roles[PARENT_USER] / tasks:.3f} s" if role == "parent" and PARENT_USER in roles else ""
        return f"{role} {1000 * seconds / tasks:6.3f} s ({100 * seconds / total:3.0f}%{user})"
    parts = [part(role, seconds) for role, seconds in roles.items() if role != PARENT_USER] if total > 0 else ["no CPU measured"]
    return (f"{name:8s} CPU per 1,000 tasks: " + ", ".join(parts)
            + f"; total {1000 * total / tasks:6.3f} s, {total / wall_seconds:4.2f} cores busy")


# --- commands per task ------------------------------------------------------------------------

def command_counts(client):
    """`INFO commandstats` as {command: calls} (Redis counts a command a script runs too)."""
    return {name.removeprefix("cmdstat_"): fields["calls"] for name, fields in client.info("commandstats").items()}


def format_commands(name, counts, tasks):
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    listing = ", ".join(f"{command} {calls / tasks:.2f}" for command, calls in ordered if calls / tasks >= 0.005)
    return f"{name:8s} Redis commands per task {sum(counts.values()) / tasks:5.2f}: {listing}"


_ARGUMENT = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"a": b"\a", b"b": b"\b", b"\\": b"\\", b'"': b'"'}


def _unescape(text):
    """Undoes Redis's sdscatrepr quoting of one MONITOR argument."""
    out, index = bytearray(), 0
    while index < len(text):
        if text[index:index + 1] == b"\\" and index + 1 < len(text):
            mark = text[index + 1:index + 2]
            if mark == b"x":
                out.append(int(text[index + 2:index + 4], 16))
                index += 4
                continue
            out += _ESCAPES.get(mark, mark)
            index += 2
            continue
        out += text[index:index + 1]
        index += 1
    return bytes(out)


class MonitorSample:
    """MONITOR on its own connection while a drain runs: each command a client sent (`client`)
    or a script ran (`lua`), with its arguments, but for those of `ignored_address` (the
    benchmark's own polling connection). Started before the worker, stopped after."""

    def __init__(self, port, ignored_address):
        self.ignored = ignored_address.encode()
        self.socket = socket.create_connection(("127.0.0.1", port))
        self.socket.sendall(b"MONITOR\r\n")
        self.sent, self.scripted = [], []
        self.stopped = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = self.socket.recv(1 << 20)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\r\n")
            for line in lines:
                if not line.startswith(b"+") or b"] " not in line:
                    continue
                source, _, arguments = line.partition(b"] ")
                command = [_unescape(match) for match in _ARGUMENT.findall(arguments)]
                if command and not source.endswith(b" " + self.ignored):
                    (self.scripted if source.endswith(b" lua") else self.sent).append(command)

    def stop(self):
        """Ends the sample once MONITOR's feed has been quiet for 0.3 s (it lags a busy server), or
        after 10 s."""
        deadline, seen = time.time() + 10, -1
        while time.time() < deadline and seen != len(self.sent) + len(self.scripted):
            seen = len(self.sent) + len(self.scripted)
            time.sleep(0.3)
        self.socket.close()
        self.thread.join(2)


def shapes(commands):
    """Groups commands by what they cost: the name, and for EVAL and EVALSHA the script (its length,
    or the first characters of its SHA1; the fetch script is named so). Returns {shape:
    (calls, representative)}, sorted by shape; the representative is the first command of the
    shape whose first key is the shape's most common one (the task queue's BRPOP, say, rather than
    a start-up BRPOP on a reply list)."""
    grouped = {}
    for command in commands:
        name = command[0].upper().decode()
        shape = name
        if name in _SCRIPT_CALLS and len(command) > 1:
            what = f"{len(command[1])} B" if name == "EVAL" else "sha1 " + command[1][:8].decode(errors="replace")
            shape += f" <{'fetch ' if _is_fetch_script(command) else ''}script {what}>"
        grouped.setdefault(shape, []).append(command)
    found = {}
    for shape, group in sorted(grouped.items()):
        keys = {}
        for command in group:
            key = _first_key(command)
            keys[key] = keys.get(key, 0) + 1
        common = max(sorted(keys), key=lambda key: keys[key])
        found[shape] = (len(group), next(command for command in group if _first_key(command) == common))
    return found


def _first_key(command):
    """The key a command works on first (EVAL's KEYS[1]), or None."""
    if command[0].upper() in (b"EVAL", b"EVALSHA"):
        return command[3] if len(command) > 3 and command[2] != b"0" else None
    return command[1] if len(command) > 1 else None


def format_sample(name, sample, tasks):
    def listing(commands):
        return ", ".join(f"{shape} {calls / tasks:.2f}" for shape, (calls, _) in shapes(commands).items()
                         if calls / tasks >= 0.005)
    return (f"{name:8s} MONITOR sample of {tasks} tasks: sent {len(sample.sent) / tasks:.2f} a task ({listing(sample.sent)});"
            f" run by scripts {len(sample.scripted) / tasks:.2f} a task ({listing(sample.scripted) or 'none'})")


# --- the ceiling ------------------------------------------------------------------------------

def redis_benchmark_binary():
    return shutil.which("redis-benchmark")


_POPS = {"BRPOP", "RPOP", "LPOP", "BLPOP", "LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH"}
_SCRIPT_CALLS = {"EVAL", "EVALSHA"}


def _is_fetch_script(command):
    """Lovage's batch fetch (EVAL or EVALSHA): its first two keys are `unacked` and `unacked_index`."""
    return command[0].upper() in (b"EVAL", b"EVALSHA") and command[3:5] == [b"unacked", b"unacked_index"]


def _pops(command):
    name = command[0].upper().decode()
    return name in _POPS or _is_fetch_script(command) or (name == "EVAL" and b"pop" in command[1].lower())


CLIENTS = 4


def _rate(binary, port, pipeline, requests, command):
    """Requests per second of `command` from redis-benchmark (CLIENTS connections, `pipeline`
    deep), or the reason it could not say."""
    run = subprocess.run([binary, "-h", "127.0.0.1", "-p", str(port), "-c", str(CLIENTS), "-n", str(requests),
                          "-P", str(pipeline), "--csv", *command], capture_output=True, timeout=300)
    output = run.stdout.decode(errors="replace")
    # The row is the test's name (the command, quotes and newlines and all), then seven figures: rps first.
    row = re.search(r'"([0-9.]+)"(?:,"[0-9.]+"){6}\s*$', output)
    if run.returncode != 0 or row is None:
        return (output + run.stderr.decode(errors="replace")).strip()[-200:] or f"exit status {run.returncode}"
    return float(row.group(1))


def _benchmarkable(command, popped_per_call):
    """The command as redis-benchmark should repeat it. Lovage's fetch script carries the server
    time after which its caller stops waiting (ARGV[3]): replayed later it would pop nothing, so it
    gets a time far ahead (the script still reads TIME); and its limit (ARGV[1]) becomes the mean
    number of messages a fetch popped in the sample, so a call costs what a call cost there."""
    if _is_fetch_script(command):
        limit = 3 + int(command[2])
        return command[:limit] + [str(max(1, round(popped_per_call))).encode()] + command[limit + 1:-1] + [b"9000000000000000"]
    return command


def ceiling(binary, client, port, sample, tasks, pipelines, refill_message, queue):
    """Tasks per second the command mix allows: each shape the clients sent, run alone through
    redis-benchmark with a representative's arguments, weighted by its calls per task:
    1 / sum(calls per task / requests per second). Pops (and a script that pops) run with the task
    queue (or, for a pop elsewhere, the first key) refilled with the drain's message, so they pop
    something as in the drain. MULTI and EXEC cannot
    run alone; each is costed as a PING (they queue and run commands that are costed on their own).
    Returns ({pipeline: tasks/s or None}, [(shape, calls per task, {pipeline: requests/s or why not})])."""
    measured = []
    for shape, (calls, command) in shapes(sample.sent).items():
        per_task = calls / tasks
        if per_task < 0.005:
            continue
        popped = sum(1 for scripted in sample.scripted if scripted[0].upper() in (b"RPOP", b"LPOP"))
        command = [b"PING"] if shape in ("MULTI", "EXEC") else _benchmarkable(command, popped / calls)
        per_call = max(1, round(popped / calls)) if _is_fetch_script(command) else 1
        rates = {}
        for pipeline in pipelines:
            requests = 10000
            if _pops(command):
                key = queue if queue in command[1:] else _first_key(command)
                client.delete(key)
                batch = client.pipeline(transaction=False)
                # redis-benchmark may run a pipeline past -n: room for one more round per client.
                for index in range(per_call * (requests + CLIENTS * pipeline)):
                    batch.lpush(key, refill_message)
                    if index % 1000 == 999:
                        batch.execute()
                batch.execute()
            rates[pipeline] = _rate(binary, port, pipeline, requests, command)
        measured.append((shape, per_task, rates))
    client.flushall()
    limits = {}
    for pipeline in pipelines:
        if all(isinstance(rates[pipeline], float) for _, _, rates in measured):
            limits[pipeline] = 1 / sum(per_task / rates[pipeline] for _, per_task, rates in measured)
        else:
            limits[pipeline] = None
    return limits, measured
