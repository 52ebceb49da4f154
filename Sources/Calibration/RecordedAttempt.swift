import CeleryWire
import FleetRecording

/// One delivery of a task to a worker, from its `task-received` to how it ended, with times on
/// the recorder's clock (`ClockAlignment`). A retried task has one attempt per delivery.
public struct RecordedAttempt: Sendable {
    public enum Outcome: Sendable, Equatable {
        case succeeded, failed(exception: String), retried, rejected, revoked, unfinished
    }
    public var id: String
    public var name: String
    public var node: String
    /// The message's `retries` (0 for the first delivery).
    public var retries: Int
    public var receivedAt: Double
    public var startedAt: Double?
    public var endedAt: Double?
    /// Celery's own `runtime` of a success; for other ends, end minus start.
    public var runtime: Double?
    public var outcome: Outcome = .unfinished
    /// The length of a success's result repr, when the recording kept it (`--keep-args`).
    public var resultBytes: Int?
    /// The exception type of a retried attempt (`task-retried`'s `exception`).
    public var retryException: String?
    /// The message's eta (a retry's countdown), seconds since the epoch.
    public var eta: Double?
    public var rootID: String?
    public var parentID: String?
    /// When the message was published, and how that was known (`PublishTimes`).
    public var publishedAt: Double?
    public var publishMethod: PublishMethod = .unknown
    public var queue: String?

    /// Queue wait as the simulator counts it: from the publish, or from the eta when it is later,
    /// to the body's start.
    public var queueWait: Double? {
        guard let startedAt, let publishedAt else { return nil }
        return startedAt - max(publishedAt, eta ?? publishedAt)
    }
}

/// How an attempt's publish time was known, best first (`PublishTimes`).
public enum PublishMethod: String, Sendable {
    case taskSent = "task-sent events", keyspace = "keyspace notifications", queueLength = "queue lengths", unknown = "not known"
}

/// The attempts of a recording, in the order they were received.
public enum AttemptReconstruction {
    public struct Output: Sendable {
        public var attempts: [RecordedAttempt]
        /// task-sent events by (id, retries): the publish times clients reported.
        public var sent: [String: (at: Double, queue: String?, priority: Int?)]
        /// Events for a task id never received in the recording (started before it, say).
        public var orphanEvents: Int
    }

    static func key(_ id: String, _ retries: Int) -> String { "\(id)#\(retries)" }

    public static func attempts(from events: [RecordedEvent], clocks: ClockAlignment) -> Output {
        var attempts: [RecordedAttempt] = []
        // Open attempts per task id, oldest first. A retry's new message is published by the
        // child before its parent sends task-retried, so the next delivery's task-received can
        // come before the previous one ends: an end closes the oldest started attempt, a start
        // the oldest that has not started.
        var openByID: [String: [Int]] = [:]
        var sent: [String: (at: Double, queue: String?, priority: Int?)] = [:]
        var orphans = 0
        // Sorted by the aligned time, then each node's Lamport clock, so a task's events are in
        // the order its worker made them even when batches arrive out of order.
        let ordered = events.enumerated().sorted { a, b in
            let ta = clocks.time(of: a.element), tb = clocks.time(of: b.element)
            if ta != tb { return ta < tb }
            if a.element.hostname == b.element.hostname, a.element.clock != b.element.clock { return a.element.clock < b.element.clock }
            return a.offset < b.offset
        }.map(\.element)
        for event in ordered where event.type.hasPrefix("task-") {
            guard let id = event.fields["uuid"]?.stringValue else { continue }
            let at = clocks.time(of: event)
            switch event.type {
            case "task-sent":
                let retries = Int(event.fields["retries"]?.intValue ?? 0)
                sent[key(id, retries)] = (at, event.fields["queue"]?.stringValue ?? event.fields["routing_key"]?.stringValue,
                                          event.fields["priority"]?.intValue.map { Int($0) })
            case "task-received":
                var attempt = RecordedAttempt(
                    id: id, name: event.fields["name"]?.stringValue ?? "?", node: event.hostname,
                    retries: Int(event.fields["retries"]?.intValue ?? 0), receivedAt: at)
                attempt.eta = event.fields["eta"]?.stringValue.flatMap { try? Double(CeleryTimestamp.parse($0)) / 1e6 }
                attempt.rootID = event.fields["root_id"]?.stringValue
                attempt.parentID = event.fields["parent_id"]?.stringValue
                openByID[id, default: []].append(attempts.count)
                attempts.append(attempt)
            default:
                guard let open = openByID[id], !open.isEmpty else { orphans += 1; continue }
                let index: Int
                if event.type == "task-started" {
                    index = open.first { attempts[$0].startedAt == nil } ?? open[0]
                } else {
                    index = open.first { attempts[$0].startedAt != nil } ?? open[0]
                }
                func close() { openByID[id]?.removeAll { $0 == index } }
                switch event.type {
                case "task-started":
                    attempts[index].startedAt = at
                case "task-succeeded":
                    attempts[index].endedAt = at
                    attempts[index].outcome = .succeeded
                    attempts[index].runtime = event.fields["runtime"]?.doubleValue ?? attempts[index].startedAt.map { at - $0 }
                    attempts[index].resultBytes = event.fields["result"]?.stringValue.map { $0.utf8.count }
                    close()
                case "task-failed", "task-retried", "task-rejected", "task-revoked":
                    attempts[index].endedAt = at
                    attempts[index].runtime = attempts[index].startedAt.map { at - $0 }
                    switch event.type {
                    case "task-failed": attempts[index].outcome = .failed(exception: exceptionType(event.fields["exception"]?.stringValue))
                    case "task-retried":
                        attempts[index].outcome = .retried
                        attempts[index].retryException = event.fields["exception"]?.stringValue.map(exceptionType)
                    case "task-rejected": attempts[index].outcome = .rejected
                    default: attempts[index].outcome = .revoked
                    }
                    close()
                default:
                    break
                }
            }
        }
        return Output(attempts: attempts, sent: sent, orphanEvents: orphans)
    }

    static func exceptionType(_ text: String?) -> String { EventPrivacy.exceptionType(text) }
}
