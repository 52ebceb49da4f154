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
    public static let figures = ["throughput", "queue_wait.p50", "queue_wait.p99", "run_time.p50", "run_time.p99",
                                 "latency.p50", "retried", "duplicates", "peak_memory"]
    /// What `lovage fidelity` gates on unless told otherwise (what the shipped scenarios are calibrated for).
    public static let defaultGated = ["throughput", "queue_wait.p50"]

    public var rows: [Row]
    public var tolerancePercent: Double
    public var failures: [Row] { rows.filter { $0.gated && !$0.withinTolerance } }

    /// - Parameter absoluteFloorMicros: differences in times at or below this many microseconds
    ///   pass whatever the percentage (a 0.3 ms wait against a 0.4 ms one is not a 33% miss).
    public init(simulated: RunSummary, real: RunSummary, tolerancePercent: Double, gated: [String] = defaultGated,
                absoluteFloorMicros: Double = 0) {
        self.tolerancePercent = tolerancePercent
        rows = Self.figures.compactMap { figure in
            guard let sim = simulated.metric(figure), let value = real.metric(figure) else { return nil }
            let difference: Double? = value == 0 ? (sim == 0 ? 0 : nil) : (sim - value) / abs(value) * 100
            let isTime = figure.contains(".")
            let within = (difference.map { abs($0) <= tolerancePercent } ?? false)
                || (isTime && abs(sim - value) <= absoluteFloorMicros)
            return Row(figure: figure, simulated: sim, real: value, differencePercent: difference,
                       withinTolerance: within, gated: gated.contains(figure))
        }
    }
}
