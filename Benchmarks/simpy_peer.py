"""The bare SimPy peer of scenarios/benchmark-1h-1000rps.yaml, for Benchmarks/simulator-throughput.sh.

The same queue without any Celery semantics: Poisson arrivals at 1,000 tasks/s for one hour of
virtual time (about 3.6 M tasks), 32 servers (the scenario's 4 workers x concurrency 8) and
exponential bodies with a 20 ms mean; the run goes on until the last task is done, as Lovage's
drain does. No broker, prefetch, acknowledgement, trace or histogram: a minimal
discrete-event model of that load, so Lovage's ratio against it is a conservative one.

Why one `simpy.Resource(capacity=32)` by default rather than 4 Resources of 8: the scenario's
workers share one broker list and an idle child takes the next message, so the queue is one FIFO in
front of 32 servers (M/M/32), and per task SimPy does the same work either way (a process, a
request, a timeout, a release). `--pools 4` splits the servers into 4 Resources of 8 fed round robin
(4 separate M/M/8 queues, a different model); measured on 360,000 tasks (`--hours 0.1`) it ran
about 10% faster than the single Resource (101-108k against 92-96k tasks per wall second), so
quote it beside the default when the ratio is close to a target.

    python Benchmarks/simpy_peer.py [--seed 1] [--hours 1] [--rate 1000] [--pools 1]

Prints one line: `simpy: TASKS tasks, WALL s wall, RATE tasks per wall second` (wall time of the
simulation run alone, not of the interpreter's start-up).
"""

import argparse
import random
import time

import simpy


def run(seed: int, duration_s: float, rate_per_s: float, servers: int, pools: int, mean_body_s: float) -> int:
    env = simpy.Environment()
    resources = [simpy.Resource(env, capacity=servers // pools) for _ in range(pools)]
    arrivals = random.Random(seed)
    bodies = random.Random(seed + 1)
    done = 0

    def task(resource):
        nonlocal done
        with resource.request() as slot:
            yield slot
            yield env.timeout(bodies.expovariate(1.0 / mean_body_s))
        done += 1

    def source():
        number = 0
        while True:
            yield env.timeout(arrivals.expovariate(rate_per_s))
            if env.now >= duration_s:
                return
            env.process(task(resources[number % pools]))
            number += 1

    env.process(source())
    env.run()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=1.0, help="virtual hours of arrivals")
    parser.add_argument("--rate", type=float, default=1000.0, help="arrivals per virtual second")
    parser.add_argument("--servers", type=int, default=32, help="4 workers x concurrency 8")
    parser.add_argument("--pools", type=int, default=1, help="Resources the servers are split into")
    parser.add_argument("--mean-body-ms", type=float, default=20.0)
    args = parser.parse_args()
    if args.pools < 1 or args.servers % args.pools != 0:
        parser.error(f"--pools {args.pools} must be at least 1 and divide --servers {args.servers}")
    started = time.perf_counter()
    done = run(args.seed, args.hours * 3600.0, args.rate, args.servers, args.pools, args.mean_body_ms / 1000.0)
    wall = time.perf_counter() - started
    print(f"simpy: {done} tasks, {wall:.2f} s wall, {done / wall:.0f} tasks per wall second")


if __name__ == "__main__":
    main()
