import CeleryWire
@testable import LiveWorker
import RedisClient
import PrivateRedis
import Testing
import WorkerCore

/// The live worker's one-round-trip paths keep Kombu's and Celery's data exactly as the one-command
/// paths do.
@Suite("Batched Redis paths", .serialized)
struct RedisBatchTests {
    let now = Instant(microsecondsSinceEpoch: 1_795_921_937_703_300)

    @Test("a batch fetch takes up to the limit in priority order and records each in unacked as Kombu does")
    func fetchBatch() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let broker = try RedisBroker(url: server.url)
        for (id, priority) in [("p9", 9), ("p0", 0), ("p5", 5), ("p0b", 0)] {
            let message = TaskMessage.make(task: "lovage.noop", id: id, queue: "celery", priority: priority, deliveryTag: "tag-" + id)
            try broker.publish(message.encode(), queue: "celery", priority: priority)
        }
        let keys = PriorityQueueKeys.brpopKeys(queues: ["celery"], steps: [0, 3, 6, 9])
        let batch = try broker.fetchBatch(keys: keys, limit: 3, now: now)
        let tags = batch.compactMap { delivery -> String? in
            if case .message(let received) = delivery { return received.deliveryTag } else { return nil }
        }
        #expect(tags == ["tag-p0", "tag-p0b", "tag-p5"])

        let connection = try RedisConnection(url: server.url)
        #expect(try connection.command("HLEN", "unacked").integerValue == 3)
        let stored = try #require(try connection.command("HGET", "unacked", "tag-p5").bytes)
        let entry = try UnackedEntry.decode(stored)
        #expect(entry.exchange == "")
        #expect(entry.routingKey == "celery")
        #expect(try entry.taskMessage().id == "p5")
        let score = try connection.command("ZSCORE", "unacked_index", "tag-p5").stringValue
        #expect(score.flatMap(Double.init) == 1_795_921_937.7033)
        #expect(try broker.fetchBatch(keys: keys, limit: 8, now: now).count == 1, "only p9 is left")
        #expect(try broker.fetchBatch(keys: keys, limit: 8, now: now).isEmpty)
    }

    @Test("once prepared, the fetch and result scripts go by SHA1; a flushed script cache is an outage to reconnect through")
    func scriptsBySHA() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let broker = try RedisBroker(url: server.url)
        let backend = try RedisResultBackend(url: server.url)
        #expect(broker.needsPreparation)
        try broker.prepareForPipelining()
        #expect(!broker.needsPreparation)
        let sha = try #require(broker.storeScriptSHA)
        let document = ResultDocument.success(taskID: "t1", result: .int(5), dateDone: 0)
        #expect(backend.storeCommand(document, scriptSHA: sha).first == Array("EVALSHA".utf8))
        try backend.pipeline([backend.storeCommand(document, scriptSHA: sha)])
        #expect(try backend.fetch(taskID: "t1")?.status == "SUCCESS")
        let command = try broker.fetchBatchCommand(keys: ["celery"], limit: 1, now: now)
        #expect(command.first == Array("EVALSHA".utf8))

        let connection = try RedisConnection(url: server.url)
        _ = try connection.command("SCRIPT", "FLUSH")
        do {
            _ = try broker.fetchBatch(keys: ["celery"], limit: 1, now: now)
            Issue.record("a fetch by a flushed SHA1 should fail")
        } catch {
            #expect(error.isOutage, "NOSCRIPT is a lost connection: \(error)")
        }
        broker.forgetScripts()
        #expect(broker.needsPreparation)
    }

    @Test("values that are not envelopes come back unusable and are not recorded")
    func garbage() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let broker = try RedisBroker(url: server.url)
        let connection = try RedisConnection(url: server.url)
        _ = try connection.command("LPUSH", "celery", "not json")
        _ = try connection.command("LPUSH", "celery", "{\"properties\": {}}")
        let batch = try broker.fetchBatch(keys: ["celery"], limit: 8, now: now)
        #expect(batch.count == 2)
        for delivery in batch {
            guard case .unusable(_, let queue, _, let recordedTag) = delivery else {
                Issue.record("expected unusable, got \(delivery)")
                continue
            }
            #expect(queue == "celery")
            #expect(recordedTag == nil)
        }
        #expect(try connection.command("HLEN", "unacked").integerValue == 0)
    }

    @Test("the fetch script reads tag, exchange and routing key without decoding, and decodes when they are not plainly there once")
    func fetchScriptScanFallsBackToDecoding() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let broker = try RedisBroker(url: server.url)
        let connection = try RedisConnection(url: server.url)
        // Plain (a Celery 5.7 message as captured); compact separators; an escaped routing key; a
        // header with the same key as the tag; each recorded as a JSON decode would record it.
        let plain = try #require(String(bytes: TaskMessage.make(task: "lovage.noop", id: "a", deliveryTag: "tag-a").encode(),
                                        encoding: .utf8))
        let cases: [(value: String, tag: String, exchange: String, routing: String)] = [
            (plain, "tag-a", "", "celery"),
            (#"{"body": "W10=", "properties": {"delivery_tag":"tag-b","delivery_info":{"exchange":"ex","routing_key":"rk"}}}"#,
             "tag-b", "ex", "rk"),
            (#"{"body": "W10=", "properties": {"delivery_tag": "tag-c", "delivery_info": {"exchange": "", "routing_key": "a\"b"}}}"#,
             "tag-c", "", #"a"b"#),
            (#"{"headers": {"delivery_tag": "not-it"}, "properties": {"delivery_tag": "tag-d", "delivery_info": {"exchange": "", "routing_key": "celery"}}}"#,
             "tag-d", "", "celery"),
        ]
        for entry in cases { _ = try connection.command(["LPUSH", "celery", entry.value]) }
        let batch = try broker.fetchBatch(keys: ["celery"], limit: 8, now: now)
        #expect(batch.count == cases.count)
        for (delivery, expected) in zip(batch, cases) {
            guard case .message(let received) = delivery else {
                Issue.record("expected \(expected.tag) to be a message, got \(delivery)")
                continue
            }
            #expect(received.deliveryTag == expected.tag)
            let stored = try #require(try connection.command("HGET", "unacked", expected.tag).bytes)
            let entry = try #require(try JSONValue.parse(stored).arrayValue)
            #expect(entry.count == 3)
            #expect(entry.first == (try JSONValue.parse(Array(expected.value.utf8))), "the message is kept verbatim")
            #expect(entry.dropFirst().first?.stringValue == expected.exchange)
            #expect(entry.last?.stringValue == expected.routing)
        }
    }

    @Test("a tag found outside the properties is recorded, then handed back unusable with that tag to acknowledge")
    func fetchScriptTagOutsideProperties() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let broker = try RedisBroker(url: server.url)
        let connection = try RedisConnection(url: server.url)
        let value = #"{"headers": {"delivery_tag": "stray", "exchange": "", "routing_key": "celery"}, "properties": {}}"#
        _ = try connection.command(["LPUSH", "celery", value])
        let batch = try broker.fetchBatch(keys: ["celery"], limit: 8, now: now)
        guard batch.count == 1, case .unusable(let raw, _, let reason, let recordedTag) = batch[0] else {
            Issue.record("expected one unusable delivery, got \(batch)")
            return
        }
        #expect(raw == Array(value.utf8))
        #expect(recordedTag == "stray")
        #expect(reason.contains("delivery_tag"))
    }

    @Test("the pipelined result write never overwrites a SUCCESS, and publishes what it writes")
    func storeScript() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let backend = try RedisResultBackend(url: server.url)
        let success = ResultDocument.success(taskID: "t1", result: .int(5), dateDone: 0)
        try backend.pipeline([backend.storeCommand(success)])
        let failure = ResultDocument.failure(taskID: "t1", exception: ExceptionInfo(excType: "KeyError", excMessage: [.string("k")]),
                                             traceback: nil, dateDone: 0)
        try backend.pipeline([backend.storeCommand(failure)])
        #expect(try backend.fetch(taskID: "t1")?.status == "SUCCESS")
        let connection = try RedisConnection(url: server.url)
        let ttl = try connection.command("TTL", "celery-task-meta-t1").integerValue ?? 0
        #expect(ttl > 86_000 && ttl <= 86_400)
        let retry = ResultDocument.retry(taskID: "t2", exception: ExceptionInfo(excType: "ValueError", excMessage: []), traceback: nil)
        try backend.pipeline([backend.storeCommand(retry)])
        try backend.pipeline([backend.storeCommand(ResultDocument.success(taskID: "t2", result: .null, dateDone: 0))])
        #expect(try backend.fetch(taskID: "t2")?.status == "SUCCESS", "RETRY is overwritten by the final state")
    }
}

