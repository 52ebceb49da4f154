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
