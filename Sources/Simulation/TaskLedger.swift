import Reports
import WorkerCore

/// Follows every task from publish to its end and checks the run's invariants as it goes.
///
/// A record lives while a copy of the task's message exists (in a broker list or held by a worker)
/// or the task has not ended, so memory follows the work in flight, not the work done. A task whose
/// last copy disappears before it ended is lost. Records are looked up by the simulator's task
/// number (`TaskRequest.taskNumber`, the n of "t<n>"), never by hashing the id; the end-of-run
/// report sorts them by id.
struct TaskLedger {
    /// Plain numbers only (no strings or other references): records are copied and freed millions
    /// of times; the id is the number's "t<n>" (`taskID(of:)`), rebuilt only for a report.
    struct Record {
        var firstPublishedAt: Instant
        /// When the current attempt became due (publish time or eta).
        var dueAt: Instant
        /// Messages in broker lists.
        var queued: Int32 = 0
        /// Entries in Kombu's `unacked` hash.
        var unacked: Int32 = 0
        /// Copies inside live workers (delivered and not yet finished, given back or lost with the worker).
        var inWorker: Int32 = 0
        var ended = false
        /// Bit r set when attempt r (retries == r) has started.
        var startedAttempts: UInt64 = 0
        /// Index into `redeliveryCauses` of why the next delivery is a redelivery (-1: none). An
        /// index keeps the record free of references, so copying or freeing one is a plain move.
        var lastRedeliveryCause: Int32 = -1
        var maxRetries: Int?
        /// The scenario task type (index), for its modelled result size.
        var taskIndex: Int32 = -1
        var resultStored = false
        /// Whether the latest attempt (the publish, or the retry last published) has started: one
        /// that has not by the end of the run has its queue wait censored (`censorOpen`).
        var currentAttemptStarted = false
    }


    private(set) var records = NumberedTable<Record>()
    var counts = RunSummary.Counts()
    /// Records the histograms below during the run, on its own thread (`FigureThread`); they
    /// hold its figures once `takeFigures()` has joined it.
    let figures: FigureThread
    var queueWait = DurationHistogram()
    var runTime = DurationHistogram()
    /// The bodies that succeeded, apart, when `keepsSucceededRunTimes` (nil without).
    var succeededRunTime: DurationHistogram?
    let keepsSucceededRunTimes: Bool
    var latency = DurationHistogram()
    var violations: [RunSummary.InvariantViolation] = []
    /// Per scenario task type (index: the scenario's task index), for `by_task`, grown on first use
    /// (a task outside the scenario's types has index -1 and counts only in the totals). The same
    /// HDR histograms as the run's, recorded beside them: two more records per task.
    private(set) var byType: [TaskTypeTally] = []
    /// Tasks whose latest attempt had not started at the end of the run (`censorOpen`).
    private(set) var censoredWaits = 0
    var duplicateCauses: [String: (count: Int, example: String)] = [:]
    /// Redelivery causes by index, each text once (`internCause`); looked up, never iterated.
    private var redeliveryCauses: [String] = []
    private var redeliveryCauseIndex: [String: Int32] = [:]
    var duplicateCauseOrder: [String] = []
    var lastFinishAt: Instant?
    let epoch: Instant
    /// Violations kept in full; beyond this only the count grows.
    let violationsKeptLimit = 1000
    var violationCount = 0

    /// Per task number − 1: the latest attempt's queue wait (µs) while it runs, and once the task
    /// ended its final value; nil unless recording. Negative: not started, or not ended.
    private var taskWaits: [Int64]?
    private var taskEnded: [Bool] = []

    init(epoch: Instant, figures: FigureThread, recordTaskWaits: Bool = false, succeededRunTimes: Bool = false) {
        self.epoch = epoch
        self.figures = figures
        keepsSucceededRunTimes = succeededRunTimes
        if recordTaskWaits { taskWaits = [] }
    }

    /// Each task's queue wait by task number − 1, -1 for a task that never ended; nil unless recording.
    var endedTaskWaits: [Int64]? {
        taskWaits.map { waits in waits.indices.map { taskEnded[$0] ? waits[$0] : -1 } }
    }

