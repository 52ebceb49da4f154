/// The figures of one run, written as summary.json and compared by regression gates.
///
/// Counts are exact for a seed in simulation. Times are microseconds; memory is bytes. Field names
/// are the metric names that scenario assertions use (`queue_wait.p99`, `lost`, ...).
public struct RunSummary: Sendable, Codable, Equatable {
    public var scenario: String
    public var mode: String
    public var seed: UInt64
    public var traceHash: String
    public var virtualDurationSeconds: Double
    public var counts: Counts
    /// Tasks finished (succeeded or failed for good) per second of virtual time until the last one.
    public var throughput: Double
    public var queueWait: Percentiles
    public var runTime: Percentiles
    /// Only the bodies that succeeded (Celery's `runtime` is a success's): set by a simulated run
    /// with `SimulationOptions.succeededRunTimes`, nil otherwise and then absent from summary.json.
    public var succeededRunTime: Percentiles? = nil
    public var latency: Percentiles
    public var peakQueueDepth: Int
    public var peakWorkers: Int
    /// Workers alive on average over the run's samples (one a second): what a fleet that scales
    /// pays for. Nil in summaries written before it existed.
    public var meanWorkers: Double? = nil
    public var peakRunning: Int
    public var peakMemoryBytes: Int64
    public var invariantViolations: [InvariantViolation]
    public var duplicateCauses: [DuplicateCause]
    public var leftover: Leftover
    public var resultStore: ResultStoreFigures
    public var timeline: [TimelineSample]
    /// The broker lists the timeline's `queuedByList` columns stand for: `queue` for priority step 0,
    /// `queue:p<step>` for the others.
    public var timelineLists: [String] = []
    /// A real run's publisher: how far its sends fell behind the intended schedule (absent in sim).
    public var publisher: PublisherFigures? = nil
    /// A real run's count of executions from Celery's task events (absent in sim, which counts
    /// from its trace, and in a real run that published only).
    public var taskEvents: TaskEventFigures? = nil
    /// Tasks published, due by the end of the run and never started (queued, held for their eta or
    /// unacknowledged): each counts in the queue-wait percentiles as having waited until the end
    /// of the run (end minus when it became due), a lower bound, so a run that strands work cannot
    /// pass a wait SLO. Every task without an end (these, running ones, ones held for an eta after
    /// the end) counts in latency at end minus publish.
    public var censoredWaits = 0
    /// Each task type's figures, sorted by task name (empty when the run could not tell them apart).
    public var byTask: [TaskFigures] = []
    /// The worker groups that ran, as configured (after any `--set`).
    public var fleet: [FleetGroup] = []
    /// The scenario's scheduled controls, one per addressed worker with its reply (nil: the
    /// scenario has none, and the field stays out of the JSON so summaries without it are unchanged).
    public var controls: [ControlOutcome]? = nil
    /// The settings a run changed from its scenario file (`--set KEY=VALUE`), in the order given.
    public var appliedSettings: [String] = []
    /// Each task type with followers (`then`, `fan_out`): its pipelines' figures, in the
    /// scenario's task order (nil: the scenario has none, and the field stays out of the JSON).
    public var pipelines: [PipelineFigures]? = nil
    /// Latency of every pipeline of the run (`pipeline.latency.*`); nil without pipelines.
    public var pipelineLatency: Percentiles? = nil
    /// The periodic tasks of a scenario's `schedule:`: per entry its sends, due times, duplicates and
    /// missed runs with their causes, and per beat what it did (nil: no schedule, kept out of the JSON).
    public var periodic: PeriodicSummary? = nil

