import Foundation
import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("broker.idle_wake: a hand-off after a quiet spell costs more")
struct IdleWakeTests {
    let wake = IdleWake(max: .microseconds(450), timeConstant: .microseconds(7_400))

    @Test("the cost grows from nothing to the maximum with the quiet time before the publish")
    func cost() {
        #expect(wake.cost(afterGap: .zero) == .zero)
        #expect(wake.cost(afterGap: .microseconds(7_400)) == .microseconds(284))   // 450 × (1 − 1/e)
        #expect(wake.cost(afterGap: .seconds(1)) == .microseconds(450))
        // Poisson publishes at 160/s: the median gap is ln 2 / 160 s = 4.33 ms.
        #expect(wake.medianCost(ratePerSecond: 160) == .microseconds(199))
        #expect(wake.medianCost(ratePerSecond: 0) == .microseconds(450))
    }

    @Test("an idle pool's queue wait falls as the load rises")
    func loadDependence() throws {
        // One worker × 4, 10 ms bodies: the pool stays mostly idle, so queue wait is the hand-off.
        func run(rate: Double) throws -> RunSummary {
            try Simulator(scenario: makeScenario(
                duration: .seconds(20), rate: rate, concurrency: 4, taskDuration: .constant(.milliseconds(10)),
                configureGroup: { $0.childHandoff = .microseconds(300) },
                configureScenario: { $0.broker.latency = .microseconds(50); $0.broker.idleWake = wake })).run().summary
        }
        let slow = try run(rate: 20), fast = try run(rate: 200)
        // 2 × 50 + 300 µs plus the median wake-up: 846 µs at 20/s. At 200/s the wake-up's median is
        // 168 µs and a 4-slot pool at 50% sometimes queues, but the median task still waits less.
        #expect(abs(Double(slow.queueWait.p50) - Double(400 + wake.medianCost(ratePerSecond: 20).microseconds)) < 30,
                "\(slow.queueWait.p50)")
        #expect(fast.queueWait.p50 >= 400 + wake.medianCost(ratePerSecond: 200).microseconds - 30, "\(fast.queueWait.p50)")
        #expect(fast.queueWait.p50 + 150 < slow.queueWait.p50, "\(fast.queueWait.p50) vs \(slow.queueWait.p50)")
        #expect(slow.counts.lost == 0 && fast.counts.lost == 0)
    }

    @Test("a publish that found the host awake does not overtake one that paid the wake-up")
    func publishesLandInOrder() throws {
        // Poisson at 100/s: quiet gaps from microseconds to tens of milliseconds, so costs differ
        // from one publish to the next by up to 450 µs. Every list stays FIFO: deliveries come in
        // publish order.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("idle-wake-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Simulator(scenario: makeScenario(duration: .seconds(10), rate: 100, concurrency: 8,
                                                 taskDuration: .constant(.milliseconds(1)),
                                                 configureScenario: { $0.broker.latency = .microseconds(50); $0.broker.idleWake = wake }),
                          options: SimulationOptions(tracePath: path)).run()
        var published: [String] = [], delivered: [String] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            guard let task = line.firstMatch(of: /"task":"(t\d+)"/)?.1 else { continue }
            if line.contains(#""ev":"publish""#) { published.append(String(task)) }
            if line.contains(#""ev":"deliver""#) { delivered.append(String(task)) }
        }
        #expect(published.count > 900)
        #expect(delivered.count == published.count)
        let overtaken = zip(published, delivered).first { $0 != $1 }
        #expect(overtaken == nil, "first delivery out of publish order: \(String(describing: overtaken))")
    }

    @Test("idle_wake reads two durations, is not time-scaled, and a bad one names its place")
    func scenarioKey() throws {
        let yaml = minimalScenarioYAML(topLevel: "broker:\n  idle_wake: {max: 450us, time_constant: 7.4ms}")
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml")
        #expect(scenario.broker.idleWake == wake)
        #expect(scenario.timeScaled(by: 0.1).broker.idleWake == wake)
        expectRejected(yaml, replacing: "time_constant: 7.4ms", with: "time_constant: 0s", naming: "broker.idle_wake.time_constant")
        expectRejected(yaml, replacing: "max: 450us, ", with: "", naming: "broker.idle_wake.max")
        expectRejected(yaml, replacing: "max: 450us", with: "max: soon", naming: "broker.idle_wake.max")
    }
}
