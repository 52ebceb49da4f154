import RealRun
import Scenarios
import Testing
import Workload

/// What a real run refuses before it starts: only what the fleet cannot do (the synthetic body
/// neither crashes nor hangs), no longer the per-task options the workers now register themselves.
@Suite("real run support")
struct RealRunSupportTests {
    @Test("real runs refuse crash and hang chances but no longer per-task options or rate limits")
    func refusals() throws {
        let scenario = try ScenarioLoader.parse(yaml: ScenarioTaskTableTests.yaml, sourcePath: "table.yaml")
        for target in RealRunOptions.Target.allCases {
            #expect(RealRunSupport.problems(in: scenario, target: target) == [])
        }
        var crashing = scenario
        crashing.tasks[1].body.crashProbability = 0.1
        #expect(RealRunSupport.problems(in: crashing, target: .lovage).map { $0.hasPrefix("tasks.payments.receipt.crash") } == [true])
    }
}
