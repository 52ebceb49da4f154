/// What a driver tells the core. Each event is handled at a `now` the driver supplies.
public enum WorkerEvent: Sendable {
    /// The worker process starts: spawn the pool, run the first restore sweep, start consuming.
    case start
    /// The outstanding fetch (BRPOP) returned this message.
    case delivered(TaskRequest)
    /// The outstanding fetch returned nothing (BRPOP timeout or a broker error); the core asks again.
    case fetchReturnedEmpty
    /// A child process asked for by `.spawnChild` or `.replaceChild` is ready to run tasks.
    case childReady(slot: Int)
    /// A task body ended in this slot. `childResidentKiB` is the child's resident memory afterwards,
    /// which `worker_max_memory_per_child` checks.
    case taskFinished(slot: Int, execution: UInt64, outcome: TaskOutcome, childResidentKiB: Int?)
    /// The task set a custom state (`update_state(state='PROGRESS', meta=...)`); `metaJSON` is stored as is.
    case taskStateUpdated(slot: Int, execution: UInt64, state: String, metaJSON: String?)
    /// The child process died on its own (segfault, OOM kill, `os._exit`): Celery's WorkerLostError.
    case childLost(slot: Int, reason: String)
    /// `revoke(task_id, terminate=...)` arrived through remote control.
    case revoke(taskID: String, terminate: Bool)
    /// SIGTERM / first SIGINT (warm) or SIGQUIT / second SIGINT (cold).
    case shutdown(ShutdownKind)
}

public enum ShutdownKind: String, Sendable {
    /// Finish running tasks, then give back every held and prefetched message.
    case warm
    /// Stop now: kill the children and give back every unacknowledged message.
    case cold
}

/// How a task body ended, in Celery's terms (celery/app/trace.py and celery/worker/request.py).
public enum TaskOutcome: Sendable, Equatable {
    /// Returned normally; `resultJSON` is the return value as JSON text (nil when not needed).
    case succeeded(resultJSON: String?)
    /// Raised an exception of this type (the name Celery stores as `exc_type`).
    case failed(ErrorDescription)
    /// Called `self.retry(countdown=..., exc=...)`; nil countdown means `default_retry_delay`.
    case retryRequested(countdown: TimeSpan?, error: ErrorDescription)
    /// Raised `Reject(requeue=...)`.
    case rejected(requeue: Bool)
    /// Raised `Ignore`: acknowledged, nothing stored.
    case ignored
}

/// An exception as a result document stores it: `exc_type`, `exc_message`, `exc_module`.
public struct ErrorDescription: Sendable, Equatable {
    public var type: String
    public var message: String
    public var module: String

    public init(type: String, message: String, module: String = "builtins") {
        self.type = type
        self.message = message
        self.module = module
    }

    public static func timeLimitExceeded(_ limit: TimeSpan) -> ErrorDescription {
        ErrorDescription(type: "TimeLimitExceeded", message: "\(limit.seconds)", module: "billiard.exceptions")
    }

    public static func workerLost(_ reason: String) -> ErrorDescription {
        ErrorDescription(type: "WorkerLostError", message: "Worker exited prematurely: \(reason).",
                         module: "billiard.exceptions")
    }

    public static func softTimeLimitExceeded() -> ErrorDescription {
        ErrorDescription(type: "SoftTimeLimitExceeded", message: "SoftTimeLimitExceeded()",
                         module: "billiard.exceptions")
    }

    public static func revoked(_ reason: String) -> ErrorDescription {
        ErrorDescription(type: "TaskRevokedError", message: reason, module: "celery.exceptions")
    }
}
