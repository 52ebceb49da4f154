/// Readers for the flat "key, value, key, value" arrays Redis uses for maps and scored sets,
/// so callers do not each re-implement the pairing (and its odd-length edge case).
extension RedisReply {
    /// `HGETALL`-style replies as (field, value) pairs in server order; `nil` if this is not an
    /// array of an even number of bulk strings.
    public var pairs: [(key: [UInt8], value: [UInt8])]? {
        guard let elements = arrayValue, elements.count % 2 == 0 else { return nil }
        var result: [(key: [UInt8], value: [UInt8])] = []
        result.reserveCapacity(elements.count / 2)
        var index = 0
        while index < elements.count {
            guard case let .string(key) = elements[index], case let .string(value) = elements[index + 1] else {
                return nil
            }
            result.append((key: key, value: value))
            index += 2
        }
        return result
    }

    /// `HGETALL` as a dictionary of UTF-8 field names to raw values; `nil` if the reply is not a
    /// field/value array or a field name is not UTF-8. Later duplicates win (Redis sends none).
    public var fieldValues: [String: [UInt8]]? {
        guard let pairs else { return nil }
        var result: [String: [UInt8]] = [:]
        for pair in pairs {
            guard let field = strictUTF8String(pair.key) else { return nil }
            result[field] = pair.value
        }
        return result
    }

    /// `ZRANGE … WITHSCORES` as (member, score) pairs in server order; `nil` if this is not such
    /// an array or a score is not a number Redis could have sent (`inf`/`-inf` are accepted).
    public var scoredMembers: [(member: [UInt8], score: Double)]? {
        guard let pairs else { return nil }
        var result: [(member: [UInt8], score: Double)] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let text = strictUTF8String(pair.value), let score = Self.parseScore(text) else {
                return nil
            }
            result.append((member: pair.key, score: score))
        }
        return result
    }

    private static func parseScore(_ text: String) -> Double? {
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(text)
        }
    }
}
