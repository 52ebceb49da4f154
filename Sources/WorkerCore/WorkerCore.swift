import CeleryWire
import DequeModule
import HeapModule

/// Celery's worker, without I/O: one consumer with a prefetch window and a pool of child slots.
///
/// Overview: the core decides everything a `celery worker` decides — what to fetch and when
/// (prefetch and QoS), when to acknowledge or reject, ETA holds, expiry and revocation, retries and
/// their backoff, soft and hard time limits, rate limits, child recycling, the autoscaler, and warm
/// and cold shutdown.
///
/// Function: a driver calls `handle(_:now:into:)` with each event and `handleTimers(now:into:)` at
/// (or after) `nextDeadline`, and carries out the directives appended to the buffer, in order.
///
/// Implementation: the core reads no clock, randomness (the jitter generator is seeded by the
/// driver), I/O or Foundation. Its collections are never iterated in hash order: held messages sit
/// in a heap ordered by (eta, delivery sequence), prefetched ones in a FIFO deque, and slots in an
/// array. The simulator and the live worker drive this same type, so a rule lives in one place.
public struct WorkerCore: Sendable {
    /// The worker's settings. Remote controls change some of them (pool size, autoscale bounds,
    /// queues, per-task rate and time limits): see WorkerCore+Control.swift.
    public internal(set) var config: WorkerConfig
    /// Whether task events are published now: `config.sendTaskEvents` at start, then
    /// `enable_events`/`disable_events`. The core emits `.taskEvent` directives either way (the
    /// simulator's ledger counts tasks by them); a driver publishes them only while this is true.
    public internal(set) var taskEventsEnabled: Bool
    public internal(set) var lifecycle: Lifecycle = .created
    /// Children replaced by max_tasks_per_child or max_memory_per_child since the worker started.
    public internal(set) var childrenRecycled = 0

    var slots: [Slot]
    /// Received, due and waiting for a free child (Celery's reserved requests not yet executing).
    var ready: Deque<Reservation> = []
    /// Messages held until their eta, outside the prefetch count (Celery's `qos.increment_eventually`).
    var held: Heap<HeldReservation> = []
    /// Rate-limited requests waiting for their bucket, in bucket creation order.
    var rateBuckets: [RateBucket] = []
    var rateBucketIndex: [String: Int] = [:]
    /// Delivered and not yet acknowledged, rejected or given back: what counts against prefetch
    /// (minus held). Checked: settling more than was delivered is a bug, not a wider window.
    var unacked = NonNegativeCount()
    var fetchOutstanding = false
    var consumeOrder: ConsumeOrder
    var revoked: RevokedSet
    var deliverySequence: UInt64 = 0
    var executionSequence: UInt64 = 0
    var lastScaleUp: Instant? = nil
    var nextAutoscaleTick: Instant? = nil
    var nextRestoreSweep: Instant? = nil
    var jitter: SeededRandom
    var cachedOptionsName: String? = nil
    var cachedOptions = TaskOptions()
    /// Celery's `state.total_count`: tasks accepted (started) per task name, in first-seen order.
    var totals: [(name: String, count: Int)] = []
    var totalsIndex: [String: Int] = [:]
    /// The index in `totals` of the name `countAccepted` counted last (a one-entry cache).
    var lastTotalsIndex: Int? = nil

    public enum Lifecycle: Sendable, Equatable {
        case created, running, warmShutdown, stopped
    }

    public init(config: WorkerConfig, jitterSeed: UInt64) {
        self.config = config
        self.taskEventsEnabled = config.sendTaskEvents
        self.slots = Array(repeating: Slot(), count: max(1, config.maxConcurrency))
        self.consumeOrder = ConsumeOrder(queues: config.queues, steps: config.prioritySteps,
                                         strategy: config.queueOrderStrategy)
        self.revoked = RevokedSet(limit: config.revokedIdsLimit)
        self.jitter = SeededRandom(seed: jitterSeed)
    }

    // MARK: Observable state (for stats, metrics and tests)

    /// Tasks executing in a child now.
    public var runningCount: Int { slots.indices.reduce(0) { $0 + (slots[$1].isBusy ? 1 : 0) } }
    /// Child processes alive or starting (the pool size the autoscaler manages).
    public var poolSize: Int { slots.indices.reduce(0) { $0 + (slots[$1].isAbsent ? 0 : 1) } }
    /// Prefetched messages waiting for a child or a rate-limit token.
    public var reservedWaitingCount: Int { ready.count + rateBuckets.reduce(0) { $0 + $1.waiting.count } }
    /// Messages held for their eta.
    public var heldCount: Int { held.count }
    /// Messages delivered to this worker and not yet acknowledged.
    public var unacknowledgedCount: Int { unacked.value }
    /// How many more messages the prefetch window takes now (nil = no limit). A driver that fetches
    /// several messages per round trip takes at most this many for one `.fetch`.
    public var fetchRoom: Int? { config.prefetchLimit.map { max(0, $0 - (unacked.value - held.count)) } }

