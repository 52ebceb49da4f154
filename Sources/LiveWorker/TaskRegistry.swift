import CeleryWire
import Foundation
import WorkerCore

/// What a task body sees: its arguments, its identity, and the two channels back to the worker
/// (custom states such as PROGRESS, and whether its soft time limit has passed).
public struct TaskContext: Sendable {
    public var taskID: String
    public var taskName: String
    public var retries: Int
    public var args: [JSONValue]
    public var kwargs: JSONObject
    /// True once the soft time limit has passed (Celery raises SoftTimeLimitExceeded; a Swift body
    /// checks this flag between steps).
    public var softTimeLimitExceeded: @Sendable () -> Bool
    /// `self.update_state(state=..., meta=...)`.
    public var updateState: @Sendable (_ state: String, _ meta: JSONValue) -> Void
    /// Whether the body runs in a prefork child (a crash then takes only the child down).
    public var inChildProcess: Bool = false

    /// The argument at `index`, or the keyword argument `name` (Python's calling convention).
    public func argument(_ index: Int, _ name: String) -> JSONValue? {
        index < args.count ? args[index] : kwargs[name]
    }
}

/// How a task body ends, in Celery's terms.
public enum TaskBodyResult: Sendable, Equatable {
    case success(JSONValue)
    /// Raised an exception (type, message, module as Celery stores them).
    case failure(ErrorDescription)
    /// Called `self.retry(countdown=..., exc=...)`.
    case retry(countdown: TimeSpan?, error: ErrorDescription)
    /// Raised `Reject(requeue=...)`.
    case reject(requeue: Bool)
    /// Raised `Ignore`.
    case ignore
}

public typealias TaskBody = @Sendable (TaskContext) -> TaskBodyResult

/// Registered tasks by name, with their Celery options (`@app.task(...)`).
public struct TaskRegistry: Sendable {
    public struct Entry: Sendable {
        /// The task's own options (`@app.task(...)`); nil follows the worker's task defaults.
        public var options: TaskOptions?
        public var body: TaskBody
    }

    private(set) var entries: [String: Entry] = [:]
    /// Names in registration order (for the banner; never a dictionary's order).
    public private(set) var names: [String] = []

    public init() {}

    /// Registers a task by name. `options` are the task's own Celery options (retry policy, time
    /// limits, rate limit, acks_late...); nil follows the worker's task defaults.
    public mutating func register(_ name: String, options: TaskOptions? = nil, body: @escaping TaskBody) {
        if entries[name] == nil { names.append(name) }
        entries[name] = Entry(options: options, body: body)
    }

    public func entry(named name: String) -> Entry? { entries[name] }
}
