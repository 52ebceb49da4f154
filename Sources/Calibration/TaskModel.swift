import FleetRecording
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the recording says about one task name: how long its body runs, how often it fails and
/// how it retries, where it is queued and what follows it.
public struct TaskModel: Sendable {
    public enum DurationModel: Sendable, Equatable {
        /// Quantile points of the recorded runtimes, seconds (sampled uniformly, as `empirical`).
        case empirical([Double], from: Int)
        /// Too few runtimes for an empirical distribution: a log-normal fitted to their logs.
        case lognormal(median: Double, p99: Double, from: Int)
        case constant(Double, from: Int)
        case unknown
    }

    public var name: String
    public var queue: String
    public var priority: Int?
    public var duration: DurationModel
    public var attempts: Int
    /// Attempts that raised (failed for good or retried), over attempts that ended.
    public var failureProbability: Double
    /// Exception types of the failures, most frequent first, with counts.
    public var exceptions: [(type: String, count: Int)]
    public var retried: Int
    public var maxRetriesSeen: Int
    /// Exception types that caused the retries, most frequent first, with counts.
    public var retryExceptions: [(type: String, count: Int)] = []
    /// Seconds from a `task-retried` to the next delivery's eta, by the retry number (0 = first).
    public var countdowns: [[Double]]
    /// Tasks of this name received with a parent that is in the recording, by the parent's name.
    public var parents: [String: Int] = [:]
    /// Median length of the result's repr in `task-succeeded` (only recorded with `--keep-args`).
    public var resultBytes: Int?

    /// Empirical at 200 points from 200 runtimes up; all of them from 30; a fit below that.
    static let empiricalPoints = 200
    static let smallestEmpirical = 30

    /// - Parameter priorities: the priority each task id was seen with (`reserved` replies).
    public static func models(of attempts: [RecordedAttempt], priorities: [String: Int] = [:]) -> [TaskModel] {
        var byName: [String: [Int]] = [:]
        for (index, attempt) in attempts.enumerated() { byName[attempt.name, default: []].append(index) }
        var nameByID: [String: String] = [:]
        for attempt in attempts { nameByID[attempt.id] = attempt.name }
        var retriedAt: [String: Double] = [:]
        for attempt in attempts where attempt.outcome == .retried { retriedAt[AttemptReconstruction.key(attempt.id, attempt.retries)] = attempt.endedAt }
        return byName.keys.sorted().map { name in
            let mine = byName[name]!.map { attempts[$0] }
            // Celery's `runtime` of the successes (what Flower and celery-exporter show as a task's
            // run time); an attempt that raised also spends the retry's publish in it, so it is used
            // only when no attempt succeeded.
            let successes = mine.compactMap { $0.outcome == .succeeded ? $0.runtime : nil }.filter { $0 >= 0 }
            let runtimes = (successes.isEmpty ? mine.compactMap { $0.outcome == .unfinished ? nil : $0.runtime }.filter { $0 >= 0 } : successes).sorted()
            let ended = mine.filter { $0.outcome != .unfinished }
            var exceptionCounts: [String: Int] = [:]
            var raised = 0
            for attempt in ended {
                switch attempt.outcome {
                case .failed(let type): exceptionCounts[type, default: 0] += 1; raised += 1
                case .retried: raised += 1
                default: break
                }
            }
            var retryCounts: [String: Int] = [:]
            for attempt in mine where attempt.outcome == .retried { retryCounts[attempt.retryException ?? "Retry", default: 0] += 1 }
            var countdowns: [[Double]] = []
            for attempt in mine where attempt.retries > 0 {
                guard let retriedTime = retriedAt[AttemptReconstruction.key(attempt.id, attempt.retries - 1)] else { continue }
                let due = attempt.eta ?? attempt.receivedAt
                while countdowns.count < attempt.retries { countdowns.append([]) }
                countdowns[attempt.retries - 1].append(max(0, due - retriedTime))
            }
            var parents: [String: Int] = [:]
            for attempt in mine where attempt.retries == 0 {
                if let parent = attempt.parentID, parent != attempt.id, let parentName = nameByID[parent] { parents[parentName, default: 0] += 1 }
            }
            let queues = mine.compactMap(\.queue)
            let seen = mine.compactMap { priorities[$0.id] }
            let results = mine.compactMap(\.resultBytes).sorted()
            return TaskModel(
                name: name, queue: mostCommon(queues) ?? "celery", priority: mostCommon(seen.map(String.init)).flatMap { Int($0) },
                duration: durationModel(runtimes),
                attempts: mine.count, failureProbability: ended.isEmpty ? 0 : Double(raised) / Double(ended.count),
                exceptions: exceptionCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) },
                retried: mine.filter { $0.outcome == .retried }.count, maxRetriesSeen: mine.map(\.retries).max() ?? 0,
                retryExceptions: retryCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) },
                countdowns: countdowns, parents: parents, resultBytes: results.isEmpty ? nil : results[results.count / 2])
        }
    }

    static func durationModel(_ runtimes: [Double]) -> DurationModel {
        let sorted = runtimes.sorted()
        guard let first = sorted.first, let last = sorted.last else { return .unknown }
        if last - first < 1e-6 { return .constant(first, from: sorted.count) }
        if sorted.count >= empiricalPoints {
            let points = (0..<empiricalPoints).map { i in
                sorted[min(sorted.count - 1, Int((Double(i) + 0.5) * Double(sorted.count) / Double(empiricalPoints)))]
            }
            return .empirical(points, from: sorted.count)
        }
        if sorted.count >= smallestEmpirical { return .empirical(sorted, from: sorted.count) }
        let logs = sorted.map { log(max($0, 1e-6)) }
        let mean = logs.reduce(0, +) / Double(logs.count)
        let variance = logs.count > 1 ? logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(logs.count - 1) : 0
        let sigma = max(variance.squareRoot(), 0.01)
        return .lognormal(median: exp(mean), p99: exp(mean + 2.326_347_874 * sigma), from: sorted.count)
    }

    static func mostCommon(_ values: [String]) -> String? {
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.first?.key
    }
}