    private mutating func recordWait(_ micros: Int64, task: Int) {
        guard var waits = taskWaits, task >= 1 else { return }
        taskWaits = nil  // one owner while it grows: no copy
        if waits.count < task {
            waits += repeatElement(-1, count: task - waits.count)
            taskEnded += repeatElement(false, count: task - taskEnded.count)
        }
        waits[task - 1] = micros
        taskWaits = waits
    }

    var isEmpty: Bool { records.isEmpty }

    /// A client publish (not a retry); its copy counts as queued from now (in flight to the broker,
    /// held by the producer during an outage, or in a list).
    mutating func published(_ request: TaskRequest, now: Instant, maxRetries: Int?, taskIndex: Int) {
        counts.published += 1
        withType(taskIndex) { $0.published += 1 }
        records.set(Record(firstPublishedAt: now, dueAt: request.eta ?? now,
                           queued: 1, maxRetries: maxRetries, taskIndex: Int32(taskIndex)), for: request.taskNumber)
    }

    /// A result document was written; the first one for a task creates its key. Returns the task
    /// type index when it did, so the caller can add its modelled size.
    /// When a task became due (published, or its eta): a waiting message's age counts from here.
    func dueAt(of task: Int) -> Instant? { records[task]?.dueAt }

    mutating func resultStored(_ task: Int) -> Int? {
        guard let index = records.slot(of: task), !records[slot: index].resultStored else { return nil }
        records[slot: index].resultStored = true
        let taskIndex = Int(records[slot: index].taskIndex)
        return taskIndex >= 0 ? taskIndex : nil
    }

    /// A retry message published by a worker: a new queued copy with a new due time.
    mutating func republished(_ request: TaskRequest, now: Instant) {
        guard let index = records.slot(of: request.taskNumber) else { return }
        records[slot: index].dueAt = request.eta ?? now
        records[slot: index].currentAttemptStarted = false
        records[slot: index].queued += 1
    }

    enum Place { case queued, unacked, inWorker }

    /// A copy of the task appeared in (+1) or left (-1) a place. When the last copy anywhere is
    /// gone and the task never ended, it is lost.
    mutating func move(_ task: Int, _ place: Place, _ delta: Int32, now: Instant, lostReason: @autoclosure () -> String) {
        guard let index = records.slot(of: task) else { return }
        switch place {
        case .queued: records[slot: index].queued += delta
        case .unacked: records[slot: index].unacked += delta
        case .inWorker: records[slot: index].inWorker += delta
        }
        if delta < 0 { settle(at: index, now: now, lostReason: lostReason) }
    }

    /// A broker list gave a copy to a consumer: one lookup for the two moves (queued → unacked).
    mutating func delivered(_ task: Int, fromList: Bool, intoWorker: Bool) {
        guard let index = records.slot(of: task) else { return }
        records[slot: index].unacked += 1
        if fromList { records[slot: index].queued -= 1 }
        if intoWorker { records[slot: index].inWorker += 1 }
    }

    private mutating func internCause(_ cause: String) -> Int32 {
        if let index = redeliveryCauseIndex[cause] { return index }
        let index = Int32(redeliveryCauses.count)
        redeliveryCauses.append(cause)
        redeliveryCauseIndex[cause] = index
        return index
    }

    /// Why the task's next delivery is a redelivery (a restore or a requeue).
    mutating func noteRedelivery(_ task: Int, cause: String, restored: Bool) {
        guard let index = records.slot(of: task) else { return }
        records[slot: index].lastRedeliveryCause = internCause(cause)
        if restored { counts.restored += 1 }
    }

