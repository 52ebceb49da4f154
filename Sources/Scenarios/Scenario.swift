import WorkerCore

/// A parsed, validated scenario: everything one simulated (or, later, real) run needs.
///
/// Produced only by `ScenarioLoader`, which rejects a bad file before anything runs, so every value
/// here is already in range. Lists keep the order of the file: nothing downstream may depend on
/// Dictionary order.
public struct Scenario: Sendable {
    public var name: String
    public var description: String
    /// The root seed; `--seed` overrides it.
    public var seed: UInt64
    /// How long load is generated.
    public var duration: TimeSpan
    /// After the load stops, how long the run goes on so queues can drain (liveness bound).
    public var drain: TimeSpan
    public var broker: BrokerSpec
    public var fleet: [WorkerGroupSpec]
    public var tasks: [TaskTypeSpec]
    /// `task_routes`: first match wins; a task's own `queue` wins over routes.
    public var routes: [RouteRule]
    public var load: LoadSpec
    public var faults: [FaultSpec]
    public var assertions: [Assertion]
    /// Bounds for `lovage explore` (`invariants:`), such as the liveness bound `drain_within`.
    public var invariants = InvariantSpec()
    /// The CPUs the whole run shares (`host:`); nil: CPU time is not modelled.
    public var host: HostSpec? = nil
    /// Operator actions at set times (`controls:`), in file order; both drivers apply them.
    public var controls: [ScheduledControl] = []
    /// The periodic tasks simulated beats send (`schedule:`); nil: no beat runs.
    public var schedule: ScenarioSchedule? = nil
    /// Where the scenario came from, for messages.
    public var sourcePath: String

    public init(name: String, description: String, seed: UInt64, duration: TimeSpan, drain: TimeSpan,
                broker: BrokerSpec, fleet: [WorkerGroupSpec], tasks: [TaskTypeSpec], routes: [RouteRule],
                load: LoadSpec, faults: [FaultSpec], assertions: [Assertion], sourcePath: String) {
        self.name = name; self.description = description; self.seed = seed; self.duration = duration
        self.drain = drain; self.broker = broker; self.fleet = fleet; self.tasks = tasks; self.routes = routes
        self.load = load; self.faults = faults; self.assertions = assertions; self.sourcePath = sourcePath
    }
}

/// Broker options (`broker_transport_options`) and the simulated broker's network model.
public struct BrokerSpec: Sendable, Equatable {
    public var visibilityTimeout: TimeSpan = .seconds(3600)
    public var prioritySteps: [Int] = [0, 3, 6, 9]
    public var queueOrderStrategy: QueueOrderStrategy = .roundRobin
    /// One-way latency of every broker command (0 by default).
    public var latency: TimeSpan = .zero
    /// What a publish pays on top of `latency` when the host has been idle: `max × (1 −
    /// e^(−gap / timeConstant))`, where gap is the time since the previous publish. Nil: nothing.
    public var idleWake: IdleWake? = nil
    /// `result_expires` (1 day).
    public var resultExpires: TimeSpan = .seconds(86_400)
    public init() {}
}

