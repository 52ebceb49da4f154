import CeleryWire
import Testing
import WorkerCore

/// One suite, two brokers: every case runs against the simulated broker and against RedisBroker on
/// a real redis-server. A difference is a bug in one of them (docs/ARCHITECTURE.md rule 3).
@Suite("Broker conformance", .serialized)
struct BrokerConformanceTests {
    let t0 = Instant(microsecondsSinceEpoch: 1_767_225_600_000_000)
    let keys = PriorityQueueKeys.brpopKeys(queues: ["celery"], steps: [0, 3, 6, 9])

    @Test("LPUSH then BRPOP is first in, first out", arguments: BrokerKind.allCases)
    func fifo(kind: BrokerKind) throws {
        let broker = try kind.make()
        defer { broker.close() }
        for id in ["a", "b", "c"] { try broker.publish(id: id, queue: "celery", priority: nil) }
        let order = try (0..<3).compactMap { _ in try broker.fetch(keys: keys, now: t0)?.id }
        #expect(order == ["a", "b", "c"])
        #expect(try broker.unackedCount() == 3)
    }

    @Test("lower priority numbers first; priority 5 waits behind 0 and ahead of 9", arguments: BrokerKind.allCases)
    func priorities(kind: BrokerKind) throws {
        let broker = try kind.make()
        defer { broker.close() }
        try broker.publish(id: "p9", queue: "celery", priority: 9)
        try broker.publish(id: "p5", queue: "celery", priority: 5)
        try broker.publish(id: "p0", queue: "celery", priority: 0)
        let order = try (0..<3).compactMap { _ in try broker.fetch(keys: keys, now: t0)?.id }
        #expect(order == ["p0", "p5", "p9"])
    }

    @Test("BRPOP takes from the first non-empty key in the order given", arguments: BrokerKind.allCases)
    func keyOrder(kind: BrokerKind) throws {
        let broker = try kind.make()
        defer { broker.close() }
        try broker.publish(id: "c1", queue: "celery", priority: nil)
        try broker.publish(id: "d1", queue: "dify", priority: nil)
        let twoQueues = PriorityQueueKeys.brpopKeys(queues: ["dify", "celery"], steps: [0, 3, 6, 9])
        #expect(try broker.fetch(keys: twoQueues, now: t0)?.id == "d1")
        #expect(try broker.fetch(keys: twoQueues, now: t0)?.id == "c1")
    }

    @Test("ack removes the delivery from unacked", arguments: BrokerKind.allCases)
    func ack(kind: BrokerKind) throws {
        let broker = try kind.make()
        defer { broker.close() }
        try broker.publish(id: "a", queue: "celery", priority: nil)
        let delivery = try #require(try broker.fetch(keys: keys, now: t0))
        #expect(try broker.unackedCount() == 1)
        try broker.ack(tag: delivery.tag)
        #expect(try broker.unackedCount() == 0)
        #expect(try broker.sweep(now: t0 + .seconds(86_400)).isEmpty, "nothing left to restore")
    }

    @Test("the sweep restores only deliveries older than the visibility timeout, to be consumed next, redelivered",
          arguments: BrokerKind.allCases)
    func sweep(kind: BrokerKind) throws {
        let broker = try kind.make(visibilityTimeout: .seconds(60))
        defer { broker.close() }
        try broker.publish(id: "old", queue: "celery", priority: nil)
        _ = try broker.fetch(keys: keys, now: t0)
        try broker.publish(id: "young", queue: "celery", priority: nil)
        _ = try broker.fetch(keys: keys, now: t0 + .seconds(30))
        try broker.publish(id: "waiting", queue: "celery", priority: nil)
        #expect(try broker.sweep(now: t0 + .seconds(60)) == ["tag-old"])
        let next = try #require(try broker.fetch(keys: keys, now: t0 + .seconds(61)))
        #expect(next.id == "old", "RPUSH puts it where BRPOP takes next")
        #expect(next.redelivered)
        #expect(try broker.fetch(keys: keys, now: t0 + .seconds(61))?.id == "waiting")
    }

    @Test("a sweep restores newest first, so the oldest is consumed first again", arguments: BrokerKind.allCases)
    func sweepOrder(kind: BrokerKind) throws {
        let broker = try kind.make(visibilityTimeout: .seconds(10))
        defer { broker.close() }
        for (index, id) in ["a", "b", "c"].enumerated() {
            try broker.publish(id: id, queue: "celery", priority: nil)
            _ = try broker.fetch(keys: keys, now: t0 + .seconds(Int64(index)))
        }
        #expect(try broker.sweep(now: t0 + .seconds(100)) == ["tag-c", "tag-b", "tag-a"])
        let order = try (0..<3).compactMap { _ in try broker.fetch(keys: keys, now: t0 + .seconds(101))?.id }
        #expect(order == ["a", "b", "c"])
    }

    @Test("reject with requeue puts the message at the back of the line, redelivered", arguments: BrokerKind.allCases)
    func rejectRequeue(kind: BrokerKind) throws {
        let broker = try kind.make()
        defer { broker.close() }
        try broker.publish(id: "a", queue: "celery", priority: nil)
        try broker.publish(id: "b", queue: "celery", priority: nil)
        let first = try #require(try broker.fetch(keys: keys, now: t0))
        try broker.reject(tag: first.tag, requeue: true, now: t0)
        let order = try (0..<2).compactMap { _ in try broker.fetch(keys: keys, now: t0) }
        #expect(order.map(\.id) == ["b", "a"])
        #expect(order.map(\.redelivered) == [false, true])
    }

    @Test("reject without requeue drops the message", arguments: BrokerKind.allCases)
    func rejectDrop(kind: BrokerKind) throws {
        let broker = try kind.make()
        defer { broker.close() }
        try broker.publish(id: "a", queue: "celery", priority: nil)
        let first = try #require(try broker.fetch(keys: keys, now: t0))
        try broker.reject(tag: first.tag, requeue: false, now: t0)
        #expect(try broker.unackedCount() == 0)
        #expect(try broker.sweep(now: t0 + .seconds(86_400)).isEmpty)
    }
}
