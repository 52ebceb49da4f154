import CeleryWire
import Foundation
import LiveWorker
import RedisClient

/// Reads each published task's result document (`celery-task-meta-<id>`) until it is final: its
/// state, when the body started (lovage.synthetic's `started_at`, in its own result) and when the
/// worker stored the result (`date_done`). Both Lovage and Celery write these, so one collector
/// serves both targets. Past the planned tasks' ids come the pipelines' followers', read once their
/// root has been sent, then the tasks the run's beats sent, added once their ids are known
/// (`addBeatTasks`).
final class ResultCollector: @unchecked Sendable {
    struct Outcome {
        var status: String
        var startedAtMicros: Int64?
        var doneAtMicros: Int64?
        /// Retries before the attempt that succeeded (lovage.synthetic reports them).
        var retries: Int?
    }

    private(set) var ids: [String]
    /// How many of `ids` are planned tasks (the rest are followers, then beat sends).
    let plannedCount: Int
    /// Where the beats' tasks start in `ids` (after the planned tasks and the followers).
    var beatTaskStart: Int { plannedCount + rootPlanIndex.count }
    /// By follower (id `plannedCount + i`): the plan index of its pipeline's root.
    private let rootPlanIndex: [Int]
    /// By follower: for an errback, the index (in `ids`) of the task whose failure would publish
    /// it. Once that task ended otherwise the errback never comes, and it is no longer read.
    private let errbackOwner: [Int?]
    private let url: RedisURL
    private(set) var outcomes: [Outcome?]
    private var finalCount = 0
    private var connection: RedisConnection?
    private static let chunk = 500

    init(url: RedisURL, ids: [String], plannedCount: Int? = nil, rootPlanIndex: [Int] = [], errbackOwner: [Int?] = []) {
        self.url = url
        self.ids = ids
        self.plannedCount = plannedCount ?? ids.count
        self.rootPlanIndex = rootPlanIndex
        self.errbackOwner = errbackOwner.isEmpty ? Array(repeating: nil, count: rootPlanIndex.count) : errbackOwner
        outcomes = Array(repeating: nil, count: ids.count)
    }

    /// Reads the documents of the first `sentCount` planned tasks, and of the followers of their
    /// pipelines, that are not final yet; returns how many planned tasks are final. A broker that
    /// does not answer leaves the figures as they were.
    @discardableResult
    func refresh(sentCount: Int) -> Int {
        // One connection for the run's polls; after a failure the next poll opens a new one.
        if connection == nil { connection = try? RedisConnection(url: url, connectTimeout: 1, commandTimeout: 10) }
        guard let connection else { return finalCount }
        let followers = rootPlanIndex.indices.lazy.filter { follower in
            guard self.rootPlanIndex[follower] < sentCount else { return false }
            guard let owner = self.errbackOwner[follower], let ended = self.outcomes[owner]?.status else { return true }
            return !Self.isFinal(ended) || ended == "FAILURE"
        }.map { self.plannedCount + $0 }
        let open = (Array(0..<min(sentCount, plannedCount)) + followers + Array(beatTaskStart..<ids.count)).filter { outcomes[$0].map { !Self.isFinal($0.status) } ?? true }
        var start = 0
        while start < open.count {
            let slice = open[start..<min(open.count, start + Self.chunk)]
            start += Self.chunk
            guard let reply = try? connection.command([Array("MGET".utf8)] + slice.map { Array(("celery-task-meta-" + ids[$0]).utf8) }),
                  let values = reply.arrayValue else {
                self.connection = nil
                return finalCount
            }
            for (index, value) in zip(slice, values) {
                guard let bytes = value.bytes, let document = try? ResultDocument.decode(bytes) else { continue }
                let started = document.result["started_at"]?.doubleValue.map { Int64($0 * 1_000_000) }
                let done = document.dateDone.flatMap { try? CeleryTimestamp.parse($0) }
                outcomes[index] = Outcome(status: document.status, startedAtMicros: started, doneAtMicros: done,
                                          retries: document.result["retries"]?.intValue.map { Int($0) })
                if Self.isFinal(document.status), index < plannedCount { finalCount += 1 }
            }
        }
        return finalCount
    }

    /// The tasks the beats sent (their ids from the beats' logs): read from the next refresh on.
    func addBeatTasks(ids more: [String]) {
        ids += more
        outcomes += more.map { _ in nil }
    }

    /// Whether every beat task has a final result (none sent: true).
    var beatTasksEnded: Bool {
        outcomes[beatTaskStart...].allSatisfy { $0.map { Self.isFinal($0.status) } ?? false }
    }

    static func isFinal(_ status: String) -> Bool { ["SUCCESS", "FAILURE", "REVOKED"].contains(status) }

    /// Tasks with no final result, by id and last known state; `counts(i)` says whether task i
    /// is one to list (a follower that was never published is not).
    func leftoverLines(limit: Int, counts: (Int) -> Bool = { _ in true }) -> [String] {
        var lines: [String] = []
        for (index, outcome) in outcomes.enumerated() where (outcome.map({ !Self.isFinal($0.status) }) ?? true) && counts(index) {
            if lines.count == limit { lines.append("…"); break }
            lines.append("no final result: \(ids[index]) (\(outcome?.status ?? "no result document"))")
        }
        return lines
    }
}