/// A group of identical workers (`count` processes of `celery worker`), named `<name>-1 ... <name>-N`.
public struct WorkerGroupSpec: Sendable, Equatable {
    public var name: String = "worker"
    public var count: Int = 1
    public var concurrency: Int = 2
    public var autoscale: AutoscaleSettings? = nil
    public var prefetchMultiplier: Int = 4
    public var queues: [String] = ["celery"]
    public var maxTasksPerChild: Int? = nil
    /// `worker_max_memory_per_child`, in KiB as Celery counts it.
    public var maxMemoryPerChildKiB: Int? = nil
    /// Task settings for this group's workers (`task_acks_late`, time limits, `track_started`, ...).
    public var taskDefaults: TaskOptions = TaskOptions()
    /// Resident memory of a fresh child process, in bytes (the model's starting point).
    public var childBaselineMemoryBytes: Int64 = 64 << 20
    /// Time a new child process takes before it can run tasks.
    public var childStartup: TimeSpan = .zero
    /// What a slot spends on each task besides its body: handing the task to the child, starting
    /// the call, encoding and returning the result, taking the next one. A fixed cost of the real
    /// worker on the machine (0.35–0.57 ms for Lovage here, docs/fidelity.md), so a time scale
    /// does not shrink it; it decides capacity when bodies are short.
    public var taskOverhead: TimeSpan = .zero
    /// The part of a slot's time per task before its body starts: the worker handing the task to a
    /// child (the pipe, the decoding there). It delays every start, so it is queue wait even for a
    /// task the worker held for its eta or a retry's countdown, which never touches the broker
    /// again; like `taskOverhead` it is a fixed real cost that a time scale does not shrink (0.3 ms
    /// for a Lovage prefork child here, docs/fidelity.md).
    public var childHandoff: TimeSpan = .zero
    /// From starting a worker process to its first fetch: loading, connecting, starting its pool.
    /// The workers a run starts with are up at t = 0 (a real run waits for them before its clock
    /// starts); every later start waits this long: a fleet scaler's, a fault's restart, an OOM
    /// restart. When several workers start together it decides which of them comes up first and
    /// takes a whole prefetch window of the waiting messages, so its spread matters as much as its
    /// median. A real cost of the machine that a time scale does not shrink (60–240 ms for a
    /// `lovage worker -c 4` here when six start together, docs/fidelity.md).
    public var workerBoot: DurationDistribution = .constant(.zero)
    /// A fleet-level autoscaler that starts and stops whole workers of this group (nil: `count` fixed).
    public var scaler: FleetScalerSpec? = nil
    /// The memory limit of one worker and its children together (a container's), nil: none. A
    /// worker past it is killed whole, as the kernel's OOM killer kills a container.
    public var memoryLimitBytes: Int64? = nil
    /// Memory a worker holds per message it has taken and not started (prefetched or held for its
    /// eta): Celery keeps a Request for each. 0 leaves held messages out of the memory model.
    public var heldMessageBytes: Int64 = 0
    /// How long an OOM-killed worker takes to come back (its restart policy).
    public var restartDelay: TimeSpan = .seconds(10)
    public init() {}
}

/// One task type: its Celery options, its routing and the model of its body.
public struct TaskTypeSpec: Sendable, Equatable {
    public var name: String
    /// Explicit queue (`queue=` / `apply_async(queue=...)`); nil means routes, then "celery".
    public var queue: String? = nil
    /// Message priority 0-9 (nil = none, which Kombu treats as 0).
    public var priority: Int? = nil
    /// `apply_async(countdown=...)` applied to every publish of this type.
    public var countdown: TimeSpan? = nil
    /// `apply_async(expires=...)`, relative to the publish time.
    public var expires: TimeSpan? = nil
    /// Options that override the worker group's task defaults for this type (retry policy, limits...).
    public var options: TaskOptionsOverride = TaskOptionsOverride()
    public var body: TaskBodyModel = TaskBodyModel()
    /// What follows this task in a pipeline (`then`, `fan_out`, `join`, `on_failure`).
    public var followers: TaskFollowers = TaskFollowers()
    public init(name: String) { self.name = name }
}

/// Per-task overrides; nil fields inherit from the worker group's `taskDefaults`.
public struct TaskOptionsOverride: Sendable, Equatable {
    public var acksLate: Bool? = nil
    public var rejectOnWorkerLost: Bool? = nil
    public var acksOnFailureOrTimeout: Bool? = nil
    public var trackStarted: Bool? = nil
    public var ignoreResult: Bool? = nil
    public var timeLimit: TimeSpan? = nil
    public var softTimeLimit: TimeSpan? = nil
    public var rateLimit: RateLimit? = nil
    public var retry: RetryPolicy? = nil
    public init() {}

    /// The options in force for this task on a worker whose defaults are `base`.
    public func applied(to base: TaskOptions) -> TaskOptions {
        var options = base
        if let acksLate { options.acksLate = acksLate }
        if let rejectOnWorkerLost { options.rejectOnWorkerLost = rejectOnWorkerLost }
        if let acksOnFailureOrTimeout { options.acksOnFailureOrTimeout = acksOnFailureOrTimeout }
        if let trackStarted { options.trackStarted = trackStarted }
        if let ignoreResult { options.ignoreResult = ignoreResult }
        if let timeLimit { options.timeLimit = timeLimit }
        if let softTimeLimit { options.softTimeLimit = softTimeLimit }
        if let rateLimit { options.rateLimit = rateLimit }
        if let retry { options.retry = retry }
        return options
    }
}

