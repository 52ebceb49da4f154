import CeleryWire
import Foundation
import WorkerCore

/// Turning the core's `TaskEvent`s into Celery's events (`-E`): the core says what happened and
/// when; the driver adds what only it knows — the message's `argsrepr`/`kwargsrepr`, root and
/// parent ids, eta and expires as sent; the body's return value, exception and runtime — and
/// buffers the event for the iteration's pipeline (`EventDispatcher`).
extension LiveWorkerDriver {
    /// What the body that just finished returned, for the event the core emits about it in the
    /// same `apply` (set before the core handles `.taskFinished`, cleared after the directives).
    struct FinishedBody {
        var result: TaskBodyResult
        var runtimeSeconds: Double
    }

    /// Buffers the Celery event for one core event (nothing when -E is off). Call before the
    /// message is forgotten: task-received needs its headers.
    func bufferCeleryEvent(_ event: TaskEvent) {
        guard let events else { return }
        let uuid = event.taskID
        switch event.kind {
        case .received:
            let message = messages[event.deliveryTag]
            events.buffer(.taskReceived(
                events.stamp(), uuid: uuid, name: event.taskName,
                argsrepr: message.map { $0.argsrepr ?? PythonRepr.args($0.args) } ?? "()",
                kwargsrepr: message.map { $0.kwargsrepr ?? PythonRepr.kwargs($0.kwargs) } ?? "{}",
                rootID: message?.rootID, parentID: message?.parentID, retries: event.retries,
                eta: message?.eta, expires: message?.expires))
        case .started:
            events.buffer(.taskStarted(events.stamp(), uuid: uuid))
        case .succeeded:
            var resultRepr = "None"
            if case .success(let value)? = finishedBody?.result { resultRepr = Self.saferepr(value) }
            events.buffer(.taskSucceeded(events.stamp(), uuid: uuid, resultRepr: resultRepr,
                                         runtimeSeconds: finishedBody?.runtimeSeconds ?? 0))
        case .failed, .retried:
            let error = bodyError ?? ErrorDescription(type: event.detail ?? "Exception", message: "")
            let exception = Self.exceptionRepr(error)
            let traceback = Self.traceback(error, taskName: event.taskName)
            events.buffer(event.kind == .failed
                          ? .taskFailed(events.stamp(), uuid: uuid, exceptionRepr: exception, traceback: traceback)
                          : .taskRetried(events.stamp(), uuid: uuid, exceptionRepr: exception, traceback: traceback))
        case .rejected:
            events.buffer(.taskRejected(events.stamp(), uuid: uuid, requeue: event.requeued))
        case .revoked:
            // A revoke with terminate kills the child with SIGTERM (Celery's default signal).
            let terminated = event.detail == "terminated"
            events.buffer(.taskRevoked(events.stamp(), uuid: uuid, terminated: terminated,
                                       signum: terminated ? Int(SIGTERM) : nil, expired: event.detail == "expired"))
        }
    }

    /// The error of the body that just finished, if it failed or asked for a retry.
    private var bodyError: ErrorDescription? {
        switch finishedBody?.result {
        case .failure(let error)?, .retry(_, let error)?: return error
        default: return nil
        }
    }

    /// Moves the buffered task events into the iteration's broker writes (one PUBLISH per 24).
    func flushCeleryEvents() {
        guard let events, events.hasBuffered else { return }
        brokerWrites.append(contentsOf: events.takeCommands())
    }

    /// worker-online, worker-heartbeat or worker-offline, with the worker's figures, into the writes.
    func queueWorkerEvent(_ kind: CeleryEvent.WorkerEventKind) {
        guard let events else { return }
        brokerWrites.append(events.workerEventCommand(kind, active: core.runningCount, processed: processed))
    }

    /// Celery's `saferepr(retval, resultrepr_maxsize=1024)`.
    static func saferepr(_ value: JSONValue) -> String {
        let text = PythonRepr.repr(value)
        // Counting characters walks the whole text; at most 1024 bytes are at most 1024 of them.
        if text.utf8.count <= 1024 { return text }
        return text.count > 1024 ? String(text.prefix(1024)) + "..." : text
    }

    /// `safe_repr(exc)`: `KeyError('bad key')`.
    static func exceptionRepr(_ error: ErrorDescription) -> String {
        error.message.isEmpty ? "\(error.type)()" : "\(error.type)(\(PythonRepr.string(error.message)))"
    }

    /// A traceback in Python's layout. Lovage's bodies are not Python, so there are no frames to
    /// show: one line names the task, the last line is the exception, as Python ends a traceback.
    static func traceback(_ error: ErrorDescription, taskName: String) -> String {
        "Traceback (most recent call last):\n  File \"<lovage>\", in \(taskName)\n\(error.type): \(error.message)\n"
    }
}
