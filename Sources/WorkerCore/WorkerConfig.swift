/// One worker's settings, named after the Celery options they mirror.
///
/// A worker is one `celery worker` process: a consumer with one prefetch window and a pool of child
/// slots. Task-level options come from `taskDefaults` (the `task_*` settings) unless `taskOptions`
/// overrides them for a task name, as `@app.task(...)` arguments do.
public struct WorkerConfig: Sendable {
    /// `-n/--hostname`, for example "worker-1@sim". Appears in STARTED results and in the trace.
    public var hostname: String
    /// `-Q/--queues`, in order. The order matters for `queue_order_strategy: priority`.
    public var queues: [String]
    /// `-c/--concurrency`: the pool size without autoscaling.
    public var concurrency: Int
    /// `--autoscale=MAX,MIN` and `AUTOSCALE_KEEPALIVE`; nil means a fixed pool.
    public var autoscale: AutoscaleSettings?
    /// `worker_prefetch_multiplier` (default 4; 0 means no prefetch limit).
    public var prefetchMultiplier: Int
    /// `worker_max_tasks_per_child`: replace a child after it ran this many tasks.
    public var maxTasksPerChild: Int?
    /// `worker_max_memory_per_child` in KiB of resident memory, checked after each task.
    public var maxMemoryPerChildKiB: Int?
    /// Kombu's priority steps (`broker_transport_options['priority_steps']`), lowest first.
    public var prioritySteps: [Int]
    /// `broker_transport_options['queue_order_strategy']`.
    public var queueOrderStrategy: QueueOrderStrategy
    /// How often Kombu's restore sweep really runs: `call_repeatedly(10, maybe_restore_messages)`
    /// with `restore_visible(interval=10)` acting on every tenth call, so about every 100 s.
    public var restoreSweepInterval: TimeSpan
    /// `worker_revoke_expires`-style bound on remembered revoked ids (Celery: 50,000 ids).
    public var revokedIdsLimit: Int
    /// Settings applied to every task (`task_acks_late`, `task_time_limit`, ...).
    public var taskDefaults: TaskOptions
    /// Per-task overrides by task name.
    public var taskOptions: [String: TaskOptions]
    /// `-E` / `worker_send_task_events`: send task events from the start. Celery's dispatcher then
    /// serves every event group, which is why `enable_events`/`disable_events` answer "already"
    /// on such a worker and change nothing (celery/worker/control.py, captures 16 and 17).
    public var sendTaskEvents: Bool
    /// `worker_pool_restarts`: whether the `pool_restart` control is allowed.
    public var poolRestarts: Bool
    /// Task names the worker has registered besides those in `taskOptions` (Celery's
    /// `app.tasks`), for the "unknown task" answer of `rate_limit` and `time_limit`. Nil: any name
    /// is known (a simulated worker runs whatever its scenario sends).
    public var knownTaskNames: [String]?

    public init(
        hostname: String,
        queues: [String] = ["celery"],
        concurrency: Int = 1,
        autoscale: AutoscaleSettings? = nil,
        prefetchMultiplier: Int = 4,
        maxTasksPerChild: Int? = nil,
        maxMemoryPerChildKiB: Int? = nil,
        prioritySteps: [Int] = [0, 3, 6, 9],
        queueOrderStrategy: QueueOrderStrategy = .roundRobin,
        restoreSweepInterval: TimeSpan = .seconds(100),
        revokedIdsLimit: Int = 50_000,
        taskDefaults: TaskOptions = TaskOptions(),
        taskOptions: [String: TaskOptions] = [:],
        sendTaskEvents: Bool = false,
        poolRestarts: Bool = false,
        knownTaskNames: [String]? = nil
    ) {
        self.hostname = hostname
        self.queues = queues
        self.concurrency = concurrency
        self.autoscale = autoscale
        self.prefetchMultiplier = prefetchMultiplier
        self.maxTasksPerChild = maxTasksPerChild
        self.maxMemoryPerChildKiB = maxMemoryPerChildKiB
        self.prioritySteps = prioritySteps
        self.queueOrderStrategy = queueOrderStrategy
        self.restoreSweepInterval = restoreSweepInterval
        self.revokedIdsLimit = revokedIdsLimit
        self.taskDefaults = taskDefaults
        self.taskOptions = taskOptions
        self.sendTaskEvents = sendTaskEvents
        self.poolRestarts = poolRestarts
        self.knownTaskNames = knownTaskNames
    }

    /// Whether the worker knows this task name (Celery: `name in app.tasks`).
    public func knowsTask(_ name: String) -> Bool {
        if taskOptions[name] != nil { return true }
        guard let known = knownTaskNames else { return true }
        return known.contains(name)
    }

    /// The options in force for a task name.
    public func options(for taskName: String) -> TaskOptions {
        taskOptions[taskName] ?? taskDefaults
    }

    /// The largest pool this worker can have: `max` with autoscaling, else `concurrency`.
    public var maxConcurrency: Int { autoscale?.maxConcurrency ?? concurrency }
    /// The pool size at start: Celery's Pool component starts `min_concurrency` processes.
    public var initialConcurrency: Int { autoscale?.minConcurrency ?? concurrency }

    /// Celery's prefetch window: max concurrency × multiplier; nil when the multiplier is 0 (no limit).
    public var prefetchLimit: Int? {
        prefetchMultiplier == 0 ? nil : max(1, maxConcurrency) * prefetchMultiplier
    }
}

/// `--autoscale=MAX,MIN` with the autoscaler's keepalive (celery/worker/autoscale.py).
public struct AutoscaleSettings: Sendable, Equatable {
    public var maxConcurrency: Int
    public var minConcurrency: Int
    /// `AUTOSCALE_KEEPALIVE` (30 s): the least time after a growth before the pool may shrink,
    /// and the period of the autoscaler's timer.
    public var keepalive: TimeSpan

    public init(maxConcurrency: Int, minConcurrency: Int, keepalive: TimeSpan = .seconds(30)) {
        self.maxConcurrency = maxConcurrency
        self.minConcurrency = minConcurrency
        self.keepalive = keepalive
    }
}

/// Kombu's `queue_order_strategy` for the order of BRPOP keys within one priority step.
public enum QueueOrderStrategy: String, Sendable, Equatable {
    /// Rotate the queue just served to the back (kombu's default, `round_robin`).
    case roundRobin = "round_robin"
    /// Keep the `-Q` order (`priority`).
    case priority
    /// Kombu's `sorted` strategy: queues in name order.
    case sorted
}