    /// What a real run's event subscriber saw (`ExecutionCounter`): task-received and task-started
    /// events, deliveries received again, and whether it may have missed some. Redis pub/sub is
    /// fire-and-forget: while the subscriber is disconnected events are lost, so `complete` is
    /// false and the duplicate count is a lower bound.
    public struct TaskEventFigures: Sendable, Codable, Equatable {
        public var received: Int
        public var started: Int
        public var redelivered: Int
        public var duplicates: Int
        /// Times the subscriber's connection was lost (and re-established) during the run.
        public var subscriberInterruptions: Int
        public var complete: Bool
        public var note: String
        public init(received: Int, started: Int, redelivered: Int, duplicates: Int, subscriberInterruptions: Int,
                    complete: Bool, note: String) {
            self.received = received; self.started = started; self.redelivered = redelivered
            self.duplicates = duplicates; self.subscriberInterruptions = subscriberInterruptions
            self.complete = complete; self.note = note
        }
    }

    /// One task type's share of the run. Counts add up to the run's (`counts`); queue wait and
    /// latency include this type's censored waits.
    public struct TaskFigures: Sendable, Codable, Equatable {
        public var task: String
        public var published = 0
        public var succeeded = 0
        public var failed = 0
        public var retried = 0
        /// This type's tasks never started by the end of the run (see `RunSummary.censoredWaits`).
        public var censoredWaits = 0
        public var queueWait = Percentiles(p50: 0, p90: 0, p99: 0, max: 0, mean: 0)
        public var runTime = Percentiles(p50: 0, p90: 0, p99: 0, max: 0, mean: 0)
        /// Only the bodies that succeeded; set by a run that keeps them apart (the calibration
        /// check's), nil otherwise and then absent from summary.json.
        public var succeededRunTime: Percentiles? = nil
        public init(task: String) { self.task = task }
    }

    /// A worker group as it was configured for the run (what report.html shows as the fleet).
    public struct FleetGroup: Sendable, Codable, Equatable {
        public var group: String
        /// Workers started at the beginning (a fleet scaler may change it).
        public var workers: Int
        /// Pool size of each worker without `autoscale`, the maximum with it.
        public var concurrency: Int
        /// `--autoscale=MAX,MIN` as written ("8,2"), nil when the pool is fixed.
        public var autoscale: String?
        public var prefetchMultiplier: Int
        public var queues: [String]
        public var maxTasksPerChild: Int?
        public var maxMemoryPerChildKiB: Int?
        public var memoryLimitBytes: Int64?
        /// The fleet scaler in one line (policy and replica bounds), nil without one.
        public var scaler: String?
        public init(group: String, workers: Int, concurrency: Int, autoscale: String?, prefetchMultiplier: Int,
                    queues: [String], maxTasksPerChild: Int? = nil, maxMemoryPerChildKiB: Int? = nil,
                    memoryLimitBytes: Int64? = nil, scaler: String? = nil) {
            self.group = group; self.workers = workers; self.concurrency = concurrency; self.autoscale = autoscale
            self.prefetchMultiplier = prefetchMultiplier; self.queues = queues; self.maxTasksPerChild = maxTasksPerChild
            self.maxMemoryPerChildKiB = maxMemoryPerChildKiB; self.memoryLimitBytes = memoryLimitBytes; self.scaler = scaler
        }
    }

    /// The open-model publisher of a real run: sends later than 10 ms after their intended time,
    /// the largest lag, and the rate it sent at (messages over the time from first to last send).
    public struct PublisherFigures: Sendable, Codable, Equatable {
        public var sendsBehind: Int
        public var maxLagMicros: Int64
        public var sentPerSecond: Double
        public init(sendsBehind: Int, maxLagMicros: Int64, sentPerSecond: Double) {
            self.sendsBehind = sendsBehind; self.maxLagMicros = maxLagMicros; self.sentPerSecond = sentPerSecond
        }
    }

    /// The result backend's `celery-task-meta-<id>` keys (modelled sizes), with `result_expires`.
    public struct ResultStoreFigures: Sendable, Codable, Equatable {
        public var written = 0
        public var liveKeys = 0
        public var liveBytes: Int64 = 0
        public var peakKeys = 0
        public var peakBytes: Int64 = 0
        public init() {}
    }

