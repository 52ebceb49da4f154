import CeleryWire
import Reports
import Scenarios
import WorkerCore
import Workload

/// Options for one simulated run.
public struct SimulationOptions: Sendable {
    /// Overrides the scenario's seed.
    public var seed: UInt64?
    /// Where to stream the JSON-lines trace; nil hashes the trace without writing it.
    public var tracePath: String?
    /// Called every `progressEveryEvents` events with the fraction of virtual time done.
    public var progress: (@Sendable (_ fraction: Double, _ virtualSeconds: Double) -> Void)?
    public var progressEveryEvents = 100_000
    /// Keep each task's queue wait (`RunResult.queueWaitByPlanIndexMicros`): 8 bytes a task.
    public var recordTaskWaits = false
    /// Run the output-only work (trace hash and file, histograms) on a second thread
    /// (`FigureThread`); the outputs are the same either way. Off for runs that come many at a
    /// time on every core (a plan's seeds in its `--jobs` processes, explore's on its threads):
    /// there the other cores already run other seeds, and a second thread per run would only add
    /// the hand-off's cost.
    public var figureThread = true
    /// Also keep the run times of the bodies that succeeded, apart (`RunSummary.succeededRunTime`
    /// and each type's): what Celery's `runtime` measures, which only its task-succeeded event
    /// carries, so `lovage calibrate --check` compares a recording with the same attempts. The
    /// summary's `run_time` holds every body that ran, failed and retried ones too.
    public var succeededRunTimes = false

    public init(seed: UInt64? = nil, tracePath: String? = nil,
                progress: (@Sendable (Double, Double) -> Void)? = nil, recordTaskWaits: Bool = false,
                figureThread: Bool = true, succeededRunTimes: Bool = false) {
        self.seed = seed
        self.figureThread = figureThread
        self.succeededRunTimes = succeededRunTimes
        self.tracePath = tracePath
        self.progress = progress
        self.recordTaskWaits = recordTaskWaits
    }
}

/// The deterministic simulation driver: a virtual clock, an event queue, a simulated Kombu-on-Redis
/// broker, modelled task bodies and injected faults around real `WorkerCore`s.
///
/// One thread decides (output-only work runs on `FigureThread`, in this thread's order); events
/// are ordered by (time, insertion sequence); one root seed is split into one generator per
/// subsystem (arrivals, task bodies, faults, jitter). Inputs a worker causes at the
/// same instant (a delivery after a fetch, say) go through a FIFO, never recursion, so a run's order
/// is fixed by its seed alone.
public final class Simulator {
    /// Virtual time starts at 2026-01-01T00:00:00Z so simulated eta headers are real dates.
    public static let epoch = Instant(microsecondsSinceEpoch: 1_767_225_600_000_000)

