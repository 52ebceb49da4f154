import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("Fleet scalers: KEDA's list scaler, an HPA on Celery's backlog, queue latency")
struct FleetScalerTests {
    /// A group of one worker (concurrency 4) under a load that needs about `busy` slots.
    func scenario(_ policy: FleetScalerSpec.Policy, minReplicas: Int = 1, maxReplicas: Int = 8, prefetch: Int = 1,
                  rate: Double = 10, body: TimeSpan = .seconds(2), startup: TimeSpan = .zero) -> Scenario {
        makeScenario(duration: .seconds(1_200), drain: .seconds(600), rate: rate, workers: 1, concurrency: 4, prefetch: prefetch,
                     taskDuration: .exponential(mean: body), configureGroup: { group in
                         var spec = FleetScalerSpec(policy: policy, minReplicas: minReplicas, maxReplicas: maxReplicas,
                                                    pollingInterval: .seconds(15))
                         spec.startupDelay = startup
                         spec.scaleDownStabilization = .seconds(60)
                         group.scaler = spec
                     }, seed: 5)
    }

    func fleet(_ summary: RunSummary) -> [(at: Double, running: Int, desired: Int)] {
        summary.timeline.compactMap { sample in sample.fleet.map { (sample.atSeconds, sample.workers, $0.desiredWorkers) } }
    }

    @Test("the HPA on Celery's backlog grows the fleet to carry the load and stays within its bounds")
    func hpaFollowsTheLoad() throws {
        // 10 tasks/s × 2 s = 20 busy slots: five workers of four.
        let summary = try Simulator(scenario: scenario(.hpa(targetBacklogPerReplica: 5, tolerance: 0.1, scaleUpStabilization: .zero,
                                                          scaleUpPods: 4))).run().summary
        let points = fleet(summary)
        #expect(!points.isEmpty)
        #expect(points.allSatisfy { (1...8).contains($0.desired) && $0.running <= 8 })
        #expect(summary.peakWorkers >= 5)
        #expect(summary.counts.lost == 0 && summary.leftover.total == 0)
        // Once grown it keeps up: the queue does not grow over the second half of the load.
        let late = summary.timeline.filter { $0.atSeconds > 600 && $0.atSeconds < 1_200 }.map(\.queued)
        #expect((late.max() ?? 0) < 100)
    }

    @Test("KEDA reads one list: with prefetching workers it sees an empty list while Celery holds the work")
    func kedaSeesOnlyTheList() throws {
        let summary = try Simulator(scenario: scenario(.queueLength(listLength: 5, activationListLength: 0, cooldownPeriod: .seconds(60)),
                                                   minReplicas: 0, prefetch: 4)).run().summary
        let samples = summary.timeline.compactMap(\.fleet)
        #expect(samples.contains { $0.kedaListLength == 0 && $0.celeryBacklog > 10 })
        #expect(samples.allSatisfy { $0.kedaListLength <= $0.celeryBacklog })
        // The fleet went to zero at least once while tasks were still coming.
        #expect(fleet(summary).contains { $0.desired == 0 && $0.at < 1_200 })
    }

    @Test("queue latency adds `jump` workers when the oldest message is too old, and a started worker waits out its start-up delay")
    func queueLatencySteps() throws {
        let summary = try Simulator(scenario: scenario(.queueLatency(threshold: .seconds(5), jump: 2, scaleDownDelay: .seconds(120)),
                                                   startup: .seconds(30))).run().summary
        let points = fleet(summary)
        // One poll raises the wish by at most `jump` (current + 2, clamped to max_replicas).
        for (previous, next) in zip(points, points.dropFirst()) where next.desired > previous.desired {
            #expect(next.desired - previous.desired <= 2)
        }
        #expect(points.contains { $0.desired >= 3 })
        // A worker asked for at t counts as running only 30 s later.
        if let firstRaise = points.first(where: { $0.desired > 1 }) {
            #expect(points.first { $0.running > 1 }.map { $0.at - firstRaise.at >= 29 } ?? false)
        }
        #expect(summary.peakWorkers > 1)
    }

    @Test("a fleet scaler's run is deterministic for a seed")
    func deterministic() throws {
        let make = { scenario(.hpa(targetBacklogPerReplica: 5, tolerance: 0.1, scaleUpStabilization: .zero, scaleUpPods: 4)) }
        #expect(try Simulator(scenario: make()).run().summary.traceHash == Simulator(scenario: make()).run().summary.traceHash)
    }

    @Test("scenario files: a scaler's keys are checked against its policy and the group's count against its bounds")
    func parsing() throws {
        let base = """
        name: s
        duration: 1m
        fleet:
          - name: worker
            count: 2
            scaler: {policy: queue_length, list_length: 10, min_replicas: 1, max_replicas: 4}
        tasks:
          - name: t
        load:
          phases: [{duration: 1m, rate: 1/s}]
        """
        let parsed = try ScenarioLoader.parse(yaml: base, sourcePath: "s.yaml")
        #expect(parsed.fleet[0].scaler?.policy == .queueLength(listLength: 10, activationListLength: 0, cooldownPeriod: .seconds(300)))
        #expect(parsed.fleet[0].scaler?.pollingInterval == .seconds(30))
        for (bad, message) in [("list_length: 10, min_replicas", "threshold: 5s, list_length: 10, min_replicas"),
                               ("count: 2", "count: 9"), ("policy: queue_length", "policy: keda")] {
            let text = base.replacingOccurrences(of: bad, with: message)
            #expect(throws: ScenarioError.self) { try ScenarioLoader.parse(yaml: text, sourcePath: "s.yaml") }
        }
    }
}