/// The modelled body of a task: how long it runs, how it fails, what it keeps in memory.
public struct TaskBodyModel: Sendable, Equatable {
    public var duration: DurationDistribution = .constant(.milliseconds(10))
    /// Probability that an attempt raises `failureErrorType`.
    public var failureProbability: Double = 0
    public var failureErrorType: String = "Exception"
    /// Probability that an attempt never returns (only a time limit or a kill ends it).
    public var hangProbability: Double = 0
    /// Probability that the child process dies during the attempt (WorkerLostError).
    public var crashProbability: Double = 0
    /// Bytes the child keeps after each call (a leak), which max_memory_per_child watches.
    public var memoryRetainedPerCallBytes: Int64 = 0
    /// Size of the stored result in bytes (for the result store's memory figure).
    public var resultSizeBytes: Int64 = 64
    public init() {}
}

/// A distribution of task run times.
public enum DurationDistribution: Sendable, Equatable {
    case constant(TimeSpan)
    case uniform(min: TimeSpan, max: TimeSpan)
    case exponential(mean: TimeSpan)
    /// Log-normal given by its median and 99th percentile (both easy to read off a dashboard).
    case logNormal(median: TimeSpan, p99: TimeSpan)
    /// Draw uniformly from measured values.
    case empirical([TimeSpan])
}

/// `task_routes` entry: a task name or glob (`dataset.*`) to a queue.
public struct RouteRule: Sendable, Equatable {
    public var pattern: String
    public var queue: String
    public init(pattern: String, queue: String) { self.pattern = pattern; self.queue = queue }
}

/// Open-model load: tasks are published at their own times whatever the workers do.
public struct LoadSpec: Sendable, Equatable {
    public var arrival: ArrivalProcess = .poisson
    /// Phases run back to back from t = 0; the load stops after the last phase or at `duration`.
    public var phases: [LoadPhase] = []
    /// Extra publishes of many tasks at one instant.
    public var bursts: [Burst] = []
    /// Which task types the steady load publishes, with weights, in file order; empty when every
    /// phase has its own mix, or the load is a trace.
    public var mix: [MixEntry] = []
    /// `trace:`: recorded arrivals replayed as they are, instead of phases and a mix.
    public var trace: LoadTrace? = nil
    /// `load_factor`'s scaling of a trace: each row becomes ⌊F⌋ arrivals plus one with probability
    /// frac(F) (phases and bursts are scaled where the override is applied, a trace only when replayed).
    public var traceFactor: Double = 1
    public init() {}

    /// The task types the load itself publishes (mixes, trace and bursts), each once, in file order.
    public var publishedTaskNames: [String] {
        var names: [String] = []
        func add(_ name: String) { if !names.contains(name) { names.append(name) } }
        mix.forEach { add($0.task) }
        phases.forEach { $0.mix?.forEach { add($0.task) } }
        trace?.taskNames.forEach(add)
        bursts.forEach { $0.task.map(add) }
        return names
    }
}

/// A trace file's rows, kept compact (a trace can hold a million): one offset and one index into
/// `taskNames` per row, in file order (offsets never decrease).
public struct LoadTrace: Sendable, Equatable {
    /// The file as the scenario names it (relative to the scenario's folder).
    public var path: String
    /// When each row's task is published, from the start of the load.
    public var offsets: [TimeSpan]
    /// Each row's task, as an index into `taskNames`.
    public var taskOfRow: [Int32]
    /// The distinct task names of the file, in order of first appearance.
    public var taskNames: [String]
    public init(path: String, offsets: [TimeSpan], taskOfRow: [Int32], taskNames: [String]) {
        self.path = path; self.offsets = offsets; self.taskOfRow = taskOfRow; self.taskNames = taskNames
    }

