/// Celery's per-task options (`@app.task(...)` arguments and their `task_*` setting defaults).
///
/// Names follow Celery so a Celery user can read a scenario or a registration and know what each
/// field does. Defaults are Celery 5.x's, except where a field says otherwise.
public struct TaskOptions: Sendable, Equatable {
    /// `acks_late` / `task_acks_late`: acknowledge after the task ends instead of when it starts.
    public var acksLate: Bool = false
    /// `reject_on_worker_lost` / `task_reject_on_worker_lost`: requeue when the child process dies.
    public var rejectOnWorkerLost: Bool = false
    /// `acks_on_failure_or_timeout` / `task_acks_on_failure_or_timeout` (default True).
    public var acksOnFailureOrTimeout: Bool = true
    /// `track_started` / `task_track_started`: store STARTED when a child begins the task.
    public var trackStarted: Bool = false
    /// `ignore_result` / `task_ignore_result`: store nothing in the result backend.
    public var ignoreResult: Bool = false
    /// `time_limit` / `task_time_limit`: the child is killed and replaced after this long.
    public var timeLimit: TimeSpan? = nil
    /// `soft_time_limit` / `task_soft_time_limit`: SoftTimeLimitExceeded is raised in the task.
    public var softTimeLimit: TimeSpan? = nil
    /// `rate_limit`, for example "10/s" or "100/m"; nil means unlimited.
    public var rateLimit: RateLimit? = nil
    /// Retry behaviour: `max_retries`, `default_retry_delay`, `autoretry_for`, backoff and jitter.
    public var retry: RetryPolicy = RetryPolicy()

    public init() {}
}

/// A rate limit as Celery writes it: "10/s", "100/m", "5/h" or a bare number meaning per second.
///
/// Celery keeps one token bucket of capacity 1 per task type per worker (celery/worker/consumer/
/// consumer.py `update_strategies`, kombu/utils/limits.py `TokenBucket`), so a limit of N per period
/// allows one start every period / N.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// The spacing the bucket enforces between two starts of the same task type on one worker.
    public var interval: TimeSpan
    public let text: String

    public init(interval: TimeSpan, text: String) {
        self.interval = interval
        self.text = text
    }

    /// Parses Celery's rate limit string (celery/utils/time.py `rate`). Returns nil when malformed;
    /// "0" or an empty string mean no limit and also return nil through `parseOrUnlimited`.
    public static func parse(_ text: String) -> RateLimit? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        guard let count = Double(parts[0].trimmingWhitespace()), count > 0, count.isFinite else { return nil }
        var periodSeconds = 1.0
        if parts.count == 2 {
            switch parts[1].trimmingWhitespace() {
            case "s": periodSeconds = 1
            case "m": periodSeconds = 60
            case "h": periodSeconds = 3600
            default: return nil
            }
        }
        let interval = TimeSpan.seconds(periodSeconds / count)
        guard interval.microseconds > 0 else { return nil }
        return RateLimit(interval: interval, text: text)
    }

    public var description: String { text }
}

extension Substring {
    func trimmingWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " { slice = slice.dropFirst() }
        while let last = slice.last, last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
