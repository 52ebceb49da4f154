import Scenarios
import Simulation
import WorkerCore

/// A task's life told in plain lines from its trace records: published, fetched, held for its eta,
/// restored by the visibility sweep, started, acknowledged, ... and, at the end, how many times it
/// ran and where.
///
/// Why from the trace: the trace is what the run did, in order, with exact times; the story adds
/// only what the scenario says about the task (its countdown, the visibility timeout) to name the
/// waits. Events of the workers that held the task (a kill, a warm stop) are woven in while it was
/// theirs, because they are usually why the next line happens.
public struct TaskStory: Sendable {
    public var taskID: String
    public var taskName: String?
    public var lines: [String]

    /// Lines of events kept in a story; a longer one keeps its beginning and its end.
    static let linesKept = 40

    public init(taskID: String, records: [TraceRecord], workerEvents: [TraceRecord], scenario: Scenario) {
        self.taskID = taskID
        taskName = records.first { $0.kind == .publish }?["name"]
        var lines: [String] = []
        let countdown = taskName.flatMap { name in scenario.tasks.first { $0.name == name }?.countdown }
        var eta: Int64? = nil
        var holders: [String: String] = [:]   // delivery tag → worker holding it
        var orphaned: [String: String] = [:]  // delivery tag → its dead holder, while in unacked
        var copiesAt: [String: Int] = [:]     // worker → copies of the task it has (fetched, not finished)
        var running: Set<String> = []         // workers running it now
        var runningSlot: [String: String] = [:]  // worker → the pool slot running it
        var runs: [(Int64, String)] = []
        var events = records.map { ($0, false) }
        // Worker events while some delivery of the task was at that worker.
        if let first = records.first?.microseconds, let last = records.last?.microseconds {
            let workersSeen = Set(records.compactMap { $0["worker"] })
            let ended = records.contains(where: \.endsTask)
            for event in workerEvents where event.microseconds > first && (event.microseconds <= last || !ended) {
                if let worker = event["worker"], workersSeen.contains(worker), event.kind != .workerStart { events.append((event, true)) }
            }
            events.sort { $0.0.sequence < $1.0.sequence }
        }
        func at(_ micros: Int64) -> String { StoryTime.format(microseconds: micros) }
        for (record, isWorkerEvent) in events {
            let time = at(record.microseconds)
            let worker = record["worker"] ?? "?"
            if isWorkerEvent {
                if record.kind == .childCrash || record.kind == .childKill {
                    // Only the child running this task matters.
                    guard let slot = record["slot"], runningSlot[worker] == slot else { continue }
                    if record.kind == .childCrash {
                        lines.append("\(time)  the child process running it on \(worker) died (SIGKILL): WorkerLostError")
                    } else {
                        lines.append("\(time)  \(worker) killed the child process running it (\(record["reason"] ?? "?"))")
                    }
                    runningSlot[worker] = nil
                    continue
                }
                guard copiesAt[worker, default: 0] > 0 || holders.values.contains(worker) else { continue }
                let what = running.contains(worker) ? "running it" : "holding it"
                switch record.kind {
                case .workerKill: lines.append("\(time)  \(worker) was killed (SIGKILL) while \(what)")
                case .oomKill: lines.append("\(time)  \(worker) was killed by the OOM killer while \(what)")
                case .workerSigterm: lines.append("\(time)  \(worker) was told to stop (SIGTERM, warm shutdown)")
                case .workerStopped: lines.append("\(time)  \(worker) stopped")
                case .scaleDown: lines.append("\(time)  the fleet scaler removed \(worker) (warm shutdown, then SIGKILL after the grace)")
                case .graceOver: lines.append("\(time)  \(worker)'s shutdown grace ran out")
                default: lines.append("\(time)  \(worker): \(record.kindText)")
                }
                if record.kind != .workerSigterm && record.kind != .scaleDown && record.kind != .graceOver {
                    // The process is gone; its deliveries stay in unacked until a sweep restores them.
                    for (tag, holder) in holders where holder == worker {
                        holders[tag] = nil
                        orphaned[tag] = "\(worker), which was gone at \(time)"
                    }
                    copiesAt[worker] = nil
                    running.remove(worker)
                }
                continue
            }
            switch record.kind {
            case .publish:
                var line = "\(time)  published to queue \(record["queue"] ?? "?") (delivery \(record["tag"] ?? "?"))"
                if let countdown {
                    eta = record.microseconds + countdown.microseconds
                    line += " with countdown \(DurationText.format(countdown)): eta \(at(eta!))"
                }
                lines.append(line)
            case .beatSend:
                lines.append("\(time)  sent by \(record["beat"] ?? "?") for the periodic entry \(record["entry"] ?? "?")")
            case .retryPublish:
                eta = nil
                lines.append("\(time)  retry \(record["retries"] ?? "?") published (delivery \(record["tag"] ?? "?"))")
            case .deliver:
                let tag = record["tag"] ?? "?"
                holders[tag] = worker
                copiesAt[worker, default: 0] += 1
                orphaned[tag] = nil
                var line = "\(time)  fetched by \(worker) (delivery \(tag)\(record["redelivered"] == "1" ? ", redelivered" : ""))"
                if let eta, eta > record.microseconds { line += "; held for its eta \(at(eta)), unacknowledged" }
                lines.append(line)
            case .restore:
                let tag = record["tag"] ?? "?"
                let holder = holders.removeValue(forKey: tag)
                orphaned[tag] = nil
                if record["cause"] == "visibility" {
                    let still = holder.map { " while \($0) still held it" } ?? ""
                    lines.append("\(time)  restored to the queue by the visibility sweep (run by \(record["by"] ?? "?")): delivery \(tag) "
                                 + "unacknowledged longer than visibility_timeout \(DurationText.format(scenario.broker.visibilityTimeout))\(still)")
                } else {
                    if let holder { copiesAt[holder, default: 1] -= 1 }
                    lines.append("\(time)  given back to the queue at \(record["by"] ?? "?")'s shutdown (delivery \(tag))")
                }
            case .start:
                runs.append((record.microseconds, worker))
                running.insert(worker)
                runningSlot[worker] = record["slot"]
                let retries = Int(record["retries"] ?? "0") ?? 0
                lines.append("\(time)  started on \(worker)" + (retries > 0 ? " (retry \(retries))" : ""))
            case .ack:
                holders.removeValue(forKey: record["tag"] ?? "")
                lines.append("\(time)  acknowledged by \(worker) (delivery \(record["tag"] ?? "?"))")
            case .ackLost, .rejectLost:
                lines.append("\(time)  \(record.kind == .ackLost ? "acknowledgement" : "reject") by \(worker) lost: the broker was down")
            case .reject:
                holders.removeValue(forKey: record["tag"] ?? "")
                lines.append("\(time)  rejected by \(worker)" + (record["requeue"] == "1" ? " and requeued" : ", not requeued"))
            case .deliveryToDeadWorker:
                lines.append("\(time)  reached \(worker) after it had died: stays in unacked until the visibility timeout")
            case .hang:
                lines.append("\(time)  hung on \(worker) (only a time limit or a kill ends it)")
            case .taskRejected:
                // The broker's reject record (or its loss in an outage) says it better.
                copiesAt[worker, default: 1] -= 1
                running.remove(worker)
            case .taskSucceeded, .taskFailed, .taskRetried, .taskRevoked:
                let detail = record["detail"].flatMap { $0.isEmpty ? nil : $0 }
                let outcome = switch record.kind {
                case .taskSucceeded: "succeeded"
                case .taskFailed: "failed"
                case .taskRetried: "retried"
                default: "revoked"
                }
                copiesAt[worker, default: 1] -= 1
                running.remove(worker)
                lines.append("\(time)  \(outcome) on \(worker)" + (detail.map { ": \($0)" } ?? ""))
            case nil:
                // A kind this build does not know (a trace from another version): told as it is.
                lines.append("\(time)  \(record.kindText) (a record kind this build does not know)"
                             + record.fields.map { " \($0.name)=\($0.value)" }.joined())
            default:
                lines.append("\(time)  \(record.kindText)" + record.fields.map { " \($0.name)=\($0.value)" }.joined())
            }
        }
        if !records.contains(where: \.endsTask) {
            for (tag, worker) in holders.sorted(by: { $0.key < $1.key }) {
                lines.append("at the end of the run: delivery \(tag) still held by \(worker), unacknowledged")
            }
            for (tag, worker) in orphaned.sorted(by: { $0.key < $1.key }) {
                lines.append("at the end of the run: delivery \(tag) still in unacked, fetched by \(worker); "
                             + "only the visibility timeout (\(DurationText.format(scenario.broker.visibilityTimeout))) brings it back")
            }
        }
        if !records.contains(where: \.endsTask) && holders.isEmpty && orphaned.isEmpty
            && copiesAt.values.allSatisfy({ $0 <= 0 }) && records.last?.kind != .publish && records.last?.kind != .retryPublish {
            lines.append("never finished, and no copy of it is left in the broker or a worker: lost")
        }
        if lines.count > Self.linesKept {
            // A redelivery loop repeats itself: keep its start and its end.
            let tail = Self.linesKept / 4
            let left = lines.count - Self.linesKept
            lines = Array(lines.prefix(Self.linesKept - tail)) + ["... \(left) more lines like these (--trace prints every record) ..."]
                + Array(lines.suffix(tail))
        }
        if runs.isEmpty {
            lines.append("never ran")
        } else {
            var list = runs.map { "at \(at($0.0)) on \($0.1)" }
            if list.count > 4 { list = Array(list.prefix(3)) + ["...", list[list.count - 1]] }
            lines.append("ran \(runs.count == 1 ? "once" : "\(runs.count) times"): " + list.joined(separator: ", "))
        }
        self.lines = lines
    }
}