/// The main loop's unanswered batches: replies are handed out in the order the batches were sent.
@Suite("Writes in flight")
struct WritesInFlightTests {
    let command: [[UInt8]] = [Array("PING".utf8)]

    @Test("replies complete batches in order, across reads that split a batch")
    func repliesInOrder() {
        var inFlight = WritesInFlight()
        inFlight.append(commands: [command, command], fetch: nil)
        inFlight.append(commands: [command], fetch: LiveWorkerDriver.PendingFetch(keys: ["celery"], room: 1))
        #expect(inFlight.take([.status("A")]).isEmpty, "half of the first batch is not a batch")
        let first = inFlight.take([.status("B"), .integer(3)])
        #expect(first.count == 2)
        #expect(first.first?.replies == [.status("A"), .status("B")])
        #expect(first.last?.replies == [.integer(3)])
        #expect(first.last?.fetch?.keys == ["celery"])
        #expect(inFlight.isEmpty)
    }

    @Test("after an outage every unanswered command is sent again, the replies read so far forgotten")
    func resendable() {
        var inFlight = WritesInFlight()
        inFlight.append(commands: [command, command], fetch: nil)
        inFlight.append(commands: [command], fetch: nil)
        _ = inFlight.take([.status("A")])
        #expect(inFlight.resendable().count == 3)
        #expect(inFlight.take([.status("A"), .status("B")]).count == 1)
        #expect(inFlight.count == 1)
    }

    @Test("the oldest batch is overdue once it has waited the socket timeout")
    func overdue() {
        var inFlight = WritesInFlight()
        #expect(!inFlight.overdue(socketTimeout: 0))
        inFlight.append(commands: [command], fetch: nil)
        #expect(inFlight.overdue(socketTimeout: 0))
        #expect(!inFlight.overdue(socketTimeout: 60))
        #expect(!inFlight.overdue(socketTimeout: nil), "no socket timeout: wait for ever, as Kombu does")
    }
}
