import CeleryWire
import LiveWorker
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