    /// Celery's `len(reserved_requests)`: received, due and not finished (ready + running).
    var reservedRequestCount: Int { ready.count + runningCount }

    // MARK: Entry points

    /// Handles one event at `now`, appending directives to `out`.
    public mutating func handle(_ event: WorkerEvent, now: Instant, into out: inout [WorkerDirective]) {
        switch event {
        case .start:
            start(now: now, into: &out)
        case .delivered(let request):
            receive(request, now: now, into: &out)
        case .fetchReturnedEmpty:
            fetchOutstanding = false
        case .childReady(let slot):
            if slots.indices.contains(slot), slots[slot].isSpawning {
                slots[slot].state = .idle
                slots[slot].tasksRun = 0
                childBecameReady(slot: slot, into: &out)
            }
        case .taskFinished(let slot, let execution, let outcome, let residentKiB):
            finish(slot: slot, execution: execution, outcome: outcome, childResidentKiB: residentKiB,
                   now: now, into: &out)
        case .taskStateUpdated(let slot, let execution, let state, let metaJSON):
            if let running = runningRequest(slot: slot, execution: execution),
               !effectiveIgnoreResult(running.request) {
                out.append(.storeResult(running.request,
                                        record: ResultRecord(state: state, payloadJSON: metaJSON,
                                                             hostname: config.hostname)))
            }
        case .childLost(let slot, let reason):
            childLost(slot: slot, reason: reason, now: now, into: &out)
        case .revoke(let taskID, let terminate):
            revoke(taskID: taskID, terminate: terminate, now: now, into: &out)
        case .shutdown(let kind):
            shutdown(kind, now: now, into: &out)
        }
        dispatch(now: now, into: &out)
        maybeFetch(into: &out)
        maybeFinishShutdown(into: &out)
        nextDeadline = computeNextDeadline()
    }

    /// Handles every timer due at `now` (ETA holds, time limits, rate limits, autoscaler, restore sweep).
    public mutating func handleTimers(now: Instant, into out: inout [WorkerDirective]) {
        releaseDueHolds(now: now, into: &out)
        enforceTimeLimits(now: now, into: &out)
        releaseRateLimited(now: now)
        if let tick = nextAutoscaleTick, tick <= now, let autoscale = config.autoscale {
            nextAutoscaleTick = now + autoscale.keepalive
            autoscaleStep(now: now, into: &out)
        }
        if let sweep = nextRestoreSweep, sweep <= now, lifecycle == .running {
            nextRestoreSweep = now + config.restoreSweepInterval
            out.append(.restoreSweep)
        }
        dispatch(now: now, into: &out)
        maybeFetch(into: &out)
        maybeFinishShutdown(into: &out)
        nextDeadline = computeNextDeadline()
    }

    /// The earliest time the core needs `handleTimers`, or nil when nothing is pending. Stored and
    /// refreshed after every call, so a driver can read it without copying the core.
    public internal(set) var nextDeadline: Instant? = nil

    func computeNextDeadline() -> Instant? {
        var earliest: Instant? = nil
        func consider(_ candidate: Instant?) {
            guard let candidate else { return }
            if earliest == nil || candidate < earliest! { earliest = candidate }
        }
        if lifecycle == .stopped { return nil }
        consider(held.min?.eta)
        // Index-based access reads one slot at a time; iterating `slots` would copy each slot
        // (and retain every string of its running request) several times per task.
        for index in slots.indices {
            guard case .busy(let running) = slots[index].state else { continue }
            if !running.softLimitRaised { consider(running.softDeadline) }
            consider(running.hardDeadline)
        }
        for bucket in rateBuckets where !bucket.waiting.isEmpty { consider(bucket.nextAllowed) }
        // The autoscaler and the restore sweep run only while the worker runs; during a shutdown
        // their (now past) times must not count, or the driver would be woken at once, forever.
        if lifecycle == .running {
            consider(nextAutoscaleTick)
            consider(nextRestoreSweep)
        }
        return earliest
    }

    // MARK: Start

    mutating func start(now: Instant, into out: inout [WorkerDirective]) {
        guard lifecycle == .created else { return }
        lifecycle = .running
        for index in 0..<min(slots.count, max(0, config.initialConcurrency)) {
            slots[index].state = .spawning
            out.append(.spawnChild(slot: index))
        }
        // Kombu restores visible messages when its poller starts, then on its periodic timer.
        out.append(.restoreSweep)
        nextRestoreSweep = now + config.restoreSweepInterval
        if let autoscale = config.autoscale { nextAutoscaleTick = now + autoscale.keepalive }
    }

