import CeleryWire
import Foundation
import Logging
import WorkerCore

/// The remote-control commands that change what the worker does, and the core state inspections
/// read: every decision is the core's (`WorkerCore.control`, docs/ARCHITECTURE.md "Who decides
/// what"); the driver decodes the arguments, hands the control to the core and replies with its
/// answer in Celery's shape.
extension LiveWorkerDriver {
    /// The reply value of a control command, or nil for no reply (shutdown). Arguments Celery
    /// would refuse get its TypeError text.
    func controlValue(_ request: PidboxRequest, into out: inout [WorkerDirective]) -> JSONValue? {
        let command: WorkerControl?
        do {
            command = try WorkerControl(method: request.method, arguments: request.arguments)
        } catch {
            logger.error("remote control \(request.method): \(error.celeryErrorText)")
            return PidboxReply.error(error.celeryErrorText)
        }
        guard let command else {
            logger.error("remote control: no such command: \(request.method)")
            return PidboxReply.error("KeyError(\(PythonRepr.string(request.method)))")
        }
        if command == .shutdown { logger.warning("Got shutdown from remote") }
        let result = core.control(command, now: Self.clock(), into: &out)
        switch result {
        case .ok(let text):
            logger.info("remote control \(request.method): \(text)")
            return command == .shutdown ? nil : PidboxReply.ok(text)
        case .error(let text):
            logger.error("remote control \(request.method): \(text)")
            return PidboxReply.error(text)
        }
    }

    /// The revoked ids the core remembers, in the order it learnt them.
    func revokedTaskIDs() -> [String] { core.revokedIDs }

    /// Revoked ids another node told of (mingle), merged by the core.
    func learnRevoked(_ ids: [String]) {
        var out: [WorkerDirective] = []
        _ = core.control(.learnRevoked(ids), now: Self.clock(), into: &out)
        apply(&out)
    }

    /// Tasks accepted by name, in the order first seen (the core's count).
    func taskTotals() -> [(name: String, count: Int)] { core.totalByTaskName }

    /// The options a task runs with now.
    func currentOptions(for name: String) -> TaskOptions { core.config.options(for: name) }

    /// The queues consumed now.
    func consumedQueues() -> [String] { core.consumingQueues }

    /// Whether task events are sent now: -E, or `enable_events` at run time.
    var taskEventsOn: Bool { core.taskEventsEnabled }
}
