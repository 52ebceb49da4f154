import Reports
import Simulation
import Testing

@Suite("Fidelity: simulated against real figures")
struct FidelityComparisonTests {
    func summary() throws -> RunSummary {
        try Simulator(scenario: makeScenario(rate: 10)).run().summary
    }

    @Test("a real run 5% slower passes at 10%, fails at 4%, and only gated figures decide")
    func tolerance() throws {
        let simulated = try summary()
        var real = simulated
        real.throughput = simulated.throughput * 1.05
        real.queueWait.p50 = simulated.queueWait.p50 + 1_000_000   // far off, but not gated below
        let lenient = FidelityComparison(simulated: simulated, real: real, tolerancePercent: 10, gated: ["throughput"])
        #expect(lenient.failures.isEmpty)
        let throughput = try #require(lenient.rows.first { $0.figure == "throughput" })
        #expect(abs((throughput.differencePercent ?? 0) - (1 / 1.05 - 1) * 100) < 1e-9)
        #expect(lenient.rows.first { $0.figure == "queue_wait.p50" }?.withinTolerance == false)
        let strict = FidelityComparison(simulated: simulated, real: real, tolerancePercent: 4, gated: ["throughput", "queue_wait.p50"])
        #expect(strict.failures.map(\.figure) == ["throughput", "queue_wait.p50"])
    }

    @Test("a zero real value compares only with a zero simulated one; a time floor forgives tiny gaps")
    func zeros() throws {
        var simulated = try summary(), real = simulated
        simulated.queueWait.p50 = 300
        real.queueWait.p50 = 0
        let exact = FidelityComparison(simulated: simulated, real: real, tolerancePercent: 10)
        let row = try #require(exact.rows.first { $0.figure == "queue_wait.p50" })
        #expect(row.differencePercent == nil && !row.withinTolerance)
        let floored = FidelityComparison(simulated: simulated, real: real, tolerancePercent: 10, absoluteFloorMicros: 500)
        #expect(floored.failures.isEmpty)
    }
}
