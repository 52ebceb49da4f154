import Foundation
import Reports
import Scenarios

/// plan.json: the rule, and per configuration its settings, the medians over its seeds, each
/// SLO's outcome over the seeds (k of N, spread, the value the rule judges and the margins), the
/// M/M/c prediction and one line of figures per seed run. Apart from `wall_seconds` it depends
/// only on the inputs (scenario, options, build), not on `--jobs` or thread scheduling.
struct PlanDocument: Codable {
    struct Row: Codable {
        var settings: [String]
        var slots: Double
        var workers: Double
        /// Median over seeds of busy slot-time over paid slot-time.
        var utilisation: Double
        var meetsSlo: Bool
        /// Seeds on which every SLO held at once: what `meets_slo` is judged on.
        var allSloPasses: Int
        var seedsRun: Int
        var stoppedEarly: Bool
        var median: Medians
        var slo: [SLOOutcome]
        var erlangQueueWaitP50Micros: Double?
        var erlangQueueWaitP99Micros: Double?
        var runs: [Run]
    }
    /// Medians over the seeds run.
    struct Medians: Codable {
        var throughput: Double
        var queueWaitP50Micros: Double
        var queueWaitP99Micros: Double
        var peakMemoryBytes: Double
        var leftover: Double
        var lost: Double
    }
    struct SLOOutcome: Codable {
        var objective: String
        var metric: String
        var threshold: Double
        var holds: Bool
        /// Seeds (of those run) on which it held, and on which it did not.
        var passes: Int
        var failures: Int
        var median: Double?
        var p10: Double?
        var p90: Double?
        var min: Double?
        var max: Double?
        /// The value the confidence rule judges (see `SeedSpread.confidenceValue`).
        var confidenceValue: Double?
        var medianMargin: Double?
        var confidenceMargin: Double?
        /// The metric on each seed run, in seed order.
        var values: [Double?]
    }
    /// One seed's run of a configuration.
    struct Run: Codable {
        var seed: UInt64
        var traceHash: String
        var throughput: Double
        var queueWaitP50Micros: UInt64
        var queueWaitP99Micros: UInt64
        var peakMemoryBytes: Int64
        var leftover: Int
        var lost: Int
    }
    var scenario: String
    var wallSeconds: Double
    var confidence: Double
    var seeds: [UInt64]
    var requiredPasses: Int
    var earlyStop: Bool
    var objectives: [String]
    var cheapest: Int?
    var rows: [Row]

    init(_ plan: CapacityPlan, scenario: String, wallSeconds: Double, earlyStop: Bool) {
        self.scenario = scenario
        self.wallSeconds = wallSeconds
        confidence = plan.rule.confidence
        seeds = plan.rows.first?.seeds ?? []
        requiredPasses = plan.rule.requiredPasses
        self.earlyStop = earlyStop
        objectives = plan.rows.first?.slo.map(\.assertion.text) ?? []
        cheapest = plan.cheapest
        rows = plan.rows.map { row in
            let stable = row.erlang?.isStable == true
            return Row(settings: row.settings.map(\.description), slots: row.slots, workers: row.workers, utilisation: row.utilisation,
                       meetsSlo: row.meetsSLO, allSloPasses: row.allSLOPasses, seedsRun: row.summaries.count, stoppedEarly: row.stoppedEarly,
                       median: Medians(throughput: row.median(\.throughput), queueWaitP50Micros: row.median { Double($0.queueWait.p50) },
                                       queueWaitP99Micros: row.median { Double($0.queueWait.p99) },
                                       peakMemoryBytes: row.median { Double($0.peakMemoryBytes) },
                                       leftover: row.median { Double($0.leftover.total) }, lost: row.median { Double($0.counts.lost) }),
                       slo: row.slo.map { outcome in
                           let spread = outcome.spread
                           return SLOOutcome(objective: outcome.assertion.text, metric: outcome.assertion.metric, threshold: outcome.assertion.threshold,
                                             holds: outcome.holds, passes: spread.passes, failures: spread.failures,
                                             median: spread.median, p10: spread.p10, p90: spread.p90, min: spread.min, max: spread.max,
                                             confidenceValue: spread.confidenceValue, medianMargin: outcome.medianMargin,
                                             confidenceMargin: outcome.confidenceMargin, values: spread.values)
                       },
                       erlangQueueWaitP50Micros: stable ? row.erlang.map { ($0.waitSeconds(quantile: 0.5) + row.handOffSeconds) * 1_000_000 } : nil,
                       erlangQueueWaitP99Micros: stable ? row.erlang.map { ($0.waitSeconds(quantile: 0.99) + row.handOffSeconds) * 1_000_000 } : nil,
                       runs: row.summaries.map { summary in
                           Run(seed: summary.seed, traceHash: summary.traceHash, throughput: summary.throughput,
                               queueWaitP50Micros: summary.queueWait.p50, queueWaitP99Micros: summary.queueWait.p99,
                               peakMemoryBytes: summary.peakMemoryBytes, leftover: summary.leftover.total, lost: summary.counts.lost)
                       })
        }
    }
}
