import CeleryWire
import LiveWorker
import RedisClient
import PrivateRedis
@testable import Simulation
import WorkerCore

/// The broker contract, as the conformance cases use it: Kombu's Redis transport semantics, driven
/// the same way against the simulated broker and against a real Redis server.
protocol BrokerUnderTest: AnyObject {
    func publish(id: String, queue: String, priority: Int?) throws
    /// One non-blocking (or briefly blocking) fetch over `keys`; nil when nothing is there.
    func fetch(keys: [String], now: Instant) throws -> (id: String, tag: String, redelivered: Bool)?
    func ack(tag: String) throws
    func reject(tag: String, requeue: Bool, now: Instant) throws
    /// The visibility sweep; returns the tags it gave back, in the order it gave them back.
    func sweep(now: Instant) throws -> [String]
    func unackedCount() throws -> Int
    func close()
}

enum BrokerKind: String, CaseIterable, CustomStringConvertible {
    case simulated, redis
    var description: String { rawValue }

    func make(visibilityTimeout: TimeSpan = .seconds(3600)) throws -> BrokerUnderTest {
        switch self {
        case .simulated: return SimulatedBrokerAdapter(visibilityTimeout: visibilityTimeout)
        case .redis: return try RedisBrokerAdapter(visibilityTimeout: visibilityTimeout)
        }
    }
}

final class SimulatedBrokerAdapter: BrokerUnderTest {
    var broker: SimBroker

    init(visibilityTimeout: TimeSpan) {
        broker = SimBroker(prioritySteps: [0, 3, 6, 9], visibilityTimeout: visibilityTimeout)
    }

    /// The simulator numbers its deliveries (the broker's key); this adapter numbers them in order.
    private var published = 0

    func publish(id: String, queue: String, priority: Int?) throws {
        published += 1
        _ = broker.push(TaskRequest(id: id, name: "app.add", queue: queue, deliveryTag: "tag-" + id, priority: priority,
                                    deliveryNumber: published),
                        now: Instant(microsecondsSinceEpoch: 0))
    }

    func fetch(keys: [String], now: Instant) throws -> (id: String, tag: String, redelivered: Bool)? {
        guard let request = broker.fetch(consumer: 0, keys: keys, now: now) else {
            broker.cancelFetch(consumer: 0)
            return nil
        }
        return (request.id, request.deliveryTag, request.redelivered)
    }

    func ack(tag: String) throws { broker.ack(deliveryTag: tag) }

    func reject(tag: String, requeue: Bool, now: Instant) throws {
        _ = broker.reject(deliveryTag: tag, requeue: requeue, now: now)
    }

    func sweep(now: Instant) throws -> [String] {
        let tags = broker.expiredTags(now: now)
        for tag in tags { _ = broker.restore(deliveryTag: tag, now: now) }
        return tags
    }

    func unackedCount() throws -> Int { broker.unackedCount }
    func close() {}
}

final class RedisBrokerAdapter: BrokerUnderTest {
    let server: PrivateRedisServer
    let broker: RedisBroker

    init(visibilityTimeout: TimeSpan) throws {
        server = try PrivateRedisServer()
        var options = BrokerTransportOptions()
        options.visibilityTimeout = visibilityTimeout
        broker = try RedisBroker(url: server.url, options: options)
    }

    func publish(id: String, queue: String, priority: Int?) throws {
        let message = TaskMessage.make(task: "app.add", id: id, args: [], kwargs: [:], queue: queue,
                                       priority: priority ?? 0, deliveryTag: "tag-" + id)
        try broker.publish(message.encode(), queue: queue, priority: priority)
    }

    func fetch(keys: [String], now: Instant) throws -> (id: String, tag: String, redelivered: Bool)? {
        guard let delivery = try broker.fetch(keys: keys, now: now) else { return nil }
        guard case .message(let message) = delivery,
              let id = try? message.task().id else { return nil }
        return (id, message.deliveryTag, message.redelivered)
    }

    func ack(tag: String) throws { try broker.ack(deliveryTag: tag) }

    func reject(tag: String, requeue: Bool, now: Instant) throws { try broker.reject(deliveryTag: tag, requeue: requeue) }

    func sweep(now: Instant) throws -> [String] { try broker.restoreVisible(now: now, mutexToken: "conformance") }

    func unackedCount() throws -> Int {
        let connection = try RedisConnection(url: server.url)
        return Int(try connection.command("HLEN", KombuKeys.unacked).integerValue ?? -1)
    }

    func close() { server.stop() }
}
