import CeleryWire
import Foundation
import LiveWorker
import Logging
import RedisClient
import PrivateRedis
import Testing
import WorkerCore

/// Registering your own Swift task with Celery's options and running a worker in-process.
@Suite("Swift task API", .serialized)
struct SwiftTaskAPITests {
    @Test("a task registered in Swift, with its own retry policy, runs for a Celery message (early ack)")
    func customTask() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        var registry = TaskRegistry()
        BuiltinTasks.register(into: &registry, defaults: TaskOptions())
        var options = TaskOptions()
        options.retry.autoretryFor = ["ConnectionError"]
        options.retry.maxRetries = 5
        options.retry.defaultRetryDelay = .milliseconds(100)
        let attempts = AttemptCounter()
        registry.register("app.double", options: options) { context in
            // Fails twice with a retryable error, then doubles its argument.
            if attempts.next() < 3 { return .failure(ErrorDescription(type: "ConnectionError", message: "flaky network")) }
            return .success(.int((context.argument(0, "n")?.intValue ?? 0) * 2))
        }
        let config = WorkerConfig(hostname: "api@test", queues: ["celery"], concurrency: 1, prefetchMultiplier: 1)
        let settings = LiveWorkerSettings(core: config, brokerURL: server.url, resultBackendURL: server.url,
                                          transport: BrokerTransportOptions())
        let driver = try LiveWorkerDriver(settings: settings, registry: registry, logger: Logger(label: "lovage.worker") { _ in SwiftLogNoOpLogHandler() })
        let thread = Thread { driver.run() }
        thread.start()
        defer { driver.requestShutdown(.warm) }

        let broker = try RedisBroker(url: server.url)
        let message = TaskMessage.make(task: "app.double", id: "api-1", args: [.int(21)], deliveryTag: "tag-api-1")
        try broker.publish(message.encode(), queue: "celery", priority: 0)
        let backend = try RedisResultBackend(url: server.url)
        var document: ResultDocument? = nil
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            document = try backend.fetch(taskID: "api-1")
            if document?.status == "SUCCESS" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(document?.status == "SUCCESS")
        #expect(document?.result == .int(42))
        #expect(attempts.value == 3, "two automatic retries, then success")
    }
}

final class AttemptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}