    // MARK: Fetching

    /// Celery's QoS: consume while unacknowledged messages (not counting ETA holds) stay under
    /// max_concurrency × prefetch_multiplier (kombu `QoS.can_consume`).
    mutating func maybeFetch(into out: inout [WorkerDirective]) {
        guard lifecycle == .running, !fetchOutstanding else { return }
        if let limit = config.prefetchLimit, unacked.value - held.count >= limit { return }
        // `cancel_consumer` of the last queue: nothing to fetch from until `add_consumer`.
        guard !consumeOrder.keys.isEmpty else { return }
        fetchOutstanding = true
        out.append(.fetch(keys: consumeOrder.keys))
    }

    // MARK: Helpers shared by the extensions

    /// The options in force for a request's task type. A one-entry cache by name saves a dictionary
    /// lookup per call: most workers see one or a few task types in a row.
    mutating func effectiveOptions(_ request: TaskRequest) -> TaskOptions {
        loadOptions(for: request)
        return cachedOptions
    }

    /// Makes `cachedOptions` the options of the request's task type. Hot paths read single fields
    /// of `cachedOptions` after this instead of copying the whole struct (and retaining its
    /// strings and arrays) for one flag.
    mutating func loadOptions(for request: TaskRequest) {
        let name = request.name
        if cachedOptionsName != name {
            cachedOptions = config.options(for: name)
            cachedOptionsName = name
        }
    }

    mutating func effectiveIgnoreResult(_ request: TaskRequest) -> Bool {
        if request.ignoreResult { return true }
        loadOptions(for: request)
        return cachedOptions.ignoreResult
    }

    func runningRequest(slot: Int, execution: UInt64) -> Running? {
        // Matched on the slot's state in place: `slots[slot].running` copied the whole slot first.
        guard slots.indices.contains(slot), case .busy(let running) = slots[slot].state,
              running.execution == execution else { return nil }
        return running
    }

    mutating func acknowledge(_ request: TaskRequest, into out: inout [WorkerDirective]) {
        unacked.subtract()
        out.append(.ack(request))
    }

    mutating func reject(_ request: TaskRequest, requeue: Bool, into out: inout [WorkerDirective]) {
        unacked.subtract()
        out.append(.reject(request, requeue: requeue))
        out.append(.taskEvent(TaskEvent(kind: .rejected, request: request, requeued: requeue)))
    }

    mutating func store(_ request: TaskRequest, state: TaskState, error: ErrorDescription? = nil,
               payloadJSON: String? = nil, into out: inout [WorkerDirective]) {
        guard !effectiveIgnoreResult(request) else { return }
        out.append(.storeResult(request,
                                record: ResultRecord(state: state.rawValue, error: error,
                                                     payloadJSON: payloadJSON, hostname: config.hostname)))
    }

    func event(_ kind: TaskEvent.Kind, _ request: TaskRequest, slot: Int? = nil, detail: String? = nil,
               into out: inout [WorkerDirective]) {
        out.append(.taskEvent(TaskEvent(kind: kind, request: request, slot: slot, detail: detail)))
    }
}

extension WorkerCore {
    /// Where this worker holds a delivery, if it does (for reports and the simulator's bookkeeping).
    public enum HoldingPlace: String, Sendable {
        case waitingForETA = "waiting for its eta"
        case prefetched = "prefetched, waiting for a child"
        case rateLimited = "waiting for its rate limit"
        case running = "running"
    }

    /// The place of a delivery tag in this worker, or nil when the worker does not hold it.
    public func place(ofDeliveryTag tag: String) -> HoldingPlace? {
        if slots.contains(where: { $0.running?.request.deliveryTag == tag }) { return .running }
        if ready.contains(where: { $0.request.deliveryTag == tag }) { return .prefetched }
        if held.unordered.contains(where: { $0.reservation.request.deliveryTag == tag }) { return .waitingForETA }
        if rateBuckets.contains(where: { $0.waiting.contains(where: { $0.request.deliveryTag == tag }) }) {
            return .rateLimited
        }
        return nil
    }

    /// Every request this worker holds (running, prefetched, rate-limited, held for eta), in a stable
    /// order: slots, then the ready queue, then buckets, then holds by (eta, delivery order).
    public func heldRequests() -> [(TaskRequest, HoldingPlace)] {
        var result: [(TaskRequest, HoldingPlace)] = []
        for slot in slots { if let running = slot.running { result.append((running.request, .running)) } }
        for reservation in ready { result.append((reservation.request, .prefetched)) }
        for bucket in rateBuckets { for reservation in bucket.waiting { result.append((reservation.request, .rateLimited)) } }
        for entry in held.unordered.sorted() { result.append((entry.reservation.request, .waitingForETA)) }
        return result
    }
}
