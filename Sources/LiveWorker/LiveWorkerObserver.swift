import Foundation
import WorkerCore

/// Someone watching the live worker from inside its process — `lovage worker --metrics-port`'s
/// Prometheus metrics, or code that embeds `LiveWorkerDriver`. It is told what the core already
/// decided (the same `TaskEvent`s that become Celery's `-E` events, whether or not events are on)
/// and the worker's figures, so it never keeps a second copy of the worker's state rules.
///
/// Called on the driver's loop thread, synchronously: keep it cheap and never call back into the
/// driver.
public protocol LiveWorkerObserver: AnyObject {
    /// A task event the core emitted, with what only the driver knows about it.
    func observe(_ event: TaskEvent, facts: LiveTaskEventFacts)
    /// The worker's figures: once when it is ready, every stats refresh (2 s), and once stopped.
    func observe(_ figures: LiveWorkerFigures)
}

/// What the driver adds to a core task event.
public struct LiveTaskEventFacts: Sendable {
    /// The body's run time (succeeded, failed and retried events of a body that ran).
    public var runtimeSeconds: Double?
    /// The exception class of a failure or retry: the body's error type, or the core's reason.
    public var exceptionType: String?
    /// When the driver handled the event (seconds since 1970).
    public var at: Double

    public init(runtimeSeconds: Double? = nil, exceptionType: String? = nil, at: Double) {
        self.runtimeSeconds = runtimeSeconds
        self.exceptionType = exceptionType
        self.at = at
    }
}

/// The worker's own figures at one moment (`lovage.stats.<hostname>` shows the same).
public struct LiveWorkerFigures: Sendable {
    public var nodeName: String
    /// False only in the last report, after the worker stopped.
    public var running: Bool
    public var poolSize: Int
    /// The autoscaler's bounds now (remote control can change them); nil without --autoscale.
    public var autoscaleMin: Int?
    public var autoscaleMax: Int?
    /// Tasks executing now.
    public var active: Int
    /// Received, due, waiting for a free slot (Celery's reserved requests not yet executing).
    public var prefetched: Int
    /// Held until their eta (outside the prefetch count).
    public var heldForEta: Int
    /// The queues the worker consumes now.
    public var queues: [String]
    /// Totals since start.
    public var childrenRecycled: Int
    public var deadLettered: Int
    /// jemalloc's figures for this process (nil if jemalloc is not the allocator).
    public var parentMemory: JemallocStats?
    /// Each prefork slot's last memory report, by slot (sorted).
    public var childMemory: [(slot: Int, memory: ChildMemory)]

    public init(nodeName: String, running: Bool, poolSize: Int, autoscaleMin: Int? = nil, autoscaleMax: Int? = nil, active: Int = 0,
                prefetched: Int = 0, heldForEta: Int = 0, queues: [String], childrenRecycled: Int = 0, deadLettered: Int = 0,
                parentMemory: JemallocStats? = nil, childMemory: [(slot: Int, memory: ChildMemory)] = []) {
        self.nodeName = nodeName
        self.running = running
        self.poolSize = poolSize
        self.autoscaleMin = autoscaleMin
        self.autoscaleMax = autoscaleMax
        self.active = active
        self.prefetched = prefetched
        self.heldForEta = heldForEta
        self.queues = queues
        self.childrenRecycled = childrenRecycled
        self.deadLettered = deadLettered
        self.parentMemory = parentMemory
        self.childMemory = childMemory
    }
}

extension LiveWorkerDriver {
    /// Tells the observer about a core task event (before the message is forgotten).
    func notifyObserver(_ event: TaskEvent) {
        guard let observer else { return }
        var exception: String?
        if event.kind == .failed || event.kind == .retried {
            switch finishedBody?.result {
            case .failure(let error)?, .retry(_, let error)?: exception = error.type
            default: exception = event.detail ?? "Exception"
            }
        }
        let runtime = event.kind == .succeeded || event.kind == .failed || event.kind == .retried ? finishedBody?.runtimeSeconds : nil
        observer.observe(event, facts: LiveTaskEventFacts(runtimeSeconds: runtime, exceptionType: exception,
                                                          at: Date().timeIntervalSince1970))
    }

    /// Tells the observer the worker's figures now.
    func notifyObserverFigures(running: Bool) {
        guard let observer else { return }
        let config = core.config
        observer.observe(LiveWorkerFigures(
            nodeName: config.hostname, running: running, poolSize: core.poolSize,
            autoscaleMin: config.autoscale?.minConcurrency, autoscaleMax: config.autoscale?.maxConcurrency,
            active: core.runningCount, prefetched: core.reservedWaitingCount, heldForEta: core.heldCount,
            queues: config.queues, childrenRecycled: core.childrenRecycled, deadLettered: deadLettered,
            parentMemory: JemallocStats.sample(),
            childMemory: childMemory.keys.sorted().compactMap { slot in childMemory[slot].map { (slot, $0) } }))
    }
}
