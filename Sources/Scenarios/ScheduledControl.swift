import WorkerCore

/// An operator action a scenario schedules (`controls:`): at `at`, send `command` to the workers
/// in `destination`, as `celery control <command> -d <destination>` would (celery/bin/control.py).
///
/// Both drivers replay it: the simulator hands it to each addressed worker's core
/// (`WorkerCore.control`), a real run sends it through the pidbox mailbox. Revokes by arrival index
/// or by queued task name are resolved by the driver at that time, since only it knows the ids.
public struct ScheduledControl: Sendable, Equatable {
    /// When the operator acts, on the run's clock (a real run scales it like every other time).
    public var at: TimeSpan
    /// The scenario's worker names (`worker-1`, as faults name them); nil: every worker. A real
    /// run sends to the node names its fleet gave them (`worker-1@<host>`).
    public var destination: [String]?
    public var command: ScenarioControl
    /// 1-based line of the entry in the scenario file, for messages and the validate listing.
    public var line: Int

    public init(at: TimeSpan, destination: [String]?, command: ScenarioControl, line: Int) {
        self.at = at; self.destination = destination; self.command = command; self.line = line
    }

    /// Whether the worker named `worker` (scenario name, `worker-1`) is addressed.
    public func addresses(_ worker: String) -> Bool {
        destination.map { $0.contains(worker) } ?? true
    }

    /// `pool_grow n=4 -> worker-1` style, for `lovage validate`, traces and summaries.
    public var description: String {
        "\(command.description) -> " + (destination?.joined(separator: ", ") ?? "every worker")
    }
}

/// What a scheduled control does: a core control as it stands, or a revoke whose ids are known
/// only when it happens.
public enum ScenarioControl: Sendable, Equatable {
    /// Any control whose arguments the file gives in full (pool_grow, rate_limit, shutdown, ...).
    case control(WorkerControl)
    /// Revoke the task published as the `index`-th arrival of the load (0-based, arrival order).
    /// Its id is remembered, so a revoke before that arrival still applies when it comes.
    case revokeArrival(index: Int, terminate: Bool)
    /// Revoke every task of this name waiting in the broker at that moment.
    case revokeQueued(taskName: String, terminate: Bool)

    /// The Celery method name (`pool_grow`, `revoke`, ...), as the mailbox sends it.
    public var method: String {
        switch self {
        case .revokeArrival, .revokeQueued: return "revoke"
        case let .control(control): return control.method
        }
    }

    /// The command and its arguments in the file's terms, e.g. `rate_limit task=app.slow rate=10/s`.
    public var description: String {
        switch self {
        case let .revokeArrival(index, terminate):
            return "revoke task_index=\(index)" + (terminate ? " terminate=true" : "")
        case let .revokeQueued(name, terminate):
            return "revoke queued=\(name)" + (terminate ? " terminate=true" : "")
        case let .control(control):
            let name = control.method
            switch control {
            case let .revoke(ids, terminate, _):
                return "\(name) ids=\(ids.joined(separator: ","))" + (terminate ? " terminate=true" : "")
            case let .rateLimit(task, rate): return "\(name) task=\(task) rate=\(rate)"
            case let .timeLimit(task, soft, hard):
                return "\(name) task=\(task) soft=\(soft.map { PythonNumber.text($0) } ?? "none")"
                    + " hard=\(hard.map { PythonNumber.text($0) } ?? "none")"
            case let .poolGrow(n), let .poolShrink(n): return "\(name) n=\(n)"
            case let .autoscale(max, min): return "\(name) max=\(max) min=\(min)"
            case let .addConsumer(queue), let .cancelConsumer(queue): return "\(name) queue=\(queue)"
            case let .learnRevoked(ids): return "\(name) ids=\(ids.count)"
            case .enableEvents, .disableEvents, .poolRestart, .shutdown: return name
            }
        }
    }
}

/// Seconds as a short decimal (`30`, `2.5`), for control descriptions.
enum PythonNumber {
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