    /// The file as opened: `path` relative to the folder of the scenario at `scenarioPath`, unless absolute.
    public func file(besides scenarioPath: String) -> String {
        guard !path.hasPrefix("/"), let slash = scenarioPath.lastIndex(of: "/") else { return path }
        return String(scenarioPath[...slash]) + path
    }
}

public enum ArrivalProcess: String, Sendable, Equatable {
    /// Exponential gaps (a Poisson process).
    case poisson
    /// Equal gaps of 1 / rate.
    case even
}

/// A stretch of time with a constant rate or a linear ramp, in tasks per second.
public struct LoadPhase: Sendable, Equatable {
    public var duration: TimeSpan
    public var rateFrom: Double
    public var rateTo: Double
    /// The phase's own task mix, which replaces `LoadSpec.mix` while it runs; nil: the load's mix.
    public var mix: [MixEntry]?
    public init(duration: TimeSpan, rateFrom: Double, rateTo: Double, mix: [MixEntry]? = nil) {
        self.duration = duration; self.rateFrom = rateFrom; self.rateTo = rateTo; self.mix = mix
    }
}

public struct Burst: Sendable, Equatable {
    public var at: TimeSpan
    public var count: Int
    /// The task type; nil draws each task from the mix (the load's, else the phase's at `at`).
    public var task: String?
    public init(at: TimeSpan, count: Int, task: String?) { self.at = at; self.count = count; self.task = task }
}

public struct MixEntry: Sendable, Equatable {
    public var task: String
    public var weight: Double
    public init(task: String, weight: Double) { self.task = task; self.weight = weight }
}

/// A fault at an instant (`at`) or over a window (`from`..`to`).
public struct FaultSpec: Sendable, Equatable {
    public var start: TimeSpan
    /// End of the window; nil for instantaneous faults (kill, restart).
    public var end: TimeSpan?
    public var kind: FaultKind
    public init(start: TimeSpan, end: TimeSpan?, kind: FaultKind) { self.start = start; self.end = end; self.kind = kind }
}

public enum FaultKind: Sendable, Equatable {
    /// SIGKILL a worker process: no warm shutdown; its unacked messages wait for the visibility timeout.
    case killWorker(String)
    /// Start a killed or stopped worker again.
    case restartWorker(String)
    /// Warm shutdown of a worker (SIGTERM).
    case stopWorker(String)
    /// The broker is unreachable for the window.
    case brokerOutage
    /// Every broker command takes this much longer (one way) during the window.
    case brokerLatency(TimeSpan)
    /// Task bodies matching the glob run `factor` times longer during the window.
    case slowTasks(factor: Double, taskPattern: String)
    /// Children of the matching workers (glob) hold `bytes` more memory during the window.
    case memoryPressure(bytes: Int64, workerPattern: String)
    /// SIGKILL the beat numbered N (beat-N): it dies holding the lock, which lapses after its expiry.
    case killBeat(Int)
    /// Stop beat-N cleanly (it releases the lock) and start it again `downFor` later; it reads the
    /// stored last runs, so what came due meanwhile is caught up once, as Celery beat does.
    case restartBeat(Int, downFor: TimeSpan)
    /// A new beat process joins, numbered N (the run's beats come first, then each `start_beat` in
    /// file order).
    case startBeat(Int, BeatSpec)
}

/// A check on the run's results, like `queue_wait.p99 < 30s` or `lost == 0`.
public struct Assertion: Sendable, Equatable, CustomStringConvertible {
    /// A metric path from the summary, e.g. "queue_wait.p99", "lost", "throughput", "succeeded".
    public var metric: String
    public var comparison: Comparison
    /// The threshold in the metric's unit: microseconds for times, bytes for sizes, plain numbers else.
    public var threshold: Double
    /// The text as written, for reports.
    public var text: String
    public init(metric: String, comparison: Comparison, threshold: Double, text: String) {
        self.metric = metric; self.comparison = comparison; self.threshold = threshold; self.text = text
    }
    public var description: String { text }

    public enum Comparison: String, Sendable, Equatable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

        public func holds(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .less: return value < threshold
            case .lessOrEqual: return value <= threshold
            case .greater: return value > threshold
            case .greaterOrEqual: return value >= threshold
            case .equal: return value == threshold
            case .notEqual: return value != threshold
            }
        }
    }
}
