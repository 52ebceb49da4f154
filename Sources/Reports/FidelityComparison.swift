import WorkerCore

/// How closely a simulated run predicts a real run of the same scenario and seed: for each figure
/// the simulated value, the real value, their difference relative to the real one, and whether it
/// is within the tolerance. The gated figures decide the verdict (`lovage fidelity` exits 1 when
/// one of them is outside); the others are shown so a reader sees where the model drifts.
public struct FidelityComparison: Sendable {
    public struct Row: Sendable, Equatable, Codable {
        public var figure: String
        public var simulated: Double
        public var real: Double
        /// (simulated − real) / real in percent; nil when the real value is 0.
        public var differencePercent: Double?
        public var withinTolerance: Bool
        public var gated: Bool
    }

    /// The figures compared: throughput, queue wait p50/p99, run time p50/p99, retries,
    /// duplicates and peak memory. A real run counts duplicates from its fleet's task events (a
    /// second task-started of the same task id and retries), as the simulator does from its trace.
    /// `matched_wait.p50` is the queue-wait p50 over only the tasks that ended in both runs, matched
    /// by their place in the load: where a fleet strands or drops different tasks in each run (a
    /// flapping autoscaler), it tells the model's error from which tasks happened to run.
    public static let figures = ["throughput", "queue_wait.p50", matchedWaitFigure, "queue_wait.p99", "run_time.p50",
                                 "run_time.p99", "latency.p50", "retried", "duplicates", "peak_memory"]
    public static let matchedWaitFigure = "matched_wait.p50"
    /// What `lovage fidelity` gates on unless told otherwise (what the shipped scenarios are calibrated for).
    public static let defaultGated = ["throughput", "queue_wait.p50"]

    public var rows: [Row]
    public var tolerancePercent: Double
    /// How many tasks `matched_wait.p50` covers (nil when the waits per task were not given).
    public var matchedTasks: Int?
    public var failures: [Row] { rows.filter { $0.gated && !$0.withinTolerance } }

    /// - Parameter absoluteFloorMicros: differences in times at or below this many microseconds
    ///   pass whatever the percentage (a 0.3 ms wait against a 0.4 ms one is not a 33% miss).
    ///   - waitsByPlanIndex: each run's queue wait per planned task in µs (-1: did not end), for
    ///     `matched_wait.p50`; nil leaves that row out.
    public init(simulated: RunSummary, real: RunSummary, tolerancePercent: Double, gated: [String] = defaultGated,
                absoluteFloorMicros: Double = 0, waitsByPlanIndex: (simulated: [Int64], real: [Int64])? = nil) {
        self.tolerancePercent = tolerancePercent
        let matched = waitsByPlanIndex.map(Self.matchedWaitP50s)
        matchedTasks = matched?.count
        rows = Self.figures.compactMap { figure in
            let pair: (Double, Double)?
            if figure == Self.matchedWaitFigure {
                pair = matched.flatMap { $0.count > 0 ? ($0.simulated, $0.real) : nil }
            } else {
                pair = simulated.metric(figure).flatMap { sim in real.metric(figure).map { (sim, $0) } }
            }
            guard let (sim, value) = pair else { return nil }
            let difference: Double? = value == 0 ? (sim == 0 ? 0 : nil) : (sim - value) / abs(value) * 100
            let isTime = figure.contains(".")
            let within = (difference.map { abs($0) <= tolerancePercent } ?? false)
                || (isTime && abs(sim - value) <= absoluteFloorMicros)
            return Row(figure: figure, simulated: sim, real: value, differencePercent: difference,
                       withinTolerance: within, gated: gated.contains(figure))
        }
    }

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
