import CoreMetrics
import FleetRecorder
import FleetRecording
import CeleryWire
import RedisClient
import Foundation
import Logging

/// `celery_queue_length{queue_name}` from the shared `QueueSampler`: the sum of a queue's lists
/// (one per priority step, as Kombu's Redis transport keeps them). celery-exporter reads only the
/// queue's own list (`LLEN queue`, src/exporter.py `redis_queue_length`), so it misses messages
/// sent with a priority above 0; Lovage counts them.
public final class QueueLengthGauges: QueueLengthConsumer, @unchecked Sendable {
    private let lock = NSLock()
    private let cache: MetricCache

    public init(registry: MetricsRegistry) { cache = MetricCache(factory: registry.factory) }

    public func consumeLengths(_ sample: QueueLengthSample, steps: [Int]) {
        var totals: [String: Int] = [:]
        for entry in sample.lengths { totals[entry.queue, default: 0] += entry.length }
        lock.withLock {
            for queue in totals.keys.sorted() {
                cache.gauge(MetricNames.queueLength, [("queue_name", queue)]).record(totals[queue] ?? 0)
            }
        }
    }

    /// While the broker does not answer, the gauges keep their last values (as the exporter's do).
    public func consumeGap(_ gap: RecordingGap) {}
    public func consumeCommandCount(_ count: Int, part: String) {}

    /// A sampler of `queues`' lists for these gauges, once a second.
    public static func sampler(url: RedisURL, queues: [String], prioritySteps: [Int], gauges: QueueLengthGauges,
                               logger: Logger) -> QueueSampler {
        let lists = queues.flatMap { queue in
            prioritySteps.map { step in
                (key: PriorityQueueKeys.listKey(queue: queue, priority: step, steps: prioritySteps), queue: queue, step: step)
            }
        }
        return QueueSampler(url: url, consumer: gauges, lists: lists, steps: prioritySteps,
                            requestedIntervalSeconds: 1, maxCommandsPerSecond: 100, logger: logger)
    }
}
