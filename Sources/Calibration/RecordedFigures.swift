/// The figures `lovage calibrate --check` compares, as measured from a recording (or from a
/// simulated run of the calibrated scenario): per task name and overall.
public struct CheckFigures: Sendable, Equatable {
    public var task: String
    /// Tasks finished (succeeded or failed for good) per second, over the time to the last finish.
    public var throughput: Double
    /// Seconds; nil when no publish time was known.
    public var queueWaitP50: Double?
    public var queueWaitP90: Double?
    public var queueWaitP99: Double?
    /// Run time of the successes (Celery's `runtime`), seconds; the simulated side draws every attempt from that distribution.
    public var runTimeP50: Double?
    public var runTimeP99: Double?
    public var retried: Int
    /// Mean slots busy running this task: its total run time over the span.
    public var busySlots: Double

    public static let overall = "(all)"

    /// From the attempts of a recording, over the span from `origin` (its start) to the last end.
    public static func recorded(_ attempts: [RecordedAttempt], origin: Double) -> [CheckFigures] {
        let lastEnd = attempts.compactMap(\.endedAt).max() ?? origin
        let span = max(lastEnd - origin, 1e-9)
        func figures(_ task: String, _ mine: [RecordedAttempt]) -> CheckFigures {
            let finished = mine.filter { attempt in
                switch attempt.outcome { case .succeeded, .failed: return true; default: return false }
            }.count
            let waits = mine.compactMap(\.queueWait).map { max(0, $0) }.sorted()
            let runs = mine.compactMap { $0.outcome == .succeeded ? $0.runtime : nil }.sorted()
            let busy = mine.compactMap { $0.outcome == .unfinished ? nil : $0.runtime }.reduce(0, +)
            return CheckFigures(
                task: task, throughput: Double(finished) / span,
                queueWaitP50: Quantiles.of(waits, 0.5), queueWaitP90: Quantiles.of(waits, 0.9), queueWaitP99: Quantiles.of(waits, 0.99),
                runTimeP50: Quantiles.of(runs, 0.5), runTimeP99: Quantiles.of(runs, 0.99),
                retried: mine.filter { $0.outcome == .retried }.count, busySlots: busy / span)
        }
        var byName: [String: [RecordedAttempt]] = [:]
        for attempt in attempts { byName[attempt.name, default: []].append(attempt) }
        return [figures(overall, attempts)] + byName.keys.sorted().map { figures($0, byName[$0]!) }
    }
}
