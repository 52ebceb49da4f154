/// A value of Kombu's `unacked` hash (field = delivery tag): the JSON array
/// `[message, exchange, routing_key]` Kombu keeps while a message is delivered but not yet acked,
/// so it can be restored to `routing_key`'s list after a crash or visibility timeout (capture 45).
public struct UnackedEntry: Sendable, Equatable {
    public var message: KombuEnvelope
    public var exchange: String
    public var routingKey: String

    public init(message: KombuEnvelope, exchange: String, routingKey: String) {
        self.message = message
        self.exchange = exchange
        self.routingKey = routingKey
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> UnackedEntry {
        try decode(json: try JSONValue.parse(bytes))
    }

    public static func decode(json: JSONValue) throws(WireError) -> UnackedEntry {
        guard case .array(let items) = json, items.count == 3 else {
            throw WireError.wrongType("unacked", expected: "a 3-element array [message, exchange, routing_key]", got: json)
        }
        return UnackedEntry(message: try KombuEnvelope.decode(json: items[0], path: "unacked[0] (message)"),
                            exchange: try Field.string(items[1], "unacked[1] (exchange)"),
                            routingKey: try Field.string(items[2], "unacked[2] (routing_key)"))
    }

    /// The message decoded as a Celery task.
    public func taskMessage() throws(WireError) -> TaskMessage {
        try TaskMessage(envelope: message)
    }

    public func encode() -> [UInt8] {
        JSONValue.array([message.jsonValue(), .string(exchange), .string(routingKey)]).serialized()
    }
}
