import Foundation
import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore
import Workload

/// The generator's phase mixes, trace replay and load_factor, as the simulator and a real run's
/// plan see them (`ArrivalPlan` is checked against the simulator in ArrivalPlanMatchesSimulatorTests).
@Suite("Load keys in the simulator: phase mixes, traces, load_factor")
struct LoadKeysSimulationTests {
    /// Two tasks; the load given by `configure`.
    func twoTasks(duration: TimeSpan = .seconds(20), _ configure: (inout LoadSpec) -> Void) -> Scenario {
        makeScenario(duration: duration, rate: 10, workers: 2, concurrency: 8, configureScenario: { scenario in
            scenario.tasks.append(TaskTypeSpec(name: "app.other"))
            configure(&scenario.load)
        })
    }

    func names(_ scenario: Scenario, _ plan: [PlannedTask]) -> [String] { plan.map { scenario.tasks[$0.taskIndex].name } }

    @Test("arrival: even with one task per phase: every arrival of a phase is its task, ~rate × length of each")
    func evenPhaseMixes() throws {
        let scenario = twoTasks { load in
            load.arrival = .even
            load.mix = []
            load.phases = [LoadPhase(duration: .seconds(10), rateFrom: 10, rateTo: 10, mix: [MixEntry(task: "app.work", weight: 1)]),
                           LoadPhase(duration: .seconds(10), rateFrom: 10, rateTo: 10, mix: [MixEntry(task: "app.other", weight: 1)])]
        }
        let published = try simulatedPublishes(scenario, seed: 3)
        let first = published.filter { $0.micros < 10_000_000 }, second = published.filter { $0.micros >= 10_000_000 }
        #expect((99...100).contains(first.count) && (99...100).contains(second.count), "\(first.count) \(second.count)")
        #expect(first.allSatisfy { $0.name == "app.work" } && second.allSatisfy { $0.name == "app.other" })
    }

    @Test("poisson phases with different weights: each phase's share within 4σ; an untasked burst draws from its phase's mix unless the load has one")
    func poissonPhaseMixes() throws {
        func scenario(loadMix: [MixEntry]) -> Scenario {
            twoTasks(duration: .seconds(120)) { load in
                load.mix = loadMix
                load.phases = [LoadPhase(duration: .seconds(60), rateFrom: 50, rateTo: 50,
                                         mix: [MixEntry(task: "app.work", weight: 3), MixEntry(task: "app.other", weight: 1)]),
                               LoadPhase(duration: .seconds(60), rateFrom: 50, rateTo: 50, mix: [MixEntry(task: "app.other", weight: 1)])]
                load.bursts = [Burst(at: .seconds(90), count: 200, task: nil)]
            }
        }
        let phased = scenario(loadMix: [])
        let plan = ArrivalPlan.tasks(for: phased, seed: 8)
        let first = plan.filter { $0.offset < .seconds(60) }
        let share = Double(first.filter { $0.taskIndex == 0 }.count) / Double(first.count)
        let sigma = (0.75 * 0.25 / Double(first.count)).squareRoot()
        #expect(first.count > 2_500 && abs(share - 0.75) < 4 * sigma, "\(share) of \(first.count)")
        #expect(plan.filter { $0.offset >= .seconds(60) }.allSatisfy { $0.taskIndex == 1 })
        // The load's own mix wins for an untasked burst (the phases still pick their arrivals).
        let withLoadMix = ArrivalPlan.tasks(for: scenario(loadMix: [MixEntry(task: "app.work", weight: 1)]), seed: 8)
        #expect(withLoadMix.filter { $0.offset == .seconds(90) }.count == 200)
        #expect(withLoadMix.filter { $0.offset == .seconds(90) }.allSatisfy { $0.taskIndex == 0 })
        #expect(withLoadMix.filter { $0.offset > .seconds(60) && $0.offset != .seconds(90) }.allSatisfy { $0.taskIndex == 1 })
    }

