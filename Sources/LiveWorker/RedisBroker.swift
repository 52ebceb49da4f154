import CeleryWire
import RedisClient
import WorkerCore

/// Kombu's Redis transport on a real Redis server (docs/ARCHITECTURE.md rule 3; every command below is
/// in the MONITOR captures of Tests/Fixtures/celery-wire).
///
/// Publish is LPUSH to the queue's list for the message's priority step; consume is BRPOP over the
/// consumer's keys in priority-major order; a delivery is recorded with
/// `MULTI; ZADD unacked_index <now> <tag>; HSET unacked <tag> [message, exchange, routing_key]; EXEC`
/// and an ack removes both. Messages are handled as parsed JSON envelopes, not decoded task
/// messages: a message the worker cannot use must still be acknowledged into the dead-letter list
/// rather than crash the consumer, as one non-JSON string does to a Celery 5.7 worker.
///
/// One instance owns one connection and is used from one thread. A worker uses two: one blocking
/// in BRPOP, one for acks, publishes and sweeps, as Celery's consumer does.
public final class RedisBroker {
    public let url: RedisURL
    public let options: BrokerTransportOptions
    let connection: RedisConnection
    private var declaredQueues: Set<String> = []
    /// The server's clock (µs since the epoch) and when it was read here, for `fetchBatch`'s guard.
    var serverClock: (micros: Int64, at: ContinuousClock.Instant)?
    /// The SHA1s of the fetch and result scripts once loaded on this connection's server.
    public internal(set) var fetchScriptSHA: [UInt8]?
    public internal(set) var storeScriptSHA: [UInt8]?

    /// Connects with the URL's socket options (`socket_connect_timeout`, `socket_timeout`), so an
    /// ack or publish to a broker that stopped answering fails within the timeout instead of hanging.
    public init(url: RedisURL, options: BrokerTransportOptions = BrokerTransportOptions(),
                connectTimeout: Double? = nil) throws(RedisError) {
        self.url = url
        self.options = options
        connection = try RedisConnection(url: url, connectTimeout: connectTimeout ?? url.socket.connectTimeoutSeconds,
                                         commandTimeout: url.socket.socketTimeoutSeconds)
    }

    /// What one BRPOP produced.
    public enum Delivery: Sendable {
        /// A message now recorded in `unacked` under `deliveryTag`.
        case message(ReceivedMessage)
        /// A value that is not a usable Kombu envelope (not JSON, not an object, no delivery tag).
        /// It was popped; if it was recorded in `unacked` anyway, `recordedTag` names the entry to
        /// acknowledge. The caller must dead-letter it.
        case unusable(raw: [UInt8], queue: String, reason: String, recordedTag: String?)
    }

    /// A delivered envelope: already decoded as a task when it is Celery's common case (see
    /// `TaskMessage.decodeDirect`), else the parsed envelope, for the driver to decode and, when
    /// that fails, to dead-letter with the decoder's reason.
    public struct ReceivedMessage: Sendable {
        public enum Content: Sendable {
            case task(TaskMessage)
            case envelope(JSONObject)
        }
        public var content: Content
        public var raw: [UInt8]
        public var queue: String
        public var deliveryTag: String
        public var redelivered: Bool

        /// The task message, decoding the envelope if the fetch did not (throws its WireError).
        public consuming func task() throws(WireError) -> TaskMessage {
            switch content {
            case .task(let message): return message
            case .envelope(let envelope): return try TaskMessage.decode(json: .object(envelope))
            }
        }
    }

    // MARK: Publishing

