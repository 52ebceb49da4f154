import CeleryWire
import Foundation
import RedisClient

/// The client side of Celery's remote control ("pidbox"), speaking Kombu 5.7's protocol on Redis
/// exactly as `celery inspect` / `celery control` do (kombu/pidbox.py `Mailbox._broadcast`,
/// `_publish`, `_collect`; celery/app/control.py `Control.broadcast`), so it works against any
/// Celery fleet — Python workers and Lovage's alike.
///
/// One call, as captured in Tests/Fixtures/celery-wire/pidbox (cases 01, 42-50, 82):
/// 1. bind the reply queue `<oid>.reply.celery.pidbox` to the direct exchange `reply.celery.pidbox`
///    (SADD of the binding member, and the Kombu 5.7 binding deadline refreshed with
///    `ZADD _kombu.binding_deadlines GT <Redis TIME ms + 1 h>`): a worker finds the queue only
///    through this binding, without it the reply is lost (case 82);
/// 2. PUBLISH the request on `/<db>.celery.pidbox` with a fresh uuid4 ticket, headers `clock` and
///    `expires` (= now + timeout);
/// 3. BRPOP the reply list and its priority siblings (`\x06\x163`, `6`, `9`, as Kombu's Redis
///    channel does for every queue) until the timeout, or until one reply per named destination;
///    replies with another ticket, or whose `expires` header has passed, are dropped (case 81);
/// 4. SREM the binding (and its `_kombu.binding_permanent` twin) and DEL the four reply lists.
///
/// Differences from Kombu, on purpose: the timeout is one deadline for the whole call (Kombu
/// restarts it after every reply, so a chatty fleet could keep it waiting); only accepted replies
/// count toward the destination limit (Kombu counts dropped ones too); Kombu's unacked-restore
/// sweep (`unacked_mutex`) is not done, because the reply queue is consumed without acks.
///
/// Not thread-safe: one call at a time per client (it owns one Redis connection).
public final class MailboxClient {
    /// The broker.
    public let url: RedisURL
    /// The app's mailbox name (`celery`).
    public let mailbox: String
    /// This client's id: the reply queue's routing key. A UUID, like Kombu's `oid`.
    public let oid: String
    /// The Lamport clock sent as `headers.clock` (Kombu: `app.clock.forward()` per publish,
    /// `adjust` on every reply), so a fresh client's first request carries clock 1 as Celery's.
    public private(set) var clock: Int64 = 0
    /// Redis commands this client has sent (for a caller that states its own load on the broker).
    public private(set) var commandsSent = 0

    private let connection: RedisConnection

    /// Connects to the broker (nothing is declared until the first call).
    public init(url: RedisURL, mailbox: String = "celery") throws(RedisError) {
        self.url = url
        self.mailbox = mailbox
        self.oid = UUID().uuidString.lowercased()
        // BRPOP waits at most 1 s server-side; the socket may wait a little longer than that.
        self.connection = try RedisConnection(url: url, connectTimeout: 5, commandTimeout: 10)
    }

    deinit {
        connection.close()
    }

    /// The reply list this client BRPOPs (`<oid>.reply.celery.pidbox`).
    public var replyQueue: String { PidboxNames.replyQueue(oid: oid, mailbox: mailbox) }

    /// The member of `_kombu.binding.reply.celery.pidbox` that routes replies to `replyQueue`.
    public var bindingMember: String { PidboxNames.bindingMember(routingKey: oid, queue: replyQueue) }

    /// Sends `method` and collects the replies, in arrival order.
    ///
    /// - Parameters:
    ///   - destination: the node names to address (nil: every node). With a list the call returns
    ///     as soon as each named node could have answered once (`len(destination)` replies).
    ///   - pattern, matcher: a node-name pattern (`glob` or `pcre`), Celery's Python-API addressing.
    ///   - timeout: seconds to wait for replies; also the request's `expires`.
    public func call(_ method: String, arguments: JSONObject = [:], destination: [String]? = nil,
                     pattern: String? = nil, matcher: String? = nil, timeout: Double = 1.0) throws(RedisError) -> [PidboxReply] {
        let ticket = UUID().uuidString.lowercased()
        let replyTo = PidboxRequest.ReplyTo(exchange: PidboxNames.replyExchange(mailbox: mailbox), routingKey: oid)
        try bindReplyQueue()
        var replies: [PidboxReply] = []
        var failure: RedisError?
        do {
            let start = Date().timeIntervalSince1970
            try publish(PidboxRequest(method: method, arguments: arguments, destination: destination, pattern: pattern,
                                      matcher: matcher, ticket: ticket, replyTo: replyTo,
                                      expires: start + timeout))
            let limit = destination.map(\.count).flatMap { $0 > 0 ? $0 : nil }
            replies = try collect(ticket: ticket, deadline: start + timeout, limit: limit)
        } catch {
            failure = error
        }
        // Clean up even after a failure, as Kombu's `finally: after_reply_message_received`.
        do { try unbindReplyQueue() } catch { if failure == nil { failure = error } }
        if let failure { throw failure }
        return replies
    }

