"""The instructions a worker's main process executes per task, counted by callgrind: the stable
figure for what a change to the parent's per-task code bought (wall time and CPU time move with the
host's load by 10-20% between drains; an instruction count does not).

Each binary drains SMALL and then LARGE Celery-made `noop` messages (acks_late, results on, -c 2,
the threads pool, --without-mingle) under `valgrind --tool=callgrind`, on a private redis-server;
(instructions of the large drain - instructions of the small one) / (LARGE - SMALL) is the cost of
a task with start-up and shutdown taken out. The threads pool, because a prefork child is the
worker's own executable started again, which under valgrind is valgrind itself: the parent's
per-task code (decoding, the core, results, acks, the pipeline) is the same in both pools, the
threads pool adds handing the task to a slot thread.

    LOVAGE_BIN=... [LOVAGE_BASE_BIN=...] python interop/bench_worker_instructions.py

With LOVAGE_BASE_BIN (a build of another commit) both are counted and the ratio printed. Prints
figures; judges nothing."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_worker_throughput import fill
from conftest import PrivateRedis

HERE = Path(__file__).resolve().parent
SMALL = int(os.environ.get("BENCH_SMALL", "1000"))
LARGE = int(os.environ.get("BENCH_LARGE", "5000"))


def instructions(binary, server, count, work):
    """Callgrind's instruction total of one drain of `count` messages by `binary`'s main process."""
    client, _ = fill(server.url, count)
    out = os.path.join(work, f"callgrind.{count}.out")
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--trace-children=no",
               binary, "worker", "-b", server.url, "-Q", "celery", "-c", "2", "--acks-late", "-l", "WARNING",
               "-P", "threads", "--without-mingle"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(HERE))
    started = time.time()
    try:
        while client.llen("celery") > 0 or client.hlen("unacked") > 0:
            if process.poll() is not None:
                sys.exit(f"{binary} exited under valgrind before draining:\n{process.stderr.read().decode(errors='replace')}")
            if time.time() - started > 600:
                sys.exit(f"{binary}: {count} messages not drained under valgrind within 600 s")
            time.sleep(0.05)
        stored = sum(1 for _ in client.scan_iter("celery-task-meta-*", count=1000))
        if stored != count:
            sys.exit(f"{binary}: {stored} results stored for {count} tasks")
    finally:
        process.terminate()
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with open(out) as handle:
        for line in handle:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    sys.exit(f"no instruction total in {out}")


def per_task(binary, server):
    work = tempfile.mkdtemp(prefix="lovage-instructions-")
    try:
        # Valgrind 3.19 gives up on the DWARF of a Swift 6 build ("possibly corrupted debuginfo"):
        # it counts a copy without it (same code, no debug sections).
        stripped = os.path.join(work, "lovage")
        subprocess.run(["objcopy", "--strip-debug", binary, stripped], check=True)
        small = instructions(stripped, server, SMALL, work)
        large = instructions(stripped, server, LARGE, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return (large - small) / (LARGE - SMALL)


def main():
    for tool, package in (("valgrind", "valgrind"), ("objcopy", "binutils")):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool} on PATH (Debian: apt-get install {package})")
    binaries = [("lovage", os.environ.get("LOVAGE_BIN", str(HERE.parent / ".build" / "release" / "lovage")))]
    if os.environ.get("LOVAGE_BASE_BIN"):
        binaries.insert(0, ("base", os.environ["LOVAGE_BASE_BIN"]))
    server = PrivateRedis("lovage-instructions-redis-")
    try:
        figures = {}
        for name, binary in binaries:
            figures[name] = per_task(binary, server)
            print(f"{name:7s} {figures[name] / 1000:7.1f} k instructions a task in the worker's main process "
                  f"(threads pool, -c 2; drains of {SMALL} and {LARGE} messages; {binary})")
        if "base" in figures:
            print(f"ratio   lovage / base = {figures['lovage'] / figures['base']:.3f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
