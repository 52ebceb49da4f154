import Logging
import FleetRecorder
import LiveWorker
import RedisClient

/// `lovage worker --metrics-port`: a registry (also swift-metrics' global backend), the driver's
/// observer, `celery_queue_length` for the worker's queues from the shared `QueueSampler`, and
/// the /metrics server. Started before the driver runs; stopped after it.
public final class WorkerMetricsEndpoint: Sendable {
    public let registry: MetricsRegistry
    private let server: MetricsServer
    private let sampler: QueueSampler
    public var port: Int { server.port }

    private init(registry: MetricsRegistry, server: MetricsServer, sampler: QueueSampler) {
        self.registry = registry
        self.server = server
        self.sampler = sampler
    }

    public static func start(address: String, port: Int, portFlag: String, addressFlag: String, driver: LiveWorkerDriver, nodeName: String,
                             brokerURL: RedisURL, queues: [String], prioritySteps: [Int],
                             logger: Logger) throws -> WorkerMetricsEndpoint {
        let registry = MetricsRegistry()
        let server = try MetricsServer.start(address: address, port: port, portFlag: portFlag, addressFlag: addressFlag, registry: registry)
        registry.bootstrapMetricsSystem()
        driver.observer = WorkerMetricsObserver(registry: registry, nodeName: nodeName)
        let sampler = QueueLengthGauges.sampler(url: brokerURL, queues: queues, prioritySteps: prioritySteps,
                                                gauges: QueueLengthGauges(registry: registry), logger: logger)
        do {
            try sampler.start()
        } catch {
            server.stop()
            throw MetricsServerError("metrics: \(error)")
        }
        return WorkerMetricsEndpoint(registry: registry, server: server, sampler: sampler)
    }

    public func stop() {
        sampler.stop()
        server.stop()
    }
}