    /// Publishes an encoded message as a Celery client does: declare the queue's binding once
    /// (`SADD _kombu.binding.<q>`), then LPUSH to the list of the message's priority step.
    public func publish(_ message: [UInt8], queue: String, priority: Int?) throws(RedisError) {
        var commands: [[[UInt8]]] = []
        if !declaredQueues.contains(queue) {
            let member = Array(KombuKeys.bindingMember(queue).utf8)
            commands.append(["MULTI"].bytes)
            commands.append([Array("SADD".utf8), Array(KombuKeys.binding(queue).utf8), member])
            commands.append([Array("SADD".utf8), Array(KombuKeys.bindingPermanent(queue).utf8), member])
            commands.append(["EXEC"].bytes)
        }
        let key = PriorityQueueKeys.listKey(queue: queue, priority: priority, steps: options.prioritySteps)
        commands.append([Array("LPUSH".utf8), Array(key.utf8), message])
        let replies = try connection.pipeline(commands)
        try Self.check(replies, what: "publish to \(queue)")
        declaredQueues.insert(queue)
    }

    // MARK: Consuming

    /// BRPOP over `keys` (already in priority-major, queue-rotated order) for at most the BRPOP
    /// timeout, then records the delivery in `unacked` scored with `now` (seconds since the epoch,
    /// as Kombu's `time()`). Returns nil when nothing came.
    public func fetch(keys: [String], now: Instant) throws(RedisError) -> Delivery? {
        let timeoutSeconds = max(1, Int(options.brpopTimeout.seconds.rounded(.up)))
        // BRPOP answers within its own timeout; past that plus a margin the broker is not answering.
        connection.setCommandTimeout(Double(timeoutSeconds) + min(url.socket.socketTimeoutSeconds ?? 5, 5))
        defer { connection.setCommandTimeout(url.socket.socketTimeoutSeconds) }
        var arguments: [[UInt8]] = [Array("BRPOP".utf8)]
        arguments.append(contentsOf: keys.map { Array($0.utf8) })
        arguments.append(Array(String(timeoutSeconds).utf8))
        let reply = try connection.command(arguments)
        guard let pair = reply.arrayValue, pair.count == 2, let keyBytes = pair[0].bytes,
              let raw = pair[1].bytes else { return nil }
        let queue = ConsumeOrder.queue(ofKey: String(decoding: keyBytes, as: UTF8.self))
        return try record(raw: raw, queue: queue, now: now)
    }

