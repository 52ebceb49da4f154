import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("task_overhead and child_handoff: a slot's fixed costs per task besides the body")
struct TaskOverheadTests {
    @Test("a saturated slot turns a task over every body + overhead, and run time includes the overhead")
    func capacity() throws {
        // 20/s of 100 ms constant bodies on one slot saturate it either way; throughput is what one slot
        // turns over: 10/s without overhead, 1/0.125 s = 8/s with 25 ms of overhead per task.
        func run(overhead: TimeSpan) throws -> RunSummary {
            try Simulator(scenario: makeScenario(duration: .seconds(30), drain: .seconds(600), rate: 20, arrival: .even,
                                                 concurrency: 1, configureGroup: { $0.taskOverhead = overhead })).run().summary
        }
        let plain = try run(overhead: .zero)
        let loaded = try run(overhead: .milliseconds(25))
        #expect(abs(plain.throughput - 10) < 0.05)
        #expect(abs(loaded.throughput - 8) < 0.05)
        #expect(abs(Double(plain.runTime.p50) - 100_000) < 1_000)
        #expect(abs(Double(loaded.runTime.p50) - 125_000) < 1_000)
        #expect(loaded.counts.succeeded == plain.counts.succeeded)
    }

    @Test("the scenario key reads a duration, a time scale leaves it alone, and a bad value names its place")
    func scenarioKey() throws {
        let yaml = minimalScenarioYAML(groupFields: ", task_overhead: 450us")
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml")
        #expect(scenario.fleet[0].taskOverhead == .microseconds(450))
        #expect(scenario.timeScaled(by: 0.1).fleet[0].taskOverhead == .microseconds(450))
        expectRejected(yaml, replacing: "450us", with: "lots", naming: "fleet[0].task_overhead")
    }

    @Test("child_handoff delays every body's start — a task held for its countdown too — and occupies the slot")
    func handoff() throws {
        // An idle slot, 2/s of 100 ms bodies: a fresh task waits exactly the hand-off; one slot saturated
        // by 20/s turns a task over every 15 + 100 + 10 ms = 125 ms, 8/s.
        func run(rate: Double, countdown: TimeSpan? = nil) throws -> RunSummary {
            try Simulator(scenario: makeScenario(
                duration: .seconds(30), drain: .seconds(600), rate: rate, arrival: .even, concurrency: 1,
                configureTask: { $0.countdown = countdown },
                configureGroup: { $0.childHandoff = .milliseconds(15); $0.taskOverhead = .milliseconds(10) })).run().summary
        }
        let idle = try run(rate: 2)
        #expect(idle.queueWait.p50 == 15_000)
        #expect(abs(Double(idle.queueWait.max) - 15_000) < 50)   // the histogram keeps 3 significant digits
        // Held for its eta, never back on the broker: it still waits for the hand-off after the eta.
        let held = try run(rate: 2, countdown: .seconds(5))
        #expect(held.queueWait.p50 == 15_000)
        // The run time is measured from the body's start: the body and the overhead after it.
        #expect(abs(Double(idle.runTime.p50) - 110_000) < 1_000)
        let saturated = try run(rate: 20)
        #expect(abs(saturated.throughput - 8) < 0.05)
    }

    @Test("child_handoff: a duration, not time-scaled, and a bad value names its place")
    func handoffKey() throws {
        let yaml = minimalScenarioYAML(groupFields: ", child_handoff: 300us")
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml")
        #expect(scenario.fleet[0].childHandoff == .microseconds(300))
        #expect(scenario.timeScaled(by: 0.1).fleet[0].childHandoff == .microseconds(300))
        expectRejected(yaml, replacing: "300us", with: "-1s", naming: "fleet[0].child_handoff")
    }
}
