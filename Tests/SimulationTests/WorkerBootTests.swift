import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("worker_boot: a started worker consumes only once its process is up")
struct WorkerBootTests {
    /// One worker, one slot, 10 tasks/s of 1 ms bodies from t = 0.1 s (even arrivals), with a
    /// 300 ms boot; `faults` kill, restart or stop worker-1.
    private func run(faults: [FaultSpec], boot: DurationDistribution = .constant(.milliseconds(300)),
                     burstAtZero: Bool = false, seed: UInt64 = 1) throws -> RunSummary {
        try Simulator(scenario: makeScenario(
            duration: .seconds(10), drain: .seconds(5), rate: 10, arrival: .even, concurrency: 1,
            taskDuration: .constant(.milliseconds(1)), configureGroup: { $0.workerBoot = boot }, faults: faults, seed: seed,
            configureScenario: { if burstAtZero { $0.load.bursts = [Burst(at: .zero, count: 1, task: nil)] } })).run().summary
    }

    @Test("the fleet the run starts with is up at t = 0: a task published then waits for no boot")
    func initialFleetIsUp() throws {
        let summary = try run(faults: [], burstAtZero: true)
        #expect(summary.queueWait.max < 1_000)
    }

    @Test("a worker restarted after a kill takes its boot before it fetches: what arrives meanwhile waits for it")
    func restartWaitsForBoot() throws {
        let restarted = try run(faults: [FaultSpec(start: .seconds(5), end: nil, kind: .killWorker("worker-1")),
                                         FaultSpec(start: .seconds(5), end: nil, kind: .restartWorker("worker-1"))])
        // The task published at 5.0 s waits the whole 300 ms; the ones at 5.1 and 5.2 s, less.
        #expect(abs(Double(restarted.queueWait.max) - 300_000) < 1_000)
        #expect(restarted.queueWait.p50 < 1_000)
        #expect(restarted.counts.succeeded == restarted.counts.published)
        let instant = try run(faults: [FaultSpec(start: .seconds(5), end: nil, kind: .killWorker("worker-1")),
                                       FaultSpec(start: .seconds(5), end: nil, kind: .restartWorker("worker-1"))],
                              boot: .constant(.zero))
        #expect(instant.queueWait.max < 1_000)
    }

    @Test("a worker stopped while it boots never consumes")
    func stoppedWhileBooting() throws {
        let summary = try run(faults: [FaultSpec(start: .seconds(5), end: nil, kind: .killWorker("worker-1")),
                                       FaultSpec(start: .seconds(5), end: nil, kind: .restartWorker("worker-1")),
                                       FaultSpec(start: .milliseconds(5_100), end: nil, kind: .stopWorker("worker-1"))])
        // 50 tasks before 5 s ran; the 50 from 5.0 s on stay queued: nothing consumed them.
        #expect(summary.counts.succeeded == 49 || summary.counts.succeeded == 50)
        #expect(summary.leftover.queued == summary.counts.published - summary.counts.succeeded)
    }

    @Test("boot times are drawn from the seed: the same seed gives the same run, another seed another")
    func seeded() throws {
        let faults = (1...8).flatMap { second in
            [FaultSpec(start: .seconds(second), end: nil, kind: .killWorker("worker-1")),
             FaultSpec(start: .seconds(second), end: nil, kind: .restartWorker("worker-1"))]
        }
        let spread = DurationDistribution.uniform(min: .milliseconds(10), max: .milliseconds(300))
        let first = try run(faults: faults, boot: spread, seed: 3)
        #expect(try run(faults: faults, boot: spread, seed: 3) == first)
        #expect(try run(faults: faults, boot: spread, seed: 4).queueWait != first.queueWait)
    }

    @Test("the scenario key takes a duration distribution, a time scale leaves it alone, a bad value names its place")
    func scenarioKey() throws {
        let yaml = minimalScenarioYAML(groupFields: ", worker_boot: {lognormal: {median: 45ms, p99: 130ms}}")
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml")
        #expect(scenario.fleet[0].workerBoot == .logNormal(median: .milliseconds(45), p99: .milliseconds(130)))
        #expect(scenario.timeScaled(by: 0.1).fleet[0].workerBoot == scenario.fleet[0].workerBoot)
        #expect(try ScenarioLoader.parse(yaml: minimalScenarioYAML(), sourcePath: "t.yaml").fleet[0].workerBoot == .constant(.zero))
        expectRejected(yaml, replacing: "median: 45ms", with: "median: soon", naming: "fleet[0].worker_boot")
        expectRejected(yaml, replacing: "lognormal", with: "gaussian", naming: "fleet[0].worker_boot")
    }
}
