import CeleryWire
import Scenarios
import WorkerCore

/// A scenario's task types as one worker group runs them: each task name with its Celery options,
/// the task's own `options` applied over the group's task defaults, as the simulator applies them.
///
/// It is what makes a real run's retries the worker's own: `lovage run --mode redis` writes one
/// table per fleet group (of the scenario as it runs, after the time scale) to the run's logs
/// folder, and the fleet's workers register those names from it — `lovage worker --tasks-from`
/// as synthetic bodies whose failures `WorkerCore` retries, interop/lovage_synthetic.py as Celery
/// tasks whose failures Celery's own autoretry retries. The JSON form uses Celery's option names
/// (`@app.task(max_retries=..., retry_backoff=..., ...)`) so Python reads it without a YAML parser;
/// durations are seconds.
public struct ScenarioTaskTable: Sendable, Equatable {
    public struct Task: Sendable, Equatable {
        public var name: String
        public var options: TaskOptions

        public init(name: String, options: TaskOptions) {
            self.name = name
            self.options = options
        }
    }

    /// The fleet group whose task defaults the options were applied over.
    public var group: String
    /// In the scenario's order.
    public var tasks: [Task]

    public init(group: String, tasks: [Task]) {
        self.group = group
        self.tasks = tasks
    }

    /// The table of `group`'s workers.
    public init(scenario: Scenario, group: WorkerGroupSpec) {
        self.group = group.name
        tasks = scenario.tasks.map { Task(name: $0.name, options: $0.options.applied(to: group.taskDefaults)) }
    }

    public var json: JSONValue {
        .object(["group": .string(group), "tasks": .array(tasks.map { Self.json($0) })])
    }

    /// Reads what `json` wrote; a missing or mistyped field is named in the error.
    public init(json: JSONValue) throws(TableError) {
        guard let object = json.objectValue, let group = object["group"]?.stringValue,
              let entries = object["tasks"]?.arrayValue else {
            throw TableError("a task table is an object with \"group\" (a string) and \"tasks\" (a list)")
        }
        self.group = group
        var tasks: [Task] = []
        for (index, entry) in entries.enumerated() { tasks.append(try Self.task(entry, index: index)) }
        self.tasks = tasks
    }

    public struct TableError: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    private static func json(_ task: Task) -> JSONValue {
        let options = task.options, retry = options.retry
        func seconds(_ span: TimeSpan?) -> JSONValue { span.map { .double($0.seconds) } ?? .null }
        return .object([
            "name": .string(task.name),
            "acks_late": .bool(options.acksLate),
            "reject_on_worker_lost": .bool(options.rejectOnWorkerLost),
            "acks_on_failure_or_timeout": .bool(options.acksOnFailureOrTimeout),
            "track_started": .bool(options.trackStarted),
            "ignore_result": .bool(options.ignoreResult),
            "time_limit": seconds(options.timeLimit),
            "soft_time_limit": seconds(options.softTimeLimit),
            "rate_limit": options.rateLimit.map { .string(celeryRate($0)) } ?? .null,
            "max_retries": retry.maxRetries.map { .int(Int64($0)) } ?? .null,
            "default_retry_delay": seconds(retry.defaultRetryDelay),
            "autoretry_for": .array(retry.autoretryFor.map { .string($0) }),
            "dont_autoretry_for": .array(retry.dontAutoretryFor.map { .string($0) }),
            // Celery's retry_backoff: False, or the factor.
            "retry_backoff": retry.backoffFactor.map { .int(Int64($0)) } ?? .bool(false),
            "retry_backoff_max": seconds(retry.backoffMax),
            "retry_jitter": .bool(retry.jitter),
        ])
    }

    /// The limit as Celery's rate string: its own text while that still says the interval (a
    /// time-scaled limit does not), else starts per second.
    static func celeryRate(_ limit: RateLimit) -> String {
        if RateLimit.parse(limit.text)?.interval == limit.interval { return limit.text }
        return "\(1_000_000 / Double(limit.interval.microseconds))/s"
    }

    private static func task(_ value: JSONValue, index: Int) throws(TableError) -> Task {
        let path = "tasks[\(index)]"
        guard let object = value.objectValue else { throw TableError("\(path): not an object") }
        guard let name = object["name"]?.stringValue, !name.isEmpty else { throw TableError("\(path).name: not a task name") }
        func flag(_ key: String, _ fallback: Bool) throws(TableError) -> Bool {
            guard let field = object[key], field != .null else { return fallback }
            guard let value = field.boolValue else { throw TableError("\(path).\(key): not true or false") }
            return value
        }
        func span(_ key: String) throws(TableError) -> TimeSpan? {
            guard let field = object[key], field != .null else { return nil }
            guard let seconds = field.doubleValue, seconds >= 0, seconds.isFinite else {
                throw TableError("\(path).\(key): not a number of seconds")
            }
            return .seconds(seconds)
        }
        func names(_ key: String) throws(TableError) -> [String] {
            guard let field = object[key], field != .null else { return [] }
            guard let list = field.arrayValue?.compactMap(\.stringValue), list.count == field.arrayValue?.count else {
                throw TableError("\(path).\(key): not a list of exception names")
            }
            return list
        }
        var options = TaskOptions()
        options.acksLate = try flag("acks_late", options.acksLate)
        options.rejectOnWorkerLost = try flag("reject_on_worker_lost", options.rejectOnWorkerLost)
        options.acksOnFailureOrTimeout = try flag("acks_on_failure_or_timeout", options.acksOnFailureOrTimeout)
        options.trackStarted = try flag("track_started", options.trackStarted)
        options.ignoreResult = try flag("ignore_result", options.ignoreResult)
        options.timeLimit = try span("time_limit")
        options.softTimeLimit = try span("soft_time_limit")
        if let field = object["rate_limit"], field != .null {
            guard let text = field.stringValue, let limit = RateLimit.parse(text) else {
                throw TableError("\(path).rate_limit: not a Celery rate (10/s, 100/m, 5/h)")
            }
            options.rateLimit = limit
        }
        var retry = RetryPolicy()
        if let field = object["max_retries"] {
            if field == .null {
                retry.maxRetries = nil
            } else if let count = field.intValue, count >= 0 {
                retry.maxRetries = Int(count)
            } else {
                throw TableError("\(path).max_retries: not a non-negative integer or null")
            }
        }
        if let delay = try span("default_retry_delay") { retry.defaultRetryDelay = delay }
        retry.autoretryFor = try names("autoretry_for")
        retry.dontAutoretryFor = try names("dont_autoretry_for")
        switch object["retry_backoff"] {
        case nil, .null?, .bool(false)?: retry.backoffFactor = nil
        case .bool(true)?: retry.backoffFactor = 1
        case .int(let factor)? where factor >= 0: retry.backoffFactor = Int(factor)
        default: throw TableError("\(path).retry_backoff: not false, true or a whole factor")
        }
        if let maximum = try span("retry_backoff_max") { retry.backoffMax = maximum }
        retry.jitter = try flag("retry_jitter", retry.jitter)
        options.retry = retry
        return Task(name: name, options: options)
    }
}
