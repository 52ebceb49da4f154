import Benchmark
import MallocGate
import Scenarios
import Simulation

/// The simulator's event loop: a whole, tiny run in virtual time — arrivals, broker pushes and
/// BRPOPs, the worker core's directives, modelled task bodies, acknowledgements, results, timeline
/// samples and the summary at the end. Only `run()` is measured; building the `Simulator` (the
/// fleet, the generators) happens before `startMeasurement()` in each iteration.
///
/// The simulator promises that its cost grows with work in flight, not with work done; its
/// allocations per run are where a broken promise shows first.
let benchmarks: @Sendable () -> Void = {
    Benchmark("Simulator.run", configuration: MallocGate.configuration) {
        (benchmark: Benchmark, scenario: Scenario) in
        for _ in benchmark.scaledIterations {
            let simulator = try Simulator(scenario: scenario)
            benchmark.startMeasurement()
            let result = simulator.run()
            benchmark.stopMeasurement()
            blackHole(result)
        }
    } setup: {
        let scenario = try ScenarioLoader.parse(yaml: tinyScenarioYAML, sourcePath: "SimulationBenchmarks/tiny")
        // One checked run, so the benchmark measures a run that does what it says: every task
        // published ends, some through a retry, and no invariant breaks.
        let summary = try Simulator(scenario: scenario).run().summary
        let counts = summary.counts
        guard counts.published > 0, counts.succeeded + counts.failed == counts.published, counts.retried > 0,
              summary.invariantViolations.isEmpty, summary.leftover.total == 0 else {
            throw ScenarioOutcomeError(description: "the tiny scenario no longer runs as the benchmark expects: "
                + "published \(counts.published), succeeded \(counts.succeeded), failed \(counts.failed), "
                + "retried \(counts.retried), violations \(summary.invariantViolations.count), "
                + "leftover \(summary.leftover.total)")
        }
        return scenario
    }
}

/// Nine tasks (even arrivals at 10/s for one virtual second) on one worker with Dify's settings (late
/// acks, prefetch 1): small enough that a run stays under the 2,048 allocations the gate counts
/// exactly. One task type in five fails half the time and is retried by `autoretry_for`, so the
/// retry path (publish with an eta, hold, redeliver) is in the loop too.
let tinyScenarioYAML = """
    name: micro-benchmark-tiny
    seed: 42
    duration: 1s
    drain: 30s
    fleet:
      - name: worker
        count: 1
        concurrency: 2
        prefetch_multiplier: 1
        acks_late: true
    tasks:
      - name: app.add
        duration: 50ms
      - name: app.flaky
        duration: 20ms
        failure: {probability: 0.5, error: ConnectionError}
        retry:
          max_retries: 3
          autoretry_for: [ConnectionError]
          default_retry_delay: 1s
    load:
      arrival: even
      phases:
        - {duration: 1s, rate: 10/s}
      mix: {app.add: 4, app.flaky: 1}
    """

struct ScenarioOutcomeError: Error, CustomStringConvertible {
    let description: String
}
