import CoreMetrics

/// celery-exporter's task counters (`track_task_event` in src/exporter.py), written once for the
/// worker's endpoint and for `lovage exporter`: the counter of the event's type goes up by one,
/// and every other counter but task-sent is created at zero for the same labels, so a task's
/// failures show as 0 rather than as no series (task-sent comes from publishers, whose hostnames
/// would multiply the series). `celery_task_failed_total` has an `exception` label: the
/// exception's class for a failure, "" on the zero-valued series.
///
/// Not thread-safe: one caller thread (the worker's loop, or the exporter under its lock).
final class TaskEventCounters {
    private let factory: any MetricsFactory
    private var counters: [String: Counter] = [:]

    init(factory: any MetricsFactory) { self.factory = factory }

    /// Counts one task event. Types without a counter are ignored, as the exporter does.
    func count(type: String, name: String, hostname: String, queue: String, exception: String?) {
        guard MetricNames.counter(forEventType: type) != nil else { return }
        for counterType in MetricNames.taskEventTypes {
            let hit = counterType == type
            if !hit && counterType == "task-sent" { continue }
            let exceptionLabel: String? = counterType == "task-failed" ? (hit ? (exception ?? "UnknownException") : "") : nil
            let counter = self.counter(counterType, name: name, hostname: hostname, queue: queue, exception: exceptionLabel)
            if hit { counter.increment() }
        }
    }

    private func counter(_ type: String, name: String, hostname: String, queue: String, exception: String?) -> Counter {
        let key = [type, name, hostname, queue, exception ?? "\u{0}"].joined(separator: "\u{1}")
        if let counter = counters[key] { return counter }
        var dimensions = [("name", name), ("hostname", hostname)]
        if let exception { dimensions.append(("exception", exception)) }
        dimensions.append(("queue_name", queue))
        let counter = Counter(label: MetricNames.counter(forEventType: type)!, dimensions: dimensions, factory: factory)
        counters[key] = counter
        return counter
    }
}

/// swift-metrics objects made once per label set and reused (making one takes the registry's lock
/// and hashes its labels; the worker's loop counts every task event).
final class MetricCache {
    private let factory: any MetricsFactory
    private var gauges: [String: Gauge] = [:]
    private var recorders: [String: Recorder] = [:]
    private var counters: [String: Counter] = [:]

    init(factory: any MetricsFactory) { self.factory = factory }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.flatMap { [$0.0, $0.1] }).joined(separator: "\u{1}")
    }

    func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        let key = Self.key(label, dimensions)
        if let gauge = gauges[key] { return gauge }
        let gauge = Gauge(label: label, dimensions: dimensions, factory: factory)
        gauges[key] = gauge
        return gauge
    }

    /// A histogram (an aggregating recorder; its buckets are set in `MetricsRegistry`).
    func histogram(_ label: String, _ dimensions: [(String, String)]) -> Recorder {
        let key = Self.key(label, dimensions)
        if let recorder = recorders[key] { return recorder }
        let recorder = Recorder(label: label, dimensions: dimensions, aggregate: true, factory: factory)
        recorders[key] = recorder
        return recorder
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = Self.key(label, dimensions)
        if let counter = counters[key] { return counter }
        let counter = Counter(label: label, dimensions: dimensions, factory: factory)
        counters[key] = counter
        return counter
    }
}
