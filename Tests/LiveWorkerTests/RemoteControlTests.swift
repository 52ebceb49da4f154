import CeleryWire
import Foundation
import LiveWorker
import Logging
import LovageLogging
import PrivateRedis
import RedisClient
import Testing
import WorkerCore

/// A live worker answering Celery's remote control: requests built with `PidboxRequest` and
/// PUBLISHed as `celery inspect` does, replies read from the client's reply list, as Kombu's
/// client reads them (capture layout in Tests/Fixtures/celery-wire/pidbox/README.md).
@Suite("Remote control (live worker)", .serialized)
struct RemoteControlTests {
    /// A worker running in-process against a private Redis, and a client connection.
    final class Harness {
        let server: PrivateRedisServer
        let driver: LiveWorkerDriver
        let client: RedisConnection
        let stopped = DispatchSemaphore(value: 0)
        let hostname: String
        let logLines = LogRecords()

        init(hostname: String = "rc@test", concurrency: Int = 2, mingle: Bool = false) throws {
            server = try PrivateRedisServer()
            self.hostname = hostname
            var registry = TaskRegistry()
            BuiltinTasks.register(into: &registry, defaults: TaskOptions())
            let config = WorkerConfig(hostname: hostname, queues: ["celery"], concurrency: concurrency, prefetchMultiplier: 1)
            var settings = LiveWorkerSettings(core: config, brokerURL: server.url, resultBackendURL: server.url,
                                              transport: BrokerTransportOptions())
            settings.mingle = mingle
            settings.logTasks = false
            let lines = logLines
            driver = try LiveWorkerDriver(settings: settings, registry: registry, logger: CollectingLogHandler.logger(label: "lovage.worker", records: lines))
            client = try RedisConnection(url: server.url)
            let driver = self.driver, stopped = self.stopped
            let ready = DispatchSemaphore(value: 0)
            Thread { driver.run(onReady: { ready.signal() }); stopped.signal() }.start()
            _ = ready.wait(timeout: .now() + 10)
        }

        func stop() {
            driver.requestShutdown(.warm)
            _ = stopped.wait(timeout: .now() + 10)
            server.stop()
        }

        /// Publishes one request with a fresh reply binding and returns the replies within `timeout`.
        func call(_ method: String, _ arguments: JSONObject = [:], destination: [String]? = nil, clock: Int64 = 1,
                  timeout: Double = 2, expectReplies: Int = 1) throws -> [PidboxReply] {
            let oid = UUID().uuidString.lowercased()
            let queue = PidboxNames.replyQueue(oid: oid)
            let set = PidboxNames.bindingSet(exchange: PidboxNames.replyExchange())
            _ = try client.command("SADD", set, PidboxNames.bindingMember(routingKey: oid, queue: queue))
            let ticket = UUID().uuidString.lowercased()
            let request = PidboxRequest(method: method, arguments: arguments, destination: destination, ticket: ticket,
                                        replyTo: .init(exchange: PidboxNames.replyExchange(), routingKey: oid), clock: clock,
                                        expires: Date().timeIntervalSince1970 + timeout)
            try publish(request.encode(deliveryTag: UUID().uuidString.lowercased()))
            var replies: [PidboxReply] = []
            let deadline = Date().addingTimeInterval(timeout)
            while replies.count < expectReplies, Date() < deadline {
                let reply = try client.command("BRPOP", queue, "0.2")
                guard let parts = reply.arrayValue, parts.count == 2, let payload = parts[1].bytes else { continue }
                replies += try PidboxReply.decode(payload).filter { $0.ticket == ticket }
            }
            _ = try client.command("SREM", set, PidboxNames.bindingMember(routingKey: oid, queue: queue))
            return replies
        }

        func publish(_ payload: [UInt8]) throws {
            _ = try client.command([Array("PUBLISH".utf8), Array(PidboxNames.requestChannel(database: 0).utf8), payload])
        }

        func sendTask(_ name: String, id: String, args: [JSONValue]) throws {
            let broker = try RedisBroker(url: server.url)
            let message = TaskMessage.make(task: name, id: id, args: args, deliveryTag: "tag-" + id)
            try broker.publish(message.encode(), queue: "celery", priority: 0)
        }

        func status(of id: String) throws -> String? {
            try RedisResultBackend(url: server.url).fetch(taskID: id)?.status
        }
    }