    /// Records a popped value in `unacked`, or reports why it cannot be.
    func record(raw: [UInt8], queue: String, now: Instant) throws(RedisError) -> Delivery {
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(raw)
        } catch {
            return .unusable(raw: raw, queue: queue, reason: "not JSON: \(error.reason)", recordedTag: nil)
        }
        guard case .object(let envelope) = parsed else {
            return .unusable(raw: raw, queue: queue, reason: "not a Kombu envelope: the JSON is not an object", recordedTag: nil)
        }
        guard let tag = envelope["properties"]?.objectValue?["delivery_tag"]?.stringValue, !tag.isEmpty else {
            return .unusable(raw: raw, queue: queue, reason: "properties.delivery_tag: missing", recordedTag: nil)
        }
        let deliveryInfo = envelope["properties"]?.objectValue?["delivery_info"]?.objectValue
        let exchange = deliveryInfo?["exchange"]?.stringValue ?? ""
        let routingKey = deliveryInfo?["routing_key"]?.stringValue ?? queue
        let redelivered = deliveryInfo?["redelivered"]?.boolValue ?? false
        let entry = JSONValue.array([.object(envelope), .string(exchange), .string(routingKey)]).serialized()
        let replies = try connection.pipeline([
            ["MULTI"].bytes,
            [Array("ZADD".utf8), Array(KombuKeys.unackedIndex.utf8), Array(Self.score(now).utf8), Array(tag.utf8)],
            [Array("HSET".utf8), Array(KombuKeys.unacked.utf8), Array(tag.utf8), entry],
            ["EXEC"].bytes,
        ])
        try Self.check(replies, what: "record delivery \(tag)")
        return .message(ReceivedMessage(content: .envelope(envelope), raw: raw, queue: queue, deliveryTag: tag,
                                        redelivered: redelivered))
    }

    /// `MULTI; ZREM unacked_index <tag>; HDEL unacked <tag>; EXEC`.
    public func ack(deliveryTag tag: String) throws(RedisError) {
        try Self.check(try connection.pipeline(Self.ackCommands(tag)), what: "ack \(tag)")
    }

    /// The acknowledgement's commands, for a pipeline.
    public static func ackCommands(_ tag: String) -> [[[UInt8]]] {
        let tag = Array(tag.utf8)
        return [CommandBytes.multi, [CommandBytes.zrem, CommandBytes.unackedIndex, tag],
                [CommandBytes.hdel, CommandBytes.unacked, tag], CommandBytes.exec]
    }

    /// Runs a batch of commands in one round trip.
    public func pipeline(_ commands: [[[UInt8]]], what: String) throws(RedisError) {
        guard !commands.isEmpty else { return }
        try Self.check(try connection.pipeline(commands), what: what)
    }

    /// Reject: with requeue the message goes back by LPUSH (the back of the line), marked
    /// redelivered (Kombu `QoS.reject` → `restore_by_tag(leftmost=True)`); without, it is acked.
    public func reject(deliveryTag tag: String, requeue: Bool) throws(RedisError) {
        if requeue {
            _ = try restore(deliveryTag: tag, leftmost: true)
        } else {
            try ack(deliveryTag: tag)
        }
    }

    // MARK: Helpers

    /// Kombu scores `unacked_index` with `time()`, a float of seconds.
    static func score(_ now: Instant) -> String {
        let micros = now.microsecondsSinceEpoch
        let fraction = String(abs(micros % 1_000_000))
        return String(micros / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// Writes commands without waiting for their replies (see `RedisConnection.send`).
    public func send(_ commands: [[[UInt8]]]) throws(RedisError) { try connection.send(commands) }

    /// Runs a batch of commands in one round trip and returns every reply, unjudged.
    public func pipelineReplies(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        try connection.pipeline(commands)
    }

    /// Whether replies of sent commands are still to be read on this connection.
    public var hasUnreadReplies: Bool { connection.unreadReplies > 0 }

    /// Waits for and reads the replies of everything `send` wrote, unjudged.
    public func receiveUnreadReplies() throws(RedisError) -> [RedisReply] { try connection.receiveUnread() }

    /// The replies of what `send` wrote that have arrived, without waiting (see
    /// `RedisConnection.receiveArrived`: only when the socket polls readable).
    public func receiveArrivedReplies() throws(RedisError) -> [RedisReply] { try connection.receiveArrived() }

    /// The connection's socket, to wait in `poll` for replies.
    public var socketDescriptor: Int32? { connection.socketDescriptor }

    static func check(_ replies: [RedisReply], what: String) throws(RedisError) {
        for reply in replies {
            if case .error(let message) = reply { throw replyError(message, what: what) }
            if case .array(let inner) = reply {
                for item in inner { if case .error(let message) = item { throw replyError(message, what: what) } }
            }
        }
    }

    /// An error reply as a `RedisError`. READONLY (a replica: the master failed over and this
    /// connection still points at the old one), LOADING and MASTERDOWN mean the server is not
    /// ready to be the broker: an outage to reconnect through (a Sentinel URL then finds the new
    /// master), as redis-py's Sentinel connection does on READONLY, not a refusal to give up on.
    static func replyError(_ message: String, what: String) -> RedisError {
        // NOSCRIPT: the server lost the scripts this connection loaded; a fresh connection loads them.
        let outage = ["READONLY", "LOADING", "MASTERDOWN", "NOSCRIPT"].contains { message.hasPrefix($0) }
        return outage ? RedisError(.connectionLost, endpoint: "", message: "\(what): \(message)")
                      : RedisError.serverError("\(what): \(message)")
    }
}

extension Array where Element == String {
    /// The UTF-8 bytes of each string, for Redis arguments.
    var bytes: [[UInt8]] { map { [UInt8]($0.utf8) } }
}

extension RedisBroker {
    /// LPUSH a dead-letter record.
    public func pushDeadLetter(_ record: [UInt8], key: String) throws(RedisError) {
        let reply = try connection.command([Array("LPUSH".utf8), Array(key.utf8), record])
        try Self.check([reply], what: "dead-letter")
    }
}
