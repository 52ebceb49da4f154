import CeleryWire
import Foundation
import LiveWorker
import Logging
import LovageLogging
import PrivateRedis
import RedisClient
import Testing
import WorkerCore

/// Code that embeds the live driver routes its logs by passing a `Logger` with its own handler:
/// the worker's records (ready, task lines, shutdown) arrive there, nothing on a global handler.
@Suite("Live driver logs through the Logger it is given", .serialized)
struct EmbeddedLoggerTests {
    @Test("a custom LogHandler receives ready., the task lines and the shutdown, at the levels they always had")
    func customHandlerReceivesRecords() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        var registry = TaskRegistry()
        registry.register("app.add", options: nil) { _ in .success(.int(3)) }
        let broker = try RedisBroker(url: server.url)
        try broker.publish(TaskMessage.make(task: "app.add", id: "embed-add", deliveryTag: "tag-1").encode(), queue: "celery", priority: 0)
        try broker.publish(TaskMessage.make(task: "app.nope", id: "embed-nope", deliveryTag: "tag-2").encode(), queue: "celery", priority: 0)

        let records = LogRecords()
        var logger = CollectingLogHandler.logger(label: "embedder.worker", records: records, level: .info)
        logger[metadataKey: "embedder"] = "test"
        let config = WorkerConfig(hostname: "embed@test", queues: ["celery"], concurrency: 1, prefetchMultiplier: 1)
        var settings = LiveWorkerSettings(core: config, brokerURL: server.url, resultBackendURL: server.url,
                                          transport: BrokerTransportOptions())
        settings.pool = .threads
        let driver = try LiveWorkerDriver(settings: settings, registry: registry, logger: logger)
        let stopped = DispatchSemaphore(value: 0)
        Thread { driver.run(); stopped.signal() }.start()

        let backend = try RedisResultBackend(url: server.url)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, try backend.fetch(taskID: "embed-add")?.status != "SUCCESS" { Thread.sleep(forTimeInterval: 0.05) }
        driver.requestShutdown(.warm)
        #expect(stopped.wait(timeout: .now() + 10) == .success)

        let lines = records.lines
        #expect(lines.contains("[INFO] embed@test ready."), "\(lines)")
        #expect(lines.contains("[INFO] task-received app.add[embed-add]"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("[INFO] Task app.add[embed-add] succeeded in ") && $0.hasSuffix("s: 3") }, "\(lines)")
        #expect(lines.contains("[ERROR] Received unregistered task of type 'app.nope' [embed-nope]"), "\(lines)")
        #expect(lines.contains("[INFO] warm shutdown"), "\(lines)")
        #expect(lines.last == "[INFO] worker stopped", "\(lines)")
        let ready = try #require(lines.firstIndex(of: "[INFO] embed@test ready."))
        let received = try #require(lines.firstIndex(of: "[INFO] task-received app.add[embed-add]"))
        #expect(ready < received, "ready. comes before the first task, as in Celery")
        #expect(records.all.allSatisfy { $0.label == "embedder.worker" && $0.metadata["embedder"] == "test" })
    }

    @Test("the embedder's level applies: at WARNING the driver's INFO records are not delivered, but for ready.")
    func levelApplies() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        var registry = TaskRegistry()
        registry.register("app.add", options: nil) { _ in .success(.int(3)) }
        let broker = try RedisBroker(url: server.url)
        try broker.publish(TaskMessage.make(task: "app.nope", id: "quiet-nope", deliveryTag: "tag-1").encode(), queue: "celery", priority: 0)

        let records = LogRecords()
        let logger = CollectingLogHandler.logger(label: "embedder.worker", records: records, level: .warning)
        let config = WorkerConfig(hostname: "quiet@test", queues: ["celery"], concurrency: 1, prefetchMultiplier: 1)
        var settings = LiveWorkerSettings(core: config, brokerURL: server.url, resultBackendURL: server.url,
                                          transport: BrokerTransportOptions())
        settings.pool = .threads
        let driver = try LiveWorkerDriver(settings: settings, registry: registry, logger: logger)
        let stopped = DispatchSemaphore(value: 0)
        Thread { driver.run(); stopped.signal() }.start()
        let client = try RedisConnection(url: server.url)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, try client.command("LLEN", settings.deadLetterKey).integerValue != 1 { Thread.sleep(forTimeInterval: 0.05) }
        driver.requestShutdown(.warm)
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        #expect(records.lines == [
            "[INFO] quiet@test ready.",
            "[ERROR] Received unregistered task of type 'app.nope' [quiet-nope]",
            "[ERROR] dead-lettered a message from celery: unregistered task app.nope",
        ])
    }
}