    let scenario: Scenario
    public let seed: UInt64
    let options: SimulationOptions
    var now: Instant
    var queue = EventQueue()
    var broker: SimBroker
    var ledger: TaskLedger
    let trace: TraceRecorder
    var workers: [SimWorker] = []
    var workerIndexByName: [String: Int] = [:]
    /// Each worker's group `memory_limit` (nil: none), read after every worker input: a plain
    /// array of optionals instead of the worker's group in `scenario.fleet` behind its class.
    var memoryLimitByWorker: [Int64?] = []
    /// Each worker's name, for the trace records of every task (ack, deliver, start, end): read
    /// from here, a name costs no reference to its worker object.
    var workerNames: [String] = []
    /// Broker consumer tokens: one per worker incarnation, so a restarted worker is a new consumer.
    var consumers: [(worker: Int, generation: Int)] = []
    let taskSpecs: [TaskTypeSpec]
    var taskIndexByName: [String: Int] = [:]
    /// Per task type, what a client publish needs (routed once: the router's answer depends only
    /// on the name and explicit queue), and its body model: copying a whole `TaskTypeSpec` per
    /// task retained every string and array inside it.
    let publishTemplates: [PublishTemplate]
    let bodyModels: [TaskBodyModel]
    /// The last name `modelledTaskIndex(named:)` looked up, and its answer.
    var lastTaskLookup: (name: String, index: Int?)?
    /// Each task type's max_retries as the first worker group runs it (for the attempts invariant).
    var maxRetriesByTask: [Int?] = []
    var load: LoadGenerator
    var arrivals: SeededRandom
    var bodies: SeededRandom
    var faultRandom: SeededRandom
    var jitterSeeds: SeededRandom
    /// Worker boot times (`worker_boot`), a stream of their own so they move nothing else.
    var boots: SeededRandom
    let pendingInputs = InputQueue()
    var bufferPool: [[WorkerDirective]] = []
    /// Client publishes' task numbers and ids ("t<n>").
    var taskNumbers = NumberedIDCounter(prefix: UInt8(ascii: "t"))
    /// Tasks published by workers for a canvas (numbered -1, -2, …; ids f1, f2, …).
    var nextFollowerNumber = 0
    /// Each task type's pipeline (nil for a plain type) and whether its tasks carry any canvas.
    let pipelinePlans: [PipelinePlan?]
    let hasCanvas: [Bool]
    var pipelineRuns = PipelineRuns()
    var pipelineTallies: PipelineTallies
    /// Group sizes, drawn per pipeline root (`FanOutCounts`, seed stream 6).
    var fanOutRandom: SeededRandom
    /// Delivery tags' numbers and ids ("d<n>").
    var tagNumbers = NumberedIDCounter(prefix: UInt8(ascii: "d"))
    let loadEnd: Instant
    let runEnd: Instant
    var loadFinished = false
    var pendingBursts = 0
    var pendingFaultEvents = 0
    /// Scheduled controls not yet applied (the run does not end before the last one).
    var pendingControls = 0
    /// Each scheduled control's application to each addressed worker, in the order applied.
    var controlOutcomes: [RunSummary.ControlOutcome] = []
    // Fault state.
    var brokerDown = false
    var publishesHeldByOutage: [TaskRequest] = []
    var extraLatency = TimeSpan.zero
    /// The previous publish's time, for `broker.idle_wake` (the quiet time before a publish).
    var lastPublishAt: Instant? = nil
    /// When the latest publish in flight lands: a publish that paid an idle wake-up must not be
    /// overtaken by the next one, which found the host awake (LPUSHes stay in order).
    var lastPublishLandsAt: Instant? = nil
    /// When each of the host's CPUs is next free (`host:`), empty when CPU time is not modelled.
    var hostCPUFreeAt: [Instant] = []
    /// The host's free backed memory (`host.memory_write`); nil when memory writes are not modelled.
    var hostMemory: HostMemory? = nil
    var slowWindows: [(factor: Double, pattern: String, fault: Int)] = []
    var memoryPressure: [(bytes: Int64, pattern: String, fault: Int)] = []
    // Metrics.
    var timeline: [RunSummary.TimelineSample] = []
    let sampleInterval: TimeSpan
    var peakWorkers = 0
    /// The fleet scalers of the scaled worker groups (`FleetController` behind the simulator's adapter).
    let scalers: SimFleetScaler
    var peakRunning = 0
    var peakMemoryBytes: Int64 = 0
    var autoscaleViolations: [RunSummary.InvariantViolation] = []
    var resultStore: ResultStoreModel
    var eventsProcessed = 0
    /// The beats of the scenario's `schedule:` and what they share; nil without one.
    var beatWorld: BeatWorld?