    public struct Counts: Sendable, Codable, Equatable {
        public var published = 0
        public var succeeded = 0
        public var failed = 0
        public var retried = 0
        public var revoked = 0
        public var rejected = 0
        public var duplicates = 0
        public var lost = 0
        /// Messages moved back to their queue by a visibility-timeout restore sweep.
        public var restored = 0
        /// Messages a worker gave back at its shutdown (warm or cold).
        public var givenBack = 0
        public var workerLost = 0
        /// Workers killed whole because they passed their group's `memory_limit` (the OOM killer).
        public var oomKilled = 0
        public var recycled = 0
        public var executions = 0
        public var acksLostInOutage = 0
        public init() {}
    }

    public struct InvariantViolation: Sendable, Codable, Equatable {
        public var invariant: String
        /// The task id, or the worker name for the autoscaler bounds.
        public var subject: String
        public var atSeconds: Double
        public var detail: String
        public init(invariant: String, subject: String, atSeconds: Double, detail: String) {
            self.invariant = invariant; self.subject = subject; self.atSeconds = atSeconds; self.detail = detail
        }
    }

    public struct DuplicateCause: Sendable, Codable, Equatable {
        public var cause: String
        public var count: Int
        public var exampleTaskID: String

        /// Spelled so the snake_case strategies round-trip it ("example_task_id").
        enum CodingKeys: String, CodingKey {
            case cause, count
            case exampleTaskID = "exampleTaskId"
        }
        public init(cause: String, count: Int, exampleTaskID: String) {
            self.cause = cause; self.count = count; self.exampleTaskID = exampleTaskID
        }
    }

    /// What is still somewhere at the end of the run.
    public struct Leftover: Sendable, Codable, Equatable {
        public var queued = 0
        public var held = 0
        public var unacked = 0
        public var running = 0
        public var examples: [String] = []
        public init() {}
        public var total: Int { queued + held + unacked + running }
    }

    public struct TimelineSample: Sendable, Codable, Equatable {
        public var atSeconds: Double
        public var queued: Int
        public var running: Int
        public var workers: Int
        public var poolSize: Int
        public var memoryBytes: Int64
        public var succeeded: Int
        public var failed: Int
        public var retried: Int
        /// Queue wait of the tasks that started since the previous sample, in microseconds.
        public var queueWaitP50: UInt64
        public var queueWaitP99: UInt64
        /// Cumulative tasks published by clients and attempts started.
        public var published: Int
        public var started: Int
        /// Messages held by workers for their eta, and entries in Kombu's `unacked` hash.
        public var held: Int
        public var unacked: Int
        /// Messages in each broker list, in the order of `RunSummary.timelineLists`.
        public var queuedByList: [Int]
        /// What the fleet scalers saw and wanted at their latest poll (nil: no scaled group).
        public var fleet: FleetFigures? = nil
        /// Children recycled so far (max_tasks_per_child, max_memory_per_child), cumulative.
        public var recycled = 0

        public init(atSeconds: Double, queued: Int, running: Int, workers: Int, poolSize: Int,
                    memoryBytes: Int64, succeeded: Int, failed: Int, retried: Int,
                    queueWaitP50: UInt64 = 0, queueWaitP99: UInt64 = 0, published: Int = 0, started: Int = 0,
                    held: Int = 0, unacked: Int = 0, queuedByList: [Int] = []) {
            self.atSeconds = atSeconds; self.queued = queued; self.running = running; self.workers = workers
            self.poolSize = poolSize; self.memoryBytes = memoryBytes; self.succeeded = succeeded
            self.failed = failed; self.retried = retried; self.queueWaitP50 = queueWaitP50
            self.queueWaitP99 = queueWaitP99; self.published = published; self.started = started
            self.held = held; self.unacked = unacked; self.queuedByList = queuedByList
        }
    }

