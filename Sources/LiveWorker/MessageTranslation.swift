import CeleryWire
import WorkerCore

/// Between Celery's wire format and the core's vocabulary: the one place a message becomes a
/// `TaskRequest`, a retry the core decided becomes the next message, and a `ResultRecord` becomes
/// a result document.
enum MessageTranslation {
    /// The core's view of a decoded message. Throws the WireError of a malformed timestamp or of
    /// a malformed signature in the embed (`body[2].chain[1]: expected object, ...`): a message
    /// whose canvas cannot be read is dead-lettered, never run with half its links.
    static func request(from message: TaskMessage, queue: String, deliveryTag: String,
                        redelivered: Bool) throws(WireError) -> TaskRequest {
        let embed = try CanvasEmbed.decode(message.embed)
        let hard = message.timeLimit.hard.map { TimeSpan.seconds($0) }
        let soft = message.timeLimit.soft.map { TimeSpan.seconds($0) }
        return TaskRequest(
            id: message.id, name: message.task, queue: queue, deliveryTag: deliveryTag, retries: message.retries,
            eta: try message.etaMicros.map { Instant(microsecondsSinceEpoch: $0) },
            expires: try message.expiresMicros.map { Instant(microsecondsSinceEpoch: $0) },
            timeLimit: hard, softTimeLimit: soft, priority: message.priority, redelivered: redelivered,
            ignoreResult: message.ignoreResult ?? false, canvas: links(embed, message: message))
    }

    /// What the embed says follows the task, counted for the core. A chord member is a task with
    /// `embed.chord` set and a group id (the Redis backend's `on_chord_part_return` does nothing
    /// without one).
    static func links(_ embed: CanvasEmbed, message: TaskMessage) -> CanvasLinks {
        CanvasLinks(callbacks: embed.callbacks.count, errbacks: embed.errbacks.count, chainSteps: embed.chain.count,
                    chordMember: embed.chord != nil && message.group != nil)
    }

    /// The message for the next attempt the core decided (`next`, from `TaskRequest.retried`),
    /// built from the message of the attempt being retried: the core's retries and eta, the
    /// original's everything else (capture 41).
    static func retryMessage(next: TaskRequest, retrying original: TaskMessage, deliveryTag: String) -> TaskMessage {
        original.nextAttempt(retries: next.retries, eta: next.eta?.microsecondsSinceEpoch, deliveryTag: deliveryTag)
    }

    /// The `celery-task-meta-<id>` document for a result the core decided to store.
    /// The core's error as a result document stores it (`exc_type`, `exc_message`, `exc_module`).
    static func exception(_ error: ErrorDescription) -> ExceptionInfo {
        ExceptionInfo(excType: error.type, excMessage: [.string(error.message)], excModule: error.module)
    }

    /// `children` is what the task applied before its result was stored (`AsyncResult.as_tuple()`
    /// of each, capture 54).
    static func document(taskID: String, record: ResultRecord, pid: Int32, nowMicros: Int64,
                         children: [JSONValue] = []) -> ResultDocument {
        let payload = record.payloadJSON.flatMap { try? JSONValue.parse($0) } ?? .null
        let exception = record.error.map(Self.exception)
        switch record.state {
        case "STARTED":
            return .started(taskID: taskID, pid: Int(pid), hostname: record.hostname)
        case "SUCCESS":
            return .success(taskID: taskID, result: payload, dateDone: nowMicros, children: .array(children))
        case "FAILURE":
            return .failure(taskID: taskID, exception: exception ?? ExceptionInfo(excType: "Exception", excMessage: []),
                            traceback: nil, dateDone: nowMicros, children: .array(children))
        case "RETRY":
            return .retry(taskID: taskID, exception: exception ?? ExceptionInfo(excType: "Retry", excMessage: []),
                          traceback: nil)
        case "REVOKED":
            return .revoked(taskID: taskID, reason: record.error?.message ?? "revoked", dateDone: nowMicros)
        default:
            return .custom(taskID: taskID, state: record.state, meta: payload)
        }
    }
}
