import WorkerCore

/// Every metric Lovage exposes, in one place.
///
/// The `celery_*` names, label names and histogram buckets are celery-exporter's
/// (github.com/danihodovic/celery-exporter, `src/exporter.py`), so the Grafana dashboards and
/// alerts of its celery-mixin work unchanged. Note its runtime histogram is `celery_task_runtime`
/// (no `_seconds`: prometheus_client adds no unit), and its counters are declared without
/// `_total`, which prometheus_client appends. Lovage's own figures are under `lovage_`.
public enum MetricNames {
    // celery-exporter's task counters, by `name`, `hostname`, `queue_name` (+ `exception` on failed).
    public static let taskSent = "celery_task_sent_total"
    public static let taskReceived = "celery_task_received_total"
    public static let taskStarted = "celery_task_started_total"
    public static let taskSucceeded = "celery_task_succeeded_total"
    public static let taskFailed = "celery_task_failed_total"
    public static let taskRejected = "celery_task_rejected_total"
    public static let taskRevoked = "celery_task_revoked_total"
    public static let taskRetried = "celery_task_retried_total"
    /// Histogram of the runtime of succeeded tasks, by `name`, `hostname`, `queue_name`.
    public static let taskRuntime = "celery_task_runtime"
    /// Histogram of the wait from task-sent (or the eta, if later) to task-started (exporter only:
    /// it needs the publisher's task-sent event, which a worker never sees).
    public static let taskQueueWaitTime = "celery_task_queue_wait_time"
    /// 1 while the worker is up (a recent heartbeat, for the exporter), by `hostname`.
    public static let workerUp = "celery_worker_up"
    /// Tasks executing now, by `hostname`.
    public static let workerTasksActive = "celery_worker_tasks_active"
    /// Messages waiting in the broker queue (every priority list of it), by `queue_name`.
    public static let queueLength = "celery_queue_length"

    // Lovage's own (the worker's endpoint only), by `hostname`.
    /// Histogram: from the worker's receipt of a message (or its eta, if later) to the task's
    /// start — the wait inside the worker's prefetch buffer; by `name`, `hostname`, `queue_name`.
    public static let prefetchWait = "lovage_task_prefetch_wait_seconds"
    /// Received and due, waiting for a free pool slot.
    public static let prefetchedMessages = "lovage_worker_prefetched_messages"
    /// Held unacknowledged until their eta (outside the prefetch count).
    public static let heldForEtaMessages = "lovage_worker_held_for_eta_messages"
    public static let poolSize = "lovage_worker_pool_size"
    /// The autoscaler's bounds (only with --autoscale).
    public static let autoscaleMin = "lovage_worker_autoscale_min"
    public static let autoscaleMax = "lovage_worker_autoscale_max"
    /// Prefork children replaced by max_tasks_per_child or max_memory_per_child.
    public static let childrenRecycled = "lovage_worker_children_recycled_total"
    /// Messages the worker could not run, moved to the dead-letter list.
    public static let deadLetters = "lovage_worker_dead_letters_total"
    /// jemalloc's stats.allocated / stats.active / stats.resident, by `hostname` and `process`
    /// (`parent`, or `child-<slot>` for a prefork child's last report).
    public static let jemallocAllocated = "lovage_jemalloc_allocated_bytes"
    public static let jemallocActive = "lovage_jemalloc_active_bytes"
    public static let jemallocResident = "lovage_jemalloc_resident_bytes"

    /// The counter of a task event type (`task-received`, ...), as celery-exporter's `state_counters`.
    public static func counter(forEventType type: String) -> String? {
        switch type {
        case "task-sent": return taskSent
        case "task-received": return taskReceived
        case "task-started": return taskStarted
        case "task-succeeded": return taskSucceeded
        case "task-failed": return taskFailed
        case "task-rejected": return taskRejected
        case "task-revoked": return taskRevoked
        case "task-retried": return taskRetried
        default: return nil
        }
    }

    /// celery-exporter's counters in its declaration order (task-sent first).
    public static let taskEventTypes = ["task-sent", "task-received", "task-started", "task-succeeded", "task-failed",
                                        "task-rejected", "task-revoked", "task-retried"]

    /// prometheus_client's `Histogram.DEFAULT_BUCKETS` (celery-exporter's runtime buckets), +Inf implied.
    public static let runtimeBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
    /// celery-exporter's `DEFAULT_QUEUE_WAIT_BUCKETS`, +Inf implied; also the prefetch wait's.
    public static let queueWaitBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800]
}
