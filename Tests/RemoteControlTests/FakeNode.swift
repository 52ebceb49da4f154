import CeleryWire
import Foundation
import RedisClient

/// A hand-rolled remote-control node: a thread that PSUBSCRIBEs the request channel as a Celery
/// worker does, records every request, and answers the ones addressed to it the worker's way —
/// SMEMBERS of the reply binding set, LPUSH to the queue bound with the request's routing key
/// (no binding, no LPUSH: Tests/Fixtures/celery-wire/pidbox case 82).
///
/// What it answers is scripted per request, so a test can send a wrong ticket, no ticket header,
/// an expired reply, or answer late.
final class FakeNode: @unchecked Sendable {
    enum Action: Sendable {
        /// A reply as a Celery 5.7 worker encodes it, with the request's ticket.
        case reply(JSONValue)
        /// The same, with another call's ticket: the client must drop it.
        case replyWithTicket(String, JSONValue)
        /// A reply whose envelope has no `headers` at all (the Python client accepts it, case 81).
        case replyWithoutHeaders(JSONValue)
        /// A reply whose `headers.expires` is in the past (the Python client drops it, case 81).
        case replyExpired(JSONValue)
        /// Waits before the next action.
        case sleep(Double)
    }

    let hostname: String
    private let url: RedisURL
    private let script: @Sendable (PidboxRequest) -> [Action]
    private let lock = NSLock()
    private var received: [PidboxRequest] = []
    private var receivedPayloads: [[UInt8]] = []
    private var pushes = 0
    private var lostReplies = 0
    private var stopping = false
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(hostname: String, url: RedisURL, script: @escaping @Sendable (PidboxRequest) -> [Action] = { _ in [.reply(PidboxReply.ok("pong"))] }) throws {
        self.hostname = hostname
        self.url = url
        self.script = script
        let thread = Thread { [self] in self.serve() }
        thread.start()
        guard ready.wait(timeout: .now() + 5) == .success else { throw FakeNodeError.notSubscribed }
    }

    /// Every request the node saw (addressed to it or not), in order.
    var requests: [PidboxRequest] { lock.withLock { received } }
    /// The PUBLISH payloads of those requests, bytes as received.
    var payloads: [[UInt8]] { lock.withLock { receivedPayloads } }
    /// How many replies it LPUSHed.
    var pushedReplies: Int { lock.withLock { pushes } }
    /// How many replies found no bound queue and were dropped.
    var repliesWithoutBinding: Int { lock.withLock { lostReplies } }

    func stop() {
        lock.withLock { stopping = true }
        _ = finished.wait(timeout: .now() + 5)
    }

    private func serve() {
        defer { finished.signal() }
        guard let subscriber = try? RedisConnection(url: url), let producer = try? RedisConnection(url: url),
              (try? subscriber.subscribe(PidboxNames.requestChannel(database: url.database))) != nil else { return }
        ready.signal()
        var clock: Int64 = 0
        while !lock.withLock({ stopping }) {
            guard let message = try? subscriber.nextPushedMessage(timeout: 0.05) else { continue }
            guard let request = try? PidboxRequest.decode(message.payload) else { continue }
            lock.withLock {
                received.append(request)
                receivedPayloads.append(message.payload)
            }
            guard request.isAddressed(to: hostname), let replyTo = request.replyTo else { continue }
            clock = max(clock, request.clock ?? 0) + 1
            for action in script(request) {
                if case .sleep(let seconds) = action {
                    Thread.sleep(forTimeInterval: seconds)
                    continue
                }
                clock += 1
                let payload = encode(action, request: request, routingKey: replyTo.routingKey, clock: clock)
                push(payload, exchange: replyTo.exchange, routingKey: replyTo.routingKey, on: producer)
            }
        }
    }

    private func push(_ payload: [UInt8], exchange: String, routingKey: String, on producer: RedisConnection) {
        let members = (try? producer.command("SMEMBERS", PidboxNames.bindingSet(exchange: exchange)))?.arrayValue ?? []
        let queues = members.compactMap { $0.stringValue }.compactMap {
            PidboxNames.queue(ofBindingMember: $0, routingKey: routingKey)
        }.sorted()
        if queues.isEmpty { lock.withLock { lostReplies += 1 } }
        for queue in queues {
            // Counted before the push: the client may read the reply and the test the count at
            // once, before this thread would get past the LPUSH's own reply.
            lock.withLock { pushes += 1 }
            _ = try? producer.command([Array("LPUSH".utf8), Array(queue.utf8), payload])
        }
    }

    private func encode(_ action: Action, request: PidboxRequest, routingKey: String, clock: Int64) -> [UInt8] {
        let tag = UUID().uuidString.lowercased()
        switch action {
        case .reply(let value):
            return PidboxReply(hostname: hostname, value: value, ticket: request.ticket, clock: clock)
                .encode(routingKey: routingKey, deliveryTag: tag)
        case .replyWithTicket(let ticket, let value):
            return PidboxReply(hostname: hostname, value: value, ticket: ticket, clock: clock)
                .encode(routingKey: routingKey, deliveryTag: tag)
        case .replyWithoutHeaders(let value):
            return KombuEnvelope(body: JSONValue.object([hostname: value]).serialized(), headers: [:], properties: [:]).encode()
        case .replyExpired(let value):
            let headers: JSONObject = ["ticket": .string(request.ticket ?? ""), "clock": .int(clock),
                                       "expires": .double(Date().timeIntervalSince1970 - 10)]
            return KombuEnvelope(body: JSONValue.object([hostname: value]).serialized(), headers: headers, properties: [:]).encode()
        case .sleep:
            return []
        }
    }
}

enum FakeNodeError: Error { case notSubscribed }