    public init(scenario: Scenario, options: SimulationOptions = SimulationOptions()) throws {
        self.scenario = scenario
        self.options = options
        let seed = options.seed ?? scenario.seed
        self.seed = seed
        now = Simulator.epoch
        broker = SimBroker(prioritySteps: scenario.broker.prioritySteps,
                           visibilityTimeout: scenario.broker.visibilityTimeout)
        let figures = try FigureThread(tracePath: options.tracePath, epoch: Simulator.epoch,
                                       threaded: options.figureThread)
        ledger = TaskLedger(epoch: Simulator.epoch, figures: figures, recordTaskWaits: options.recordTaskWaits,
                            succeededRunTimes: options.succeededRunTimes)
        resultStore = ResultStoreModel(resultExpires: scenario.broker.resultExpires)
        trace = TraceRecorder(figures: figures)
        // Re-create the scenario's names as native Swift strings: short names then live inline
        // (no reference counting), and millions of task requests copy them.
        taskSpecs = scenario.tasks.map { spec in
            var copy = spec
            copy.name = nativeString(spec.name)
            copy.queue = spec.queue.map(nativeString)
            return copy
        }
        for (index, spec) in scenario.tasks.enumerated() { taskIndexByName[spec.name] = index }
        let router = TaskRouter(rules: scenario.routes.map { TaskRouter.Rule(pattern: $0.pattern, queue: nativeString($0.queue)) })
        publishTemplates = taskSpecs.map { spec in PublishTemplate(spec, router: router) }
        bodyModels = taskSpecs.map(\.body)
        let plans = scenario.pipelinePlans
        pipelinePlans = plans
        hasCanvas = scenario.tasks.indices.map { plans[$0] != nil || !scenario.tasks[$0].followers.onFailure.isEmpty }
        pipelineTallies = PipelineTallies(plans: plans, names: scenario.tasks.map(\.name))
        fanOutRandom = SeededRandom.split(seed: seed, stream: FanOutCounts.stream)
        arrivals = SeededRandom.split(seed: seed, stream: 1)
        bodies = SeededRandom.split(seed: seed, stream: 2)
        faultRandom = SeededRandom.split(seed: seed, stream: 3)
        jitterSeeds = SeededRandom.split(seed: seed, stream: 4)
        boots = SeededRandom.split(seed: seed, stream: 5)
        hostMemory = scenario.host?.memoryWrite.map { HostMemory(cost: $0, at: Simulator.epoch) }
        loadEnd = Simulator.epoch + scenario.duration
        runEnd = loadEnd + scenario.drain
        load = LoadGenerator(load: scenario.load, taskIndexByName: taskIndexByName,
                             start: Simulator.epoch, duration: scenario.duration, seed: seed)
        let total = scenario.duration + scenario.drain
        sampleInterval = TimeSpan(microseconds: max(1_000_000, total.microseconds / 3600))
        scalers = SimFleetScaler(scenario: scenario, start: Simulator.epoch)
        buildFleet()
        beatWorld = Simulator.makeBeatWorld(scenario, taskIndexByName: taskIndexByName)
        maxRetriesByTask = taskSpecs.map { spec in workers.first?.config.options(for: spec.name).retry.maxRetries ?? nil }
    }

    private func buildFleet() {
        for (groupIndex, group) in scenario.fleet.enumerated() {
            var perTask: [String: TaskOptions] = [:]
            // The options a real run's workers register too (`lovage worker --tasks-from`).
            for task in ScenarioTaskTable(scenario: scenario, group: group).tasks { perTask[nativeString(task.name)] = task.options }
            // A scaled group has all its possible replicas; the first `count` start with the run.
            for number in 1...max(1, group.scaler?.maxReplicas ?? group.count) {
                let name = nativeString("\(group.name)-\(number)")
                let config = WorkerConfig(
                    hostname: nativeString("\(name)@sim"), queues: group.queues.map(nativeString), concurrency: group.concurrency,
                    autoscale: group.autoscale, prefetchMultiplier: group.prefetchMultiplier,
                    maxTasksPerChild: group.maxTasksPerChild, maxMemoryPerChildKiB: group.maxMemoryPerChildKiB,
                    prioritySteps: scenario.broker.prioritySteps,
                    queueOrderStrategy: scenario.broker.queueOrderStrategy,
                    taskDefaults: group.taskDefaults, taskOptions: perTask)
                workerIndexByName[name] = workers.count
                memoryLimitByWorker.append(group.memoryLimitBytes)
                workerNames.append(name)
                workers.append(SimWorker(name: name, group: groupIndex, config: config,
                                         childBaselineBytes: group.childBaselineMemoryBytes,
                                         childStartup: group.childStartup, taskOverhead: group.taskOverhead,
                                         childHandoff: group.childHandoff))
            }
        }
    }

    /// Whether a worker starts with the run: every worker, except a scaled group's beyond its `count`.
    private func startsWithRun(_ index: Int) -> Bool {
        let group = workers[index].group
        guard scenario.fleet[group].scaler != nil, let first = workers.firstIndex(where: { $0.group == group }) else { return true }
        return index - first < scenario.fleet[group].count
    }