    /// Sends `method` without waiting for any reply (Kombu `reply=False`: no ticket, no reply_to).
    /// Like Celery's, the request still expires one second after it is sent.
    public func cast(_ method: String, arguments: JSONObject = [:], destination: [String]? = nil) throws(RedisError) {
        try publish(PidboxRequest(method: method, arguments: arguments, destination: destination,
                                  expires: Date().timeIntervalSince1970 + 1.0))
    }

    // MARK: Steps

    /// Kombu 5.7's binding script in one round trip: SADD the member, then push the exchange's
    /// deadline to Redis TIME + 1 h (`GT`: never shortens another client's).
    private static let bindScript = """
        redis.call('SADD', KEYS[1], ARGV[1])
        local t = redis.call('TIME')
        local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
        redis.call('ZADD', KEYS[2], 'GT', string.format('%.0f', ms), ARGV[2])
        return 1
        """

    private func bindReplyQueue() throws(RedisError) {
        let exchange = PidboxNames.replyExchange(mailbox: mailbox)
        commandsSent += 1
        let reply = try connection.command([
            "EVAL", Self.bindScript, "2", PidboxNames.bindingSet(exchange: exchange), PidboxNames.bindingDeadlinesKey,
            bindingMember, exchange, String(PidboxNames.bindingLifetimeMillis),
        ])
        if let message = reply.errorMessage { throw RedisError.serverError(message, endpoint: url.redacted) }
    }

    private func unbindReplyQueue() throws(RedisError) {
        let exchange = PidboxNames.replyExchange(mailbox: mailbox)
        var commands: [[[UInt8]]] = [
            [b("SREM"), b(PidboxNames.bindingSet(exchange: exchange)), b(bindingMember)],
            [b("SREM"), b(PidboxNames.permanentBindingKey(exchange: exchange)), b(bindingMember)],
        ]
        commands.append([b("DEL")] + PriorityQueueKeys.allKeys(queue: replyQueue).map(b))
        commandsSent += commands.count
        _ = try connection.pipeline(commands)
    }

    private func publish(_ request: PidboxRequest) throws(RedisError) {
        clock += 1
        var request = request
        request.clock = clock
        let payload = request.encode(deliveryTag: UUID().uuidString.lowercased(), mailbox: mailbox)
        commandsSent += 1
        let reply = try connection.command([
            b("PUBLISH"), b(PidboxNames.requestChannel(database: url.database, mailbox: mailbox)), payload,
        ])
        if let message = reply.errorMessage { throw RedisError.serverError(message, endpoint: url.redacted) }
    }

    /// BRPOPs until `deadline` (Unix seconds) or until `limit` replies were accepted.
    private func collect(ticket: String, deadline: Double, limit: Int?) throws(RedisError) -> [PidboxReply] {
        let keys = PriorityQueueKeys.brpopKeys(queues: [replyQueue]).map(b)
        var accepted: [PidboxReply] = []
        while limit.map({ accepted.count < $0 }) ?? true {
            let remaining = deadline - Date().timeIntervalSince1970
            guard remaining > 0 else { break }
            // Kombu always blocks 1 s; a shorter final wait keeps the deadline (Redis ≥ 6 takes fractions).
            let wait = max(0.001, min(1.0, remaining))
            commandsSent += 1
            let reply = try connection.command([b("BRPOP")] + keys + [b(String(format: "%.3f", wait))])
            if let message = reply.errorMessage { throw RedisError.serverError(message, endpoint: url.redacted) }
            guard let pair = reply.arrayValue, pair.count == 2, let payload = pair[1].bytes else { continue }
            accepted.append(contentsOf: accept(payload, ticket: ticket))
        }
        return accepted
    }

    /// The replies in one list item that belong to this call (kombu/pidbox.py `_collect.on_message`):
    /// the clock is adjusted by every reply; a reply is dropped when its `expires` header has passed
    /// or its `ticket` header names another call (a missing ticket header is accepted, as Kombu's
    /// `header('ticket', ticket)`). An item that is not a pidbox reply is dropped.
    private func accept(_ payload: [UInt8], ticket: String) -> [PidboxReply] {
        guard let envelope = try? KombuEnvelope.decode(payload),
              let replies = try? PidboxReply.decode(payload) else { return [] }
        if let other = envelope.headers["clock"]?.intValue { clock = max(clock, other) + 1 }
        if let expires = envelope.headers["expires"]?.doubleValue, expires < Date().timeIntervalSince1970 { return [] }
        if let header = envelope.headers["ticket"], header.stringValue != ticket { return [] }
        return replies.map { reply in
            var reply = reply
            if reply.ticket == nil { reply.ticket = ticket }
            return reply
        }
    }
}

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }
