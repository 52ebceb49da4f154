import Testing
import WorkerCore
@testable import Scenarios

/// The `invariants:` section (`lovage explore`'s liveness bound) is read and validated like every key.
@Suite struct InvariantsKeyTests {
    @Test func readsDrainWithin() throws {
        let scenario = try ScenarioLoader.parse(yaml: base(appending: "invariants: {drain_within: 5m}"), sourcePath: "ok.yaml")
        #expect(scenario.invariants.drainWithin == .seconds(300))
        #expect(scenario.drainBound == .seconds(300))
    }

    @Test func defaultsToTheDrainPeriod() throws {
        let scenario = try ScenarioLoader.parse(yaml: validBase, sourcePath: "ok.yaml")
        #expect(scenario.invariants.drainWithin == nil)
        #expect(scenario.drainBound == scenario.drain)
        #expect(scenario.quietFrom == scenario.duration)
    }

    @Test(arguments: [
        ("invariants: {drain_within: soon}", "invariants.drain_within", "expected a positive duration"),
        ("invariants: {drain_within: 0s}", "invariants.drain_within", "expected a positive duration"),
        ("invariants: {drain_in: 5m}", "invariants.drain_in", #"unknown key "drain_in""#),
        ("invariants: [5m]", "invariants", "expected a mapping"),
    ])
    func rejects(line: String, keyPath: String, phrase: String) {
        do {
            _ = try ScenarioLoader.parse(yaml: base(appending: line), sourcePath: "bad.yaml")
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.line == 12, "\(error)")
            #expect(error.keyPath == keyPath, "\(error)")
            #expect(error.headline.contains(phrase), "\(error.headline)")
            #expect(error.headline.hasPrefix("bad.yaml:12:"), "\(error.headline)")
        }
    }

    @Test func timeScalingScalesTheBound() throws {
        let scenario = try ScenarioLoader.parse(yaml: base(appending: "invariants: {drain_within: 5m}"), sourcePath: "ok.yaml")
        #expect(scenario.timeScaled(by: 0.1).invariants.drainWithin == .seconds(30))
    }
}