    mutating func started(_ request: TaskRequest, now: Instant) {
        guard let index = records.slot(of: request.taskNumber) else { return }
        counts.executions += 1
        let attempt = request.retries
        let bit: UInt64 = attempt < 64 ? 1 << UInt64(attempt) : 0
        let record = records[slot: index]
        if record.startedAttempts & bit != 0 {
            counts.duplicates += 1
            let cause = record.lastRedeliveryCause >= 0 ? redeliveryCauses[Int(record.lastRedeliveryCause)]
                : "unexplained (no redelivery)"
            if duplicateCauses[cause] == nil { duplicateCauseOrder.append(cause) }
            duplicateCauses[cause, default: (0, request.id)].count += 1
            if record.lastRedeliveryCause < 0 {
                violate("duplicate execution without redelivery", request.id, now, "attempt \(attempt) ran twice")
            }
        } else {
            // The run's, the type's and the timeline interval's histograms, on the figure thread.
            figures.wait(micros: (now - record.dueAt).microseconds, type: Int(record.taskIndex))
            recordWait((now - record.dueAt).microseconds, task: request.taskNumber)
        }
        records[slot: index].startedAttempts |= bit
        records[slot: index].currentAttemptStarted = true
        if let maxRetries = record.maxRetries, attempt > maxRetries {
            violate("more attempts than max_retries + 1", request.id, now, "attempt \(attempt + 1) > \(maxRetries + 1)")
        }
        if let eta = request.eta, now < eta {
            violate("started before eta", request.id, now, "eta \(formatSeconds(eta - epoch))s")
        }
        if let expires = request.expires, now >= expires {
            violate("started after expiry", request.id, now, "expires \(formatSeconds(expires - epoch))s")
        }
    }

    /// An attempt ended in a worker (success, failure, retry, revoke or reject): the worker's copy is done.
    mutating func attemptEnded(_ event: TaskEvent, now: Instant) {
        guard let index = records.slot(of: event.request.taskNumber) else { return }
        let final: Bool
        switch event.kind {
        case .succeeded, .failed, .revoked: final = true
        case .retried:
            counts.retried += 1
            withType(Int(records[slot: index].taskIndex)) { $0.retried += 1 }
            final = false
        case .rejected: counts.rejected += 1; final = !event.requeued
        case .received, .started: return
        }
        if event.detail == "WorkerLostError" { counts.workerLost += 1 }
        // A task is counted once by how it first ended; later runs of it are duplicates.
        if final && !records[slot: index].ended {
            records[slot: index].ended = true
            let task = event.request.taskNumber
            if taskWaits != nil, task >= 1, task <= taskEnded.count { taskEnded[task - 1] = true }
            let type = Int(records[slot: index].taskIndex)
            switch event.kind {
            case .succeeded: counts.succeeded += 1; withType(type) { $0.succeeded += 1 }
            case .failed: counts.failed += 1; withType(type) { $0.failed += 1 }
            case .revoked: counts.revoked += 1
            default: break
            }
            figures.latency(micros: (now - records[slot: index].firstPublishedAt).microseconds)
            lastFinishAt = now
        }
        records[slot: index].inWorker -= 1
        settle(at: index, now: now, lostReason: { "its last message was consumed without a result" })
    }

    /// A body's run time (start to end in its child), in the totals and its type's histogram;
    /// a success's also apart when `keepsSucceededRunTimes`.
    mutating func recordRunTime(_ span: TimeSpan, taskIndex: Int?, succeeded: Bool) {
        figures.runTime(micros: span.microseconds, type: taskIndex)
        if succeeded && keepsSucceededRunTimes { figures.succeededRunTime(micros: span.microseconds, type: taskIndex) }
    }

    /// Joins the figure thread and takes its histograms (the run's and each type's) into the
    /// ledger; returns the timeline's interval percentiles, one per sample. Called once, after
    /// the run's last record and before `censorOpen`.
    mutating func takeFigures() -> [(p50: UInt64, p99: UInt64)] {
        let done = figures.finish()
        queueWait = done.queueWait
        runTime = done.runTime
        latency = done.latency
        let types = max(done.typeQueueWait.count, done.typeRunTime.count)
        if types > 0 { withType(types - 1) { _ in } }
        for (index, histogram) in done.typeQueueWait.enumerated() { byType[index].queueWait = histogram }
        for (index, histogram) in done.typeRunTime.enumerated() { byType[index].runTime = histogram }
        if keepsSucceededRunTimes {
            succeededRunTime = done.succeededRunTime
            for index in byType.indices { byType[index].succeededRunTime = DurationHistogram() }
            // Every success is a run-time record of the same type too: `byType` already covers these.
            for (index, histogram) in done.typeSucceededRunTime.enumerated() { byType[index].succeededRunTime = histogram }
        }
        return done.intervalPercentiles
    }

