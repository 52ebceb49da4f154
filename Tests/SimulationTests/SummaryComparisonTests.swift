import Foundation
import Reports
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
        #expect(try SummaryFiles.read(path: baseline) == expected)
    }
}
