/// Counts duplicate executions from Celery's task events, the way the simulator's ledger counts
/// them from its trace: an attempt of a task is its id with its `retries`; a `task-started` for an
/// attempt that already started is a duplicate.
///
/// `task-started` carries only the uuid (celery/worker/request.py), so its attempt is the
/// `retries` of the latest `task-received` of that uuid from the same worker; a worker receives a
/// message before it starts it, and each worker publishes its events in order on one connection.
/// `task-received` carries no `redelivered` flag (celery/worker/strategy.py sends uuid, name,
/// args, kwargs, root_id, parent_id, retries, eta, expires), so a redelivery is seen as a second
/// `task-received` of the same attempt (a visibility-timeout restore, a requeue, a give-back at
/// shutdown), and it explains a duplicate that follows it.
///
/// An event published twice (a pipeline sent again after a reconnection) has the same sender and
/// Lamport clock; it is counted once. Pure and single-threaded: the caller feeds events in the
/// order received.
public struct ExecutionCounter: Sendable {
    public private(set) var received = 0
    public private(set) var started = 0
    /// Attempts started more than once: each start beyond the first.
    public private(set) var duplicates = 0
    /// Deliveries of an attempt beyond its first (`task-received` again).
    public private(set) var redelivered = 0
    /// Attempts that asked for a retry (`task-retried`), each counted once: the retries that
    /// happened, as the simulator's ledger counts them.
    public private(set) var retried = 0
    /// When each of those retries was asked for (epoch microseconds), in the order seen.
    public private(set) var retriedAtMicros: [Int64] = []

    struct Attempt: Hashable { var uuid: String; var retries: Int }
    struct Sender: Hashable { var hostname: String; var uuid: String }
    /// One event's identity: the sender and its clock.
    struct Stamp: Equatable { var hostname: String; var pid: Int; var clock: Int }
    struct Record {
        var receives: [Stamp] = []
        var starts: [Stamp] = []
        /// The attempt's message eta (epoch microseconds), from its first task-received.
        var etaMicros: Int64?
        /// When the attempt asked for a retry (task-retried): the next attempt's publish time.
        var retriedAtMicros: Int64?
        /// When the attempt first started (its first task-started's timestamp).
        var startedAtMicros: Int64?
        /// When the attempt failed for good (task-failed's timestamp).
        var failedAtMicros: Int64?
    }

    var attempts: [Attempt: Record] = [:]
    /// The retries of each worker's latest task-received of a uuid.
    var latestRetries: [Sender: Int] = [:]
    /// Duplicate causes in the order first seen, with a count and the first task id.
    var causeOrder: [String] = []
    var causes: [String: (count: Int, example: String)] = [:]
    /// The attempts of each uuid that asked for a retry.
    var retriesByUUID: [String: Int] = [:]

    public static let redeliveredCause = "started again after the message was delivered again (visibility-timeout restore, requeue or give-back)"
    public static let unexplainedCause = "started again with no second task-received seen (an event missed?)"

    public init() {}

    public mutating func taskReceived(hostname: String, pid: Int, clock: Int, uuid: String, retries: Int,
                                      etaMicros: Int64? = nil) {
        let stamp = Stamp(hostname: hostname, pid: pid, clock: clock)
        let attempt = Attempt(uuid: uuid, retries: retries)
        latestRetries[Sender(hostname: hostname, uuid: uuid)] = retries
        var record = attempts[attempt] ?? Record()
        guard !record.receives.contains(stamp) else { return }
        received += 1
        if !record.receives.isEmpty { redelivered += 1 }
        if record.receives.isEmpty { record.etaMicros = etaMicros }
        record.receives.append(stamp)
        attempts[attempt] = record
    }

    /// `task-started`; `atMicros` is the event's timestamp (epoch µs), kept for the attempt's first start.
    ///
    /// It belongs to the earliest attempt this sender received that has not started, and only
    /// without one to the sender's latest (a second start: a duplicate). Celery's prefork parent
    /// sends task-started when the child reports it accepted the job (`Request.on_accepted`,
    /// celery/worker/request.py), so a 2 ms body's retry can be published and its next attempt
    /// received by the same worker before that report is read: task-received of attempt N + 1,
    /// then task-started of attempt N. An attempt with a successor ran, so it cannot be one that
    /// was received and never started.
    public mutating func taskStarted(hostname: String, pid: Int, clock: Int, uuid: String, atMicros: Int64? = nil) {
        let stamp = Stamp(hostname: hostname, pid: pid, clock: clock)
        let latest = latestRetries[Sender(hostname: hostname, uuid: uuid)] ?? 0
        let retries = (0...max(0, latest)).first { candidate in
            guard let record = attempts[Attempt(uuid: uuid, retries: candidate)] else { return false }
            return record.starts.isEmpty && record.receives.contains { $0.hostname == hostname }
        } ?? latest
        let attempt = Attempt(uuid: uuid, retries: retries)
        var record = attempts[attempt] ?? Record()
        guard !record.starts.contains(stamp) else { return }
        started += 1
        if !record.starts.isEmpty {
            duplicates += 1
            let cause = record.receives.count > record.starts.count ? Self.redeliveredCause : Self.unexplainedCause
            if causes[cause] == nil { causeOrder.append(cause) }
            causes[cause, default: (0, uuid)].count += 1
        }
        record.starts.append(stamp)
        if record.startedAtMicros == nil { record.startedAtMicros = atMicros }
        attempts[attempt] = record
    }

