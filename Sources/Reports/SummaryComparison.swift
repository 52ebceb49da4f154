/// Compares two run summaries figure by figure, for regression gates.
///
/// Simulated figures are exact for a seed and build, so at tolerance 0 any difference is reported
/// as a change that fails the gate. With a tolerance (real runs), only a change in the worse
/// direction by more than the tolerance fails; better figures are listed as improvements.
public struct SummaryComparison: Sendable {
    public enum Better: Sendable { case lower, higher, neither }

    public struct Row: Sendable, Equatable {
        public var figure: String
        public var baseline: Double
        public var new: Double
        /// Relative change in percent (nil when the baseline is 0 and the new value is not).
        public var changePercent: Double?
        public var verdict: Verdict
    }

    public enum Verdict: String, Sendable, Equatable {
        case same, improved, changed, regressed
        public var fails: Bool { self == .changed || self == .regressed }
    }

    public var rows: [Row]
    public var traceHashes: (baseline: String, new: String)
    public var regressions: [Row] { rows.filter { $0.verdict.fails } }

    /// The figures compared and which way is better.
    public static let figures: [(String, Better)] = [
        ("published", .neither), ("succeeded", .higher), ("failed", .lower), ("retried", .lower), ("revoked", .lower),
        ("rejected", .lower), ("duplicates", .lower), ("lost", .lower), ("restored", .lower), ("worker_lost", .lower), ("oom_killed", .lower),
        ("recycled", .neither), ("leftover", .lower), ("invariant_violations", .lower), ("throughput", .higher),
        ("queue_wait.p50", .lower), ("queue_wait.p90", .lower), ("queue_wait.p99", .lower), ("queue_wait.max", .lower),
        ("run_time.p50", .lower), ("run_time.p99", .lower), ("latency.p50", .lower), ("latency.p90", .lower),
        ("latency.p99", .lower), ("latency.max", .lower), ("peak_queue_depth", .lower), ("peak_workers", .neither),
        ("mean_workers", .lower), ("peak_running", .neither), ("peak_memory", .lower), ("censored_waits", .lower),
    ]

    /// The figures compared for each task type present in both summaries, as
    /// `by_task[NAME].FIGURE` (a type only in one of them is not compared; its counts are in the totals).
    public static let taskFigures: [(String, Better, @Sendable (RunSummary.TaskFigures) -> Double)] = [
        ("published", .neither, { Double($0.published) }), ("succeeded", .higher, { Double($0.succeeded) }),
        ("failed", .lower, { Double($0.failed) }), ("retried", .lower, { Double($0.retried) }),
        ("censored_waits", .lower, { Double($0.censoredWaits) }),
        ("queue_wait.p50", .lower, { Double($0.queueWait.p50) }), ("queue_wait.p99", .lower, { Double($0.queueWait.p99) }),
        ("run_time.p50", .lower, { Double($0.runTime.p50) }), ("run_time.p99", .lower, { Double($0.runTime.p99) }),
    ]

    public init(baseline: RunSummary, new: RunSummary, tolerancePercent: Double) {
        traceHashes = (baseline.traceHash, new.traceHash)
        var pairs: [(String, Better, Double, Double)] = Self.figures.compactMap { figure, better in
            guard let old = baseline.metric(figure), let value = new.metric(figure) else { return nil }
            return (figure, better, old, value)
        }
        for old in baseline.byTask {
            guard let now = new.byTask.first(where: { $0.task == old.task }) else { continue }
            for (figure, better, read) in Self.taskFigures {
                pairs.append(("by_task[\(old.task)].\(figure)", better, read(old), read(now)))
            }
        }
        if baseline.pipelines != nil || new.pipelines != nil {
            pairs += Self.pipelinePairs(baseline: baseline, new: new)
        }
        if baseline.periodic != nil || new.periodic != nil {
            for (figure, better) in Self.periodicFigures {
                guard let old = baseline.metric(figure), let value = new.metric(figure) else { continue }
                pairs.append((figure, better, old, value))
            }
        }
        rows = pairs.map { figure, better, old, value in
            let change: Double? = old == 0 ? (value == 0 ? 0 : nil) : (value - old) / abs(old) * 100
            let verdict: Verdict
            if old == value {
                verdict = .same
            } else if tolerancePercent == 0 {
                verdict = .changed
            } else {
                let worse: Bool
                switch better {
                case .lower: worse = value > old
                case .higher: worse = value < old
                case .neither: worse = true
                }
                let beyond = change.map { abs($0) > tolerancePercent } ?? true
                verdict = worse ? (beyond ? .regressed : .same) : .improved
            }
            return Row(figure: figure, baseline: old, new: value, changePercent: change, verdict: verdict)
        }
    }

    /// A schedule's periodic figures, compared only when either summary has them (a plain scenario's
    /// comparison lists what it always did).
    public static let periodicFigures: [(String, Better)] = [
        ("periodic_sends", .neither), ("periodic_due", .neither), ("periodic_duplicates", .lower), ("periodic_missed", .lower),
    ]

    /// The run-wide pipeline figures, compared only when either summary has pipelines (so a
    /// plain scenario's comparison lists what it always did, and an old summary still compares).
    public static let pipelineFigures: [(String, Better)] = [
        ("pipelines_started", .neither), ("pipelines_completed", .higher), ("pipelines_failed", .lower),
        ("pipelines_stuck", .lower), ("joins_stuck", .lower),
        ("pipeline.latency.p50", .lower), ("pipeline.latency.p90", .lower), ("pipeline.latency.p99", .lower),
        ("pipeline.latency.max", .lower),
    ]

    /// The figures compared for each root present in both summaries, as `pipelines[ROOT].FIGURE`:
    /// counts exactly, latencies as other times are.
    public static let rootFigures: [(String, Better, @Sendable (RunSummary.PipelineFigures) -> Double)] = [
        ("started", .neither, { Double($0.started) }), ("completed", .higher, { Double($0.completed) }),
        ("failed", .lower, { Double($0.failed) }), ("stuck", .lower, { Double($0.stuck) }),
        ("tasks_published", .neither, { Double($0.tasksPublished) }),
        ("joins.fired", .neither, { Double($0.joins?.fired ?? 0) }), ("joins.failed", .lower, { Double($0.joins?.failed ?? 0) }),
        ("joins.stuck", .lower, { Double($0.joins?.stuck ?? 0) }),
        ("latency.p50", .lower, { Double($0.latency.p50) }), ("latency.p99", .lower, { Double($0.latency.p99) }),
        ("latency.max", .lower, { Double($0.latency.max) }),
    ]

    static func pipelinePairs(baseline: RunSummary, new: RunSummary) -> [(String, Better, Double, Double)] {
        var pairs: [(String, Better, Double, Double)] = pipelineFigures.compactMap { figure, better in
            guard let old = baseline.metric(figure), let value = new.metric(figure) else { return nil }
            return (figure, better, old, value)
        }
        for old in baseline.pipelines ?? [] {
            guard let now = new.pipelines?.first(where: { $0.root == old.root }) else { continue }
            for (figure, better, read) in rootFigures {
                pairs.append(("pipelines[\(old.root)].\(figure)", better, read(old), read(now)))
            }
        }
        return pairs
    }

    /// Whether the gate fails: a failing figure, or at tolerance 0 a different trace.
    public func fails(tolerancePercent: Double) -> Bool {
        !regressions.isEmpty || (tolerancePercent == 0 && traceHashes.baseline != traceHashes.new)
    }
}
