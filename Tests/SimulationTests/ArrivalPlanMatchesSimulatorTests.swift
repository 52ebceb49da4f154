import Foundation
import Scenarios
import Simulation
import Testing
import WorkerCore
import Workload

/// A real run publishes `ArrivalPlan`'s tasks and the simulator draws its own arrivals from the same
/// `Workload` generator; `lovage fidelity` pairs the two runs' tasks by their place in the load
/// (`RunResult.queueWaitByPlanIndexMicros`). That pairing only holds while both draw the arrival
/// stream in the same order, which this test pins down (bursts included: a plan that drew a burst's
/// tasks after every arrival shifted every task after the burst).
@Suite("The arrival plan is the simulator's load")
struct ArrivalPlanMatchesSimulatorTests {
    /// Bursts that name no task draw their tasks from the arrivals stream at their instant, between
    /// two arrivals, as the simulator does; bursts given out of order, at the same instant, or at
    /// an arrival's exact instant (0 s: the first arrival's) keep the simulator's order too.
    static let burstCases: [[Burst]] = [
        [],
        [Burst(at: .seconds(7), count: 40, task: nil)],
        [Burst(at: .seconds(12), count: 25, task: "app.other"), Burst(at: .seconds(3), count: 30, task: nil),
         Burst(at: .seconds(12), count: 10, task: nil), Burst(at: .zero, count: 5, task: nil)],
    ]

    @Test("the n-th planned task is the simulator's n-th publish: same time, same task type, with and without bursts",
          arguments: burstCases.indices)
    func planEqualsSimulatedPublishes(burstCase: Int) throws {
        let scenario = makeScenario(duration: .seconds(20), rate: 30, workers: 2, concurrency: 4,
                                    taskDuration: .exponential(mean: .milliseconds(20)),
                                    configureScenario: { scenario in
            scenario.tasks.append(TaskTypeSpec(name: "app.other"))
            scenario.load.mix = [MixEntry(task: "app.work", weight: 3), MixEntry(task: "app.other", weight: 1)]
            scenario.load.bursts = Self.burstCases[burstCase]
        })
        let plan = ArrivalPlan.tasks(for: scenario, seed: 5)
        #expect(plan.count > 500)
        #expect(Set(plan.map(\.taskIndex)) == [0, 1])
        try expectPlanMatchesSimulator(scenario, seed: 5)
    }

    /// Phase mixes (a burst without a task draws from the phase in effect), a trace beside bursts at
    /// its rows' instants, and a trace under a fractional load_factor (its own seed stream).
    static let newLoadCases = ["phase mixes", "trace", "trace × 1.5"]

    @Test("the plan is the simulator's load for phase mixes, traces and load_factor", arguments: newLoadCases)
    func newLoadKeys(_ label: String) throws {
        var scenario = makeScenario(duration: .seconds(20), rate: 30, workers: 2, concurrency: 4,
                                    taskDuration: .exponential(mean: .milliseconds(20)),
                                    configureScenario: { $0.tasks.append(TaskTypeSpec(name: "app.other")) })
        switch label {
        case "phase mixes":
            scenario.load.mix = []
            scenario.load.phases = [LoadPhase(duration: .seconds(10), rateFrom: 30, rateTo: 30, mix: [MixEntry(task: "app.work", weight: 1)]),
                                    LoadPhase(duration: .seconds(10), rateFrom: 10, rateTo: 50,
                                              mix: [MixEntry(task: "app.work", weight: 1), MixEntry(task: "app.other", weight: 2)])]
            scenario.load.bursts = [Burst(at: .seconds(3), count: 20, task: nil), Burst(at: .seconds(10), count: 30, task: nil)]
        default:
            scenario.load = LoadSpec()
            scenario.load.trace = sampleTrace(rows: 600, over: .seconds(19))
            scenario.load.bursts = [Burst(at: .zero, count: 5, task: "app.other"), Burst(at: scenario.load.trace!.offsets[7], count: 9, task: "app.work")]
            if label == "trace × 1.5" { scenario = try scenario.overriding([ScenarioOverride(parsing: "load_factor=1.5")]) }
        }
        try expectPlanMatchesSimulator(scenario, seed: 11)
    }
}

/// A trace of `rows` rows alternating between app.work and app.other, in clumps (several rows at one
/// instant) with uneven gaps, within `over`.
func sampleTrace(rows: Int, over span: TimeSpan) -> LoadTrace {
    var random = SeededRandom.split(seed: 99, stream: 1)
    var offsets: [TimeSpan] = []
    var at: Int64 = 0
    for index in 0..<rows {
        if index % 3 != 1 { at += Int64(random.nextUnitDouble() * 2 * Double(span.microseconds) / Double(rows)) }
        offsets.append(TimeSpan(microseconds: min(at, span.microseconds)))
    }
    return LoadTrace(path: "sample.csv", offsets: offsets, taskOfRow: (0..<rows).map { Int32($0 % 2) }, taskNames: ["app.work", "app.other"])
}

/// The simulator's publishes (time, task name) from its trace file, in order.
func simulatedPublishes(_ scenario: Scenario, seed: UInt64) throws -> [(micros: Int64, name: String)] {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).jsonl").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    _ = try Simulator(scenario: scenario, options: SimulationOptions(seed: seed, tracePath: path)).run()
    var published: [(micros: Int64, name: String)] = []
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    where line.contains(#""ev":"publish""#) {
        let time = try #require(line.firstMatch(of: /"t":([0-9.]+)/)?.1)
        let name = try #require(line.firstMatch(of: /"name":"([^"]+)"/)?.1)
        published.append((Int64((try #require(Double(time)) * 1_000_000).rounded()), String(name)))
    }
    return published
}

/// The n-th planned task is the simulator's n-th publish: same time, same task type.
func expectPlanMatchesSimulator(_ scenario: Scenario, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let plan = ArrivalPlan.tasks(for: scenario, seed: seed)
    let published = try simulatedPublishes(scenario, seed: seed)
    #expect(published.count == plan.count, sourceLocation: sourceLocation)
    let mismatch = zip(plan, published).enumerated().first { _, pair in
        pair.0.offset.microseconds != pair.1.micros || scenario.tasks[pair.0.taskIndex].name != pair.1.name
    }
    #expect(mismatch == nil, "first difference at task \(String(describing: mismatch?.offset))", sourceLocation: sourceLocation)
}
