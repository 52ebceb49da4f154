import CeleryWire
import Foundation
import LiveWorker
import Logging
import RedisClient
import PrivateRedis
import Testing
import WorkerCore

/// A warm shutdown of an idle live worker, whose fetch is a BRPOP blocked on empty lists.
@Suite("Live worker warm shutdown", .serialized)
struct WarmShutdownTests {
    @Test("an idle worker stops at once: its blocked BRPOP is ended with CLIENT UNBLOCK, not waited out")
    func idleWorkerStopsAtOnce() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        var registry = TaskRegistry()
        BuiltinTasks.register(into: &registry, defaults: TaskOptions())
        // A BRPOP that would block for 60 s: without the unblock the shutdown would wait for it
        // (or give up after 5 s), and a message arriving meanwhile would be popped and given back.
        var transport = BrokerTransportOptions()
        transport.brpopTimeout = .seconds(60)
        let config = WorkerConfig(hostname: "stop@test", queues: ["celery"], concurrency: 1, prefetchMultiplier: 1)
        let settings = LiveWorkerSettings(core: config, brokerURL: server.url, resultBackendURL: server.url, transport: transport)
        let driver = try LiveWorkerDriver(settings: settings, registry: registry, logger: Logger(label: "lovage.worker") { _ in SwiftLogNoOpLogHandler() })
        let stopped = DispatchSemaphore(value: 0)
        let thread = Thread { driver.run(); stopped.signal() }
        thread.start()

        // Wait until the worker's fetch is blocked in BRPOP on the empty list.
        let client = try RedisConnection(url: server.url)
        let blockedBy = Date().addingTimeInterval(10)
        while Date() < blockedBy {
            let list = String(decoding: try client.command("CLIENT", "LIST").bytes ?? [], as: UTF8.self)
            if list.contains("cmd=brpop") { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let requested = Date()
        driver.requestShutdown(.warm)
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        let seconds = Date().timeIntervalSince(requested)
        #expect(seconds < 3, "the worker took \(seconds) s to stop")
        // Nothing was fetched, so nothing was given back.
        #expect(try client.command("HLEN", KombuKeys.unacked).integerValue == 0)
        #expect(try client.command("LLEN", "celery").integerValue == 0)
    }
}
