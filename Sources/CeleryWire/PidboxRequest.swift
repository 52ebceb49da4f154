import Foundation

/// One remote-control request (kombu/pidbox.py `Mailbox._publish`): the envelope a client
/// PUBLISHes on `/<db>.celery.pidbox`, decoded.
///
/// Body key order and spacing are Python's `json.dumps` of Kombu's dict: `method`, `arguments`,
/// `destination`, `pattern`, `matcher`, then `ticket` and `reply_to` only when a reply is wanted
/// (a "cast" has neither). Headers carry the sender's Lamport `clock` and `expires`, the client's
/// `time.time()` + timeout (Celery's worker does not check it; Lovage's does: see `isExpired`).
public struct PidboxRequest: Sendable, Equatable {
    /// Where the reply goes: the direct exchange `reply.celery.pidbox` and the client's oid.
    public struct ReplyTo: Sendable, Equatable {
        public var exchange: String
        public var routingKey: String
        public init(exchange: String, routingKey: String) {
            self.exchange = exchange
            self.routingKey = routingKey
        }
    }

    public var method: String
    public var arguments: JSONObject
    /// Nil: every node. Otherwise only the nodes named (`-d cw1@vm,cw2@vm`).
    public var destination: [String]?
    /// A node-name pattern (Python API only), matched with `matcher`.
    public var pattern: String?
    /// `glob` (the default when a pattern is given) or `pcre`.
    public var matcher: String?
    /// Set with `reply_to` when the client waits for replies; a reply carries it back.
    public var ticket: String?
    public var replyTo: ReplyTo?
    /// `headers.clock`: the sender's Lamport clock.
    public var clock: Int64?
    /// `headers.expires`: Unix seconds after which the client no longer reads replies.
    public var expires: Double?

    public init(method: String, arguments: JSONObject = [:], destination: [String]? = nil, pattern: String? = nil,
                matcher: String? = nil, ticket: String? = nil, replyTo: ReplyTo? = nil, clock: Int64? = nil,
                expires: Double? = nil) {
        self.method = method
        self.arguments = arguments
        self.destination = destination
        self.pattern = pattern
        self.matcher = matcher
        self.ticket = ticket
        self.replyTo = replyTo
        self.clock = clock
        self.expires = expires
    }

    /// Whether the sender waits for a reply (`reply_to` present), rather than a cast.
    public var wantsReply: Bool { replyTo != nil }

    // MARK: Decoding

    /// Decodes a PUBLISH payload. Throws a `WireError` naming the field for anything that is not
    /// a pidbox request (the caller logs it and goes on).
    public static func decode(_ payload: [UInt8]) throws(WireError) -> PidboxRequest {
        let envelope = try KombuEnvelope.decode(payload)
        let body = try Field.object(try envelope.jsonBody(), "body")
        guard let methodValue = body["method"] else { throw WireError.missing("body.method") }
        let method = try Field.string(methodValue, "body.method")
        var arguments = JSONObject()
        if let value = body["arguments"], !value.isNull { arguments = try Field.object(value, "body.arguments") }
        var destination: [String]?
        if let value = body["destination"], !value.isNull {
            // Kombu sends a list; a bare string names one node.
            if case .string(let node) = value {
                destination = [node]
            } else {
                destination = try Field.array(value, "body.destination").enumerated().map { index, node throws(WireError) in
                    try Field.string(node, "body.destination[\(index)]")
                }
            }
        }
        let pattern = try body["pattern"].flatMap { value throws(WireError) in try Field.optString(value, "body.pattern") }
        let matcher = try body["matcher"].flatMap { value throws(WireError) in try Field.optString(value, "body.matcher") }
        let ticket = try body["ticket"].flatMap { value throws(WireError) in try Field.optString(value, "body.ticket") }
        var replyTo: ReplyTo?
        if let value = body["reply_to"], !value.isNull {
            let object = try Field.object(value, "body.reply_to")
            guard let exchange = object["exchange"] else { throw WireError.missing("body.reply_to.exchange") }
            guard let key = object["routing_key"] else { throw WireError.missing("body.reply_to.routing_key") }
            replyTo = ReplyTo(exchange: try Field.string(exchange, "body.reply_to.exchange"),
                              routingKey: try Field.string(key, "body.reply_to.routing_key"))
        }
        let clock = envelope.headers["clock"].flatMap { $0.intValue ?? $0.doubleValue.map { Int64($0) } }
        let expires = envelope.headers["expires"]?.doubleValue
        return PidboxRequest(method: method, arguments: arguments, destination: destination, pattern: pattern,
                             matcher: matcher, ticket: ticket, replyTo: replyTo, clock: clock, expires: expires)
    }

    // MARK: Encoding

    /// The body as Kombu writes it (key order as captured).
    public func bodyJSON() -> JSONValue {
        var body = JSONObject()
        body.appendUnchecked("method", .string(method))
        body.appendUnchecked("arguments", .object(arguments))
        body.appendUnchecked("destination", destination.map { .array($0.map(JSONValue.string)) } ?? .null)
        body.appendUnchecked("pattern", pattern.map(JSONValue.string) ?? .null)
        body.appendUnchecked("matcher", matcher.map(JSONValue.string) ?? .null)
        if let replyTo {
            body.appendUnchecked("ticket", ticket.map(JSONValue.string) ?? .null)
            body.appendUnchecked("reply_to", .object(["exchange": .string(replyTo.exchange),
                                                      "routing_key": .string(replyTo.routingKey)]))
        }
        return .object(body)
    }

    /// The PUBLISH payload, byte for byte what Kombu 5.7 sends for the same request.
    public func encode(deliveryTag: String, mailbox: String = PidboxNames.defaultMailbox) -> [UInt8] {
        var headers = JSONObject()
        if let clock { headers.appendUnchecked("clock", .int(clock)) }
        if let expires { headers.appendUnchecked("expires", .double(expires)) }
        let properties: JSONObject = [
            "delivery_mode": 2,
            "delivery_info": ["exchange": .string(PidboxNames.requestExchange(mailbox: mailbox)), "routing_key": ""],
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": .string(deliveryTag),
        ]
        return KombuEnvelope(body: bodyJSON().serialized(), headers: headers, properties: properties).encode()
    }

    // MARK: Addressing

    /// Whether the node `hostname` should handle this request (kombu/pidbox.py `Node.handle_message`
    /// with `destination`, and `pattern`/`matcher` through kombu.utils.functional's matchers): a
    /// destination list names it, or the pattern matches it; neither set means every node.
    public func isAddressed(to hostname: String) -> Bool {
        if let destination, !destination.isEmpty, !destination.contains(hostname) { return false }
        if let pattern, !pattern.isEmpty {
            return Self.matches(hostname, pattern: pattern, matcher: matcher ?? "glob")
        }
        return true
    }

    /// kombu.utils.functional's `match` with the `glob` (fnmatch) or `pcre` (re.search) matcher.
    /// An unknown matcher or a bad expression matches nothing.
    public static func matches(_ name: String, pattern: String, matcher: String) -> Bool {
        switch matcher {
        case "glob":
            return fnmatch(pattern, name, 0) == 0
        case "pcre":
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
            return regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
        default:
            return false
        }
    }

    /// Whether `headers.expires` has passed at `nowSeconds` (Unix seconds). The client stops reading
    /// replies then, so answering costs the worker and helps no one.
    public func isExpired(nowSeconds: Double) -> Bool {
        guard let expires else { return false }
        return expires < nowSeconds
    }
}