    /// Runs the scenario to its end and returns the results.
    public func run() -> RunResult {
        for index in workers.indices where startsWithRun(index) { startWorker(index, booted: true) }
        scheduleScalers()
        startBeats()
        scheduleNextArrival()
        for (index, burst) in scenario.load.bursts.enumerated() {
            pendingBursts += 1
            queue.schedule(.burst(index), at: Simulator.epoch + burst.at)
        }
        for (index, fault) in scenario.faults.enumerated() {
            pendingFaultEvents += 1
            queue.schedule(.faultStart(index), at: Simulator.epoch + fault.start)
            if let end = fault.end {
                pendingFaultEvents += 1
                queue.schedule(.faultEnd(index), at: Simulator.epoch + end)
            }
        }
        scheduleControls()
        queue.schedule(.sample, at: Simulator.epoch)
        drainInputs()

        while let nextTime = queue.nextTime, nextTime <= runEnd {
            guard let (time, event) = queue.pop() else { break }
            now = time
            handle(event)
            drainInputs()
            eventsProcessed += 1
            if eventsProcessed % options.progressEveryEvents == 0, let progress = options.progress {
                progress(Double((now - Simulator.epoch).microseconds) / Double((runEnd - Simulator.epoch).microseconds),
                         (now - Simulator.epoch).seconds)
            }
            if loadFinished && pendingBursts == 0 && pendingFaultEvents == 0 && pendingControls == 0 && ledger.isEmpty && now >= loadEnd {
                break
            }
        }
        sample()
        trace.record(now, .end, "records", String(trace.recordCount))
        trace.close()
        return makeResult()
    }

    // MARK: Events

    private func handle(_ event: SimEvent) {
        switch event {
        case .arrival:
            let taskIndex = load.arrivalTask(random: &arrivals)
            publishNew(taskIndex: taskIndex)
            scheduleNextArrival()
        case .burst(let index):
            pendingBursts -= 1
            let burst = scenario.load.bursts[index]
            trace.record(now, .burst, "count", String(burst.count))
            for _ in 0..<burst.count {
                let taskIndex = burst.task.flatMap { taskIndexByName[$0] } ?? load.burstTask(at: now, random: &arrivals)
                publishNew(taskIndex: taskIndex)
            }
        case .workerTimer(let worker, let generation):
            guard workers[worker].generation == generation, workers[worker].scheduledTimer == now else { return }
            workers[worker].scheduledTimer = nil
            feedTimers(worker)
        case .bodyWritesMemory(let worker, let generation, let slot, let execution):
            bodyWritesMemory(worker: worker, generation: generation, slot: slot, execution: execution)
        case .bodyFinished(let worker, let generation, let slot, let execution):
            bodyFinished(worker: worker, generation: generation, slot: slot, execution: execution)
        case .childCrashed(let worker, let generation, let slot, let execution):
            guard workers[worker].generation == generation, workers[worker].children[slot].execution == execution else { return }
            trace.record(now, .childCrash, "worker", workers[worker].name, "slot", String(slot))
            workers[worker].children[slot].isAlive = false
            workers[worker].children[slot].execution = nil
            pendingInputs.append((worker, .childLost(slot: slot, reason: "signal 9 (SIGKILL)")))
        case .childReady(let worker, let generation, let slot):
            guard workers[worker].generation == generation, workers[worker].isAlive else { return }
            workers[worker].children[slot].isAlive = true
            pendingInputs.append((worker, .childReady(slot: slot)))
            // Killed here, the worker never hands the new child a task (the input finds it dead).
            enforceMemoryLimit(worker)
        case .faultStart(let index):
            pendingFaultEvents -= 1
            startFault(index)
        case .faultEnd(let index):
            pendingFaultEvents -= 1
            endFault(index)
        case .control(let index):
            pendingControls -= 1
            applyControl(index)
        case .brokerCommand(let command):
            switch command {
            case .publish(let request, _):
                landPublish(request)
            case .deliver(let worker, let generation, let request):
                arrive(request, at: worker, generation: generation)
            }
        case .sample:
            sample()
            queue.schedule(.sample, at: now + sampleInterval)
        case .scalerTick(let index):
            scalerTick(index)
        case .scalerStart(let worker):
            scalerStart(worker: worker)
        case .workerBooted(let worker, let generation):
            // A worker stopped or killed while it booted never consumes.
            guard workers[worker].generation == generation, workers[worker].isAlive else { return }
            trace.record(now, .workerBooted, "worker", workers[worker].name)
            pendingInputs.append((worker, .start))
        case .oomRestart(let worker):
            trace.record(now, .oomRestart, "worker", workers[worker].name)
            startWorker(worker)
        case .scalerGraceOver(let worker, let generation):
            scalerGraceOver(worker: worker, generation: generation)
        case .beatWake(let beat, let generation):
            beatWake(beat, generation: generation)
        case .beatRestart(let beat):
            startBeat(beat)
        }
    }