    /// `task-failed`: the sender's latest attempt of the uuid failed for good at `atMicros`.
    public mutating func taskFailed(hostname: String, uuid: String, atMicros: Int64) {
        let attempt = Attempt(uuid: uuid, retries: latestRetries[Sender(hostname: hostname, uuid: uuid)] ?? 0)
        guard var record = attempts[attempt], record.failedAtMicros == nil else { return }
        record.failedAtMicros = atMicros
        attempts[attempt] = record
    }

    /// When an attempt first started and when it ended — it asked for a retry (task-retried) or
    /// failed (task-failed) — from the events' timestamps (epoch µs); nil where no event was seen.
    /// A real run counts the attempts its results do not show from these: every attempt before
    /// the last, and a last one that failed (its result is the exception, with no start time).
    public func attemptTimes(uuid: String, retries: Int) -> (startedAtMicros: Int64?, endedAtMicros: Int64?) {
        guard let record = attempts[Attempt(uuid: uuid, retries: retries)] else { return (nil, nil) }
        return (record.startedAtMicros, record.retriedAtMicros ?? record.failedAtMicros)
    }

    /// `task-retried`: the running attempt (the sender's latest received of the uuid) re-published
    /// the task; the next attempt is due from then (or its eta, if later).
    ///
    /// The event names no attempt, and it can come after the next attempt's task-received: the
    /// retried attempt publishes its successor before its worker sends task-retried, and with a
    /// countdown of 0 (jitter can make it 0) the same worker may receive the successor first. So it
    /// belongs to the earliest attempt of this sender that started and has not retried yet, and
    /// only without one to the sender's latest.
    public mutating func taskRetried(hostname: String, uuid: String, atMicros: Int64) {
        let latest = latestRetries[Sender(hostname: hostname, uuid: uuid)] ?? 0
        let retries = (0...max(0, latest)).first { candidate in
            guard let record = attempts[Attempt(uuid: uuid, retries: candidate)] else { return false }
            return !record.starts.isEmpty && record.retriedAtMicros == nil
        } ?? latest
        let attempt = Attempt(uuid: uuid, retries: retries)
        var record = attempts[attempt] ?? Record()
        if record.retriedAtMicros == nil {
            record.retriedAtMicros = atMicros
            retried += 1
            retriedAtMicros.append(atMicros)
            retriesByUUID[uuid, default: 0] += 1
        }
        attempts[attempt] = record
    }

    /// How many attempts of the task asked for a retry (0 when no task-retried was seen).
    public func retries(uuid: String) -> Int { retriesByUUID[uuid] ?? 0 }

    /// When a retry attempt (retries ≥ 1) became due, as the simulator measures queue wait: the
    /// later of the previous attempt's retry (the publish of this one) and this attempt's eta. Nil
    /// for a first attempt (its due time is the publisher's) or when neither event was seen.
    public func dueMicros(uuid: String, retries: Int) -> Int64? {
        guard retries > 0 else { return nil }
        let published = attempts[Attempt(uuid: uuid, retries: retries - 1)]?.retriedAtMicros
        let eta = attempts[Attempt(uuid: uuid, retries: retries)]?.etaMicros
        return [published, eta].compactMap { $0 }.max()
    }

    /// Whether a task-started of this attempt was seen (a real run's task with no result yet may
    /// be running rather than waiting: it is then not censored as never started).
    public func started(uuid: String, retries: Int) -> Bool {
        !(attempts[Attempt(uuid: uuid, retries: retries)]?.starts.isEmpty ?? true)
    }

    /// The duplicates by cause, in the order first seen.
    public var duplicateCauses: [RunSummary.DuplicateCause] {
        causeOrder.compactMap { cause in
            causes[cause].map { RunSummary.DuplicateCause(cause: cause, count: $0.count, exampleTaskID: $0.example) }
        }
    }
}
