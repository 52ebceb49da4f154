import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("Sweeping fleet scalers: scaler.policy and scaler.<setting> overrides, and what a scaled fleet pays for")
struct ScalerOverrideTests {
    static let yaml = """
        name: scaled
        seed: 3
        duration: 10m
        fleet:
          - name: worker
            count: 2
            concurrency: 4
            prefetch_multiplier: 1
            scaler: {policy: queue_length, list_length: 7, min_replicas: 1, max_replicas: 6, polling_interval: 10s,
                     startup_delay: 5s, shutdown_grace: 40s}
          - name: fixed
            count: 1
            concurrency: 2
        tasks:
          - name: job
            duration: {exponential: {mean: 2s}}
        load:
          phases:
            - {duration: 10m, rate: 2/s}
        """

    func scenario() throws -> Scenario { try ScenarioLoader.parse(yaml: Self.yaml, sourcePath: "scaled.yaml") }

    @Test("changing the policy keeps replicas and timings and carries the backlog per replica between KEDA and the HPA")
    func policySwitch() throws {
        let base = try scenario()
        let hpa = try base.overriding([ScenarioOverride(parsing: "scaler.policy=hpa")])
        let spec = try #require(hpa.fleet[0].scaler)
        #expect(spec.policy == .hpa(targetBacklogPerReplica: 7, tolerance: 0.1, scaleUpStabilization: .zero, scaleUpPods: 4))
        #expect(spec.minReplicas == 1 && spec.maxReplicas == 6 && spec.pollingInterval == .seconds(10))
        #expect(spec.startupDelay == .seconds(5) && spec.shutdownGrace == .seconds(40))
        #expect(hpa.fleet[1].scaler == nil)
        // `autoscale.policy` is the same key (the issue's spelling).
        let latency = try base.overriding([ScenarioOverride(parsing: "autoscale.policy=queue_latency"),
                                           ScenarioOverride(parsing: "scaler.threshold=45s")])
        #expect(latency.fleet[0].scaler?.policy == .queueLatency(threshold: .seconds(45), jump: 1, scaleDownDelay: .seconds(300)))
        let off = try base.overriding([ScenarioOverride(parsing: "scaler.policy=off")])
        #expect(off.fleet[0].scaler == nil && off.fleet[0].count == 2)
    }

    @Test("settings change the scaler, keep the starting count within the replicas, and belong to their policy")
    func settings() throws {
        let base = try scenario()
        let changed = try base.overriding([ScenarioOverride(parsing: "scaler.max_replicas=1"),
                                           ScenarioOverride(parsing: "scaler.list_length=3")])
        #expect(changed.fleet[0].scaler?.maxReplicas == 1 && changed.fleet[0].scaler?.minReplicas == 1)
        #expect(changed.fleet[0].count == 1)
        #expect(changed.fleet[0].scaler?.policy == .queueLength(listLength: 3, activationListLength: 0, cooldownPeriod: .seconds(300)))
        do {
            _ = try base.overriding([ScenarioOverride(parsing: "scaler.target_backlog_per_replica=5")])
            Issue.record("a setting of another policy was accepted")
        } catch {
            #expect(error.description.contains("hpa policy") && error.description.contains("queue_length"))
        }
        for bad in ["scaler.policy=keda", "scaler.max_replicas=0", "scaler.polling_interval=0s", "scaler.list_length=x",
                    "scaler.tolerance=2", "scaler.nonsense=1", "autoscale.policy="] {
            #expect(throws: ScenarioOverrideError.self, "\(bad)") { try ScenarioOverride(parsing: bad) }
        }
    }

    @Test("a scaler setting on a scenario without a scaler names the problem")
    func needsAScaler() throws {
        let plain = makeScenario(workers: 1, concurrency: 2)
        do {
            _ = try plain.overriding([ScenarioOverride(parsing: "scaler.policy=hpa")])
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("has a `scaler:`"))
        }
    }

    @Test("a scaled group pays for the workers it ran on average, a fixed group for its count")
    func paidFleet() throws {
        let scenario = try scenario()
        let summary = try Simulator(scenario: scenario).run().summary
        let mean = try #require(summary.meanWorkers)
        #expect(mean > 1 && mean <= 7)
        let paid = CapacityPlan.paidFleet(scenario, summary: summary)
        #expect(abs(paid.workers - mean) < 1e-9)
        #expect(abs(paid.slots - (2 + (mean - 1) * 4)) < 1e-9)
        // Without a scaler: the counts, whatever the summary says.
        let fixed = try scenario.overriding([ScenarioOverride(parsing: "scaler.policy=off")])
        #expect(CapacityPlan.paidFleet(fixed, summary: summary) == (workers: 3, slots: 10))
    }
}
