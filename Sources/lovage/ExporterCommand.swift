import Logging
import ArgumentParser
import Dispatch
import Foundation
import RedisClient
import WorkerMetrics

/// `lovage exporter`: celery-exporter's Prometheus metrics for any Celery fleet on Redis.
struct ExporterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exporter",
        abstract: "Serve celery-exporter's Prometheus metrics for a Celery fleet, from its events and queue lengths.",
        discussion: """
        The metrics are celery-exporter's (danihodovic/celery-exporter): task counters by name, hostname and queue, \
        celery_task_runtime, celery_task_queue_wait_time (needs task_send_sent_event on the publishers), \
        celery_worker_up and celery_worker_tasks_active from worker events and heartbeats, celery_queue_length. \
        Workers must send task events (-E, or `lovage control enable_events`). It only reads the broker. \
        See docs/monitoring.md. Exit status: 0 after Ctrl-C or SIGTERM, 2 on bad input, an unreachable broker \
        or a port in use.
        """)

    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: CELERY_BROKER_URL or redis://127.0.0.1:6379/0).")
    var broker: String?
    @OptionGroup var connection: BrokerConnectionOptions
    @Option(help: "The port to serve /metrics on (celery-exporter's default, 9808).")
    var port: Int = 9808
    @Option(help: "The address to listen on (default 127.0.0.1; 0.0.0.0 for every interface, celery-exporter's default).")
    var address: String = "127.0.0.1"
    @Option(name: [.customShort("Q"), .long], help: "Queues whose length to export besides those the workers report (comma-separated).")
    var queues: String?
    @Option(help: "Kombu priority steps, comma-separated (the lists a queue's length sums).")
    var prioritySteps: String = "0,3,6,9"
    @Option(help: "The queue_name of tasks whose task-sent event was not seen (celery-exporter's --default-queue-name).")
    var defaultQueueName: String = "celery"
    @Option(help: "Seconds without a heartbeat before a worker counts as down (celery-exporter's --worker-timeout; 0: never).")
    var workerTimeout: Double = 300

    func validate() throws {
        guard workerTimeout >= 0 else { throw ValidationError("--worker-timeout must be 0 or more seconds, got \(workerTimeout)") }
    }

    func run() throws {
        let url = try connection.brokerURL(broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] ?? "redis://127.0.0.1:6379/0")
        var options = FleetExporter.Options(url: url)
        options.port = port
        options.address = address
        options.queues = (queues ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        options.prioritySteps = try Self.prioritySteps(prioritySteps)
        options.defaultQueue = defaultQueueName
        options.workerTimeoutSeconds = workerTimeout
        let exporter: FleetExporter
        do {
            exporter = try FleetExporter.start(options, logger: Logger(label: "lovage.exporter"))
        } catch {
            printError("Error: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        let shown = address.contains(":") ? "[\(address)]" : address
        printError("exporter: \(url.redacted): metrics at http://\(shown):\(exporter.port)/metrics; queues \(exporter.queues.joined(separator: ", "))")
        let stopped = DispatchSemaphore(value: 0)
        let sources = interruptSources { stopped.signal() }
        defer { sources.forEach { $0.cancel() } }
        stopped.wait()
        exporter.stop()
    }
}