    private func scheduleNextArrival() {
        if let next = load.next(random: &arrivals) {
            queue.schedule(.arrival, at: next)
        } else {
            loadFinished = true
        }
    }

    // MARK: Feeding workers

    /// Runs queued worker inputs in FIFO order until none is left.
    func drainInputs() {
        while let (worker, event) = pendingInputs.popFirst() {
            let simWorker = workers[worker]
            guard simWorker.isAlive else {
                if case .delivered(let request) = event { lostInTransit(request, worker: worker) }
                continue
            }
            var out = takeBuffer()
            let start = out.count
            simWorker.handle(event, now: now, into: &out)
            apply(&out, from: start, worker: worker)
            returnBuffer(&out)
            rescheduleTimer(worker, simWorker)
            // A delivery held, a child spawned at once: the directives are done, the limit can act.
            enforceMemoryLimit(worker)
        }
    }

    func feedTimers(_ worker: Int) {
        guard workers[worker].isAlive else { return }
        var out = takeBuffer()
        let start = out.count
        workers[worker].handleTimers(now: now, into: &out)
        apply(&out, from: start, worker: worker)
        returnBuffer(&out)
        rescheduleTimer(worker)
        // The autoscaler may have spawned a child at once.
        enforceMemoryLimit(worker)
    }

    func rescheduleTimer(_ worker: Int) { rescheduleTimer(worker, workers[worker]) }

    /// `rescheduleTimer(_:)` with the worker already in hand (one reference fewer to take).
    func rescheduleTimer(_ worker: Int, _ simWorker: SimWorker) {
        guard let deadline = simWorker.nextDeadline else { return }
        let at = max(deadline, now)
        if let scheduled = simWorker.scheduledTimer, scheduled <= at { return }
        simWorker.scheduledTimer = at
        queue.schedule(.workerTimer(worker: worker, generation: simWorker.generation), at: at)
    }

    /// A directive buffer for one worker call. It may still hold the payload-free placeholders
    /// `apply` left (a caller applies from the count it found): emptying a buffer after every call
    /// cost about 300 instructions with `removeAll(keepingCapacity:)`'s generic `replaceSubrange`,
    /// and still a uniqueness check per element popped, twice per task; `returnBuffer` empties it
    /// once it holds `bufferClearThreshold` of them.
    private func takeBuffer() -> [WorkerDirective] {
        if let buffer = bufferPool.popLast() { return buffer }
        var buffer: [WorkerDirective] = []
        buffer.reserveCapacity(2 * Self.bufferClearThreshold)
        return buffer
    }

    private static let bufferClearThreshold = 64

    /// `inout`, so the buffer is emptied while the caller's variable is its only reference: a
    /// by-value parameter was a second one, and `removeAll(keepingCapacity:)` then allocated a
    /// new buffer and freed the old one (destroying its elements) every 64 calls.
    private func returnBuffer(_ buffer: inout [WorkerDirective]) {
        if buffer.count >= Self.bufferClearThreshold { buffer.removeAll(keepingCapacity: true) }
        bufferPool.append(buffer)
    }

    // MARK: Workers' lives

    /// Starts a worker process; it consumes once it has booted (`worker_boot`), at once when `booted`
    /// (the fleet the run starts with).
    func startWorker(_ index: Int, booted: Bool = false) {
        guard !workers[index].isAlive else { return }
        workers[index].generation += 1
        workers[index].consumerToken = consumers.count
        consumers.append((index, workers[index].generation))
        workers[index].scheduledTimer = nil
        for slot in workers[index].children.indices { freeChild(worker: index, slot: slot) }
        workers[index].boot(jitterSeed: jitterSeeds.next())
        trace.record(now, .workerStart, "worker", workers[index].name)
        let boot = booted ? .zero : BodySampler.sampleDuration(scenario.fleet[workers[index].group].workerBoot, random: &boots)
        if boot > .zero {
            queue.schedule(.workerBooted(worker: index, generation: workers[index].generation), at: now + boot)
        } else {
            pendingInputs.append((index, .start))
        }
    }
}
