import WorkerCore

/// How closely a simulated run predicts real runs of the same scenario and seed: for each figure
/// the simulated value, the real value (the median of the real runs), their difference relative
/// to it, and whether the simulation is within the tolerance of the real runs' range. The gated
/// figures decide the verdict (`lovage fidelity` exits 1 when one of them is outside); the others
/// are shown so a reader sees where the model drifts.
///
/// The rule, for N real runs of one figure with values r1...rN and tolerance t (a share): the
/// simulated value s is within when min(r) − t·|min(r)| ≤ s ≤ max(r) + t·|max(r)|, that is, inside
/// the real runs' range widened by the tolerance on each side; a time figure also passes when s is
/// at most the absolute floor away from that range. With one real run this is |s − r| ≤ t·|r|.
/// A real value of 0 is matched only by a simulated 0 (or the floor). Several real runs keep a
/// figure that moves more from one real run to the next than the tolerance (a sub-millisecond
/// queue wait on a shared host) from failing a simulation that lies among the real runs.
public struct FidelityComparison: Sendable {
    public struct Row: Sendable, Equatable, Codable {
        public var figure: String
        public var simulated: Double
        /// The median of the real runs' values (the value itself for one run).
        public var real: Double
        /// (simulated − real) / real in percent; nil when the real value is 0.
        public var differencePercent: Double?
        public var withinTolerance: Bool
        public var gated: Bool
        /// Each real run's value, in run order (one entry for one run).
        public var realRuns: [Double] = []
        /// The range the simulated value had to fall in: the real runs' range widened by the tolerance.
        public var acceptedFrom: Double? = nil
        public var acceptedTo: Double? = nil
    }

    /// The figures compared: throughput, queue wait p50/p99, run time p50/p99, retries,
    /// duplicates and peak memory. A real run counts duplicates from its fleet's task events (a
    /// second task-started of the same task id and retries), as the simulator does from its trace.
    /// `matched_wait.p50` is the queue-wait p50 over only the tasks that ended in both runs, matched
    /// by their place in the load: where a fleet strands or drops different tasks in each run (a
    /// flapping autoscaler), it tells the model's error from which tasks happened to run. With
    /// several real runs it is matched against each, and the simulated side is the median of those.
    /// The pipeline figures show only for a scenario with pipelines (a plain summary has none).
    public static let figures = ["throughput", "queue_wait.p50", matchedWaitFigure, "queue_wait.p99", "run_time.p50",
                                 "run_time.p99", "latency.p50", "retried", "duplicates", "peak_memory",
                                 "pipeline.latency.p50", "pipeline.latency.p99", "pipelines_stuck"]
    public static let matchedWaitFigure = "matched_wait.p50"
    /// What `lovage fidelity` gates on unless told otherwise (what the shipped scenarios are calibrated for).
    public static let defaultGated = ["throughput", "queue_wait.p50"]

    public var rows: [Row]
    public var tolerancePercent: Double
    /// How many real runs the simulation was judged against.
    public var realRunCount: Int
    /// How many tasks `matched_wait.p50` covers (nil when the waits per task were not given); with
    /// several real runs, the fewest of any run.
    public var matchedTasks: Int?
    public var failures: [Row] { rows.filter { $0.gated && !$0.withinTolerance } }

    /// One real run.
    /// - Parameter absoluteFloorMicros: differences in times at or below this many microseconds
    ///   pass whatever the percentage (a 0.3 ms wait against a 0.4 ms one is not a 33% miss).
    ///   - waitsByPlanIndex: each run's queue wait per planned task in µs (-1: did not end), for
    ///     `matched_wait.p50`; nil leaves that row out.
    public init(simulated: RunSummary, real: RunSummary, tolerancePercent: Double, gated: [String] = defaultGated,
                absoluteFloorMicros: Double = 0, waitsByPlanIndex: (simulated: [Int64], real: [Int64])? = nil) {
        self.init(simulated: simulated, realRuns: [real], tolerancePercent: tolerancePercent, gated: gated,
                  absoluteFloorMicros: absoluteFloorMicros,
                  waitsByPlanIndex: waitsByPlanIndex.map { ($0.simulated, [$0.real]) })
    }

    /// Several real runs of the same scenario and seed (at least one), judged by the rule above.
    /// - Parameter waitsByPlanIndex: the simulation's waits per planned task and each real run's.
    public init(simulated: RunSummary, realRuns: [RunSummary], tolerancePercent: Double, gated: [String] = defaultGated,
                absoluteFloorMicros: Double = 0, waitsByPlanIndex: (simulated: [Int64], real: [[Int64]])? = nil) {
        self.tolerancePercent = tolerancePercent
        realRunCount = realRuns.count
        let matched = waitsByPlanIndex.map { waits in waits.real.map { Self.matchedWaitP50s((waits.simulated, $0)) } }
        matchedTasks = matched.flatMap { $0.map(\.count).min() }
        let tolerance = tolerancePercent / 100
        rows = Self.figures.compactMap { figure in
            let sim: Double
            let values: [Double]
            if figure == Self.matchedWaitFigure {
                guard let matched, !matched.isEmpty, matched.allSatisfy({ $0.count > 0 }) else { return nil }
                sim = Self.median(matched.map(\.simulated))
                values = matched.map(\.real)
            } else {
                if figure.hasPrefix("pipeline"), simulated.pipelines == nil || realRuns.contains(where: { $0.pipelines == nil }) {
                    return nil
                }
                guard let simulatedValue = simulated.metric(figure), !realRuns.isEmpty else { return nil }
                let realValues = realRuns.compactMap { $0.metric(figure) }
                guard realValues.count == realRuns.count else { return nil }
                sim = simulatedValue
                values = realValues
            }
            let value = Self.median(values)
            let low = values.min()!, high = values.max()!
            let from = low - tolerance * abs(low), to = high + tolerance * abs(high)
            let difference: Double? = value == 0 ? (sim == 0 ? 0 : nil) : (sim - value) / abs(value) * 100
            let isTime = figure.contains(".")
            let distance = sim < from ? from - sim : sim > to ? sim - to : 0
            let within = (from...to).contains(sim) || (isTime && distance <= absoluteFloorMicros)
            return Row(figure: figure, simulated: sim, real: value, differencePercent: difference,
                       withinTolerance: within, gated: gated.contains(figure), realRuns: values,
                       acceptedFrom: from, acceptedTo: to)
        }
    }

    /// The middle value (the mean of the two middle ones for an even count), as plans take it.
    static func median(_ values: [Double]) -> Double { SeedSpread.quantile(values.sorted(), 0.5) ?? 0 }

    /// The queue-wait p50 of each run over the tasks that ended in both (same plan index).
    static func matchedWaitP50s(_ waits: (simulated: [Int64], real: [Int64])) -> (simulated: Double, real: Double, count: Int) {
        var simulated = DurationHistogram(), real = DurationHistogram()
        for index in 0..<min(waits.simulated.count, waits.real.count) where waits.simulated[index] >= 0 && waits.real[index] >= 0 {
            simulated.record(TimeSpan(microseconds: waits.simulated[index]))
            real.record(TimeSpan(microseconds: waits.real[index]))
        }
        return (Double(simulated.percentiles.p50), Double(real.percentiles.p50), Int(simulated.count))
    }
}
