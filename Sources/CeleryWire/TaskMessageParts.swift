/// `headers.timelimit`: `[hard, soft]` seconds, each a number or null (no limit).
///
/// Integral values are written as JSON ints (Celery's `time_limit=30` sends `30`); a fractional
/// limit is written as a float.
public struct TimeLimit: Sendable, Equatable {
    public var hard: Double?
    public var soft: Double?

    public init(hard: Double? = nil, soft: Double? = nil) {
        self.hard = hard
        self.soft = soft
    }

    /// `[null, null]`: Celery's default.
    public static let unlimited = TimeLimit()

    public var isUnlimited: Bool { hard == nil && soft == nil }

    static func decode(_ v: JSONValue) throws(WireError) -> TimeLimit {
        switch v {
        case .null:
            return .unlimited
        case .array(let a) where a.count == 2:
            return TimeLimit(hard: try Field.optNumber(a[0], "headers.timelimit[0] (hard)"),
                             soft: try Field.optNumber(a[1], "headers.timelimit[1] (soft)"))
        default:
            throw WireError.wrongType("headers.timelimit", expected: "[hard, soft] array", got: v)
        }
    }

    var json: JSONValue { .array([Self.number(hard), Self.number(soft)]) }

    static func number(_ d: Double?) -> JSONValue {
        guard let d else { return .null }
        if d == d.rounded(), abs(d) < 9.0e15 { return .int(Int64(d)) }
        return .double(d)
    }
}

/// `properties.delivery_info`: where Kombu says the message was published, plus the
/// `redelivered` flag Kombu sets when it puts an unacked message back in the queue.
public struct DeliveryInfo: Sendable, Equatable {
    public var exchange: String?
    public var routingKey: String?
    public var redelivered: Bool?
    /// Unknown keys, kept in order.
    public var extra: JSONObject
    var layout: KeyLayout

    static let names = ["exchange", "routing_key", "redelivered"]

    public init(exchange: String? = "", routingKey: String?, redelivered: Bool? = nil, extra: JSONObject = [:]) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.extra = extra
        self.layout = .canonical(2)
    }

    static func decode(_ v: JSONValue) throws(WireError) -> DeliveryInfo {
        let object = try Field.object(v, "properties.delivery_info")
        var info = DeliveryInfo(exchange: nil, routingKey: nil)
        info.layout.slots.removeAll(keepingCapacity: true)
        for (key, value) in object {
            switch key {
            case "exchange":
                info.exchange = try Field.optString(value, "properties.delivery_info.exchange")
                info.layout.slots.append(.known(0))
            case "routing_key":
                info.routingKey = try Field.optString(value, "properties.delivery_info.routing_key")
                info.layout.slots.append(.known(1))
            case "redelivered":
                info.redelivered = try Field.optBool(value, "properties.delivery_info.redelivered")
                info.layout.slots.append(.known(2))
            default:
                info.extra.appendUnchecked(key, value)
                info.layout.slots.append(.extra)
            }
        }
        return info
    }

    var json: JSONValue {
        .object(layout.assemble(names: Self.names, extras: extra) { n, inLayout in
            switch n {
            case 0: return exchange.map(JSONValue.string) ?? (inLayout ? .null : nil)
            case 1: return routingKey.map(JSONValue.string) ?? (inLayout ? .null : nil)
            default: return redelivered.map(JSONValue.bool)
            }
        })
    }
}

/// The third element of a protocol v2 body: the signatures to run after this task
/// (`callbacks` = link, `errbacks` = link_error, `chain` = remaining chain steps, `chord` = chord
/// body). Each stays raw JSON (a list of signature dicts or null): their interpretation belongs
/// to the worker's canvas code, not to the codec.
public struct TaskEmbed: Sendable, Equatable {
    public var callbacks: JSONValue
    public var errbacks: JSONValue
    public var chain: JSONValue
    public var chord: JSONValue
    /// Unknown embed keys, kept in order.
    public var extra: JSONObject
    var layout: KeyLayout

    static let names = ["callbacks", "errbacks", "chain", "chord"]

    public init(callbacks: JSONValue = .null, errbacks: JSONValue = .null, chain: JSONValue = .null,
                chord: JSONValue = .null, extra: JSONObject = [:]) {
        self.callbacks = callbacks
        self.errbacks = errbacks
        self.chain = chain
        self.chord = chord
        self.extra = extra
        self.layout = .canonical(4)
    }

    static func decode(_ v: JSONValue) throws(WireError) -> TaskEmbed {
        guard case .object(let object) = v else {
            throw WireError(.badBody, "body[2] (embed): expected object, got \(v.typeName)")
        }
        var embed = TaskEmbed()
        embed.layout.slots.removeAll(keepingCapacity: true)
        for (key, value) in object {
            switch key {
            case "callbacks": embed.callbacks = value; embed.layout.slots.append(.known(0))
            case "errbacks": embed.errbacks = value; embed.layout.slots.append(.known(1))
            case "chain": embed.chain = value; embed.layout.slots.append(.known(2))
            case "chord": embed.chord = value; embed.layout.slots.append(.known(3))
            default: embed.extra.appendUnchecked(key, value); embed.layout.slots.append(.extra)
            }
        }
        return embed
    }

    var json: JSONValue {
        .object(layout.assemble(names: Self.names, extras: extra) { n, inLayout in
            let v: JSONValue
            switch n {
            case 0: v = callbacks
            case 1: v = errbacks
            case 2: v = chain
            default: v = chord
            }
            return inLayout || !v.isNull ? v : nil
        })
    }
}
