import CeleryWire
import Foundation
import WorkerCore

/// The remote-control commands that change what the worker does, and the core state inspections
/// read: everything here is the core's decision (docs/ARCHITECTURE.md, "Who decides what"); the
/// driver decodes the arguments, hands the control to the core and replies with its answer.
extension LiveWorkerDriver {
    func controlValue(_ request: PidboxRequest, into out: inout [WorkerDirective]) -> JSONValue? {
        // BRIDGE: until WorkerControl(method:arguments:) and core.control(_:now:into:) are merged,
        // only revoke and shutdown are carried out (through the core's existing inputs).
        switch request.method {
        case "shutdown":
            log("[WARNING] Got shutdown from remote")
            core.handle(.shutdown(.warm), now: Self.clock(), into: &out)
            return nil
        case "revoke":
            var ids: [String] = []
            switch request.arguments["task_id"] {
            case .string(let id)?: ids = [id]
            case .array(let values)?: ids = values.compactMap(\.stringValue)
            default: break
            }
            let terminate = request.arguments["terminate"]?.boolValue ?? false
            for id in ids {
                core.handle(.revoke(taskID: id, terminate: terminate), now: Self.clock(), into: &out)
                if !revokedLog.contains(id) { revokedLog.append(id) }
            }
            return PidboxReply.ok("tasks {\(ids.map(PythonRepr.string).joined(separator: ", "))} flagged as revoked")
        default:
            log("[ERROR] remote control: no such command: \(request.method)")
            return PidboxReply.error("KeyError(\(PythonRepr.string(request.method)))")
        }
    }

    /// The revoked ids the core remembers, in the order it learnt them.
    func revokedTaskIDs() -> [String] { revokedLog }

    /// Revoked ids another node told of (mingle).
    func learnRevoked(_ ids: [String]) {
        var out: [WorkerDirective] = []
        for id in ids where !revokedLog.contains(id) {
            core.handle(.revoke(taskID: id, terminate: false), now: Self.clock(), into: &out)
            revokedLog.append(id)
        }
        apply(&out)
    }

    /// Tasks finished by name, sorted by name (a Dictionary's order must not reach a reply).
    func taskTotals() -> [(name: String, count: Int)] {
        startedByName.keys.sorted().map { ($0, startedByName[$0] ?? 0) }
    }

    /// The options a task runs with now.
    func currentOptions(for name: String) -> TaskOptions { core.config.options(for: name) }

    /// The queues consumed now.
    func consumedQueues() -> [String] { core.config.queues }

    /// Whether task events are sent now.
    var taskEventsOn: Bool { settings.taskEvents }
}