    @Test("a trace file is replayed exactly: the simulator publishes and the plan sends each row at its time with its task")
    func traceReplays() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows: [(String, String)] = [("0", "job"), ("0.25", "mail"), ("0.25", "mail"), ("1.000001", "job"), ("7.5", "mail"), ("10", "job")]
        try ("at,task\n" + rows.map { "\($0.0),\($0.1)\n" }.joined()).write(to: folder.appendingPathComponent("rows.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: traced
            duration: 10s
            fleet:
              - {name: w, concurrency: 2}
            tasks:
              - {name: job, duration: 10ms}
              - {name: mail, duration: 10ms}
            load:
              trace: rows.csv
            """
        let path = folder.appendingPathComponent("traced.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: path)
        let expected = rows.map { (Int64((Double($0.0)! * 1_000_000).rounded()), $0.1) }
        let published = try simulatedPublishes(scenario, seed: 1)
        #expect(published.map(\.micros) == expected.map(\.0) && published.map(\.name) == expected.map(\.1), "\(published)")
        for seed in [1, 2] as [UInt64] {
            let plan = ArrivalPlan.tasks(for: scenario, seed: seed)
            #expect(plan.map(\.offset.microseconds) == expected.map(\.0) && names(scenario, plan) == expected.map(\.1))
        }
        #expect(CapacityPlan.erlangModel(scenario) == nil)
    }

    @Test("load_factor=2 sends each row twice, the copy halfway to the next row (the last row's halfway to the end)")
    func doubledTrace() throws {
        var scenario = twoTasks(duration: .seconds(20)) { load in
            load = LoadSpec()
            load.trace = sampleTrace(rows: 300, over: .seconds(19))
        }
        scenario = try scenario.overriding([ScenarioOverride(parsing: "load_factor=2")])
        let trace = try #require(scenario.load.trace)
        var expected: [(Int64, Int)] = []
        for (row, offset) in trace.offsets.enumerated() {
            let next = row + 1 < trace.offsets.count ? trace.offsets[row + 1] : scenario.duration
            expected.append((offset.microseconds, Int(trace.taskOfRow[row])))
            expected.append((offset.microseconds + (next - offset).microseconds / 2, Int(trace.taskOfRow[row])))
        }
        let plan = ArrivalPlan.tasks(for: scenario, seed: 4)
        #expect(plan.count == 600)
        #expect(plan.map(\.offset.microseconds) == expected.map(\.0) && plan.map(\.taskIndex) == expected.map(\.1))
        #expect(try simulatedPublishes(scenario, seed: 4).count == 600)
    }

    @Test("load_factor=1.5 and 0.5 over a large trace give ~1.5× and ~0.5× its rows, the same for a seed and different across seeds")
    func fractionalFactor() throws {
        let rows = 20_000
        let base = twoTasks(duration: .seconds(600)) { load in
            load = LoadSpec()
            load.trace = sampleTrace(rows: rows, over: .seconds(590))
        }
        let sigma = (Double(rows) * 0.25).squareRoot()
        for (factor, mean) in [("1.5", 1.5 * Double(rows)), ("0.5", 0.5 * Double(rows))] {
            let scenario = try base.overriding([ScenarioOverride(parsing: "load_factor=\(factor)")])
            let plan = ArrivalPlan.tasks(for: scenario, seed: 21)
            #expect(abs(Double(plan.count) - mean) < 4 * sigma, "load_factor=\(factor): \(plan.count)")
            #expect(ArrivalPlan.tasks(for: scenario, seed: 21) == plan)
            #expect(ArrivalPlan.tasks(for: scenario, seed: 22).map(\.offset) != plan.map(\.offset))
            // Copies are spread forwards, so the offsets never go backwards.
            #expect(zip(plan, plan.dropFirst()).allSatisfy { $0.offset <= $1.offset })
        }
        // At a whole factor there is nothing to draw: every seed gives the same arrivals.
        let tripled = try base.overriding([ScenarioOverride(parsing: "load_factor=3")])
        #expect(ArrivalPlan.tasks(for: tripled, seed: 1).map(\.offset) == ArrivalPlan.tasks(for: tripled, seed: 2).map(\.offset))
        #expect(ArrivalPlan.tasks(for: tripled, seed: 1).count == 3 * rows)
    }
}
