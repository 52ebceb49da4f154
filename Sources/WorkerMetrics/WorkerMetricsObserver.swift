import CoreMetrics
import LiveWorker
import WorkerCore

/// The worker's metrics, fed by the live driver (`LiveWorkerObserver`): celery-exporter's task
/// counters and runtime histogram from the core's task events — the same events `-E` publishes,
/// counted whether or not events are on — and the gauges from the worker's figures.
///
/// Differences from celery-exporter, which sees the fleet from outside: `queue_name` is the
/// queue the worker took the message from (the exporter knows it only from task-sent events and
/// says "celery" otherwise); `celery_worker_up` is 1 from ready to stopped, then 0.
///
/// Called on the driver's loop thread only.
public final class WorkerMetricsObserver: LiveWorkerObserver {
    private let counters: TaskEventCounters
    private let cache: MetricCache
    /// When each message still waiting to start was received, by delivery tag.
    private var receivedAt: [String: Double] = [:]
    private var recycledCounted = 0
    private var deadLettersCounted = 0

    /// The `hostname` label: celery-exporter's host part of the node name.
    private let hostname: String

    public init(registry: MetricsRegistry, nodeName: String) {
        hostname = CeleryHostname.of(nodeName: nodeName)
        counters = TaskEventCounters(factory: registry.factory)
        cache = MetricCache(factory: registry.factory)
    }

    public func observe(_ event: TaskEvent, facts: LiveTaskEventFacts) {
        let request = event.request
        observeTask(kind: event.kind, name: request.name, queue: request.queue, deliveryTag: request.deliveryTag,
                    eta: request.eta.map { Double($0.microsecondsSinceEpoch) / 1_000_000 }, facts: facts)
    }

    func observeTask(kind: TaskEvent.Kind, name: String, queue: String, deliveryTag: String, eta: Double?, facts: LiveTaskEventFacts) {
        counters.count(type: kind.rawValue, name: name, hostname: hostname, queue: queue, exception: facts.exceptionType)
        let labels = [("name", name), ("hostname", hostname), ("queue_name", queue)]
        switch kind {
        case .received:
            receivedAt[deliveryTag] = facts.at
        case .started:
            if let received = receivedAt.removeValue(forKey: deliveryTag) {
                let wait = max(0, facts.at - max(received, eta ?? received))
                cache.histogram(MetricNames.prefetchWait, labels).record(wait)
            }
        case .succeeded:
            // celery-exporter observes the runtime of succeeded tasks only.
            if let runtime = facts.runtimeSeconds { cache.histogram(MetricNames.taskRuntime, labels).record(runtime) }
            receivedAt[deliveryTag] = nil
        case .failed, .retried, .rejected, .revoked:
            receivedAt[deliveryTag] = nil
        }
    }

    public func observe(_ figures: LiveWorkerFigures) {
        let host = [("hostname", hostname)]
        cache.gauge(MetricNames.workerUp, host).record(figures.running ? 1 : 0)
        cache.gauge(MetricNames.workerTasksActive, host).record(figures.active)
        cache.gauge(MetricNames.prefetchedMessages, host).record(figures.prefetched)
        cache.gauge(MetricNames.heldForEtaMessages, host).record(figures.heldForEta)
        cache.gauge(MetricNames.poolSize, host).record(figures.poolSize)
        if let minimum = figures.autoscaleMin, let maximum = figures.autoscaleMax {
            cache.gauge(MetricNames.autoscaleMin, host).record(minimum)
            cache.gauge(MetricNames.autoscaleMax, host).record(maximum)
        }
        // The driver reports totals; the counters go up by what is new.
        let recycled = cache.counter(MetricNames.childrenRecycled, host)
        if figures.childrenRecycled > recycledCounted { recycled.increment(by: figures.childrenRecycled - recycledCounted) }
        recycledCounted = max(recycledCounted, figures.childrenRecycled)
        let deadLetters = cache.counter(MetricNames.deadLetters, host)
        if figures.deadLettered > deadLettersCounted { deadLetters.increment(by: figures.deadLettered - deadLettersCounted) }
        deadLettersCounted = max(deadLettersCounted, figures.deadLettered)
        if let parent = figures.parentMemory {
            recordMemory(process: "parent", allocated: parent.allocatedBytes, active: parent.activeBytes, resident: parent.residentBytes)
        }
        for (slot, memory) in figures.childMemory {
            recordMemory(process: "child-\(slot)", allocated: memory.allocatedBytes, active: memory.activeBytes, resident: memory.residentBytes)
        }
    }

    private func recordMemory(process: String, allocated: Int, active: Int, resident: Int) {
        let labels = [("hostname", hostname), ("process", process)]
        cache.gauge(MetricNames.jemallocAllocated, labels).record(allocated)
        cache.gauge(MetricNames.jemallocActive, labels).record(active)
        cache.gauge(MetricNames.jemallocResident, labels).record(resident)
    }
}
