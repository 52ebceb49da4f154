#!/usr/bin/env python3
"""Measures what writing fresh memory costs on this machine, for a scenario's `host.memory_write`.

A task that keeps memory has the kernel fault in and zero every page it writes. On a virtual
machine whose host backs guest memory lazily (Firecracker, ballooning, free page reporting), a
page the host has not backed costs several times more, and memory a process frees goes back to
the host within seconds. This script measures the three figures the simulator's model needs:

1. `per_mib` and `unbacked_per_mib`: `--writers` processes at once (a worker's children on the
   host's CPUs) each write `--mib / writers` MiB in 2 MiB chunks (as `lovage.synthetic` keeps
   memory). Chunks cluster at two speeds; the script splits them at twice the fastest decile.
2. `release_time_constant` and `backed`: one process writes `--mib` MiB and exits; after a gap, a
   second writes it again and counts how much was still cheap. What stays cheap after a long gap
   is `backed`; what is above it decays with the time constant (fitted to the gaps).

    scripts/measure-memory-write.py [--mib 3072] [--writers 2] [--gaps 0.5,2,5,10,30]

Uses anonymous private mappings written with memset, so it measures the kernel and the
hypervisor, not Python. On bare metal both speeds come out the same: use `per_mib` alone.
"""
import argparse
import ctypes
import math
import mmap
import multiprocessing
import sys
import time

CHUNK_BYTES = 2 << 20
_memset = ctypes.CDLL(None).memset
_memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]


def write_chunks(mib):
    """Writes `mib` MiB in 2 MiB chunks, keeps them, and returns each chunk's seconds."""
    kept, seconds = [], []
    for _ in range(max(1, mib // 2)):
        block = mmap.mmap(-1, CHUNK_BYTES, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        address = ctypes.addressof(ctypes.c_char.from_buffer(block))
        start = time.perf_counter()
        _memset(address, 0xA5, CHUNK_BYTES)
        seconds.append(time.perf_counter() - start)
        kept.append(block)
    return seconds


def _writer(mib, queue):
    queue.put(write_chunks(mib))


def write_in_processes(mib, writers):
    """Chunk times of `writers` processes writing `mib` MiB between them at once; the memory is
    freed when they exit."""
    queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=_writer, args=(mib // writers, queue)) for _ in range(writers)]
    for process in processes:
        process.start()
    seconds = []
    for _ in processes:
        seconds += queue.get()
    for process in processes:
        process.join()
    return seconds


def split_speeds(seconds):
    """(fast chunk times, slow chunk times), split at twice the fastest decile."""
    ordered = sorted(seconds)
    threshold = 2 * ordered[len(ordered) // 10]
    return [s for s in seconds if s <= threshold], [s for s in seconds if s > threshold]


def ms_per_mib(chunks):
    return 1000 * sum(chunks) / (len(chunks) * CHUNK_BYTES / 1048576) if chunks else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=3072, help="MiB to write per measurement (default 3072)")
    parser.add_argument("--writers", type=int, default=2, help="processes writing at once (default 2)")
    parser.add_argument("--gaps", default="0.5,2,5,10,30", help="seconds between freeing and writing again")
    args = parser.parse_args()
    gaps = [float(g) for g in args.gaps.split(",")]

    fast, slow = split_speeds(write_in_processes(args.mib, args.writers))
    print(f"{args.writers} writers, {args.mib} MiB: {len(fast) * 2} MiB at {ms_per_mib(fast):.2f} ms/MiB, "
          f"{len(slow) * 2} MiB at {ms_per_mib(slow):.2f} ms/MiB")
    if len(slow) < len(fast) // 20:
        print(f"one speed: memory_write: {{per_mib: {1000 * ms_per_mib(fast):.0f}us}}")
        return 0
    threshold = max(fast)

    cheap_mib = []
    for gap in gaps:
        write_in_processes(args.mib, 1)
        time.sleep(gap)
        again = write_in_processes(args.mib, 1)
        cheap = sum(1 for s in again if s <= threshold) * 2
        cheap_mib.append(cheap)
        print(f"freed {args.mib} MiB, {gap:>5.1f} s later {cheap} MiB still cheap")
    backed = cheap_mib[-1]
    # What was above `backed` decays as e^(-gap/τ): fit τ to the gaps before the last.
    points = [(gap, (cheap - backed) / args.mib) for gap, cheap in zip(gaps[:-1], cheap_mib[:-1]) if cheap > backed]
    if points:
        tau = sum(gap * gap for gap, _ in points) / -sum(gap * math.log(share) for gap, share in points)
        print(f"memory_write: {{per_mib: {1000 * ms_per_mib(fast):.0f}us, unbacked_per_mib: {ms_per_mib(slow):.1f}ms, "
              f"backed: {backed}MiB, release_time_constant: {tau:.1f}s}}")
    else:
        print(f"memory_write: {{per_mib: {1000 * ms_per_mib(fast):.0f}us, unbacked_per_mib: {ms_per_mib(slow):.1f}ms, "
              f"backed: {backed}MiB}}  (freed memory went back to the host before the first gap)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
