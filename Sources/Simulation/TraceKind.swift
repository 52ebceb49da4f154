import WorkerCore

/// What a trace record says happened: the `"ev"` of a `trace.jsonl` line. The simulator records
/// every kind through `TraceRecorder.record(_:_:...)`; `lovage replay` reads them back
/// (`Exploration.TraceRecord`, `TaskStory`).
///
/// The raw values are the trace's stable text form: the JSON trace writes them and the trace hash
/// mixes their bytes, so renaming one changes every trace file and every baseline's hash. Add a
/// kind rather than reuse one for a new meaning. The fields each kind carries are listed with it,
/// the first two being the ones the hash covers.
public enum TraceKind: String, CaseIterable, Sendable {
    // MARK: Messages at the broker

    /// A client published a new task: task, tag, name, queue.
    case publish
    /// A worker published a task's retry (a new delivery of the same task id): task, tag, retries.
    case retryPublish = "retry-publish"
    /// The broker handed a message to a worker's consumer (into `unacked`): task, worker, tag, redelivered.
    case deliver
    /// A handed-over message reached its worker after the worker had died: task, worker.
    case deliveryToDeadWorker = "delivery-to-dead-worker"
    /// A worker acknowledged a delivery: tag, worker.
    case ack
    /// An acknowledgement lost because the broker was down: tag, worker.
    case ackLost = "ack-lost"
    /// A worker rejected a delivery: tag, requeue, worker.
    case reject
    /// A reject lost because the broker was down: tag, worker.
    case rejectLost = "reject-lost"
    /// A delivery went back to its list: task, by, tag, cause (`shutdown`: given back by a stopping
    /// worker; `visibility`: the visibility sweep found it older than the visibility timeout).
    case restore
    /// A burst of publishes from the load: count.
    case burst

    // MARK: Tasks in a worker

    /// A task's body started in a pool child: task, worker, slot, retries.
    case start
    /// A task's body hung (only a time limit or a kill ends it): task, worker.
    case hang
    /// Task attempts ending, as the worker's task events name them: task, worker, detail.
    case taskSucceeded = "task-succeeded"
    case taskFailed = "task-failed"
    case taskRetried = "task-retried"
    case taskRejected = "task-rejected"
    case taskRevoked = "task-revoked"

    // MARK: Pool children

    /// A child died under its task (SIGKILL): worker, slot.
    case childCrash = "child-crash"
    /// The worker killed a child (hard time limit, revoke with terminate, cold shutdown): worker, slot, reason.
    case childKill = "child-kill"
    /// The worker replaced a child after its task (max_tasks_per_child, max_memory_per_child): worker, slot, reason.
    case childRecycle = "child-recycle"
    /// An idle child ended without a kill (the autoscaler shrank the pool, or a warm shutdown
    /// finished): worker, slot.
    case childRetire = "child-retire"

    // MARK: Worker processes

    /// A worker process started (it consumes once booted): worker.
    case workerStart = "worker-start"
    /// A started worker finished booting (`worker_boot`): worker.
    case workerBooted = "worker-booted"
    /// A worker was told to stop (SIGTERM, warm shutdown): worker.
    case workerSigterm = "worker-sigterm"
    /// A worker's shutdown finished: worker.
    case workerStopped = "worker-stopped"
    /// A worker was killed whole (SIGKILL): worker.
    case workerKill = "worker-kill"
    /// A worker passed its group's `memory_limit` and the OOM killer killed it: worker, limit.
    case oomKill = "oom-kill"
    /// An OOM-killed worker's container restarted it: worker.
    case oomRestart = "oom-restart"

    // MARK: The fleet scaler

    /// A scaler poll: group, desired, list, backlog.
    case scaler
    /// The scaler starts a worker: worker.
    case scaleUp = "scale-up"
    /// The scaler stops a worker (warm shutdown, killed after the grace): worker.
    case scaleDown = "scale-down"
    /// A stopping worker's shutdown grace ran out: worker.
    case graceOver = "grace-over"

    // MARK: Faults

    /// A broker outage began.
    case brokerDown = "broker-down"
    /// A broker outage ended.
    case brokerUp = "broker-up"
    /// Added broker latency began: add_us.
    case brokerLatency = "broker-latency"
    /// Added broker latency ended.
    case brokerLatencyEnd = "broker-latency-end"
    /// A slow-tasks window began: factor, task (a pattern).
    case slowTasks = "slow-tasks"
    /// A memory-pressure window began: bytes, worker (a pattern).
    case memoryPressure = "memory-pressure"

    // MARK: Pipelines

    /// A pipeline's stage was published by a worker: root (the root task's id), stage (0-based),
    /// tasks (1, or a group's members).
    case pipelineStage = "pipeline-stage"
    /// A chord's last member returned: root, stage (the group's), outcome (`fired` or `ChordError`).
    case chordJoin = "chord-join"
    /// A pipeline ended: root, outcome (`completed` or `failed`), latency (seconds since the root's publish).
    case pipelineEnd = "pipeline-end"

    // MARK: The operator

    /// A scenario's scheduled control reached a worker's core (`controls:`): worker, command (as
    /// applied, a revoke with its resolved ids), reply (`ok: ...`, `error: ...`, or `no reply` from a
    /// worker that was down).
    case control

    // MARK: Periodic tasks (a scenario's `schedule:`)

    /// A beat process started: beat, lock (`true`: it shares the lock), clock_offset (µs, signed).
    case beatStart = "beat-start"
    /// A beat was killed (SIGKILL): beat, holding (`true`: it held the lock, which now waits out its expiry).
    case beatKill = "beat-kill"
    /// A beat stopped cleanly (`restart_beat`): beat, released (`true`: it released the lock it held).
    case beatStop = "beat-stop"
    /// A beat took the lock and became the sender: beat, previous (the last holder, or `none`).
    case beatLockTaken = "beat-lock-taken"
    /// A beat that held the lock stopped sending: beat, holder (who holds it now; `broker` when the
    /// broker could not be reached).
    case beatLockLost = "beat-lock-lost"
    /// A beat sent a periodic entry's task (followed by the task's `publish`): entry, task, beat, name.
    case beatSend = "beat-send"
    /// A beat taking over found an entry's due times passed with no send: entry, beat, passed
    /// (how many), action (`sent once`, Celery's catch-up, or `skipped: beyond beat_cron_starting_deadline`).
    case beatCatchUp = "beat-catch-up"

    // MARK: The run

    /// The last record: records (how many came before it).
    case end

    /// The record of a task attempt's end, for the task events that end one; nil for `received`
    /// (not traced) and `started` (traced as `start`, which names the child's slot).
    public init?(attemptEnd kind: TaskEvent.Kind) {
        switch kind {
        case .received, .started: return nil
        case .succeeded: self = .taskSucceeded
        case .failed: self = .taskFailed
        case .retried: self = .taskRetried
        case .rejected: self = .taskRejected
        case .revoked: self = .taskRevoked
        }
    }
}
