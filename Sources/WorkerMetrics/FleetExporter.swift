import CeleryWire
import FleetRecorder
import Foundation
import Logging
import RedisClient
import RemoteControl

/// `lovage exporter`: celery-exporter's metrics for any Celery fleet on Redis, from its events
/// (the `EventTap` that `lovage record` uses) and its queue lengths (the shared `QueueSampler`),
/// served at /metrics. It only reads: it subscribes, asks `inspect active_queues` once at start,
/// and LLENs the queues' lists once a second.
public final class FleetExporter: Sendable {
    public struct Options: Sendable {
        public var url: RedisURL
        public var address = "127.0.0.1"
        public var port = 9808
        public var queues: [String] = []
        public var prioritySteps = PriorityQueueKeys.defaultSteps
        public var defaultQueue = "celery"
        public var workerTimeoutSeconds = 300.0
        public init(url: RedisURL) { self.url = url }
    }

    public let registry: MetricsRegistry
    public let events: CeleryEventMetrics
    public let queues: [String]
    private let tap: EventTap
    private let sampler: QueueSampler
    private let server: MetricsServer
    public var port: Int { server.port }

    private init(registry: MetricsRegistry, events: CeleryEventMetrics, queues: [String], tap: EventTap, sampler: QueueSampler,
                 server: MetricsServer) {
        self.registry = registry
        self.events = events
        self.queues = queues
        self.tap = tap
        self.sampler = sampler
        self.server = server
    }

    /// Subscribes, starts sampling and listens; throws a message naming what failed.
    public static func start(_ options: Options, logger: Logger) throws -> FleetExporter {
        try MetricsServer.check(address: options.address, port: options.port, portFlag: "--port", addressFlag: "--address")
        let registry = MetricsRegistry()
        let events = CeleryEventMetrics(registry: registry, defaultQueue: options.defaultQueue,
                                        workerTimeoutSeconds: options.workerTimeoutSeconds)
        var queues = options.queues
        // celery-exporter learns the queues from `inspect active_queues` (and -Q); at start here.
        if let client = try? MailboxClient(url: options.url), let replies = try? client.call("active_queues", timeout: 1.0) {
            for reply in replies.sorted(by: { $0.hostname < $1.hostname }) {
                for entry in reply.value.arrayValue ?? [] {
                    if let name = entry["name"]?.stringValue, !queues.contains(name) { queues.append(name) }
                }
            }
        }
        if queues.isEmpty { queues = [options.defaultQueue] }
        let tap = EventTap(url: options.url, consumer: events, logger: logger)
        try tap.start()
        let sampler = QueueLengthGauges.sampler(url: options.url, queues: queues, prioritySteps: options.prioritySteps,
                                                gauges: QueueLengthGauges(registry: registry), logger: logger)
        do { try sampler.start() } catch { tap.stop(); throw error }
        let server: MetricsServer
        do {
            server = try MetricsServer.start(address: options.address, port: options.port, portFlag: "--port", addressFlag: "--address", registry: registry,
                                             beforeScrape: { events.beforeScrape() })
        } catch {
            sampler.stop()
            tap.stop()
            throw error
        }
        registry.bootstrapMetricsSystem()
        return FleetExporter(registry: registry, events: events, queues: queues, tap: tap, sampler: sampler, server: server)
    }

    public func stop() {
        server.stop()
        sampler.stop()
        tap.stop()
    }
}
