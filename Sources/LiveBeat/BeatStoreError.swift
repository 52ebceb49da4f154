import RedisClient

/// Why reading beat's state from Redis failed: the server (a `RedisError`, which the caller may
/// retry after reconnecting), or a value in the last-run hash that is not a time — which retrying
/// will not fix, so it is reported with the entry and the text for the operator to correct or
/// delete (`HDEL <prefix>:last_run <entry>`), never dropped silently: dropping it would make the
/// entry count as never run, and a beat would send it again at once.
public enum BeatStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case redis(RedisError)
    /// `entry`'s field in `hash` holds `text`, which is not unix seconds (e.g. `1764883200.123456`).
    case malformedLastRun(hash: String, entry: String, text: String)

    public var description: String {
        switch self {
        case let .redis(error):
            return error.message
        case let .malformedLastRun(hash, entry, text):
            return "the last run of beat entry \(Self.quoted(entry)) in \(hash) is \(Self.quoted(text)), "
                + "not unix seconds such as \"1764883200.123456\"; correct it or delete the field "
                + "(the entry then counts as never run)"
        }
    }

    /// Text in double quotes with control characters escaped, so an odd value shows as it is.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
