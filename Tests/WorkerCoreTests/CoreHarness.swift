import WorkerCore

/// Drives one WorkerCore by hand: events in, directives out, with a clock the test moves.
struct CoreHarness {
    var core: WorkerCore
    var now = Instant(microsecondsSinceEpoch: 1_000_000_000_000)
    private var tagCounter = 0

    init(_ config: WorkerConfig, jitterSeed: UInt64 = 7) {
        core = WorkerCore(config: config, jitterSeed: jitterSeed)
    }

    /// Starts the worker and reports every spawned child ready; returns the directives.
    @discardableResult
    mutating func start() -> [WorkerDirective] {
        var out = send(.start)
        out += readyAllSpawned(in: out)
        return out
    }

    @discardableResult
    mutating func send(_ event: WorkerEvent) -> [WorkerDirective] {
        var out: [WorkerDirective] = []
        core.handle(event, now: now, into: &out)
        return out
    }

    /// Moves the clock and fires due timers.
    @discardableResult
    mutating func advance(by span: TimeSpan) -> [WorkerDirective] {
        now = now + span
        var out: [WorkerDirective] = []
        core.handleTimers(now: now, into: &out)
        return out
    }

    /// Advances to the core's next deadline (if any) and fires it.
    @discardableResult
    mutating func advanceToDeadline() -> [WorkerDirective] {
        guard let deadline = core.nextDeadline else { return [] }
        return advance(by: deadline - now)
    }

    /// Answers spawn and replace directives with `.childReady`.
    mutating func readyAllSpawned(in directives: [WorkerDirective]) -> [WorkerDirective] {
        var out: [WorkerDirective] = []
        for directive in directives {
            switch directive {
            case .spawnChild(let slot), .replaceChild(let slot, _):
                out += send(.childReady(slot: slot))
            default: break
            }
        }
        return out
    }

    mutating func request(_ name: String = "app.add", id: String? = nil, queue: String = "celery",
                          eta: TimeSpan? = nil, expires: TimeSpan? = nil, retries: Int = 0) -> TaskRequest {
        tagCounter += 1
        return TaskRequest(id: id ?? "task-\(tagCounter)", name: name, queue: queue, deliveryTag: "tag-\(tagCounter)",
                           retries: retries, eta: eta.map { now + $0 }, expires: expires.map { now + $0 })
    }
}

extension Array where Element == WorkerDirective {
    var fetchCount: Int { filter { if case .fetch = $0 { return true } else { return false } }.count }
    var executions: [(slot: Int, execution: UInt64, request: TaskRequest)] {
        compactMap { if case .execute(let slot, let execution, let request, _, _) = $0 { return (slot, execution, request) } else { return nil } }
    }
    var ackedTags: [String] { compactMap { if case .ack(let request) = $0 { return request.deliveryTag } else { return nil } } }
    var rejects: [(tag: String, requeue: Bool)] {
        compactMap { if case .reject(let request, let requeue) = $0 { return (request.deliveryTag, requeue) } else { return nil } }
    }
    var storedStates: [String] {
        compactMap { if case .storeResult(_, let record) = $0 { return record.state } else { return nil } }
    }
    var storedRecords: [ResultRecord] {
        compactMap { if case .storeResult(_, let record) = $0 { return record } else { return nil } }
    }
    var published: [TaskRequest] { compactMap { if case .publish(let request, _) = $0 { return request } else { return nil } } }
    var eventKinds: [TaskEvent.Kind] { compactMap { if case .taskEvent(let event) = $0 { return event.kind } else { return nil } } }
    var spawnedSlots: [Int] { compactMap { if case .spawnChild(let slot) = $0 { return slot } else { return nil } } }
    var retiredSlots: [Int] { compactMap { if case .retireChild(let slot) = $0 { return slot } else { return nil } } }
    var restored: [String] { flatMap { if case .restore(let requests) = $0 { return requests.map(\.deliveryTag) } else { return [] } } }
}

func config(concurrency: Int = 2, prefetch: Int = 1, acksLate: Bool = true,
            configure: (inout WorkerConfig) -> Void = { _ in }) -> WorkerConfig {
    var options = TaskOptions()
    options.acksLate = acksLate
    var config = WorkerConfig(hostname: "w1@test", queues: ["celery"], concurrency: concurrency,
                              prefetchMultiplier: prefetch, taskDefaults: options)
    configure(&config)
    return config
}
