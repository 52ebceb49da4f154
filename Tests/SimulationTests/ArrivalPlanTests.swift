import Scenarios
import Testing
import WorkerCore
import Workload

@Suite("The arrival plan a real run publishes, and time scaling")
struct ArrivalPlanTests {
    @Test("even arrivals at 50/s for 4 s plan 199 tasks 20 ms apart, each with the body's duration")
    func evenPlan() {
        let scenario = makeScenario(duration: .seconds(4), rate: 50, arrival: .even, taskDuration: .constant(.milliseconds(7)))
        let plan = ArrivalPlan.tasks(for: scenario, seed: 3)
        #expect(plan.count == 199)
        #expect(plan.first?.offset == .milliseconds(20))
        #expect(zip(plan, plan.dropFirst()).allSatisfy { $1.offset - $0.offset == .milliseconds(20) })
        #expect(plan.allSatisfy { $0.duration == .milliseconds(7) && $0.taskIndex == 0 })
    }

    @Test("Poisson plans are the same for a seed, differ between seeds, and hold bursts at their time")
    func poissonPlanIsSeeded() {
        var scenario = makeScenario(duration: .seconds(60), rate: 20, taskDuration: .exponential(mean: .milliseconds(50)))
        scenario.load.bursts = [Burst(at: .seconds(30), count: 100, task: nil)]
        let first = ArrivalPlan.tasks(for: scenario, seed: 9)
        #expect(first == ArrivalPlan.tasks(for: scenario, seed: 9))
        #expect(first != ArrivalPlan.tasks(for: scenario, seed: 10))
        #expect(first.filter { $0.offset == .seconds(30) }.count >= 100)
        #expect(zip(first, first.dropFirst()).allSatisfy { $0.offset <= $1.offset })
        // About 20/s for 60 s, plus the burst.
        #expect((1_000...1_400).contains(first.count))
        let meanMs = first.map { Double($0.duration.microseconds) / 1_000 }.reduce(0, +) / Double(first.count)
        #expect((40...60).contains(meanMs))
    }

    @Test("time scale 0.1 shrinks durations and stretches rates: same task count, same utilisation")
    func timeScale() {
        var scenario = makeScenario(duration: .seconds(600), drain: .seconds(60), rate: 10, visibility: .seconds(3600),
                                    taskDuration: .constant(.milliseconds(200)),
                                    faults: [FaultSpec(start: .seconds(100), end: .seconds(200), kind: .brokerOutage)])
        scenario.tasks[0].countdown = .seconds(30)
        let scaled = scenario.timeScaled(by: 0.1)
        #expect(scaled.duration == .seconds(60))
        #expect(scaled.drain == .seconds(6))
        #expect(scaled.broker.visibilityTimeout == .seconds(360))
        #expect(scaled.load.phases[0].rateFrom == 100)
        #expect(scaled.tasks[0].body.duration == .constant(.milliseconds(20)))
        #expect(scaled.tasks[0].countdown == .seconds(3))
        #expect(scaled.faults[0].start == .seconds(10) && scaled.faults[0].end == .seconds(20))
        #expect(ArrivalPlan.tasks(for: scaled, seed: 1).count == ArrivalPlan.tasks(for: scenario, seed: 1).count)
        #expect(scenario.timeScaled(by: 1).duration == scenario.duration)
    }
}
