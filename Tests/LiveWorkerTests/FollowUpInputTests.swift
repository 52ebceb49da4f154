import CeleryWire
import Foundation
import LiveWorker
import Logging
import LovageLogging
import RedisClient
import PrivateRedis
import Testing
import WorkerCore

/// The live driver feeds the core what carrying out its directives produced (the next message of
/// a batch for a `.fetch`, a thread slot ready for a `.spawnChild`) after the directives in hand,
/// instead of calling the core from inside them. The effects keep the order the nested calls gave.
@Suite("Live driver follow-up inputs", .serialized)
struct FollowUpInputTests {
    @Test("one batch of an expired, an unregistered, a retried and a plain message: effects in delivery order")
    func batchEffectsInOrder() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        var registry = TaskRegistry()
        registry.register("app.add", options: nil) { _ in .success(.int(1)) }
        registry.register("app.retry_once", options: nil) { context in
            context.retries == 0 ? .retry(countdown: .zero, error: ErrorDescription(type: "Retry", message: "once")) : .success(.int(2))
        }
        // All four are in the list before the worker starts, so its first fetch takes them in one
        // batch (prefetch 4) and each later one reaches the core through a follow-up `.fetch`.
        let broker = try RedisBroker(url: server.url)
        let past = Int64(Date().addingTimeInterval(-60).timeIntervalSince1970 * 1_000_000)
        let messages = [
            TaskMessage.make(task: "app.add", id: "fu-expired", deliveryTag: "tag-1", expires: past),
            TaskMessage.make(task: "app.missing", id: "fu-unregistered", deliveryTag: "tag-2"),
            TaskMessage.make(task: "app.retry_once", id: "fu-retry", deliveryTag: "tag-3"),
            TaskMessage.make(task: "app.add", id: "fu-add", deliveryTag: "tag-4"),
        ]
        for message in messages { try broker.publish(message.encode(), queue: "celery", priority: 0) }

        let records = LogRecords()
        let config = WorkerConfig(hostname: "follow@test", queues: ["celery"], concurrency: 1, prefetchMultiplier: 4)
        let settings = LiveWorkerSettings(core: config, brokerURL: server.url, resultBackendURL: server.url,
                                          transport: BrokerTransportOptions())
        let driver = try LiveWorkerDriver(settings: settings, registry: registry, logger: CollectingLogHandler.logger(label: "lovage.worker", records: records))
        let stopped = DispatchSemaphore(value: 0)
        let thread = Thread { driver.run(); stopped.signal() }
        thread.start()

        let backend = try RedisResultBackend(url: server.url)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if try backend.fetch(taskID: "fu-retry")?.status == "SUCCESS", try backend.fetch(taskID: "fu-add")?.status == "SUCCESS" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        driver.requestShutdown(.warm)
        #expect(stopped.wait(timeout: .now() + 10) == .success)

        // Everything up to the retry's publish happens within the loop's handling of the one
        // batch and the first body's result, so its order is fixed; what follows races the bodies.
        let decided = records.lines.filter { $0.hasPrefix("[INFO] task-") || $0.hasPrefix("[ERROR]") }.prefix(8)
        #expect(Array(decided) == [
            "[INFO] task-revoked app.add[fu-expired]: expired",
            "[ERROR] Received unregistered task of type 'app.missing' [fu-unregistered]",
            "[ERROR] dead-lettered a message from celery: unregistered task app.missing",
            "[INFO] task-received app.retry_once[fu-retry]",
            "[INFO] task-started app.retry_once[fu-retry]",
            "[INFO] task-received app.add[fu-add]",
            "[INFO] task-retried app.retry_once[fu-retry]: Retry",
            "[INFO] task-started app.add[fu-add]",
        ], "\(records.lines)")
        #expect(try backend.fetch(taskID: "fu-expired")?.status == "REVOKED")
        #expect(try backend.fetch(taskID: "fu-retry")?.status == "SUCCESS")
        #expect(try backend.fetch(taskID: "fu-add")?.status == "SUCCESS")
        let client = try RedisConnection(url: server.url)
        #expect(try client.command("LLEN", settings.deadLetterKey).integerValue == 1)
        #expect(try client.command("HLEN", KombuKeys.unacked).integerValue == 0, "every delivery was settled")
    }
}
