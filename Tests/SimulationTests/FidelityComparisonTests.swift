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

    @Test("pipeline figures are compared only where both runs have pipelines")
    func pipelineRows() throws {
        let plain = try summary()
        #expect(!FidelityComparison(simulated: plain, real: plain, tolerancePercent: 10).rows.contains { $0.figure.hasPrefix("pipeline") })
        var simulated = plain
        simulated.pipelines = []
        simulated.pipelineLatency = Percentiles(p50: 2_000_000, p90: 3_000_000, p99: 4_000_000, max: 5_000_000, mean: 2_500_000)
        var real = simulated
        real.pipelineLatency?.p99 = 5_000_000
        let comparison = FidelityComparison(simulated: simulated, real: real, tolerancePercent: 10)
        #expect(comparison.rows.first { $0.figure == "pipeline.latency.p50" }?.withinTolerance == true)
        let p99 = try #require(comparison.rows.first { $0.figure == "pipeline.latency.p99" })
        #expect(!p99.withinTolerance && !p99.gated)
        #expect(comparison.rows.first { $0.figure == "pipelines_stuck" }?.simulated == 0)
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

    @Test("matched_wait.p50 compares only the tasks that ended in both runs, and is gated only when asked")
    func matchedWaits() throws {
        let simulated = try summary()
        // Plan indices 0-3 ended in both; 4 only in the simulation, 5 only for real; 6 in neither.
        let waits = (simulated: [Int64]([1_000, 2_000, 3_000, 4_000, 100, -1, -1]),
                     real: [Int64]([1_100, 2_200, 3_300, 4_400, -1, 900_000, -1]))
        let comparison = FidelityComparison(simulated: simulated, real: simulated, tolerancePercent: 5, waitsByPlanIndex: waits)
        #expect(comparison.matchedTasks == 4)
        let row = try #require(comparison.rows.first { $0.figure == "matched_wait.p50" })
        #expect(abs(row.simulated - 2_000) <= 2 && abs(row.real - 2_200) <= 3, "\(row)")  // three significant digits
        #expect(!row.withinTolerance && !row.gated && comparison.failures.isEmpty)
        let gated = FidelityComparison(simulated: simulated, real: simulated, tolerancePercent: 5,
                                       gated: ["matched_wait.p50"], waitsByPlanIndex: waits)
        #expect(gated.failures.map(\.figure) == ["matched_wait.p50"])
        // Without per-task waits the row is left out.
        #expect(!FidelityComparison(simulated: simulated, real: simulated, tolerancePercent: 5).rows.contains { $0.figure == "matched_wait.p50" })
    }

    @Test("with several real runs the simulation is judged against their range widened by the tolerance")
    func repeatedRealRuns() throws {
        let simulated = try summary()
        func real(_ factor: Double) -> RunSummary {
            var run = simulated
            run.throughput = simulated.throughput * factor
            return run
        }
        // Real runs at 1.20, 1.30 and 1.50 times the simulated throughput; ±10% widens the range to
        // [1.08, 1.65]: the simulated 1.0 is outside, and the row shows the median (1.30) and each run.
        let runs = [real(1.30), real(1.20), real(1.50)]
        let outside = FidelityComparison(simulated: simulated, realRuns: runs, tolerancePercent: 10, gated: ["throughput"])
        let row = try #require(outside.rows.first { $0.figure == "throughput" })
        #expect(!row.withinTolerance && outside.failures.map(\.figure) == ["throughput"])
        #expect(abs(row.real - simulated.throughput * 1.30) < 1e-9)
        #expect(row.realRuns.count == 3 && abs(row.realRuns[1] - simulated.throughput * 1.20) < 1e-9)
        #expect(abs(try #require(row.acceptedFrom) - simulated.throughput * 1.08) < 1e-9)
        #expect(abs(try #require(row.acceptedTo) - simulated.throughput * 1.65) < 1e-9)
        #expect(outside.realRunCount == 3)
        // A simulation among spread-out real runs passes although it is 15% off their median.
        let spread = [real(0.80), real(1.15), real(1.30)]
        let among = FidelityComparison(simulated: simulated, realRuns: spread, tolerancePercent: 10, gated: ["throughput"])
        let amongRow = try #require(among.rows.first { $0.figure == "throughput" })
        #expect(amongRow.withinTolerance && among.failures.isEmpty)
        #expect(abs(try #require(amongRow.differencePercent) - (1 / 1.15 - 1) * 100) < 1e-9)
        // Just below the widened range fails; one real run is the old rule: within ±tolerance of it.
        #expect(!FidelityComparison(simulated: simulated, realRuns: [real(1.12), real(1.2)], tolerancePercent: 10).rows
            .first { $0.figure == "throughput" }!.withinTolerance)
        #expect(FidelityComparison(simulated: simulated, realRuns: [real(1.1)], tolerancePercent: 10).rows
            .first { $0.figure == "throughput" }!.withinTolerance)
        #expect(!FidelityComparison(simulated: simulated, realRuns: [real(1.12)], tolerancePercent: 10).rows
            .first { $0.figure == "throughput" }!.withinTolerance)
    }

    @Test("with several real runs, a time figure's floor is measured from the widened range, and matched waits use every run")
    func repeatedRunsFloorAndMatched() throws {
        var simulated = try summary()
        simulated.queueWait.p50 = 1_000
        var first = simulated, second = simulated
        first.queueWait.p50 = 2_000
        second.queueWait.p50 = 2_500
        // Widened range [1800, 2750]; the simulated 1000 is 800 µs below it.
        let strict = FidelityComparison(simulated: simulated, realRuns: [first, second], tolerancePercent: 10, absoluteFloorMicros: 799)
        #expect(strict.failures.map(\.figure).contains("queue_wait.p50"))
        let floored = FidelityComparison(simulated: simulated, realRuns: [first, second], tolerancePercent: 10, absoluteFloorMicros: 800)
        #expect(!floored.failures.map(\.figure).contains("queue_wait.p50"))
        let waits = (simulated: [Int64]([1_000, 2_000, 3_000, -1]),
                     real: [[Int64]([1_000, 2_000, 3_000, 4_000]), [Int64]([-1, 2_000, 3_000, 4_000])])
        let matched = FidelityComparison(simulated: simulated, realRuns: [first, second], tolerancePercent: 10, waitsByPlanIndex: waits)
        #expect(matched.matchedTasks == 2)
        let row = try #require(matched.rows.first { $0.figure == "matched_wait.p50" })
        #expect(row.realRuns.count == 2 && row.withinTolerance, "\(row)")
    }

    @Test("a simulation asked to keep each task's wait keeps it by plan index, for the tasks that ended")
    func simulatedTaskWaits() throws {
        let scenario = makeScenario(duration: .seconds(20), rate: 20, concurrency: 2, taskDuration: .exponential(mean: .milliseconds(80)))
        let plain = try Simulator(scenario: scenario).run()
        #expect(plain.queueWaitByPlanIndexMicros.isEmpty)
        let recorded = try Simulator(scenario: scenario, options: SimulationOptions(recordTaskWaits: true)).run()
        #expect(recorded.summary == plain.summary, "recording changes nothing else")
        let waits = recorded.queueWaitByPlanIndexMicros
        #expect(waits.count == recorded.summary.counts.published)
        #expect(waits.filter { $0 >= 0 }.count == recorded.summary.counts.succeeded)
        // Their median is the summary's p50 (to the histogram's three digits).
        let sorted = waits.filter { $0 >= 0 }.sorted()
        let median = Double(sorted[(sorted.count - 1) / 2])
        #expect(abs(median - Double(recorded.summary.queueWait.p50)) <= max(2, median * 0.002), "\(median) vs \(recorded.summary.queueWait.p50)")
    }
}
