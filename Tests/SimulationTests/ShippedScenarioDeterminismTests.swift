import Foundation
import Testing
import Scenarios
import Simulation
import WorkerCore

/// Every shipped scenario, run twice, gives the same trace hash and summary (docs/ARCHITECTURE.md rule 5).
/// Debug builds are slow, so scenarios whose load exceeds `maxTasks` are shortened here; the full
/// runs are checked in release mode by scripts/check-determinism.sh.
@Suite("Shipped scenarios are deterministic")
struct ShippedScenarioDeterminismTests {
    static let maxTasks = 20_000.0

    static var scenarioFiles: [String] {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory = directory.deletingLastPathComponent()
        }
        let folder = directory.appendingPathComponent("scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    @Test("the scenarios folder ships scenarios")
    func folderIsNotEmpty() {
        #expect(Self.scenarioFiles.count >= 8)
    }

    @Test("two runs of each shipped scenario give the same trace hash", arguments: scenarioFiles)
    func sameSeedSameTrace(path: String) throws {
        let scenario = Self.shortened(try ScenarioLoader.load(path: path))
        let first = try Simulator(scenario: scenario).run()
        let second = try Simulator(scenario: scenario).run()
        #expect(first.summary.traceHash == second.summary.traceHash)
        #expect(first.summary == second.summary)
        #expect(first.summary.counts.published > 0)
    }

    /// Scales a scenario's load down to about `maxTasks` tasks by shortening its phases.
    static func shortened(_ scenario: Scenario) -> Scenario {
        var expected = Double(scenario.load.bursts.reduce(0) { $0 + $1.count })
        for phase in scenario.load.phases { expected += (phase.rateFrom + phase.rateTo) / 2 * phase.duration.seconds }
        guard expected > maxTasks else { return scenario }
        let factor = maxTasks / expected
        var copy = scenario
        copy.duration = TimeSpan(microseconds: Int64(Double(scenario.duration.microseconds) * factor))
        copy.load.phases = scenario.load.phases.map {
            LoadPhase(duration: TimeSpan(microseconds: Int64(Double($0.duration.microseconds) * factor)),
                      rateFrom: $0.rateFrom, rateTo: $0.rateTo)
        }
        copy.load.bursts = scenario.load.bursts.filter { $0.at < copy.duration }
        return copy
    }
}