    /// Changes a task type's figures in place, growing the table on first use; ignores index -1.
    @inline(__always)
    private mutating func withType(_ index: Int, _ change: (inout TaskTypeTally) -> Void) {
        guard index >= 0 else { return }
        if index >= byType.count { byType += (byType.count...index).map { _ in TaskTypeTally() } }
        change(&byType[index])
    }

    /// At the end of the run: every task that never ended has waited at least until `end`. Its
    /// latency is recorded as `end` minus its publish, and when its latest attempt never started
    /// (queued, held for eta, unacknowledged) and was due by `end`, its queue wait as `end` minus
    /// when it became due (a task held for an eta after the end has not waited yet), so
    /// percentiles of a run that strands work show it (a lower bound: right-censored). Called once,
    /// after the run; it writes nothing to the trace. The count is `censoredWaits`.
    mutating func censorOpen(at end: Instant) {
        for record in records.allValues where !record.ended {
            latency.record(end - record.firstPublishedAt)
            // Not yet due (held for an eta after the end): it has not waited; only its latency counts.
            guard !record.currentAttemptStarted, record.dueAt <= end else { continue }
            censoredWaits += 1
            queueWait.record(end - record.dueAt)
            withType(Int(record.taskIndex)) {
                $0.censored += 1
                $0.queueWait.record(end - record.dueAt)
            }
        }
    }

    /// The per-type figures named by the scenario's task types, sorted by name.
    func taskFigures(names: [String]) -> [RunSummary.TaskFigures] {
        names.indices.map { index in
            (index < byType.count ? byType[index] : TaskTypeTally()).figures(task: names[index])
        }.sorted { $0.task < $1.task }
    }

    /// Frees a record with no copies left; reports it lost if it never ended.
    private mutating func settle(at index: Int, now: Instant, lostReason: () -> String) {
        let record = records[slot: index]
        guard record.queued <= 0, record.unacked <= 0, record.inWorker <= 0 else { return }
        if !record.ended {
            counts.lost += 1
            violate("task lost", Self.taskID(of: records.key(atSlot: index)), now, lostReason())
        }
        records.remove(atSlot: index)
    }

    mutating func violate(_ invariant: String, _ id: String, _ now: Instant, _ detail: String) {
        violationCount += 1
        guard violations.count < violationsKeptLimit else { return }
        violations.append(RunSummary.InvariantViolation(invariant: invariant, subject: id,
                                                        atSeconds: (now - epoch).seconds, detail: detail))
    }

    /// Duplicate causes in the order first seen.
    var duplicateSummary: [RunSummary.DuplicateCause] {
        duplicateCauseOrder.map { cause in
            let entry = duplicateCauses[cause]!
            return RunSummary.DuplicateCause(cause: cause, count: entry.count, exampleTaskID: entry.example)
        }
    }

    /// Ids still tracked, sorted (for the leftover report).
    var openTaskIDs: [String] { records.allKeys.map(Self.taskID(of:)).sorted() }

    /// The id the simulator gave task number n when it published it (`Simulator.publishNew`).
    /// A follower (a task a worker published for a canvas) has a negative number and id f<-n>
    /// (`Simulator.publishFollower`).
    /// A beat's send has a number below -`BeatWorld.taskNumberBase` and id b<n> (`Simulator.sendEntry`).
    static func taskID(of number: Int) -> String {
        if number <= -BeatWorld.taskNumberBase { return numberedID(UInt8(ascii: "b"), -number - BeatWorld.taskNumberBase) }
        return number < 0 ? numberedID(UInt8(ascii: "f"), -number) : numberedID(UInt8(ascii: "t"), number)
    }
}
