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
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Simulator(scenario: scenario, options: SimulationOptions(seed: 5, tracePath: path)).run()

        var published: [(micros: Int64, name: String)] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        where line.contains(#""ev":"publish""#) {
            let time = try #require(line.firstMatch(of: /"t":([0-9.]+)/)?.1)
            let name = try #require(line.firstMatch(of: /"name":"([^"]+)"/)?.1)
            published.append((Int64((try #require(Double(time)) * 1_000_000).rounded()), String(name)))
        }
        #expect(plan.count > 500)
        #expect(Set(plan.map(\.taskIndex)) == [0, 1])
        #expect(published.count == plan.count)
        let mismatch = zip(plan, published).enumerated().first { _, pair in
            pair.0.offset.microseconds != pair.1.micros || scenario.tasks[pair.0.taskIndex].name != pair.1.name
        }
        #expect(mismatch == nil, "first difference at task \(String(describing: mismatch?.offset))")
    }
}