    /// A fleet scaler's view: the replicas it wants, the one list KEDA reads (LLEN) and the
    /// backlog Celery really holds (every list of the group's queues plus `unacked`).
    public struct FleetFigures: Sendable, Codable, Equatable {
        public var desiredWorkers: Int
        public var kedaListLength: Int
        public var celeryBacklog: Int
        public init(desiredWorkers: Int, kedaListLength: Int, celeryBacklog: Int) {
            self.desiredWorkers = desiredWorkers
            self.kedaListLength = kedaListLength
            self.celeryBacklog = celeryBacklog
        }
    }

    public init(scenario: String, mode: String, seed: UInt64, traceHash: String, virtualDurationSeconds: Double,
                counts: Counts, throughput: Double, queueWait: Percentiles, runTime: Percentiles,
                latency: Percentiles, peakQueueDepth: Int, peakWorkers: Int, peakRunning: Int,
                peakMemoryBytes: Int64, invariantViolations: [InvariantViolation],
                duplicateCauses: [DuplicateCause], leftover: Leftover, resultStore: ResultStoreFigures,
                timeline: [TimelineSample]) {
        self.scenario = scenario; self.mode = mode; self.seed = seed; self.traceHash = traceHash
        self.virtualDurationSeconds = virtualDurationSeconds; self.counts = counts; self.throughput = throughput
        self.queueWait = queueWait; self.runTime = runTime; self.latency = latency
        self.peakQueueDepth = peakQueueDepth; self.peakWorkers = peakWorkers; self.peakRunning = peakRunning
        self.peakMemoryBytes = peakMemoryBytes; self.invariantViolations = invariantViolations
        self.duplicateCauses = duplicateCauses; self.leftover = leftover; self.resultStore = resultStore
        self.timeline = timeline
    }

    /// The mean of the workers alive at each sample, rounded to 0.001 so a summary reads cleanly;
    /// nil without samples.
    public static func meanWorkers(_ samples: [Int]) -> Double? {
        guard !samples.isEmpty else { return nil }
        return (Double(samples.reduce(0, +)) / Double(samples.count) * 1000).rounded() / 1000
    }

    /// A metric by the name scenario assertions use; nil for an unknown name.
    public func metric(_ name: String) -> Double? {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2, parts[0] == "pipeline" {
            let inner = parts[1].split(separator: ".", maxSplits: 1).map(String.init)
            guard inner.count == 2, inner[0] == "latency" else { return nil }
            return (pipelineLatency ?? Percentiles(p50: 0, p90: 0, p99: 0, max: 0, mean: 0)).value(named: inner[1])
        }
        if parts.count == 2 {
            switch parts[0] {
            case "queue_wait": return queueWait.value(named: parts[1])
            case "run_time": return runTime.value(named: parts[1])
            case "latency": return latency.value(named: parts[1])
            default: return nil
            }
        }
        switch name {
        case "published": return Double(counts.published)
        case "succeeded": return Double(counts.succeeded)
        case "failed": return Double(counts.failed)
        case "retried": return Double(counts.retried)
        case "revoked": return Double(counts.revoked)
        case "rejected": return Double(counts.rejected)
        case "duplicates": return Double(counts.duplicates)
        case "lost": return Double(counts.lost)
        case "restored": return Double(counts.restored)
        case "worker_lost": return Double(counts.workerLost)
        case "oom_killed": return Double(counts.oomKilled)
        case "recycled": return Double(counts.recycled)
        case "leftover": return Double(leftover.total)
        case "invariant_violations": return Double(invariantViolations.count)
        case "throughput": return throughput
        case "peak_memory": return Double(peakMemoryBytes)
        case "peak_queue_depth": return Double(peakQueueDepth)
        case "peak_workers": return Double(peakWorkers)
        case "mean_workers": return meanWorkers
        case "peak_running": return Double(peakRunning)
        case "censored_waits": return Double(censoredWaits)
        case "pipelines_started": return Double(pipelines?.reduce(0) { $0 + $1.started } ?? 0)
        case "pipelines_completed": return Double(pipelines?.reduce(0) { $0 + $1.completed } ?? 0)
        case "pipelines_failed": return Double(pipelines?.reduce(0) { $0 + $1.failed } ?? 0)
        case "pipelines_stuck": return Double(pipelines?.reduce(0) { $0 + $1.stuck } ?? 0)
        case "joins_stuck": return Double(pipelines?.reduce(0) { $0 + ($1.joins?.stuck ?? 0) } ?? 0)
        case "periodic_sends": return Double(periodic?.sends ?? 0)
        case "periodic_due": return Double(periodic?.due ?? 0)
        case "periodic_duplicates": return Double(periodic?.duplicates ?? 0)
        case "periodic_missed": return Double(periodic?.missed ?? 0)
        default: return nil
        }
    }
}

