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
    /// One label set's counters: every type but task-sent from the first event on, task-sent and
    /// each failure's exception class when first counted.
    private struct Series {
        var byType: [String: Counter] = [:]
        var failedByException: [String: Counter] = [:]
    }

    private let factory: any MetricsFactory
    private var series: [String: Series] = [:]

    init(factory: any MetricsFactory) { self.factory = factory }

    /// Counts one task event. Types without a counter are ignored, as the exporter does.
    func count(type: String, name: String, hostname: String, queue: String, exception: String?) {
        guard let label = MetricNames.counter(forEventType: type) else { return }
        let key = name + "\u{1}" + hostname + "\u{1}" + queue
        var entry = series[key] ?? makeSeries(name: name, hostname: hostname, queue: queue)
        switch type {
        case "task-failed":
            let exceptionClass = exception ?? "UnknownException"
            let counter = entry.failedByException[exceptionClass]
                ?? Counter(label: label, dimensions: Self.dimensions(name, hostname, queue, exception: exceptionClass), factory: factory)
            entry.failedByException[exceptionClass] = counter
            counter.increment()
        default:
            let counter = entry.byType[type] ?? Counter(label: label, dimensions: Self.dimensions(name, hostname, queue), factory: factory)
            entry.byType[type] = counter
            counter.increment()
        }
        series[key] = entry
    }

    private func makeSeries(name: String, hostname: String, queue: String) -> Series {
        var entry = Series()
        for type in MetricNames.taskEventTypes where type != "task-sent" && type != "task-failed" {
            entry.byType[type] = Counter(label: MetricNames.counter(forEventType: type)!, dimensions: Self.dimensions(name, hostname, queue),
                                         factory: factory)
        }
        entry.failedByException[""] = Counter(label: MetricNames.taskFailed, dimensions: Self.dimensions(name, hostname, queue, exception: ""),
                                              factory: factory)
        return entry
    }

    private static func dimensions(_ name: String, _ hostname: String, _ queue: String, exception: String? = nil) -> [(String, String)] {
        var dimensions = [("name", name), ("hostname", hostname)]
        if let exception { dimensions.append(("exception", exception)) }
        dimensions.append(("queue_name", queue))
        return dimensions
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