    @Test("ping is answered {\"ok\": \"pong\"} with the request's ticket and a mailbox clock past the sender's")
    func ping() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let replies = try harness.call("ping", clock: 100_000)
        #expect(replies.count == 1)
        #expect(replies.first?.hostname == "rc@test")
        #expect(replies.first?.value == PidboxReply.ok("pong"))
        // clock = max(own, received) + 1 on receipt, + 1 for the reply (README, capture 80).
        #expect(replies.first?.clock == 100_002)
    }

    @Test("the node queue is bound in _kombu.binding.celery.pidbox with an hour's deadline, and unbound at shutdown")
    func bindingKeys() throws {
        let harness = try Harness()
        let member = "\u{06}\u{16}\u{06}\u{16}rc@test.celery.pidbox"
        let members = try harness.client.command("SMEMBERS", "_kombu.binding.celery.pidbox").arrayValue?.compactMap(\.stringValue)
        #expect(members == [member])
        let score = Double(try harness.client.command("ZSCORE", "_kombu.binding_deadlines", "celery.pidbox").stringValue ?? "") ?? 0
        let nowMillis = Date().timeIntervalSince1970 * 1000
        #expect(score > nowMillis + 3_590_000 && score < nowMillis + 3_610_000)
        let numpat = try harness.client.command("PUBSUB", "NUMPAT").integerValue
        #expect(numpat == 1)
        harness.driver.requestShutdown(.warm)
        #expect(harness.stopped.wait(timeout: .now() + 10) == .success)
        #expect(try harness.client.command("SISMEMBER", "_kombu.binding.celery.pidbox", member).integerValue == 0)
        #expect(try harness.client.command("PUBSUB", "NUMPAT").integerValue == 0)
        harness.server.stop()
    }

    @Test("stats has the captured keys in Celery's order and JSON types")
    func stats() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let replies = try harness.call("stats")
        guard case .object(let stats)? = replies.first?.value else {
            Issue.record("no stats object: \(replies)")
            return
        }
        #expect(stats.keys == ["total", "pid", "clock", "uptime", "pool", "broker", "prefetch_count", "rusage"])
        #expect(stats["pid"]?.intValue == Int64(getpid()))
        #expect(stats["clock"]?.stringValue != nil, "stats clock is a string, as Celery's")
        guard case .object(let pool)? = stats["pool"] else { Issue.record("no pool"); return }
        #expect(pool.keys == ["implementation", "max-concurrency", "processes", "max-tasks-per-child",
                              "put-guarded-by-semaphore", "timeouts", "writes"])
        #expect(pool["max-concurrency"]?.intValue == 2)
        #expect(pool["max-tasks-per-child"]?.stringValue == "N/A")
        #expect(stats["prefetch_count"]?.intValue == 2)
        guard case .object(let rusage)? = stats["rusage"] else { Issue.record("no rusage"); return }
        #expect(rusage["utime"]?.doubleValue != nil && rusage["maxrss"]?.intValue != nil)
    }

    @Test("revoke flags the ids, revoked lists them, and a revoked task that arrives later is not run")
    func revoke() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let replies = try harness.call("revoke", ["task_id": .array([.string("rev-1")])])
        #expect(replies.first?.value == PidboxReply.ok("tasks {'rev-1'} flagged as revoked"))
        let listed = try harness.call("revoked")
        #expect(listed.first?.value == .array([.string("rev-1")]))
        try harness.sendTask("lovage.add", id: "rev-1", args: [.int(1), .int(2)])
        try harness.sendTask("lovage.add", id: "kept-1", args: [.int(1), .int(2)])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try harness.status(of: "kept-1") != "SUCCESS" { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try harness.status(of: "kept-1") == "SUCCESS")
        #expect(try harness.status(of: "rev-1") == "REVOKED")
    }

    @Test("other nodes' requests, casts and malformed payloads get no reply; unknown commands a KeyError")
    func filtering() throws {
        let harness = try Harness()
        defer { harness.stop() }
        #expect(try harness.call("ping", destination: ["other@host"], timeout: 0.6).isEmpty)
        try harness.publish(Array("not json at all".utf8))
        #expect(try harness.call("nosuchcmd").first?.value == PidboxReply.error("KeyError('nosuchcmd')"))
        #expect(try harness.call("objgraph").first?.value == PidboxReply.error("ImportError('Requires the objgraph library')"))
        #expect(try harness.call("ping", destination: ["rc@test"]).first?.value == PidboxReply.ok("pong"))
        #expect(harness.logLines.lines.contains { $0.contains("malformed") })
        #expect(try harness.call("hello", ["from_node": "rc@test", "revoked": .array([])], timeout: 0.6).isEmpty,
                "a node does not answer its own hello")
        let hello = try harness.call("hello", ["from_node": "other@host", "revoked": .array([])])
        guard case .object(let value)? = hello.first?.value else { Issue.record("no hello reply"); return }
        #expect(value.keys == ["revoked", "clock"])
    }

    @Test("a flood of 10,000 pings leaves tasks running and memory bounded")
    func flood() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let residentBefore = Self.residentKiB()
        for index in 0..<20 { try harness.sendTask("lovage.sleep", id: "flood-\(index)", args: [.double(0.05)]) }
        let request = PidboxRequest(method: "ping", ticket: "t", replyTo: .init(exchange: "reply.celery.pidbox", routingKey: "nobody"),
                                    clock: 1, expires: Date().timeIntervalSince1970 + 60)
        let payload = request.encode(deliveryTag: "flood")
        let channel = Array(PidboxNames.requestChannel(database: 0).utf8)
        let publisher = try RedisConnection(url: harness.server.url)
        for _ in 0..<10 {
            _ = try publisher.pipeline(Array(repeating: [Array("PUBLISH".utf8), channel, payload], count: 1000))
        }
        let deadline = Date().addingTimeInterval(30)
        var done = 0
        while Date() < deadline {
            done = try (0..<20).filter { try harness.status(of: "flood-\($0)") == "SUCCESS" }.count
            if done == 20 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(done == 20, "tasks kept running during the flood")
        // The worker still answers after the flood.
        #expect(try harness.call("ping", timeout: 10).first?.value == PidboxReply.ok("pong"))
        let grownKiB = Self.residentKiB() - residentBefore
        #expect(grownKiB < 100_000, "resident memory grew by \(grownKiB) KiB")
    }

    static func residentKiB() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = Int(statm.split(separator: " ").dropFirst().first ?? "") ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }
}
