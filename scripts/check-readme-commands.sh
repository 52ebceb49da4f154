#!/usr/bin/env bash
# Runs every `lovage` command line shown in the documentation's code blocks and checks its exit
# status, so the commands people copy from README.md and docs/*.md work as written.
#
# Usage: scripts/check-readme-commands.sh [--list] [FILE.md...]   (default: README.md and docs/*.md)
#        --list prints what would be run or skipped, and runs nothing.
# Environment: LOVAGE_BIN (default .build/release/lovage), README_COMMAND_TIMEOUT (seconds per
# command, default 180).
#
# The convention (what a documentation writer needs to know):
#  - A command is a line inside a fenced code block (``` or ~~~) that starts in column 0, after an
#    optional "$ " prompt, with `lovage `, `.build/release/lovage ` or `.build/debug/lovage `.
#    Indented lines are output, not commands. A line ending in `\` continues on the next line.
#  - It is run by bash from a scratch copy of the repository (scenarios/ and results/ are copied,
#    everything else is linked), in document order (so `shrink` can write what a later `replay`
#    reads), with `lovage` meaning $LOVAGE_BIN, standard input empty, and a time limit.
#  - The exit status checked is the lovage command's own (the first command of a pipeline, so
#    `lovage replay ... | head -2` is judged by replay's status). It must be 0 unless the line's
#    trailing comment says `# exits N`.
#  - Each command gets README_COMMAND_TIMEOUT seconds unless its comment says `timeout N` (seconds)
#    or `timeout Nm` (minutes); one still running then is killed and fails. Markers combine in one
#    comment: `# exits 1, timeout 5m`.
#  - Not run, and counted as skipped:
#      * synopses: lines with a `[...]` part or an ALL-CAPS placeholder word (FILE, N, URL...)
#        outside quotes;
#      * commands that need Redis: `worker`, `enqueue`, `inspect`, `control`, `status`, `fidelity`, `beat` (but
#        `beat --next`, which reads only its schedule file) and `run --mode redis`, and any
#        line whose trailing comment contains `needs redis`;
#      * any line whose trailing comment contains `not run`.
#  - Other trailing comments are ignored (and not passed to the shell).
# Prints one line per command and `N passed, N failed, N skipped`; exits 1 when any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob, os, re, shutil, signal, subprocess, sys, tempfile, time

root = os.getcwd()
binary = os.path.abspath(os.environ.get("LOVAGE_BIN", ".build/release/lovage"))
limit = float(os.environ.get("README_COMMAND_TIMEOUT", "180"))
PREFIX = re.compile(r"^(?:\$ )?(?:\.build/(?:release|debug)/)?lovage(?= )")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]+(?:\.\.\.)?$")
REDIS_COMMANDS = {"worker", "enqueue", "fidelity", "worker-child", "inspect", "control", "status"}

def split_comment(line):
    """The command and its trailing comment: the first `#` outside quotes after a space."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote: quote = None
        elif ch in "'\"": quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""

def unquoted(text):
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)

def commands(path):
    """(line number, command, comment) for every command line in the file's code blocks."""
    found, fence, pending = [], None, None
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    for number, raw in enumerate(lines, 1):
        stripped = raw.lstrip()
        marker = re.match(r"^(`{3,}|~{3,})", stripped)
        if marker and len(raw) - len(stripped) <= 3:
            if fence is None: fence = marker.group(1)[0] * 3
            elif stripped.startswith(fence): fence = None
            continue
        if fence is None: continue
        if pending:
            start, text = pending
            text += " " + raw.strip()
            if text.endswith("\\"): pending = (start, text[:-1].rstrip()); continue
            found.append((start,) + split_comment(text)); pending = None
            continue
        if not PREFIX.match(raw): continue
        text = raw[2:] if raw.startswith("$ ") else raw
        text = re.sub(r"^\.build/(?:release|debug)/lovage", "lovage", text)
        if text.rstrip().endswith("\\"): pending = (number, text.rstrip()[:-1].rstrip()); continue
        found.append((number,) + split_comment(text))
    return found

