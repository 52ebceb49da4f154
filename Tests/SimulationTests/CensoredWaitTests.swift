import Foundation
import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

/// Tasks never started by the end of a run count in the wait percentiles as waiting until then,
/// and each task type's figures add up to the run's.
@Suite("Censored waits and per-task-type figures")
struct CensoredWaitTests {
    /// One type the fleet consumes, one routed to a queue no worker reads (built in code: the
    /// loader would refuse it).
    static func strandingScenario() -> Scenario {
        makeScenario(duration: .seconds(60), drain: .seconds(120), rate: 10, configureScenario: { scenario in
            var stranded = TaskTypeSpec(name: "app.stranded")
            stranded.queue = "nowhere"
            scenario.tasks.append(stranded)
            scenario.load.mix.append(MixEntry(task: "app.stranded", weight: 1))
            scenario.assertions = [try! Assertion.parse("queue_wait.p99 < 60s")]
        })
    }

    @Test("a run that strands work counts it as censored and fails a wait SLO")
    func strandedFailsSLO() throws {
        let result = try Simulator(scenario: Self.strandingScenario()).run()
        let s = result.summary
        let stranded = try #require(s.byTask.first { $0.task == "app.stranded" })
        #expect(stranded.published > 200)
        #expect(stranded.succeeded == 0)
        #expect(stranded.censoredWaits == stranded.published)
        #expect(s.censoredWaits == stranded.published)
        #expect(s.leftover.queued == stranded.published)
        // The run ends at 60 s + 120 s drain: the earliest stranded task waited about 180 s.
        #expect(s.queueWait.max >= 170_000_000)
        #expect(s.queueWait.p99 >= 120_000_000)
        #expect(s.latency.p99 >= 120_000_000)
        #expect(stranded.queueWait.p50 >= 60_000_000)
        #expect(!result.assertionsHold)
        // The consumed type's own waits are not touched.
        let served = try #require(s.byTask.first { $0.task == "app.work" })
        #expect(served.censoredWaits == 0)
        #expect(served.queueWait.p99 < 1_000_000)
    }

    @Test("censoring is a summary change: the trace hash is the one of the same run without it")
    func traceUnchanged() throws {
        let a = try Simulator(scenario: Self.strandingScenario()).run().summary
        let b = try Simulator(scenario: Self.strandingScenario()).run().summary
        #expect(a.traceHash == b.traceHash)
        #expect(a == b)
    }

    @Test("a task held for an eta after the end has not waited: latency counts it, queue wait does not")
    func notYetDue() throws {
        let scenario = makeScenario(duration: .seconds(30), drain: .seconds(60), rate: 2, prefetch: 100,
                                    configureTask: { $0.countdown = .seconds(3600) })
        let s = try Simulator(scenario: scenario).run().summary
        #expect(s.leftover.total == s.counts.published)
        #expect(s.leftover.held + s.leftover.queued + s.leftover.unacked == s.counts.published)
        #expect(s.censoredWaits == 0)
        #expect(s.queueWait.max == 0)
        #expect(s.latency.p50 >= 60_000_000, "published in the first 30 s of a 90 s run")
    }

    @Test("a run that finishes its work censors nothing")
    func cleanRun() throws {
        let s = try Simulator(scenario: makeScenario(rate: 5)).run().summary
        #expect(s.censoredWaits == 0)
        #expect(s.leftover.total == 0)
        #expect(s.byTask.map(\.task) == ["app.work"])
    }

    @Test("per-type counts add up to the totals, sorted by task name")
    func typesAddUp() throws {
        let scenario = makeScenario(duration: .seconds(120), rate: 20, workers: 2, configureTask: { task in
            task.body.failureProbability = 0.3
            task.body.failureErrorType = "ConnectionError"
            var policy = RetryPolicy()
            policy.autoretryFor = ["ConnectionError"]
            policy.maxRetries = 2
            policy.defaultRetryDelay = .seconds(1)
            task.options.retry = policy
        }, configureScenario: { scenario in
            var other = TaskTypeSpec(name: "a.first")
            other.body.duration = .constant(.milliseconds(30))
            other.body.failureProbability = 0.1
            scenario.tasks.append(other)
            scenario.load.mix.append(MixEntry(task: "a.first", weight: 2))
        })
        let s = try Simulator(scenario: scenario).run().summary
        #expect(s.byTask.map(\.task) == ["a.first", "app.work"])
        #expect(s.byTask.map(\.published).reduce(0, +) == s.counts.published)
        #expect(s.byTask.map(\.succeeded).reduce(0, +) == s.counts.succeeded)
        #expect(s.byTask.map(\.failed).reduce(0, +) == s.counts.failed)
        #expect(s.byTask.map(\.retried).reduce(0, +) == s.counts.retried)
        #expect(s.counts.retried > 0 && s.counts.failed > 0)
        #expect(s.byTask[0].retried == 0, "a.first has no retry policy")
        // Each type's run time follows its own body.
        #expect(s.byTask[0].runTime.p50 < 40_000 && s.byTask[1].runTime.p50 >= 90_000)
    }

    @Test("summary.json carries the new fields, and an old summary without them still reads")
    func json() throws {
        var s = try Simulator(scenario: Self.strandingScenario()).run().summary
        s.appliedSettings = ["workers=3"]
        let text = String(decoding: try SummaryFiles.encoder().encode(s), as: UTF8.self)
        for key in ["\"censored_waits\"", "\"by_task\"", "\"applied_settings\"", "\"fleet\"", "\"prefetch_multiplier\"", "\"queue_wait\""] {
            #expect(text.contains(key), "\(key)")
        }
        #expect(try SummaryFiles.decoder().decode(RunSummary.self, from: Data(text.utf8)) == s)
        var old = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        for key in ["censored_waits", "by_task", "applied_settings", "fleet", "timeline_lists", "mean_workers"] { old[key] = nil }
        let read = try SummaryFiles.decoder().decode(RunSummary.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(read.censoredWaits == 0 && read.byTask.isEmpty && read.appliedSettings.isEmpty)
        #expect(read.counts == s.counts)
    }

    @Test("the compare gate compares each task type's figures")
    func comparePerType() throws {
        let base = try Simulator(scenario: Self.strandingScenario()).run().summary
        var changed = base
        changed.byTask[0].queueWait.p99 += 1_000
        let same = SummaryComparison(baseline: base, new: base, tolerancePercent: 0)
        #expect(same.rows.contains { $0.figure == "by_task[app.stranded].censored_waits" })
        #expect(!same.fails(tolerancePercent: 0))
        let gate = SummaryComparison(baseline: base, new: changed, tolerancePercent: 0)
        #expect(gate.regressions.map(\.figure) == ["by_task[\(base.byTask[0].task)].queue_wait.p99"])
    }
}
