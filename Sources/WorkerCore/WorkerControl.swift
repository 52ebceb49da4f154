/// A remote-control command that changes what the worker does (celery/worker/control.py), as an
/// input of the core: the live driver decodes it from the mailbox, the simulator from a scenario's
/// `controls:`, and both hand it to `WorkerCore.control(_:now:into:)`, which decides and answers.
public enum WorkerControl: Sendable, Equatable {
    /// `revoke(task_id, terminate=False, signal='SIGTERM')`: remember the ids (a queued or held
    /// message of one is discarded when it comes up); with `terminate`, kill the child running one.
    case revoke(taskIDs: [String], terminate: Bool, signal: String?)
    /// `rate_limit(task_name, rate_limit)`: Celery's rate string ("10/s", "100/m", "0" = none).
    case rateLimit(taskName: String, rate: String)
    /// `time_limit(task_name, soft, hard)`, in seconds; nil leaves no limit.
    case timeLimit(taskName: String, soft: Double?, hard: Double?)
    /// `pool_grow(n)` / `pool_shrink(n)`.
    case poolGrow(Int)
    case poolShrink(Int)
    /// `autoscale(max, min)`.
    case autoscale(max: Int, min: Int)
    /// `add_consumer(queue)` / `cancel_consumer(queue)`.
    case addConsumer(queue: String)
    case cancelConsumer(queue: String)
    /// `enable_events` / `disable_events`: task events on or off.
    case enableEvents
    case disableEvents
    /// Mingle's `hello` answers: revoked ids other workers know (merged, never answered).
    case learnRevoked([String])
    /// `pool_restart`: replace every child (idle ones now, busy ones after their task), only when
    /// the worker allows it (`worker_pool_restarts`).
    case poolRestart
    /// `shutdown`: a warm shutdown, as SIGTERM.
    case shutdown
}

/// The core's answer to a control, in Celery's reply shape: `{"ok": text}` or `{"error": text}`,
/// with Celery's own texts (captured in Tests/Fixtures/celery-wire/pidbox).
public enum ControlResult: Sendable, Equatable {
    case ok(String)
    case error(String)
}