def skip_reason(command, comment):
    note = comment.lower()
    if "not run" in note: return "not run"
    bare = unquoted(command)
    words = bare.split()
    if "[" in bare or "]" in bare or any(PLACEHOLDER.match(w) for w in words[1:]): return "synopsis"
    if "needs redis" in note: return "needs redis"
    sub = words[1] if len(words) > 1 else ""
    if sub in REDIS_COMMANDS: return "needs redis"
    if sub == "run" and re.search(r"--mode(?:=|\s+)redis\b", bare): return "needs redis"
    if sub == "beat" and not re.search(r"--next\b", bare): return "needs redis"
    return None

def scratch():
    """A scratch copy of the repository: scenarios/ and results/ copied (commands write under
    results/), everything else linked; a bin/ with `lovage` first on PATH."""
    work = tempfile.mkdtemp(prefix="lovage-readme-")
    tree = os.path.join(work, "repo")
    os.mkdir(tree)
    for name in sorted(os.listdir(root)):
        source = os.path.join(root, name)
        if name in ("scenarios", "results"):
            shutil.copytree(source, os.path.join(tree, name), ignore=shutil.ignore_patterns("runs"), symlinks=True)
        else:
            os.symlink(source, os.path.join(tree, name))
    os.mkdir(os.path.join(work, "bin"))
    os.symlink(binary, os.path.join(work, "bin", "lovage"))
    return work, tree

arguments = sys.argv[1:]
listing = "--list" in arguments
arguments = [a for a in arguments if a != "--list"]
files = arguments or ["README.md"] + sorted(glob.glob("docs/*.md"))
if listing:
    for path in files:
        for number, command, comment in commands(path):
            reason = skip_reason(command, comment)
            match = re.search(r"\bexits\s+(\d+)", comment)
            print(f"{path}:{number}  " + (f"skip ({reason})" if reason else f"run, expect exit {int(match.group(1)) if match else 0}") + f"  {command}")
    sys.exit(0)
if not os.access(binary, os.X_OK):
    print(f"check-readme-commands: no lovage executable at {binary} (build it, or set LOVAGE_BIN)", file=sys.stderr)
    sys.exit(2)

work, tree = scratch()
env = dict(os.environ, PATH=os.path.join(work, "bin") + os.pathsep + os.environ.get("PATH", ""))
env.pop("CELERY_BROKER_URL", None)
passed = failed = skipped = 0
try:
    for path in files:
        if not os.path.exists(path):
            print(f"FAIL  {path}: no such file"); failed += 1; continue
        for number, command, comment in commands(path):
            where = f"{path}:{number}"
            reason = skip_reason(command, comment)
            if reason:
                skipped += 1
                print(f"skip  {where}  ({reason})  {command}")
                continue
            match = re.search(r"\bexits\s+(\d+)", comment)
            expected = int(match.group(1)) if match else 0
            own = re.search(r"\btimeout\s+(\d+)\s*(s|m)?\b", comment)
            seconds_allowed = int(own.group(1)) * (60 if own.group(2) == "m" else 1) if own else limit
            started = time.monotonic()
            process = subprocess.Popen(["bash", "-c", command + "\nexit ${PIPESTATUS[0]}"], cwd=tree, env=env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            try:
                output, _ = process.communicate(timeout=seconds_allowed)
                status = process.returncode
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                output, _ = process.communicate()
                status = None
            seconds = time.monotonic() - started
            if status == expected:
                passed += 1
                print(f"ok    {where}  (exit {status}, {seconds:.1f} s)  {command}")
            else:
                failed += 1
                got = f"still running after {seconds_allowed:.0f} s" if status is None else f"exit {status}"
                print(f"FAIL  {where}  expected exit {expected}, got {got}  {command}")
                tail = output.decode("utf-8", "replace").rstrip().split("\n")[-15:]
                print("\n".join("      | " + line for line in tail))
finally:
    shutil.rmtree(work, ignore_errors=True)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
