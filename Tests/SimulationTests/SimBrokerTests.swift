import Testing
@testable import Simulation
import WorkerCore

/// Kombu-on-Redis semantics of the simulated broker (the cases the Redis broker must pass too).
@Suite("SimBroker")
struct SimBrokerTests {
    let t0 = Instant(microsecondsSinceEpoch: 1_000_000_000)

    /// A message with its own delivery number (the broker's key), a base-128 reading of the id's
    /// bytes: distinct for the distinct short ids of a case.
    func message(_ id: String, queue: String = "celery", priority: Int? = nil) -> TaskRequest {
        TaskRequest(id: id, name: "app.add", queue: queue, deliveryTag: "tag-" + id, priority: priority,
                    deliveryNumber: id.utf8.reduce(0) { $0 &* 128 &+ Int($1) })
    }

    @Test("LPUSH then BRPOP is first in, first out")
    func fifo() {
        var broker = SimBroker(prioritySteps: [0, 3, 6, 9], visibilityTimeout: .seconds(3600))
        for id in ["a", "b", "c"] { _ = broker.push(message(id), now: t0) }
        let order = (0..<3).compactMap { _ in broker.fetch(consumer: 0, keys: ["celery"], now: t0)?.id }
        #expect(order == ["a", "b", "c"])
        #expect(broker.queuedCount == 0)
    }

    @Test("lower priority numbers are served first; a message goes to the highest step ≤ its priority")
    func priorities() {
        var broker = SimBroker(prioritySteps: [0, 3, 6, 9], visibilityTimeout: .seconds(3600))
        _ = broker.push(message("p9", priority: 9), now: t0)
        _ = broker.push(message("p5", priority: 5), now: t0)
        _ = broker.push(message("p0", priority: 0), now: t0)
        let keys = ConsumeOrder(queues: ["celery"], steps: [0, 3, 6, 9], strategy: .roundRobin).keys
        let order = (0..<3).compactMap { _ in broker.fetch(consumer: 0, keys: keys, now: t0)?.id }
        #expect(order == ["p0", "p5", "p9"])
        #expect(broker.listKey(for: message("x", priority: 5)) == "celery\u{06}\u{16}3")
    }

    @Test("BRPOP takes from the first non-empty key in the order given")
    func keyOrder() {
        var broker = SimBroker(prioritySteps: [0], visibilityTimeout: .seconds(3600))
        _ = broker.push(message("c1", queue: "celery"), now: t0)
        _ = broker.push(message("d1", queue: "dify"), now: t0)
        #expect(broker.fetch(consumer: 0, keys: ["dify", "celery"], now: t0)?.id == "d1")
        #expect(broker.fetch(consumer: 0, keys: ["dify", "celery"], now: t0)?.id == "c1")
    }

    @Test("blocked consumers are served first come, first served")
    func blockedConsumers() {
        var broker = SimBroker(prioritySteps: [0], visibilityTimeout: .seconds(3600))
        #expect(broker.fetch(consumer: 1, keys: ["celery"], now: t0) == nil)
        #expect(broker.fetch(consumer: 2, keys: ["celery"], now: t0) == nil)
        #expect(broker.push(message("a"), now: t0)?.consumer == 1)
        #expect(broker.push(message("b"), now: t0)?.consumer == 2)
        #expect(broker.push(message("c"), now: t0) == nil)
        #expect(broker.unackedCount == 2)
    }

    @Test("delivery records unacked; ack removes it; a second ack finds nothing")
    func ackRemoves() {
        var broker = SimBroker(prioritySteps: [0], visibilityTimeout: .seconds(3600))
        _ = broker.push(message("a"), now: t0)
        _ = broker.fetch(consumer: 0, keys: ["celery"], now: t0)
        #expect(broker.unackedEntry(tag: "tag-a") != nil)
        #expect(broker.ack(deliveryTag: "tag-a") != nil)
        #expect(broker.ack(deliveryTag: "tag-a") == nil)
    }

    @Test("the restore sweep moves only entries older than visibility_timeout, to the consuming end, redelivered")
    func restoreSweep() {
        var broker = SimBroker(prioritySteps: [0], visibilityTimeout: .seconds(60))
        _ = broker.push(message("old"), now: t0)
        _ = broker.fetch(consumer: 0, keys: ["celery"], now: t0)
        _ = broker.push(message("young"), now: t0)
        _ = broker.fetch(consumer: 0, keys: ["celery"], now: t0 + .seconds(30))
        _ = broker.push(message("waiting"), now: t0)
        let expired = broker.expiredTags(now: t0 + .seconds(60))
        #expect(expired == ["tag-old"])
        _ = broker.restore(deliveryTag: "tag-old", now: t0 + .seconds(60))
        let next = broker.fetch(consumer: 0, keys: ["celery"], now: t0 + .seconds(61))
        #expect(next?.id == "old", "RPUSH puts it where BRPOP takes next")
        #expect(next?.redelivered == true)
    }

    @Test("a sweep restores newest first, so the oldest ends up consumed first")
    func sweepOrder() {
        var broker = SimBroker(prioritySteps: [0], visibilityTimeout: .seconds(10))
        for (index, id) in ["a", "b", "c"].enumerated() {
            _ = broker.push(message(id), now: t0)
            _ = broker.fetch(consumer: 0, keys: ["celery"], now: t0 + .seconds(Int64(index)))
        }
        let expired = broker.expiredTags(now: t0 + .seconds(100))
        #expect(expired == ["tag-c", "tag-b", "tag-a"])
        for tag in expired { _ = broker.restore(deliveryTag: tag, now: t0 + .seconds(100)) }
        let order = (0..<3).compactMap { _ in broker.fetch(consumer: 0, keys: ["celery"], now: t0 + .seconds(101))?.id }
        #expect(order == ["a", "b", "c"])
    }

    @Test("reject with requeue puts the message at the back of the line (LPUSH)")
    func rejectRequeue() {
        var broker = SimBroker(prioritySteps: [0], visibilityTimeout: .seconds(3600))
        _ = broker.push(message("a"), now: t0)
        _ = broker.push(message("b"), now: t0)
        _ = broker.fetch(consumer: 0, keys: ["celery"], now: t0)
        _ = broker.reject(deliveryTag: "tag-a", requeue: true, now: t0)
        let order = (0..<2).compactMap { _ in broker.fetch(consumer: 0, keys: ["celery"], now: t0)?.id }
        #expect(order == ["b", "a"])
    }

    @Test("restoring a tag that was already acknowledged does nothing")
    func restoreAfterAck() {
        var broker = SimBroker(prioritySteps: [0], visibilityTimeout: .seconds(3600))
        _ = broker.push(message("a"), now: t0)
        _ = broker.fetch(consumer: 0, keys: ["celery"], now: t0)
        _ = broker.ack(deliveryTag: "tag-a")
        #expect(broker.restore(deliveryTag: "tag-a", now: t0).entry == nil)
        #expect(broker.queuedCount == 0)
    }
}
