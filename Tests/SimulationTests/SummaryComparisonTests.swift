import Foundation
import Reports
import Scenarios
import Simulation
import Testing

@Suite("Regression gate")
struct SummaryComparisonTests {
    func summary() throws -> RunSummary {
        try Simulator(scenario: makeScenario(rate: 10, configureTask: { $0.body.failureProbability = 0.1 })).run().summary
    }

    @Test("the same run passes at tolerance 0")
    func identical() throws {
        let a = try summary(), b = try summary()
        let comparison = SummaryComparison(baseline: a, new: b, tolerancePercent: 0)
        #expect(!comparison.fails(tolerancePercent: 0))
        #expect(comparison.rows.allSatisfy { $0.verdict == .same })
    }

    @Test("at tolerance 0 any changed figure fails and is named")
    func exact() throws {
        let a = try summary()
        var b = a
        b.counts.failed += 1
        let comparison = SummaryComparison(baseline: a, new: b, tolerancePercent: 0)
        #expect(comparison.fails(tolerancePercent: 0))
        #expect(comparison.regressions.map(\.figure) == ["failed"])
    }

    @Test("with a tolerance only a worse figure beyond it fails; better ones are improvements")
    func tolerance() throws {
        let a = try summary()
        var b = a
        b.latency.p99 = a.latency.p99 + a.latency.p99 / 20      // 5% worse: within 10%
        b.throughput = a.throughput * 1.5                          // better
        var comparison = SummaryComparison(baseline: a, new: b, tolerancePercent: 10)
        #expect(!comparison.fails(tolerancePercent: 10))
        #expect(comparison.rows.first { $0.figure == "throughput" }?.verdict == .improved)
        b.latency.p99 = a.latency.p99 * 2                           // 100% worse
        comparison = SummaryComparison(baseline: a, new: b, tolerancePercent: 10)
        #expect(comparison.regressions.map(\.figure) == ["latency.p99"])
    }

    @Test("a different trace hash fails an exact gate even when every figure matches")
    func traceHash() throws {
        let a = try summary()
        var b = a
        b.traceHash = "0000000000000000"
        #expect(SummaryComparison(baseline: a, new: b, tolerancePercent: 0).fails(tolerancePercent: 0))
    }
}

@Suite("summary.json")
struct SummaryFileTests {
    @Test("a summary written and read back is the same, duplicate causes and baselines included")
    func roundTrip() throws {
        let scenario = makeScenario(duration: .seconds(600), drain: .seconds(4 * 3600), rate: 0.05, arrival: .even,
                                    workers: 2, configureTask: { $0.countdown = .seconds(7200) })
        let summary = try Simulator(scenario: scenario).run().summary
        #expect(!summary.duplicateCauses.isEmpty)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-summary-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try SummaryFiles.write(summary, to: directory.path)
        #expect(try SummaryFiles.read(path: paths[0]) == summary)
        let baseline = directory.appendingPathComponent("baseline.json").path
        try SummaryFiles.writeBaseline(summary, to: baseline)
        var expected = summary
        expected.timeline = []
        expected.timelineLists = []
        #expect(try SummaryFiles.read(path: baseline) == expected)
    }
}

@Suite("timeline.csv")
struct TimelineCSVTests {
    @Test("per-second columns: counts, held, unacked, and one depth column per queue and priority list")
    func columns() throws {
        var scenario = makeScenario(duration: .seconds(120), rate: 30, concurrency: 1,
                                    configureTask: { $0.priority = 5 })
        scenario.load.bursts = [Burst(at: .seconds(10), count: 200, task: nil)]
        let summary = try Simulator(scenario: scenario).run().summary
        #expect(summary.timelineLists == ["celery", "celery:p3", "celery:p6", "celery:p9"], "every list a worker consumes")
        let p3 = try #require(summary.timelineLists.firstIndex(of: "celery:p3"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-timeline-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try SummaryFiles.write(summary, to: directory.path)
        let csv = try String(contentsOfFile: paths[1], encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines[0].hasPrefix("at_seconds,published,started,succeeded,failed,retried,queued,held,unacked,running"))
        #expect(lines[0].hasSuffix(",queued[celery],queued[celery:p3],queued[celery:p6],queued[celery:p9]"))
        #expect(lines.count == summary.timeline.count + 1)
        let peakListDepth = summary.timeline.map { p3 < $0.queuedByList.count ? $0.queuedByList[p3] : 0 }.max() ?? 0
        #expect(peakListDepth > 100, "the burst waits in the priority-3 list")
        #expect(summary.timeline.last?.published == summary.counts.published)
    }
}
