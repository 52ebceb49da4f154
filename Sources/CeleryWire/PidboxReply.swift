/// One remote-control reply (kombu/pidbox.py `Node.reply`): `{node: value}` in a Kombu envelope,
/// LPUSHed to the client's `<oid>.reply.celery.pidbox` list.
///
/// Values are Celery's: `{"ok": text}` for most controls, data for inspections, `null` for
/// `heartbeat`, `{"error": "<Python repr of the exception>"}` for errors. The Python client keeps
/// a reply only when `headers.ticket` equals its request's ticket (capture 81).
public struct PidboxReply: Sendable, Equatable {
    public var hostname: String
    public var value: JSONValue
    public var ticket: String?
    /// `headers.clock`: the replying node's mailbox clock.
    public var clock: Int64?

    public init(hostname: String, value: JSONValue, ticket: String?, clock: Int64? = nil) {
        self.hostname = hostname
        self.value = value
        self.ticket = ticket
        self.clock = clock
    }

    /// `{"ok": text}`.
    public static func ok(_ text: String) -> JSONValue { .object(["ok": .string(text)]) }
    /// `{"error": text}`.
    public static func error(_ text: String) -> JSONValue { .object(["error": .string(text)]) }

    /// The LPUSH value, byte for byte what a Celery 5.7 worker pushes.
    public func encode(routingKey: String, deliveryTag: String, mailbox: String = PidboxNames.defaultMailbox) -> [UInt8] {
        var headers = JSONObject()
        headers.appendUnchecked("ticket", ticket.map(JSONValue.string) ?? .null)
        if let clock { headers.appendUnchecked("clock", .int(clock)) }
        let properties: JSONObject = [
            "delivery_mode": 1,
            "delivery_info": ["exchange": .string(PidboxNames.replyExchange(mailbox: mailbox)),
                              "routing_key": .string(routingKey)],
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": .string(deliveryTag),
        ]
        let body = JSONValue.object([(hostname, value)].reduce(into: JSONObject()) { $0.appendUnchecked($1.0, $1.1) })
        return KombuEnvelope(body: body.serialized(), headers: headers, properties: properties).encode()
    }

    /// Decodes one reply list item. A body with several nodes (none seen in practice) gives one
    /// reply per node, in order.
    public static func decode(_ payload: [UInt8]) throws(WireError) -> [PidboxReply] {
        let envelope = try KombuEnvelope.decode(payload)
        let body = try Field.object(try envelope.jsonBody(), "body")
        let ticket = envelope.headers["ticket"]?.stringValue
        let clock = envelope.headers["clock"]?.intValue
        return body.map { PidboxReply(hostname: $0.key, value: $0.value, ticket: ticket, clock: clock) }
    }
}