extension RunSummary {
    /// Reads summaries written before the newer fields existed (`censored_waits`, `by_task`, `fleet`,
    /// `applied_settings`, ...): an absent field takes its default, so old baselines still compare.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(scenario: try c.decode(String.self, forKey: .scenario), mode: try c.decode(String.self, forKey: .mode),
                  seed: try c.decode(UInt64.self, forKey: .seed), traceHash: try c.decode(String.self, forKey: .traceHash),
                  virtualDurationSeconds: try c.decode(Double.self, forKey: .virtualDurationSeconds),
                  counts: try c.decode(Counts.self, forKey: .counts), throughput: try c.decode(Double.self, forKey: .throughput),
                  queueWait: try c.decode(Percentiles.self, forKey: .queueWait),
                  runTime: try c.decode(Percentiles.self, forKey: .runTime),
                  latency: try c.decode(Percentiles.self, forKey: .latency),
                  peakQueueDepth: try c.decode(Int.self, forKey: .peakQueueDepth),
                  peakWorkers: try c.decode(Int.self, forKey: .peakWorkers),
                  peakRunning: try c.decode(Int.self, forKey: .peakRunning),
                  peakMemoryBytes: try c.decode(Int64.self, forKey: .peakMemoryBytes),
                  invariantViolations: try c.decode([InvariantViolation].self, forKey: .invariantViolations),
                  duplicateCauses: try c.decode([DuplicateCause].self, forKey: .duplicateCauses),
                  leftover: try c.decode(Leftover.self, forKey: .leftover),
                  resultStore: try c.decode(ResultStoreFigures.self, forKey: .resultStore),
                  timeline: try c.decodeIfPresent([TimelineSample].self, forKey: .timeline) ?? [])
        meanWorkers = try c.decodeIfPresent(Double.self, forKey: .meanWorkers)
        timelineLists = try c.decodeIfPresent([String].self, forKey: .timelineLists) ?? []
        publisher = try c.decodeIfPresent(PublisherFigures.self, forKey: .publisher)
        taskEvents = try c.decodeIfPresent(TaskEventFigures.self, forKey: .taskEvents)
        censoredWaits = try c.decodeIfPresent(Int.self, forKey: .censoredWaits) ?? 0
        byTask = try c.decodeIfPresent([TaskFigures].self, forKey: .byTask) ?? []
        fleet = try c.decodeIfPresent([FleetGroup].self, forKey: .fleet) ?? []
        appliedSettings = try c.decodeIfPresent([String].self, forKey: .appliedSettings) ?? []
        controls = try c.decodeIfPresent([ControlOutcome].self, forKey: .controls)
        pipelines = try c.decodeIfPresent([PipelineFigures].self, forKey: .pipelines)
        pipelineLatency = try c.decodeIfPresent(Percentiles.self, forKey: .pipelineLatency)
        periodic = try c.decodeIfPresent(PeriodicSummary.self, forKey: .periodic)
    }
}
